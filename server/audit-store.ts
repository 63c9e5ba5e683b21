import type { Queryable } from './db/database.ts';
import { byteOrder } from './text-order.ts';

const INSERT = 'INSERT INTO audit_log (user_id, action, entity, entity_id, experiment_key, at) VALUES (?, ?, ?, ?, ?, ?)';
const COUNT_BEFORE = 'SELECT COUNT(*) AS n FROM audit_log WHERE at < ?';
const INSERT_PURGE = 'INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (NULL, ?, ?, ?, ?)';
const MOVE_CUTOFF = 'UPDATE audit_retention SET delete_before = ? WHERE id = 1 AND (delete_before IS NULL OR delete_before < ?)';
const DELETE_BEFORE = 'DELETE FROM audit_log WHERE at < ?';
const REPLACE_ENTITY_ID = 'UPDATE audit_log SET entity_id = ? WHERE entity = ? AND entity_id = ?';

/**
 * Plain reads and writes on audit_log and its retention cut-off,
 * audit_retention. The log is append-only (docs/decisions/0031): triggers
 * refuse every UPDATE and DELETE but the purge and the tombstone rewrite, so
 * only server/retention/audit-retention.ts calls the methods from
 * `countBefore` on.
 */
export function createAuditStore(db: Queryable) {
  // GROUP BY rather than DISTINCT, so PostgreSQL accepts the collated ORDER BY.
  const ACTIONS = `SELECT action FROM audit_log GROUP BY action ORDER BY ${byteOrder(db.dialect)('action')}`;
  return {
    async insert(userId: number | null, action: string, entity: string, entityId: string | null, experimentKey: string | null, at: string): Promise<void> {
      await db.run(INSERT, [userId, action, entity, entityId, experimentKey, at]);
    },
    /** The actions that appear in the log, in byte order. */
    async actions(): Promise<string[]> {
      return (await db.all<{ action: string }>(ACTIONS)).map((row) => row.action);
    },
    async countBefore(cutoff: string): Promise<number> {
      return (await db.get<{ n: number }>(COUNT_BEFORE, [cutoff]))!.n;
    },
    /** The row a purge writes before it deletes: its entity id is the cut-off. */
    async insertPurge(action: string, entity: string, cutoff: string, at: string): Promise<void> {
      await db.run(INSERT_PURGE, [action, entity, cutoff, at]);
    },
    /** Moves the retention cut-off forward to `cutoff` (never back). */
    async moveCutoff(cutoff: string): Promise<void> {
      await db.run(MOVE_CUTOFF, [cutoff, cutoff]);
    },
    /** Resolves to how many rows were deleted. */
    async deleteBefore(cutoff: string): Promise<number> {
      return (await db.run(DELETE_BEFORE, [cutoff])).changes;
    },
    /** Resolves to how many rows changed. */
    async replaceEntityId(entity: string, from: string, to: string): Promise<number> {
      return (await db.run(REPLACE_ENTITY_ID, [to, entity, from])).changes;
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
