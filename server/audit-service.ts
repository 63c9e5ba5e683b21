import type { Clock } from './clock.ts';
import type { Db } from './db/database.ts';

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
  SELECT a.id, a.at, a.user_id AS userId, u.username, a.action, a.entity, a.entity_id AS entityId, a.experiment_key AS experimentKey
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
  const insert = db.$client.prepare('INSERT INTO audit_log (user_id, action, entity, entity_id, experiment_key, at) VALUES (?, ?, ?, ?, ?, ?)');
  return {
    record(userId: number | null, action: string, entity: string, entityId?: string | number | null, experimentKey?: string | null): void {
      insert.run(userId, action, entity, entityId == null ? null : String(entityId), experimentKey ?? null, clock.now().toISOString());
    },

    recent(limit = 200): AuditRow[] {
      return db.$client.prepare(`${SELECT_ROWS} ORDER BY a.id LIMIT ?`).all(limit) as AuditRow[];
    },

    /** One page of the rows matching `filter`, newest first, and how many match in all. */
    search(filter: AuditFilter, page: { limit: number; offset: number }): { rows: AuditRow[]; total: number } {
      const where = whereClause(filter);
      const total = (db.$client.prepare(`SELECT count(*) AS n FROM audit_log a ${where.sql}`).get(...where.params) as { n: number }).n;
      const rows = db.$client.prepare(`${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?`).all(...where.params, page.limit, page.offset) as AuditRow[];
      return { rows, total };
    },

    /**
     * Every row matching `filter`, newest first, read in batches for a CSV
     * export. Each batch is a complete query, so a slow download never holds
     * the connection busy between batches (other requests keep working).
     */
    *iterate(filter: AuditFilter, batchSize = 1000): Generator<AuditRow> {
      const where = whereClause(filter);
      const after = `${where.sql ? `${where.sql} AND` : 'WHERE'} (a.at < ? OR (a.at = ? AND a.id < ?))`;
      const first = db.$client.prepare(`${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ?`);
      const next = db.$client.prepare(`${SELECT_ROWS} ${after} ORDER BY a.at DESC, a.id DESC LIMIT ?`);
      let batch = first.all(...where.params, batchSize) as AuditRow[];
      while (batch.length > 0) {
        yield* batch;
        if (batch.length < batchSize) return;
        const last = batch[batch.length - 1];
        batch = next.all(...where.params, last.at, last.at, last.id, batchSize) as AuditRow[];
      }
    },

    /** The actions that appear in the log, for the filter's list. */
    actions(): string[] {
      return db.$client.prepare('SELECT DISTINCT action FROM audit_log ORDER BY action').pluck().all() as string[];
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
