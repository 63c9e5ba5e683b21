import type { Clock } from './clock.ts';
import type { Db } from './db/database.ts';
import { byteOrder } from './text-order.ts';

/** One audit row as read back, with the username of whoever did it. */
export interface AuditRow {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  experimentKey: string | null;
}

/** What the admin's audit page filters by; every field optional. */
export interface AuditFilter {
  /** A username. */
  username?: string;
  /** A person's pseudonymous reference. */
  reference?: string;
  action?: string;
  /** Inclusive ISO-8601 lower bound on `at`. */
  from?: string;
  /** Exclusive ISO-8601 upper bound on `at`. */
  before?: string;
}

const SELECT_ROWS = `
  SELECT a.id, a.at, a.user_id AS "userId", u.username, a.action, a.entity, a.entity_id AS "entityId", a.experiment_key AS "experimentKey"
  FROM audit_log a LEFT JOIN users u ON u.id = a.user_id`;

function whereClause(filter: AuditFilter): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (filter.username) {
    parts.push('a.user_id = (SELECT id FROM users WHERE username = ?)');
    params.push(filter.username);
  }
  if (filter.reference) {
    parts.push("a.entity = 'contact' AND a.entity_id = ?");
    params.push(filter.reference);
  }
  if (filter.action) {
    parts.push('a.action = ?');
    params.push(filter.action);
  }
  if (filter.from) {
    parts.push('a.at >= ?');
    params.push(filter.from);
  }
  if (filter.before) {
    parts.push('a.at < ?');
    params.push(filter.before);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * Who saw and changed what. Only user ids, actions and entity keys are kept
 * (a person's pseudonymous reference, an experiment key, a week), never a
 * person's characteristics. The table is append-only (docs/decisions/0031).
 */
export function createAuditService(db: Db, clock: Clock) {
  const INSERT = 'INSERT INTO audit_log (user_id, action, entity, entity_id, experiment_key, at) VALUES (?, ?, ?, ?, ?, ?)';
  // GROUP BY rather than DISTINCT, so PostgreSQL accepts the collated ORDER BY.
  const ACTIONS = `SELECT action FROM audit_log GROUP BY action ORDER BY ${byteOrder(db.dialect)('action')}`;
  return {
    /** Calls `callback` if the transaction the caller is in rolls back (the row written in it is gone). */
    onRollback: (callback: () => void) => db.onRollback(callback),

    /** Writes one row; inside a `withTransaction` it lands (or not) with the change it records. */
    async record(userId: number | null, action: string, entity: string, entityId?: string | number | null, experimentKey?: string | null): Promise<void> {
      await db.run(INSERT, [userId, action, entity, entityId == null ? null : String(entityId), experimentKey ?? null, clock.now().toISOString()]);
    },

    async recent(limit = 200): Promise<AuditRow[]> {
      return db.all<AuditRow>(`${SELECT_ROWS} ORDER BY a.id LIMIT ?`, [limit]);
    },

    /** One page of the rows matching `filter`, newest first, and how many match in all. */
    async search(filter: AuditFilter, page: { limit: number; offset: number }): Promise<{ rows: AuditRow[]; total: number }> {
      const where = whereClause(filter);
      const total = (await db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log a ${where.sql}`, where.params))!.n;
      const rows = await db.all<AuditRow>(`${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?`, [...where.params, page.limit, page.offset]);
      return { rows, total };
    },

    /**
     * Every row matching `filter`, newest first, read in batches for a CSV
     * export. Each batch is a complete query, so a slow download never holds
     * a connection (or, on SQLite, the one connection) between batches.
     */
    async *iterate(filter: AuditFilter, batchSize = 1000): AsyncGenerator<AuditRow> {
      const where = whereClause(filter);
      const after = `${where.sql ? `${where.sql} AND` : 'WHERE'} (a.at < ? OR (a.at = ? AND a.id < ?))`;
      const first = `${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ?`;
      const next = `${SELECT_ROWS} ${after} ORDER BY a.at DESC, a.id DESC LIMIT ?`;
      let batch = await db.all<AuditRow>(first, [...where.params, batchSize]);
      while (batch.length > 0) {
        yield* batch;
        if (batch.length < batchSize) return;
        const last = batch[batch.length - 1];
        batch = await db.all<AuditRow>(next, [...where.params, last.at, last.at, last.id, batchSize]);
      }
    },

    /** The actions that appear in the log, for the filter's list. */
    async actions(): Promise<string[]> {
      return (await db.all<{ action: string }>(ACTIONS)).map((row) => row.action);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
