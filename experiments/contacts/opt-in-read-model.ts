import type { Db } from '../../server/db/database.ts';

const OPT_INS_OF = `
  SELECT i.id, o.occurred_at AS "optedOutAt", i.reason, u.display_name AS "recordedBy", i.recorded_at AS "recordedAt"
  FROM opt_ins i JOIN outcome_events o ON o.id = i.opt_out_event_id JOIN users u ON u.id = i.recorded_by
  WHERE i.contact_id = ? ORDER BY i.id`;

/** A person's opt-ins as the contact page shows them: when the opt-out was, and who recorded the opt-in. */
export function createOptInReadModel(db: Db) {
  return {
    ofContact: (contactId: number) =>
      db.all<{ id: number; optedOutAt: string; reason: string; recordedBy: string; recordedAt: string }>(OPT_INS_OF, [contactId]),
  };
}

export type OptInReadModel = ReturnType<typeof createOptInReadModel>;
