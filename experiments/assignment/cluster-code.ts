import type { Db } from '../../server/db/database.ts';
import { createStaffStore } from '../staff/staff-store.ts';

export type RandomisationUnit = 'person' | 'coach' | 'site';

/**
 * What a cluster-randomised experiment hashes for a person (decision 0037):
 * their coach's or site's code as it is now, so everyone of one coach or site
 * shares an arm; null for person-level randomisation (hash the reference,
 * without reading anything).
 */
export function createClusterCodes(db: Db) {
  const staff = createStaffStore(db);
  return async (unit: RandomisationUnit, person: { coachId: number; siteId: number }): Promise<string | null> =>
    unit === 'coach' ? staff.coachCode(person.coachId) : unit === 'site' ? staff.siteCode(person.siteId) : null;
}
