import type { Db, Dialect, Queryable } from '../../server/db/database.ts';

/** The advisory lock that orders writes to the tables the read model follows (see source-guard.ts). */
const SOURCE_LOCK = 72_150_010;

interface SourceLock {
  /** Held shared for the rest of the writer's transaction. */
  holdShared(db: Queryable): Promise<void>;
  /** Runs `latest` with no source write in flight. */
  settled<T>(db: Db, latest: () => Promise<T>): Promise<T>;
}

/** SQLite has one writer at a time, so ids are already in commit order: nothing to lock. */
const sqlite: SourceLock = {
  async holdShared() {},
  settled: (_db, latest) => latest(),
};

/** PostgreSQL: writers hold the lock shared; a catch-up takes it exclusively for the instant it reads the newest ids. */
const postgres: SourceLock = {
  async holdShared(db) {
    await db.get('SELECT pg_advisory_xact_lock_shared(?) AS "locked"', [SOURCE_LOCK]);
  },
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
