import type { Db } from '../../server/db/database.ts';

export type RandomisationUnit = 'person' | 'coach' | 'site';

const COACH_CODE = 'SELECT code FROM work_coaches WHERE id = ?';
const SITE_CODE = 'SELECT code FROM sites WHERE id = ?';

/**
 * What a cluster-randomised experiment hashes for a person (decision 0037):
 * their coach's or site's code as it is now, so everyone of one coach or site
 * shares an arm; null for person-level randomisation (hash the reference,
 * without reading anything).
 */
export function createClusterCodes(db: Db) {
  const code = async (sql: string, id: number) => (await db.get<{ code: string }>(sql, [id]))?.code as string;
  return async (unit: RandomisationUnit, person: { coachId: number; siteId: number }): Promise<string | null> =>
    unit === 'coach' ? code(COACH_CODE, person.coachId) : unit === 'site' ? code(SITE_CODE, person.siteId) : null;
}
