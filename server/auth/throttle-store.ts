import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

export const THROTTLE_TABLE = 'sign_in_throttle';

interface StoredCounter {
  points: number;
  expire: number | null;
}

// One statement, so concurrent attempts on any instance each add their points
// (PostgreSQL locks the row for the ON CONFLICT update; SQLite has one writer).
// A counter that has run out starts again from the points given.
const UPSERT = `INSERT INTO ${THROTTLE_TABLE} (key, points, expire) VALUES (?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET
    points = CASE WHEN ${THROTTLE_TABLE}.expire IS NULL OR ${THROTTLE_TABLE}.expire > ? THEN ${THROTTLE_TABLE}.points + excluded.points ELSE excluded.points END,
    expire = CASE WHEN ${THROTTLE_TABLE}.expire IS NULL OR ${THROTTLE_TABLE}.expire > ? THEN ${THROTTLE_TABLE}.expire ELSE excluded.expire END
  RETURNING points, expire`;
const READ = `SELECT points, expire FROM ${THROTTLE_TABLE} WHERE key = ? AND (expire > ? OR expire IS NULL)`;
const DELETE = `DELETE FROM ${THROTTLE_TABLE} WHERE key = ?`;
const PURGE = `DELETE FROM ${THROTTLE_TABLE} WHERE expire IS NOT NULL AND expire <= ?`;

/**
 * Fixed-window counters in the migrated `sign_in_throttle` table (key, points,
 * expire in epoch milliseconds), on either engine, so every instance over one
 * database shares them. "Now" is the platform's clock, so tests can move time.
 *
 * It answers as rate-limiter-flexible's limiters do (the throttle was first
 * built on its SQLite store, and keeps its semantics): keys are
 * `<keyPrefix>:<key>`; `penalty` and `reward` add and take points;
 * `consume` adds them and rejects with a RateLimiterRes once the counter is
 * over `points`; `msBeforeNext` is -1 for a counter that never expires.
 */
export class ClockedRateLimiter {
  readonly keyPrefix: string;
  readonly points: number;
  /** Seconds a new counter lasts (0: for ever). */
  readonly duration: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    options: { keyPrefix: string; points: number; duration: number },
  ) {
    this.keyPrefix = options.keyPrefix;
    this.points = options.points;
    this.duration = options.duration;
  }

  private storeKey(key: string): string {
    return this.keyPrefix ? `${this.keyPrefix}:${key}` : key;
  }

  private async add(key: string, points: number, secDuration: number): Promise<RateLimiterRes> {
    const now = this.clock.now().getTime();
    const expire = secDuration > 0 ? now + secDuration * 1000 : null;
    const row = (await this.db.get<StoredCounter>(UPSERT, [this.storeKey(key), points, expire, now, now]))!;
    return this.resultOf(points, row);
  }

  private resultOf(changedPoints: number, row: StoredCounter): RateLimiterRes {
    const consumedPoints = Number(row.points);
    const expire = row.expire === null ? null : Number(row.expire);
    const msBeforeNext = expire === null ? -1 : Math.max(expire - this.clock.now().getTime(), 0);
    return new RateLimiterRes(Math.max(this.points - consumedPoints, 0), msBeforeNext, consumedPoints, changedPoints === consumedPoints);
  }

  private durationOf(options?: { customDuration?: number }): number {
    return options?.customDuration !== undefined && options.customDuration >= 0 ? options.customDuration : this.duration;
  }

  /** Adds points; rejects with the RateLimiterRes when that takes the counter over `points`. */
  async consume(key: string, points = 1, options?: { customDuration?: number }): Promise<RateLimiterRes> {
    const result = await this.add(key, points, this.durationOf(options));
    if (result.consumedPoints > this.points) throw result;
    return result;
  }

  /** Adds points, never refusing. */
  penalty(key: string, points = 1, options?: { customDuration?: number }): Promise<RateLimiterRes> {
    return this.add(key, points, this.durationOf(options));
  }

  /** Takes points away. */
  reward(key: string, points = 1, options?: { customDuration?: number }): Promise<RateLimiterRes> {
    return this.add(key, -points, this.durationOf(options));
  }

  /** The counter as it stands, or null when there is none (or it has run out). */
  async get(key: string): Promise<RateLimiterRes | null> {
    const row = await this.db.get<StoredCounter>(READ, [this.storeKey(key), this.clock.now().getTime()]);
    return row ? this.resultOf(0, row) : null;
  }

  /** Forgets the counter; true when there was one. */
  async delete(key: string): Promise<boolean> {
    return (await this.db.run(DELETE, [this.storeKey(key)])).changes > 0;
  }
}

/** Deletes counters that ended before `nowMs`; resolves to how many. */
export async function purgeThrottleCounters(db: Db, nowMs: number): Promise<number> {
  return (await db.run(PURGE, [nowMs])).changes;
}
