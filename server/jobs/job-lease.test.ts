import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { fixedClock } from '../clock.ts';
import { openTestDatabase } from '../../tests/support/test-database.ts';
import { withJobLease } from './job-lease.ts';
import { startSchedule } from './schedule.ts';

let db: Db;
const clock = fixedClock('2026-03-02T09:00:00.000Z');

beforeEach(async () => {
  db = await openTestDatabase();
  clock.set('2026-03-02T09:00:00.000Z');
});
afterEach(async () => {
  await db.close();
});

describe('job leases', () => {
  it('runs the work and releases the lease afterwards', async () => {
    let ran = 0;
    expect(await withJobLease(db, clock, 'job', async () => void ran++)).toBe(true);
    expect(ran).toBe(1);
    expect(await db.all('SELECT job FROM job_leases')).toEqual([]);
  });

  it('never runs a job twice at once, even in one process under one holder name', async () => {
    let inner: boolean | undefined;
    const outer = await withJobLease(db, clock, 'job', async () => {
      inner = await withJobLease(db, clock, 'job', async () => {});
    });
    expect([outer, inner]).toEqual([true, false]);
    const both = await Promise.all([withJobLease(db, clock, 'job', () => new Promise((r) => setTimeout(r, 20))), withJobLease(db, clock, 'job', async () => {})]);
    expect(both.filter(Boolean)).toHaveLength(1);
  });

  it('waits for another holder’s lease to expire', async () => {
    await db.run("INSERT INTO job_leases (job, holder, expires_at) VALUES ('job', 'crashed', '2026-03-02T09:10:00.000Z')");
    expect(await withJobLease(db, clock, 'job', async () => {})).toBe(false);
    clock.set('2026-03-02T09:10:00.000Z');
    expect(await withJobLease(db, clock, 'job', async () => {})).toBe(true);
  });

  it('releases the lease when the work fails, and passes the error on', async () => {
    await expect(withJobLease(db, clock, 'job', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withJobLease(db, clock, 'job', async () => {}, { holder: 'someone-else' })).toBe(true);
  });
});

describe('schedules', () => {
  it('runs at once, reports errors instead of rejecting, and stop waits for the run in progress', async () => {
    const errors: unknown[] = [];
    let finished = false;
    const stop = startSchedule(
      async () => {
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
        throw new Error('failed run');
      },
      60_000,
      (error) => errors.push(error),
    );
    await stop();
    expect(finished).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['failed run']);
  });
});
