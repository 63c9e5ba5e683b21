import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../../tests/support/test-database.ts';
import { guardProgressSources } from './source-guard.ts';
import { ASSIGNED, CATCH_UP_JOB, NOT_RECORDED, progressProjectionFor, unixDay, toJulianDay } from './progress-projection.ts';

/**
 * The reports' read model against the raw records, on either engine: taken in
 * batch by batch it matches a rebuild exactly; a reader always sees what was
 * committed before it asked, even while another instance holds the catch-up;
 * and a scheduled catch-up that fails says so instead of rejecting.
 */
const AT = '2026-10-12T09:00:00.000Z';
const day = (days: number) => new Date(Date.parse(AT) + days * 86_400_000).toISOString();

let db: Db;
beforeEach(async () => {
  db = await openTestDatabase();
  await db.run("INSERT INTO sites (id, code, name, kind, created_at) VALUES (1, 'S1', 'Riverside', 'jobcentre', ?)", [AT]);
  await db.run("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (1, 'analyst', 'Analyst', 'analyst', 'x', ?)", [AT]);
  for (const coach of [1, 2, 3]) await db.run('INSERT INTO work_coaches (id, code, name, site_id, created_at) VALUES (?, ?, ?, 1, ?)', [coach, `WC0${coach}`, `Coach ${coach}`, AT]);
  await db.run(
    `INSERT INTO experiments (id, key, name, hypothesis, journey_phase, factors, primary_metric, created_at, updated_at)
     VALUES (1, 'tone', 'Tone', 'Warm letters help', 1, '[]', 'responded', ?, ?)`,
    [AT, AT],
  );
  for (const [id, key] of [[10, 'standard'], [11, 'warm']] as const)
    await db.run("INSERT INTO experiment_arms (id, experiment_id, key, name, levels, position) VALUES (?, 1, ?, ?, '{}', ?)", [id, key, key, id - 10]);
  await db.run("INSERT INTO experiment_phases (id, experiment_id, number, seed, arm_ids, weights, started_at) VALUES (1, 1, 1, 's', '[10,11]', '[1,1]', ?)", [AT]);
  for (let c = 1; c <= 12; c++)
    await db.run(
      `INSERT INTO contacts (id, reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits, previous_work, benefit_type, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, '25-34', ?, 'white', ?, 'under_1y', 'never', 'uc', ?, ?)`,
      [c, `EIU-${1000 + c}`, 1 + (c % 3), c % 2 ? 'mental_health' : 'other', c % 2 ? 'female' : 'male', c % 2, AT, AT],
    );
});
afterEach(async () => {
  vi.restoreAllMocks();
  await db.close();
});

let key = 0;
const write = (sql: string, params: unknown[]) =>
  db.withTransaction(async () => {
    await guardProgressSources(db);
    await db.run(sql, params);
  });
const assign = (contact: number, arm: number, at: string) =>
  write("INSERT INTO assignments (experiment_id, contact_id, arm_id, phase_id, method, seed, assigned_at) VALUES (1, ?, ?, 1, 'hash', 's', ?)", [contact, arm, at]);
const record = (contact: number, stage: string, at: string, value: number | null = null) =>
  write('INSERT INTO outcome_events (contact_id, stage, occurred_at, value, recorded_at, recorded_by, idempotency_key) VALUES (?, ?, ?, ?, ?, 1, ?)', [contact, stage, at, value, at, `k${key++}`]);
const correct = (event: number, kind: 'correct' | 'withdraw', at: string | null = null, value: number | null = null) =>
  write("INSERT INTO outcome_corrections (event_id, kind, occurred_at, value, reason, corrected_by, corrected_at) VALUES (?, ?, ?, ?, 'typo', 1, ?)", [event, kind, at, value, AT]);

const readModel = async (target: Db = db) => ({
  progress: await target.all('SELECT * FROM assignment_progress ORDER BY assignment_id'),
  tallies: await target.all(
    `SELECT experiment_id, dimension, dimension_value, stage, arm_id, day, people, ROUND(CAST(value_sum AS NUMERIC), 9) AS value_sum
     FROM progress_tallies WHERE people <> 0 OR abs(value_sum) > 1e-9 ORDER BY experiment_id, dimension, dimension_value, stage, arm_id, day`,
  ),
});
const people = async (stage: string) =>
  (await db.get<{ n: number | null }>("SELECT SUM(people) AS n FROM progress_tallies WHERE dimension = '' AND stage = ?", [stage]))?.n ?? 0;

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
