import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../../tests/support/test-database.ts';
import * as world from '../../tests/support/progress-world.ts';
import { AT, addProgressWorld, day } from '../../tests/support/progress-world.ts';
import { ASSIGNED, CATCH_UP_JOB, NOT_RECORDED, progressProjectionFor, unixDay, toJulianDay } from './progress-projection.ts';

/**
 * The reports' read model against the raw records, on either engine: taken in
 * batch by batch it matches a rebuild exactly; a reader always sees what was
 * committed before it asked, even while another instance holds the catch-up;
 * and a scheduled catch-up that fails says so instead of rejecting.
 */
let db: Db;
beforeEach(async () => {
  db = await openTestDatabase();
  await addProgressWorld(db);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await db.close();
});

const assign = (contact: number, arm: number, at: string) => world.assign(db, contact, arm, at);
const record = (contact: number, stage: string, at: string, value: number | null = null) => world.record(db, contact, stage, at, value);
const correct = (event: number, kind: 'correct' | 'withdraw', at: string | null = null, value: number | null = null) => world.correct(db, event, kind, at, value);
const readModel = (target: Db = db) => world.readModel(target);
const people = (stage: string) => world.people(db, stage);

describe('the progress read model', () => {
  it('taken in batch by batch, matches a rebuild from the raw records exactly', async () => {
    const projection = progressProjectionFor(db);
    await assign(1, 10, day(0));
    await assign(2, 11, new Date(Date.parse(day(1)) - 1).toISOString());
    await record(1, 'responded', day(2));
    await projection.catchUp();
    // An event at exactly midnight stays on its day; one a millisecond before, on the day before.
    await record(2, 'responded', new Date(Date.parse(day(3)) - 9 * 3_600_000).toISOString());
    await record(2, 'found_useful', day(4), 4);
    await record(2, 'found_useful', day(3), 2);
    await assign(3, 10, day(2));
    await record(3, 'responded', day(1)); // before the assignment: never counts
    await projection.catchUp();
    await correct(1, 'correct', day(5));
    await correct(4, 'withdraw');
    await assign(4, 11, day(3));
    await record(4, 'responded', day(6));
    expect(await projection.catchUp()).toBe(4);
    const incremental = await readModel();
    await projection.rebuild();
    expect(await readModel()).toEqual(incremental);
    expect(await people(ASSIGNED)).toBe(4);
    expect(await people('responded')).toBe(3);
    expect(await people('found_useful')).toBe(1);
  });

  it('forgets an erased person’s characteristics as a rebuild would', async () => {
    const projection = progressProjectionFor(db);
    for (const c of [1, 2, 3]) await assign(c, 10 + (c % 2), day(c));
    await record(1, 'responded', day(4));
    await projection.catchUp();
    await db.withTransaction(async () => {
      await projection.forgetCharacteristics([1]);
      await db.run("UPDATE contacts SET erased_at = ?, health_group = 'erased' WHERE id = 1", [day(9)]);
    });
    await record(1, 'responded', day(3));
    await projection.catchUp();
    const incremental = await readModel();
    expect(incremental.tallies).toContainEqual(expect.objectContaining({ dimension: 'healthGroup', dimension_value: NOT_RECORDED, stage: 'responded', people: 1 }));
    await projection.rebuild();
    expect(await readModel()).toEqual(incremental);
  });

  it('waits while another instance holds the catch-up, then counts every record committed before it asked', async () => {
    const projection = progressProjectionFor(db);
    await assign(1, 10, day(0));
    let reader: Promise<number> | undefined;
    let settled = false;
    const held = await db.exclusively(CATCH_UP_JOB, async () => {
      reader = projection.catchUp();
      void reader.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 60));
      return settled;
    });
    expect(held).toEqual({ ran: true, result: false });
    expect(await reader).toBe(1);
    expect(await people(ASSIGNED)).toBe(1);
  });

  it('reports a failed scheduled catch-up instead of rejecting', async () => {
    const failing: Db = { ...db, get: async () => Promise.reject(new Error('database unavailable')) };
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    progressProjectionFor(failing).scheduleCatchUp();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('[progress] catch-up failed, readers will retry: database unavailable'));
  });

  it('puts a day in SQL where TypeScript does', () => {
    expect(unixDay(toJulianDay(new Date('2026-10-12T00:00:00.000Z')))).toBe(20_738);
    expect(unixDay(toJulianDay(new Date('2026-10-11T23:59:59.999Z')))).toBe(20_737);
  });
});
