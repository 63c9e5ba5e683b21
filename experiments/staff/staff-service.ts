import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ValidationError } from '../../server/errors.ts';
import type { SITE_KINDS } from '../vocabulary.ts';
import { createStaffStore, type Site, type WorkCoach } from './staff-store.ts';

/** Sites (the jobcentre and alternative venues) and the work coaches based at them. */
export function createStaffService(db: Db, clock: Clock) {
  const store = createStaffStore(db);
  return {
    async addSite(input: { code: string; name: string; kind: (typeof SITE_KINDS)[number] }): Promise<Site> {
      return store.insertSite(input, clock.now().toISOString());
    },
    async addCoach(input: { code: string; name: string; siteCode: string; userId?: number | null }): Promise<WorkCoach> {
      const siteId = await store.siteIdByCode(input.siteCode);
      if (siteId === null) throw new ValidationError([{ field: 'site', message: `Unknown site code "${input.siteCode}"` }]);
      return store.insertCoach({ code: input.code, name: input.name, siteId, userId: input.userId ?? null }, clock.now().toISOString());
    },
    sites: (): Promise<Site[]> => store.sites(),
    coaches: (): Promise<WorkCoach[]> => store.coaches(),
  };
}
