import { RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

export const THROTTLE_TABLE = 'sign_in_throttle';

interface StoredCounter {
  points: number;
  expire: number | null;
}

/**
 * rate-limiter-flexible's SQLite store (better-sqlite3) over the migrated
 * `sign_in_throttle` table, reading "now" from the platform's clock instead of
 * Date.now(), so tests can move time and every instance over one database file
 * shares the counters. Only the three methods that read the time are replaced;
 * the upsert is the library's own (one atomic statement in a transaction).
 */
export class ClockedSqliteRateLimiter extends RateLimiterSQLite {
  private readonly clock: Clock;
  private readonly upsertStatement;
  private readonly replaceStatement;
  private readonly getStatement;

  constructor(db: Db, clock: Clock, options: { keyPrefix: string; points: number; duration: number }) {
    super({ ...options, storeClient: db.$client, storeType: 'better-sqlite3', tableName: THROTTLE_TABLE, tableCreated: true, clearExpiredByTimeout: false });
    this.clock = clock;
    this.upsertStatement = db.$client.prepare(
      `INSERT INTO ${THROTTLE_TABLE} (key, points, expire) VALUES (@key, @points, @expire)
       ON CONFLICT(key) DO UPDATE SET
         points = CASE WHEN expire IS NULL OR expire > @now THEN points + excluded.points ELSE excluded.points END,
         expire = CASE WHEN expire IS NULL OR expire > @now THEN expire ELSE excluded.expire END
       RETURNING points, expire`,
    );
    this.replaceStatement = db.$client.prepare(`INSERT OR REPLACE INTO ${THROTTLE_TABLE} (key, points, expire) VALUES (@key, @points, @expire) RETURNING points, expire`);
    this.getStatement = db.$client.prepare(`SELECT points, expire FROM ${THROTTLE_TABLE} WHERE key = ? AND (expire > ? OR expire IS NULL)`);
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<StoredCounter> {
    const now = this.clock.now().getTime();
    const expire = msDuration > 0 ? now + msDuration : null;
    const row = (forceExpire ? this.replaceStatement : this.upsertStatement).get({ key, points, expire, ...(forceExpire ? {} : { now }) }) as StoredCounter;
    return Promise.resolve(row);
  }

  _get(key: string): Promise<StoredCounter | null> {
    return Promise.resolve((this.getStatement.get(key, this.clock.now().getTime()) as StoredCounter | undefined) ?? null);
  }

  _getRateLimiterRes(_key: string, changedPoints: number, result: StoredCounter): RateLimiterRes {
    const consumedPoints = result.points;
    const msBeforeNext = result.expire === null ? -1 : Math.max(result.expire - this.clock.now().getTime(), 0);
    return new RateLimiterRes(Math.max(this.points - consumedPoints, 0), msBeforeNext, consumedPoints, changedPoints === consumedPoints);
  }
}

/** Deletes counters that ended before `nowMs`; returns how many. */
export function purgeThrottleCounters(db: Db, nowMs: number): number {
  return db.$client.prepare(`DELETE FROM ${THROTTLE_TABLE} WHERE expire IS NOT NULL AND expire <= ?`).run(nowMs).changes;
}
