import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/database.ts';
import { fixedClock } from '../clock.ts';
import { openTestDatabase } from '../../tests/support/test-database.ts';
import { ClockedRateLimiter, purgeThrottleCounters } from './throttle-store.ts';

let db: Db;
const clock = fixedClock('2026-03-02T09:00:00.000Z');

beforeEach(async () => {
  db = await openTestDatabase();
  clock.set('2026-03-02T09:00:00.000Z');
});
afterEach(async () => {
  await db.close();
});

describe('sign-in counters in the database', () => {
  it('adds penalties and rewards to one counter until its window ends, then starts again', async () => {
    const counters = new ClockedRateLimiter(db, clock, { keyPrefix: 'failures', points: 5, duration: 60 });
    expect((await counters.penalty('account:bob')).consumedPoints).toBe(1);
    expect((await counters.penalty('account:bob', 2)).consumedPoints).toBe(3);
    expect((await counters.reward('account:bob')).consumedPoints).toBe(2);
    const stored = await db.get<{ key: string; points: number }>('SELECT key, points FROM sign_in_throttle');
    expect(stored).toEqual({ key: 'failures:account:bob', points: 2 });
    clock.set('2026-03-02T09:01:00.000Z');
    expect(await counters.get('account:bob')).toBeNull();
    expect((await counters.penalty('account:bob')).consumedPoints).toBe(1);
  });

  it('refuses a consume over its points with the time to wait, and forgets a deleted counter', async () => {
    const gates = new ClockedRateLimiter(db, clock, { keyPrefix: 'gate', points: 1, duration: 60 });
    expect((await gates.consume('address:10.0.0.1', 1, { customDuration: 120 })).consumedPoints).toBe(1);
    clock.set('2026-03-02T09:00:30.000Z');
    const refusal = await gates.consume('address:10.0.0.1', 1).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RateLimiterRes);
    expect((refusal as RateLimiterRes).msBeforeNext).toBe(90_000);
    expect(await gates.delete('address:10.0.0.1')).toBe(true);
    expect(await gates.delete('address:10.0.0.1')).toBe(false);
    expect((await gates.consume('address:10.0.0.1')).consumedPoints).toBe(1);
  });

  it('counts every one of many attempts made at once (one statement per attempt)', async () => {
    const counters = new ClockedRateLimiter(db, clock, { keyPrefix: 'failures', points: 5, duration: 60 });
    await Promise.all(Array.from({ length: 40 }, () => counters.penalty('account:eve')));
    expect((await counters.get('account:eve'))!.consumedPoints).toBe(40);
  });

  it('purges only counters that have run out', async () => {
    const counters = new ClockedRateLimiter(db, clock, { keyPrefix: 'failures', points: 5, duration: 60 });
    await counters.penalty('a');
    await counters.penalty('b', 1, { customDuration: 600 });
    await counters.penalty('forever', 1, { customDuration: 0 });
    expect(await purgeThrottleCounters(db, Date.parse('2026-03-02T09:01:00.000Z'))).toBe(1);
    expect((await db.all<{ key: string }>('SELECT key FROM sign_in_throttle ORDER BY key')).map((r) => r.key)).toEqual(['failures:b', 'failures:forever']);
  });
});
