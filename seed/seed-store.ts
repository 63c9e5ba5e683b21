import type { Db, Dialect } from '../server/db/database.ts';

/**
 * After loading many rows: refresh the planner's statistics, so the first
 * queries on the new data get good plans. One statement per engine.
 */
const REFRESH_STATISTICS: Record<Dialect, string> = {
  sqlite: 'PRAGMA optimize',
  postgres: 'ANALYZE',
};
const USERS_AND_CONTACTS = 'SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM contacts) AS n';
const INSERT_LEARNING_NOTE = 'INSERT INTO learning_notes (author_id, note, experiment_id, arm_id, created_at) VALUES (?, ?, ?, ?, ?)';

/**
 * What seeding and the benchmarks' fixtures read and write besides the
 * services: whether a database is empty, the demo's learning notes, and the
 * planner's statistics after a load.
 */
export function createSeedStore(db: Db) {
  return {
    /** How many users and contacts there are together: 0 for an empty database. */
    async usersAndContacts(): Promise<number> {
      return Number((await db.get<{ n: number }>(USERS_AND_CONTACTS))?.n ?? 0);
    },
    async addLearningNote(authorId: number, note: string, experimentId: number | null, armId: number | null, at: string): Promise<void> {
      await db.run(INSERT_LEARNING_NOTE, [authorId, note, experimentId, armId, at]);
    },
    async refreshStatistics(): Promise<void> {
      await db.run(REFRESH_STATISTICS[db.dialect]);
    },
  };
}

export type SeedStore = ReturnType<typeof createSeedStore>;
