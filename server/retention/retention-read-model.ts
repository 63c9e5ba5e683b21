import type { Db } from '../db/database.ts';

// Due: every experiment they were assigned to concluded before the cut-off, no outcome
// recorded since, and their record unchanged since (people never assigned: just the last).
const DUE_PEOPLE = `
  SELECT c.id FROM contacts c
  WHERE c.erased_at IS NULL AND c.updated_at < ?
    AND NOT EXISTS (
      SELECT 1 FROM assignments a JOIN experiments e ON e.id = a.experiment_id
      WHERE a.contact_id = c.id AND (e.concluded_at IS NULL OR e.concluded_at >= ?))
    AND NOT EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.recorded_at >= ?)
  ORDER BY c.id LIMIT ?`;

/** Who the retention policy is due to erase, read across contacts, assignments, experiments and outcomes. */
export function createRetentionReadModel(db: Db) {
  return {
    /** The ids of people whose involvement ended before `cutoff`, lowest id first (at most `limit`). */
    async duePeople(cutoff: string, limit: number): Promise<number[]> {
      const rows = await db.all<{ id: number }>(DUE_PEOPLE, [cutoff, cutoff, cutoff, limit]);
      return rows.map((row) => row.id);
    },
  };
}

export type RetentionReadModel = ReturnType<typeof createRetentionReadModel>;
