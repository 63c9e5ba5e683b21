import type { Db, Dialect } from '../server/db/database.ts';

/**
 * After loading many rows: refresh the planner's statistics, so the first
 * queries on the new data get good plans. One statement per engine.
 */
const REFRESH_STATISTICS: Record<Dialect, string> = {
  sqlite: 'PRAGMA optimize',
  postgres: 'ANALYZE',
};

export async function refreshStatistics(db: Db): Promise<void> {
  await db.run(REFRESH_STATISTICS[db.dialect]);
}
