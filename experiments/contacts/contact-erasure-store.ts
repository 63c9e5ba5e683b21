import type { Db } from '../../server/db/database.ts';

/** A contacts row as erasure sees it: erased people included. */
export type ErasureContact = { id: number; reference: string; erasedAt: string | null };

// Through contacts_reference_compact_idx, then exactly (ignoring case): references are unique ignoring case.
const BY_REFERENCE = `
  SELECT id, reference, erased_at AS "erasedAt" FROM contacts
  WHERE replace(upper(reference), '-', '') = replace(upper(CAST(? AS TEXT)), '-', '') AND upper(reference) = upper(CAST(? AS TEXT))`;
const REFERENCE_TAKEN = 'SELECT 1 AS taken FROM contacts WHERE reference = ?';
const BY_ID = 'SELECT id, reference, erased_at AS "erasedAt" FROM contacts WHERE id = ?';
const COUNTS = `
  SELECT (SELECT COUNT(*) FROM assignments WHERE contact_id = ?) AS assignments,
         (SELECT COUNT(*) FROM outcome_events WHERE contact_id = ?) AS "outcomeEvents",
         (SELECT COUNT(*) FROM contact_changes WHERE contact_id = ?) AS changes`;
// Parameters: tombstone, then the placeholder seven times, then at three times, then id.
const ERASE_CONTACT = `
  UPDATE contacts SET reference = ?, health_group = ?, age_band = ?, sex = ?,
    ethnicity_group = ?, caring = 0, time_on_benefits = ?, previous_work = ?,
    benefit_type = ?, preferred_channel = NULL, adjustments = '[]',
    opted_out_at = COALESCE(opted_out_at, ?), erased_at = ?, updated_at = ?
  WHERE id = ? AND erased_at IS NULL`;
const DELETE_CHANGES = 'DELETE FROM contact_changes WHERE contact_id = ?';
const CLEAR_ASSIGNMENT_DETAIL = 'UPDATE assignments SET hash_value = NULL, stratum = NULL WHERE contact_id = ?';
// Keys are chosen by callers and may contain the reference; they stay unique with the event id.
const REKEY_EVENTS = "UPDATE outcome_events SET idempotency_key = CAST(? AS TEXT) || '-' || id WHERE contact_id = ?";
const MARK_ERASURE = `INSERT INTO job_leases (job, holder, expires_at) VALUES (?, 'erasure', ?)
  ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`;
const UNMARK_ERASURE = 'DELETE FROM job_leases WHERE job = ?';
const FREE_TEXTS = [
  { select: 'SELECT id, note AS text FROM learning_notes', update: 'UPDATE learning_notes SET note = ? WHERE id = ?' },
  { select: 'SELECT id, text FROM learning_summaries', update: 'UPDATE learning_summaries SET text = ? WHERE id = ?' },
  { select: 'SELECT id, text FROM learning_summary_approvals', update: 'UPDATE learning_summary_approvals SET text = ? WHERE id = ?' },
  // An admin's reason for moving someone between caseloads may name them.
  { select: 'SELECT id, reason AS text FROM caseload_moves', update: 'UPDATE caseload_moves SET reason = ? WHERE id = ?' },
];

/**
 * The reads and writes of erasing a person (docs/decisions/0033), over every
 * table that holds their reference or characteristics: contacts and
 * contact_changes, their assignments' hash and stratum, their outcome events'
 * idempotency keys, the free text of the learning log and caseload moves, and
 * the job_leases marker the immutability triggers look for. The writes are
 * made inside the erasure service's transaction.
 */
export function createContactErasureStore(db: Db) {
  return {
    byReference: (reference: string) => db.get<ErasureContact>(BY_REFERENCE, [reference, reference]),
    byId: (id: number) => db.get<ErasureContact>(BY_ID, [id]),
    async referenceTaken(reference: string): Promise<boolean> {
      return (await db.get(REFERENCE_TAKEN, [reference])) !== undefined;
    },
    /** What an erasure of this contact would touch. */
    async counts(contactId: number): Promise<{ assignments: number; outcomeEvents: number; changes: number }> {
      return (await db.get<{ assignments: number; outcomeEvents: number; changes: number }>(COUNTS, [contactId, contactId, contactId]))!;
    },

    /** Says an erasure is running, for the triggers (see ERASURE_MARKER). */
    async mark(marker: string, at: string): Promise<void> {
      await db.run(MARK_ERASURE, [marker, at]);
    },
    async unmark(marker: string): Promise<void> {
      await db.run(UNMARK_ERASURE, [marker]);
    },

    /** Gives the contact its tombstone and `placeholder` for every characteristic; opts them out if they were not already. */
    async eraseContact(contactId: number, tombstone: string, placeholder: string, at: string): Promise<void> {
      await db.run(ERASE_CONTACT, [tombstone, ...Array<string>(7).fill(placeholder), at, at, at, contactId]);
    },
    async deleteChanges(contactId: number): Promise<void> {
      await db.run(DELETE_CHANGES, [contactId]);
    },
    async clearAssignmentDetail(contactId: number): Promise<void> {
      await db.run(CLEAR_ASSIGNMENT_DETAIL, [contactId]);
    },
    async rekeyEvents(contactId: number, tombstone: string): Promise<void> {
      await db.run(REKEY_EVENTS, [tombstone, contactId]);
    },

    /** Rewrites every free text `redact` changes, table by table. */
    async redactFreeText(redact: (text: string) => string): Promise<void> {
      for (const { select, update } of FREE_TEXTS) {
        for (const row of await db.all<{ id: number; text: string }>(select)) {
          const redacted = redact(row.text);
          if (redacted !== row.text) await db.run(update, [redacted, row.id]);
        }
      }
    },
  };
}

export type ContactErasureStore = ReturnType<typeof createContactErasureStore>;
