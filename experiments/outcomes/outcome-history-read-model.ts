import type { Db } from '../../server/db/database.ts';
import type { ContactScope } from '../contacts/contact-service.ts';
import type { CorrectionKind } from './correction-schema.ts';

/** A correction as stored, with the name of whoever made it. */
export interface CorrectionRow {
  id: number;
  eventId: number;
  kind: CorrectionKind;
  reason: string;
  reasonNote: string | null;
  occurredAt: string | null;
  value: number | null;
  detail: string | null;
  correctedBy: string;
  correctedAt: string;
}

const CORRECTIONS_OF_CONTACT = `
    SELECT k.id, k.event_id AS "eventId", k.kind, k.reason, k.reason_note AS "reasonNote", k.occurred_at AS "occurredAt", k.value, k.detail,
           u.display_name AS "correctedBy", k.corrected_at AS "correctedAt"
    FROM outcome_corrections k JOIN outcome_events o ON o.id = k.event_id JOIN users u ON u.id = k.corrected_by
    WHERE o.contact_id = ? ORDER BY k.id`;

/**
 * The reads behind a person's outcome history: which person a reference names
 * within the user's scope, and the corrections of their events with who made
 * each (outcome_corrections, outcome_events, users, contacts).
 */
export function createOutcomeHistoryReadModel(db: Db) {
  return {
    /** The person's id, when `scope` (contactScope over alias `c`) lets the user see them. */
    contactIdInScope(scope: ContactScope, reference: string): Promise<{ id: number } | undefined> {
      return db.get<{ id: number }>(`SELECT c.id FROM contacts c WHERE ${scope.sql} AND c.reference = ?`, [...scope.params, reference]);
    },
    /** Every correction of the person's events, oldest first. */
    correctionsOfContact(contactId: number): Promise<CorrectionRow[]> {
      return db.all<CorrectionRow>(CORRECTIONS_OF_CONTACT, [contactId]);
    },
  };
}

export type OutcomeHistoryReadModel = ReturnType<typeof createOutcomeHistoryReadModel>;
