import type { Db } from '../../server/db/database.ts';

const LATEST_OPT_OUT = `SELECT id, occurred_at AS "occurredAt" FROM outcome_events WHERE contact_id = ? AND stage = 'opted_out' ORDER BY id DESC LIMIT 1`;
// One opt-in per opt-out (opt_ins_opt_out_event_id_unique): a request that loses a race to another inserts nothing.
const INSERT_OPT_IN = `INSERT INTO opt_ins (contact_id, opt_out_event_id, reason, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (opt_out_event_id) DO NOTHING`;

/**
 * Plain reads and writes on opt_ins, and the read of the opt-out event an
 * opt-in ends. The writes are made inside the opt-in service's transaction.
 */
export function createOptInStore(db: Db) {
  return {
    latestOptOut: (contactId: number) => db.get<{ id: number; occurredAt: string }>(LATEST_OPT_OUT, [contactId]),
    /** False when this opt-out already has its opt-in. */
    async insert(optIn: { contactId: number; optOutEventId: number; reason: string; recordedBy: number }, at: string): Promise<boolean> {
      const { changes } = await db.run(INSERT_OPT_IN, [optIn.contactId, optIn.optOutEventId, optIn.reason, optIn.recordedBy, at]);
      return changes > 0;
    },
  };
}

export type OptInStore = ReturnType<typeof createOptInStore>;
