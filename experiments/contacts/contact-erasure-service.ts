import { randomBytes } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { replaceAuditEntityId } from '../../server/retention/audit-retention.ts';
// The learning log's own way of finding a reference in prose, so erasure finds what the log would have refused.
import { compactIdentifier, referenceCandidates } from '../../dashboard/learning-log/disclosure-check.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { NOT_RECORDED } from '../progress/progress-projection.ts';

/**
 * Erasure of one person, or a batch of people, on request or when their
 * retention period ends (docs/decisions/0033).
 *
 * Removed for good: their characteristics, preferred channel, adjustments, the
 * history of changes to those, and their reference, which becomes a random
 * tombstone (`ERASED-` and 16 hex digits) wherever it was written: the
 * contact, outcome idempotency keys, audit rows and any learning note or
 * summary that mentions it. Nothing is kept that could link the tombstone back
 * to the reference: the assignment's hash bucket (computable from the
 * reference) and permuted-block stratum (their characteristics) are cleared.
 *
 * Kept, as anonymous records under the tombstone: their assignments (arm,
 * phase, time), their outcome events and screenings, and their work coach (the
 * unit of clustering in the analysis). So every intention-to-treat count stays
 * exactly as it was; in subgroup breakdowns they move to "not recorded".
 *
 * They are also opted out, so no experiment contacts them again, without an
 * opt-out outcome event: that would change the opt-out guardrail. An erased
 * person is invisible to every role (contactScope).
 */
export const TOMBSTONE_PREFIX = 'ERASED-';

/** A new random tombstone reference, e.g. ERASED-9F2C04A1B7D3E655. */
export const newTombstone = (): string => `${TOMBSTONE_PREFIX}${randomBytes(8).toString('hex').toUpperCase()}`;

export const isTombstone = (reference: string): boolean => reference.toUpperCase().startsWith(TOMBSTONE_PREFIX);

/** What an erasure will remove and keep, without any personal detail: for the confirmation page. */
export interface ErasurePreview {
  reference: string;
  erased: boolean;
  assignments: number;
  outcomeEvents: number;
  changes: number;
}

export type ErasureResult = { status: 'erased'; tombstone: string } | { status: 'already-erased'; tombstone: string } | { status: 'not-found' };

/**
 * While an erasure's transaction runs, a row in job_leases under this name says
 * so (it is written and removed in the same transaction, so no one else ever
 * sees it). Triggers that keep records immutable allow the erasure's
 * redactions only while it is there: learning_summary_approvals' does
 * (migration 0004), and audit_log's can.
 */
export const ERASURE_MARKER = 'erasure-redaction';

/** Placeholders for NOT NULL columns of an erased contact: the same for everyone, never read (erased_at says so). */
const PLACEHOLDER = NOT_RECORDED;
const REDACTED = '[reference removed]';

/**
 * Replaces every way any of the references was written in `text` (however
 * spaced or cased, as the learning log's disclosure check finds them).
 * Returns the text unchanged when none appears.
 */
export function redactReferences(text: string, compactReferences: ReadonlySet<string>): string {
  const found = referenceCandidates(text)
    .filter((candidate) => compactReferences.has(candidate.compact))
    .map((candidate) => candidate.written)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const written of found) result = result.split(written).join(REDACTED);
  return result;
}

export function createErasureService(db: Db, clock: Clock, progress: ProgressProjection) {
  const sqlite = db.$client;
  // Through contacts_reference_compact_idx, then exactly (ignoring case): references are unique ignoring case.
  const byReference = sqlite.prepare(`
    SELECT id, reference, erased_at AS erasedAt FROM contacts
    WHERE replace(upper(reference), '-', '') = replace(upper(@reference), '-', '') AND upper(reference) = upper(@reference)`);
  const referenceTaken = sqlite.prepare('SELECT 1 FROM contacts WHERE reference = ?');
  const byId = sqlite.prepare('SELECT id, reference, erased_at AS erasedAt FROM contacts WHERE id = ?');
  const counts = sqlite.prepare(`
    SELECT (SELECT COUNT(*) FROM assignments WHERE contact_id = @id) AS assignments,
           (SELECT COUNT(*) FROM outcome_events WHERE contact_id = @id) AS outcomeEvents,
           (SELECT COUNT(*) FROM contact_changes WHERE contact_id = @id) AS changes`);
  const eraseContact = sqlite.prepare(`
    UPDATE contacts SET reference = @tombstone, health_group = @placeholder, age_band = @placeholder, sex = @placeholder,
      ethnicity_group = @placeholder, caring = 0, time_on_benefits = @placeholder, previous_work = @placeholder,
      benefit_type = @placeholder, preferred_channel = NULL, adjustments = '[]',
      opted_out_at = COALESCE(opted_out_at, @at), erased_at = @at, updated_at = @at
    WHERE id = @id AND erased_at IS NULL`);
  const deleteChanges = sqlite.prepare('DELETE FROM contact_changes WHERE contact_id = ?');
  const clearAssignmentDetail = sqlite.prepare('UPDATE assignments SET hash_value = NULL, stratum = NULL WHERE contact_id = ?');
  // Keys are chosen by callers and may contain the reference; they stay unique with the event id.
  const rekeyEvents = sqlite.prepare("UPDATE outcome_events SET idempotency_key = ? || '-' || id WHERE contact_id = ?");
  const markErasure = sqlite.prepare("INSERT OR REPLACE INTO job_leases (job, holder, expires_at) VALUES (?, 'erasure', ?)");
  const unmarkErasure = sqlite.prepare('DELETE FROM job_leases WHERE job = ?');
  const recordAudit = sqlite.prepare('INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (?, ?, ?, ?, ?)');
  const freeTexts = [
    { select: sqlite.prepare('SELECT id, note AS text FROM learning_notes'), update: sqlite.prepare('UPDATE learning_notes SET note = ? WHERE id = ?') },
    { select: sqlite.prepare('SELECT id, text FROM learning_summaries'), update: sqlite.prepare('UPDATE learning_summaries SET text = ? WHERE id = ?') },
    {
      select: sqlite.prepare('SELECT id, text FROM learning_summary_approvals'),
      update: sqlite.prepare('UPDATE learning_summary_approvals SET text = ? WHERE id = ?'),
    },
    // An admin's reason for moving someone between caseloads may name them.
    { select: sqlite.prepare('SELECT id, reason AS text FROM caseload_moves'), update: sqlite.prepare('UPDATE caseload_moves SET reason = ? WHERE id = ?') },
  ];

  function redactFreeText(references: string[]): void {
    const compact = new Set(references.map(compactIdentifier));
    for (const { select, update } of freeTexts) {
      for (const row of select.all() as { id: number; text: string }[]) {
        const redacted = redactReferences(row.text, compact);
        if (redacted !== row.text) update.run(redacted, row.id);
      }
    }
  }

  /**
   * Erases the given people (those not yet erased) in one transaction; returns
   * the new tombstones. `userId` is the admin who asked, or null for the
   * scheduled retention job.
   */
  const eraseIds = sqlite.transaction((contactIds: readonly number[], by: { userId: number | null; action: string }): string[] => {
    const people = contactIds
      .map((id) => byId.get(id) as { id: number; reference: string; erasedAt: string | null } | undefined)
      .filter((row): row is { id: number; reference: string; erasedAt: null } => row !== undefined && row.erasedAt === null);
    if (people.length === 0) return [];
    const at = clock.now().toISOString();
    markErasure.run(ERASURE_MARKER, at);
    // Subgroup tallies move while the read model still holds their characteristics.
    progress.forgetCharacteristics(people.map((p) => p.id));
    const tombstones: string[] = [];
    for (const person of people) {
      let tombstone = newTombstone();
      while (referenceTaken.get(tombstone)) tombstone = newTombstone();
      eraseContact.run({ id: person.id, tombstone, placeholder: PLACEHOLDER, at });
      deleteChanges.run(person.id);
      clearAssignmentDetail.run(person.id);
      rekeyEvents.run(tombstone, person.id);
      replaceAuditEntityId(db, 'contact', person.reference, tombstone);
      recordAudit.run(by.userId, by.action, 'contact', tombstone, at);
      tombstones.push(tombstone);
    }
    redactFreeText(people.map((p) => p.reference));
    unmarkErasure.run(ERASURE_MARKER);
    return tombstones;
  });

  return {
    /** The person with this reference (any case), for the confirmation page; null when nobody has it. */
    preview(reference: string): ErasurePreview | null {
      const row = byReference.get({ reference: reference.trim() }) as { id: number; reference: string; erasedAt: string | null } | undefined;
      if (!row) return null;
      return { reference: row.reference, erased: row.erasedAt !== null, ...(counts.get({ id: row.id }) as Omit<ErasurePreview, 'reference' | 'erased'>) };
    },

    /**
     * Erases one person on request. Idempotent: a tombstone is reported as
     * already erased, and the original reference no longer exists afterwards.
     */
    erase(reference: string, by: { userId: number }): ErasureResult {
      return sqlite.transaction((): ErasureResult => {
        const row = byReference.get({ reference: reference.trim() }) as { id: number; reference: string; erasedAt: string | null } | undefined;
        if (!row) return { status: 'not-found' };
        if (row.erasedAt !== null) return { status: 'already-erased', tombstone: row.reference };
        const [tombstone] = eraseIds([row.id], { userId: by.userId, action: 'erase' });
        return { status: 'erased', tombstone };
      }).immediate();
    },

    /** Erases a batch of people (the retention job); returns their tombstones. */
    eraseMany(contactIds: readonly number[], by: { userId: number | null; action: string }): string[] {
      return eraseIds.immediate(contactIds, by);
    },
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;
