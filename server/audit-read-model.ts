import type { Queryable } from './db/database.ts';

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

/** The audit log as the admin's audit page and its CSV export read it: rows with their user's name. */
export function createAuditReadModel(db: Queryable) {
  return {
    /** The first `limit` rows, oldest first. */
    recent(limit: number): Promise<AuditRow[]> {
      return db.all<AuditRow>(`${SELECT_ROWS} ORDER BY a.id LIMIT ?`, [limit]);
    },

    async count(filter: AuditFilter): Promise<number> {
      const where = whereClause(filter);
      return (await db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log a ${where.sql}`, where.params))!.n;
    },

    /** One page of the rows matching `filter`, newest first. */
    page(filter: AuditFilter, page: { limit: number; offset: number }): Promise<AuditRow[]> {
      const where = whereClause(filter);
      return db.all<AuditRow>(`${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?`, [...where.params, page.limit, page.offset]);
    },

    /**
     * The next `size` rows matching `filter`, newest first, after the row
     * `after` (from the first, without it): each batch is a query of its own.
     */
    batch(filter: AuditFilter, after: Pick<AuditRow, 'at' | 'id'> | null, size: number): Promise<AuditRow[]> {
      const where = whereClause(filter);
      if (!after) return db.all<AuditRow>(`${SELECT_ROWS} ${where.sql} ORDER BY a.at DESC, a.id DESC LIMIT ?`, [...where.params, size]);
      const keyset = `${where.sql ? `${where.sql} AND` : 'WHERE'} (a.at < ? OR (a.at = ? AND a.id < ?))`;
      return db.all<AuditRow>(`${SELECT_ROWS} ${keyset} ORDER BY a.at DESC, a.id DESC LIMIT ?`, [...where.params, after.at, after.at, after.id, size]);
    },
  };
}

export type AuditReadModel = ReturnType<typeof createAuditReadModel>;
