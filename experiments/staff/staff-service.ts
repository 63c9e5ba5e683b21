import { asc, eq } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { sites, workCoaches } from '../../server/db/schema.ts';
import { ValidationError } from '../../server/errors.ts';
import type { SITE_KINDS } from '../vocabulary.ts';

/** Sites (the jobcentre and alternative venues) and the work coaches based at them. */
export function createStaffService(db: Db, clock: Clock) {
  return {
    addSite(input: { code: string; name: string; kind: (typeof SITE_KINDS)[number] }) {
      return db.insert(sites).values({ ...input, createdAt: clock.now().toISOString() }).returning().get();
    },
    addCoach(input: { code: string; name: string; siteCode: string; userId?: number | null }) {
      const site = db.select().from(sites).where(eq(sites.code, input.siteCode)).get();
      if (!site) throw new ValidationError([{ field: 'site', message: `Unknown site code "${input.siteCode}"` }]);
      return db
        .insert(workCoaches)
        .values({ code: input.code, name: input.name, siteId: site.id, userId: input.userId ?? null, createdAt: clock.now().toISOString() })
        .returning()
        .get();
    },
    sites: () => db.select().from(sites).orderBy(asc(sites.id)).all(),
    coaches: () => db.select().from(workCoaches).orderBy(asc(workCoaches.code)).all(),
  };
}
