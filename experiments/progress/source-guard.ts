import type { Db, Queryable } from '../../server/db/database.ts';
import { sourceLockFor } from './source-lock-store.ts';

/**
 * The read model follows assignments, outcome_events and outcome_corrections by
 * id (decision 0003). On PostgreSQL, ids come from sequences and transactions
 * commit in any order, so id 9 can become visible after id 10: a catch-up that
 * moved its checkpoint past 10 would never count 9. Writers therefore hold a
 * shared advisory lock for the rest of their transaction, and a catch-up takes
 * the same lock exclusively for the instant it reads the newest ids: every write
 * that had an id by then has committed or rolled back, so everything up to those
 * ids is final. SQLite has one writer at a time, so ids are already in commit order.
 */

/** Call inside `withTransaction`, before inserting into a table the read model follows. */
export async function guardProgressSources(db: Queryable): Promise<void> {
  await sourceLockFor(db.dialect).holdShared(db);
}

/**
 * The newest ids the read model may take in: reads `latest` with no source
 * write in flight (PostgreSQL), so nothing at or below the ids it returns can
 * still appear.
 */
export async function settledSourceIds<T>(db: Db, latest: () => Promise<T>): Promise<T> {
  return sourceLockFor(db.dialect).settled(db, latest);
}
