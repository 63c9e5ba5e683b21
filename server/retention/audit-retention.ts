import type { Db } from '../db/database.ts';

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
 * writes nothing. Returns how many rows were deleted.
 */
export function purgeAuditLogBefore(db: Db, cutoff: Date, now: Date = new Date()): number {
  const sqlite = db.$client;
  return sqlite.transaction(() => {
    const cutoffIso = cutoff.toISOString();
    const due = sqlite.prepare('SELECT COUNT(*) FROM audit_log WHERE at < ?').pluck().get(cutoffIso) as number;
    if (due === 0) return 0;
    sqlite
      .prepare('INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (NULL, ?, ?, ?, ?)')
      .run(AUDIT_PURGE_ACTION, AUDIT_PURGE_ENTITY, cutoffIso, now.toISOString());
    sqlite.prepare("UPDATE audit_retention SET delete_before = ? WHERE id = 1 AND (delete_before IS NULL OR delete_before < ?)").run(cutoffIso, cutoffIso);
    return sqlite.prepare('DELETE FROM audit_log WHERE at < ?').run(cutoffIso).changes;
  }).immediate();
}

/**
 * When a person is erased, audit rows that name their reference (older
 * versions of the coach pages recorded it) are made to name the tombstone
 * instead; nothing else in the row changes. A trigger should allow an UPDATE
 * only of this shape: entity_id changes to a value starting `ERASED-`, every
 * other column unchanged. Returns how many rows changed.
 */
export function replaceAuditEntityId(db: Db, entity: string, from: string, tombstone: string): number {
  if (!tombstone.startsWith('ERASED-')) throw new RangeError('Audit rows may only be rewritten to name a tombstone');
  return db.$client.prepare('UPDATE audit_log SET entity_id = ? WHERE entity = ? AND entity_id = ?').run(tombstone, entity, from).changes;
}
