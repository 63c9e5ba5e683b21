import { randomBytes } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { guardProgressSources } from '../progress/source-guard.ts';
import { replaceAuditEntityId } from '../../server/retention/audit-retention.ts';
// The learning log's own way of finding a reference in prose, so erasure finds what the log would have refused.
import { compactIdentifier, referenceCandidates } from '../../dashboard/learning-log/disclosure-check.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { NOT_RECORDED } from '../progress/progress-projection.ts';
import { createContactErasureStore } from './contact-erasure-store.ts';
import { createContactStore } from './contact-store.ts';
import { createAuditStore } from '../../server/audit-store.ts';

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
  const store = createContactErasureStore(db);
  const contacts = createContactStore(db);
  const auditLog = createAuditStore(db);

  async function redactFreeText(references: string[]): Promise<void> {
    const compact = new Set(references.map(compactIdentifier));
    await store.redactFreeText((text) => redactReferences(text, compact));
  }

  /**
   * Erases the given people (those not yet erased) in one transaction; returns
   * the new tombstones. `userId` is the admin who asked, or null for the
   * scheduled retention job.
   */
  const eraseIds = (contactIds: readonly number[], by: { userId: number | null; action: string }): Promise<string[]> =>
    db.withTransaction(async () => {
      const people: { id: number; reference: string; erasedAt: null }[] = [];
      for (const id of contactIds) {
        const row = await store.byId(id);
        if (row !== undefined && row.erasedAt === null) people.push({ ...row, erasedAt: null });
      }
      if (people.length === 0) return [];
      const at = clock.now().toISOString();
      await store.mark(ERASURE_MARKER, at);
      // Subgroup tallies move while the read model still holds their characteristics.
      await progress.forgetCharacteristics(people.map((p) => p.id));
      // Assignments and outcome events are changed below (decision 0038: guard after the read model's catch-up above).
      await guardProgressSources(db);
      const tombstones: string[] = [];
      for (const person of people) {
        let tombstone = newTombstone();
        while (await store.referenceTaken(tombstone)) tombstone = newTombstone();
        await store.eraseContact(person.id, tombstone, PLACEHOLDER, at);
        await store.deleteChanges(person.id);
        await store.clearAssignmentDetail(person.id);
        await store.rekeyEvents(person.id, tombstone);
        await replaceAuditEntityId(db, 'contact', person.reference, tombstone);
        await auditLog.insert(by.userId, by.action, 'contact', tombstone, null, at);
        tombstones.push(tombstone);
      }
      await redactFreeText(people.map((p) => p.reference));
      await store.unmark(ERASURE_MARKER);
      return tombstones;
    });

  return {
    /** The person with this reference (any case), for the confirmation page; null when nobody has it. */
    async preview(reference: string): Promise<ErasurePreview | null> {
      const row = await store.byReference(reference.trim());
      if (!row) return null;
      const counts = await store.counts(row.id);
      return { reference: row.reference, erased: row.erasedAt !== null, ...counts };
    },

    /**
     * Erases one person on request. Idempotent: a tombstone is reported as
     * already erased, and the original reference no longer exists afterwards.
     */
    erase(reference: string, by: { userId: number }): Promise<ErasureResult> {
      return db.withTransaction(async (): Promise<ErasureResult> => {
        const row = await store.byReference(reference.trim());
        if (!row) return { status: 'not-found' };
        if (row.erasedAt !== null) return { status: 'already-erased', tombstone: row.reference };
        const [tombstone] = await eraseIds([row.id], { userId: by.userId, action: 'erase' });
        return { status: 'erased', tombstone };
      });
    },

    /** Erases a batch of people (the retention job); returns their tombstones. */
    eraseMany(contactIds: readonly number[], by: { userId: number | null; action: string }): Promise<string[]> {
      return eraseIds(contactIds, by);
    },
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;
