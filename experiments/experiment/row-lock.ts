import type { Dialect } from '../../server/db/database.ts';

/**
 * Row locks, spelt per dialect (the one fragment the experiment and assignment
 * stores need beyond server/db/dialect-sql.ts). On PostgreSQL a writer locks
 * the row it is about to change with `SELECT ... FOR UPDATE`, so two instances
 * changing the same experiment or block counter take turns. SQLite has one
 * writer at a time (transactions begin IMMEDIATE) and does not accept FOR UPDATE,
 * so there the fragment is empty.
 */
export interface RowLockSql {
  /** Appended to a SELECT inside a transaction: locks the rows it returns until the end of the transaction. */
  forUpdate: string;
}

const sqlite: RowLockSql = { forUpdate: '' };
const postgres: RowLockSql = { forUpdate: ' FOR UPDATE' };

export function rowLockSql(dialect: Dialect): RowLockSql {
  return dialect === 'postgres' ? postgres : sqlite;
}
