import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { FunnelEvent } from '../contact/next-step.ts';

/**
 * What the caseload table needs about one page of people: their recorded
 * outcomes as corrected (for "what is due next") and their arms. Two queries for the whole
 * page, whatever the size of the caseload (the page's contact ids go as one JSON list).
 */
export function createCaseloadReadModel(db: Db) {
  const d = dialectSql(db.dialect);
  const EVENTS = `SELECT contact_id AS "contactId", stage, occurred_at AS "occurredAt", detail FROM effective_outcome_events
    WHERE contact_id IN ${d.jsonList('integer')} ORDER BY occurred_at, id`;
  const ARMS = `SELECT a.contact_id AS "contactId", e.name AS experiment, r.name AS arm, e.status AS status
    FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN experiment_arms r ON r.id = a.arm_id
    WHERE a.contact_id IN ${d.jsonList('integer')} ORDER BY a.assigned_at, a.id`;
  return {
    async forContacts(contactIds: number[]) {
      const events = new Map<number, FunnelEvent[]>();
      const arms = new Map<number, { experiment: string; arm: string; status: string }[]>();
      if (contactIds.length === 0) return { events, arms };
      const ids = JSON.stringify(contactIds);
      for (const row of await db.all<{ contactId: number; stage: string; occurredAt: string; detail: string | null }>(EVENTS, [ids])) {
        const list = events.get(row.contactId) ?? [];
        list.push({ stage: row.stage, occurredAt: row.occurredAt, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null });
        events.set(row.contactId, list);
      }
      for (const row of await db.all<{ contactId: number; experiment: string; arm: string; status: string }>(ARMS, [ids])) {
        const list = arms.get(row.contactId) ?? [];
        list.push({ experiment: row.experiment, arm: row.arm, status: row.status });
        arms.set(row.contactId, list);
      }
      return { events, arms };
    },
  };
}
