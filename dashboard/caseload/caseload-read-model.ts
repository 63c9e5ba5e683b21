import type { Db } from '../../server/db/database.ts';
import type { FunnelEvent } from '../contact/next-step.ts';

/**
 * What the caseload table needs about one page of people: their recorded
 * outcomes as corrected (for "what is due next") and their arms. Two queries for the whole
 * page, whatever the size of the caseload.
 */
export function createCaseloadReadModel(db: Db) {
  return {
    forContacts(contactIds: number[]) {
      const events = new Map<number, FunnelEvent[]>();
      const arms = new Map<number, { experiment: string; arm: string; status: string }[]>();
      if (contactIds.length === 0) return { events, arms };
      const placeholders = contactIds.map(() => '?').join(',');
      const eventRows = db.$client
        .prepare(`SELECT contact_id AS contactId, stage, occurred_at AS occurredAt, detail FROM effective_outcome_events WHERE contact_id IN (${placeholders}) ORDER BY occurred_at, id`)
        .all(...contactIds) as { contactId: number; stage: string; occurredAt: string; detail: string | null }[];
      for (const row of eventRows) {
        const list = events.get(row.contactId) ?? [];
        list.push({ stage: row.stage, occurredAt: row.occurredAt, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null });
        events.set(row.contactId, list);
      }
      const armRows = db.$client
        .prepare(
          `SELECT a.contact_id AS contactId, e.name AS experiment, r.name AS arm, e.status AS status
           FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN experiment_arms r ON r.id = a.arm_id
           WHERE a.contact_id IN (${placeholders}) ORDER BY a.assigned_at`,
        )
        .all(...contactIds) as { contactId: number; experiment: string; arm: string; status: string }[];
      for (const row of armRows) {
        const list = arms.get(row.contactId) ?? [];
        list.push({ experiment: row.experiment, arm: row.arm, status: row.status });
        arms.set(row.contactId, list);
      }
      return { events, arms };
    },
  };
}
