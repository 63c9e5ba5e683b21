import type { Db, Queryable } from '../db/database.ts';
import { createAuditStore } from '../audit-store.ts';

/**
 * The only two ways anything but an INSERT touches `audit_log`
 * (docs/decisions/0033), so that triggers making the log append-only can allow
 * exactly these and refuse everything else.
 */

/** The audit row a purge writes before it deletes: its entity_id is the cut-off. */
export const AUDIT_PURGE_ACTION = 'purge';
export const AUDIT_PURGE_ENTITY = 'audit-log';

/**
 * Deletes audit rows older than `cutoff` (their `at` strictly before it).
 * The database refuses any other delete (decision 0031): it first moves the
 * retention cut-off in `audit_retention` (a trigger audits that change and
 * refuses a cut-off in the future by the database's own clock), then deletes
 * the rows before it. Idempotent: when nothing is older than the cut-off it
 * writes nothing. All in one transaction (joining the caller's, if any).
 * Resolves to how many rows were deleted.
 */
export async function purgeAuditLogBefore(db: Db, cutoff: Date, now: Date = new Date()): Promise<number> {
  const cutoffIso = cutoff.toISOString();
  const store = createAuditStore(db);
  return db.withTransaction(async () => {
    const due = await store.countBefore(cutoffIso);
    if (due === 0) return 0;
    await store.insertPurge(AUDIT_PURGE_ACTION, AUDIT_PURGE_ENTITY, cutoffIso, now.toISOString());
    await store.moveCutoff(cutoffIso);
    return store.deleteBefore(cutoffIso);
  });
}

/**
 * When a person is erased, audit rows that name their reference (older
 * versions of the coach pages recorded it) are made to name the tombstone
 * instead; nothing else in the row changes. A trigger should allow an UPDATE
 * only of this shape: entity_id changes to a value starting `ERASED-`, every
 * other column unchanged. Returns how many rows changed.
 */
export async function replaceAuditEntityId(db: Queryable, entity: string, from: string, tombstone: string): Promise<number> {
  if (!tombstone.startsWith('ERASED-')) throw new RangeError('Audit rows may only be rewritten to name a tombstone');
  return createAuditStore(db).replaceEntityId(entity, from, tombstone);
}
