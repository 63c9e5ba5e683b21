import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { sites, workCoaches } from '../../server/db/schema.ts';
import { ValidationError } from '../../server/errors.ts';
import type { SITE_KINDS } from '../vocabulary.ts';

type Site = typeof sites.$inferSelect;
type WorkCoach = typeof workCoaches.$inferSelect;

const SITE_COLUMNS = 'id, code, name, kind, created_at AS "createdAt"';
const COACH_COLUMNS = 'id, user_id AS "userId", code, name, site_id AS "siteId", created_at AS "createdAt"';

/** Sites (the jobcentre and alternative venues) and the work coaches based at them. */
export function createStaffService(db: Db, clock: Clock) {
  return {
    async addSite(input: { code: string; name: string; kind: (typeof SITE_KINDS)[number] }): Promise<Site> {
      return (await db.get<Site>(`INSERT INTO sites (code, name, kind, created_at) VALUES (?, ?, ?, ?) RETURNING ${SITE_COLUMNS}`, [
        input.code,
        input.name,
        input.kind,
        clock.now().toISOString(),
      ]))!;
    },
    async addCoach(input: { code: string; name: string; siteCode: string; userId?: number | null }): Promise<WorkCoach> {
      const site = await db.get<{ id: number }>('SELECT id FROM sites WHERE code = ?', [input.siteCode]);
      if (!site) throw new ValidationError([{ field: 'site', message: `Unknown site code "${input.siteCode}"` }]);
      return (await db.get<WorkCoach>(`INSERT INTO work_coaches (code, name, site_id, user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${COACH_COLUMNS}`, [
        input.code,
        input.name,
        site.id,
        input.userId ?? null,
        clock.now().toISOString(),
      ]))!;
    },
    sites: (): Promise<Site[]> => db.all<Site>(`SELECT ${SITE_COLUMNS} FROM sites ORDER BY id`),
    coaches: (): Promise<WorkCoach[]> => db.all<WorkCoach>(`SELECT ${COACH_COLUMNS} FROM work_coaches ORDER BY code, id`),
  };
}
