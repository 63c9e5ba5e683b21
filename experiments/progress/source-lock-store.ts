import type { Db, Dialect, Queryable } from '../../server/db/database.ts';

/** The advisory lock that orders writes to the tables the read model follows (see source-guard.ts). */
const SOURCE_LOCK = 72_150_010;

interface SourceLock {
  /** Held shared for the rest of the writer's transaction. */
  holdShared(db: Queryable): Promise<void>;
  /** Runs `latest` with no source write in flight. */
  settled<T>(db: Db, latest: () => Promise<T>): Promise<T>;
  /**
   * A one-row SELECT that takes the lock shared, for a writer on a hot path to
   * select its insert's values from, so the lock costs no round trip of its own
   * (it is still taken before the row's id is); null where no lock is needed.
   */
  sharedLockSelect: string | null;
}
const SHARED = `SELECT pg_advisory_xact_lock_shared(${SOURCE_LOCK}) AS "locked"`;

/** SQLite has one writer at a time, so ids are already in commit order: nothing to lock. */
const sqlite: SourceLock = {
  async holdShared() {},
  settled: (_db, latest) => latest(),
  sharedLockSelect: null,
};

/** PostgreSQL: writers hold the lock shared; a catch-up takes it exclusively for the instant it reads the newest ids. */
const postgres: SourceLock = {
  async holdShared(db) {
    await db.get(SHARED);
  },
  sharedLockSelect: SHARED,
  settled: (db, latest) =>
    db.withTransaction(async () => {
      await db.get('SELECT pg_advisory_xact_lock(?) AS "locked"', [SOURCE_LOCK]);
      return latest();
    }),
};

/** The source lock, one implementation per dialect; it owns no table. */
export function sourceLockFor(dialect: Dialect): SourceLock {
  return { sqlite, postgres }[dialect];
}
