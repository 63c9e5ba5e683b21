import type { Db } from '../../server/db/database.ts';

export type RandomisationUnit = 'person' | 'coach' | 'site';

/**
 * What a cluster-randomised experiment hashes for a person (decision 0037):
 * their coach's or site's code as it is now, so everyone of one coach or site
 * shares an arm; null for person-level randomisation (hash the reference).
 */
export function createClusterCodes(db: Db) {
  const coachCode = db.$client.prepare('SELECT code FROM work_coaches WHERE id = ?').pluck();
  const siteCode = db.$client.prepare('SELECT code FROM sites WHERE id = ?').pluck();
  return (unit: RandomisationUnit, person: { coachId: number; siteId: number }): string | null =>
    unit === 'coach' ? (coachCode.get(person.coachId) as string) : unit === 'site' ? (siteCode.get(person.siteId) as string) : null;
}
