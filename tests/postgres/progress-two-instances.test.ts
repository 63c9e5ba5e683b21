import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, reopenLocation, type Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { guardProgressSources } from '../../experiments/progress/source-guard.ts';
import { ASSIGNED, CATCH_UP_JOB, NOT_RECORDED, progressProjectionFor, unixDay, toJulianDay } from '../../experiments/progress/progress-projection.ts';

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

/**
 * Two instances (two pools on one PostgreSQL database) writing and reading the
 * progress read model at once. On SQLite one process has one connection, so
 * this is PostgreSQL's alone.
 */
describe('the progress read model on two instances', () => {
  it('stays exact with two instances writing and reading at once', async () => {
    const other = await openDatabase(reopenLocation(db), { migrate: false, poolSize: 4 });
    try {
      const stale: number[] = [];
      const instance = async (target: Db, contacts: number[]) => {
        for (const c of contacts) {
          await target.withTransaction(async () => {
            await guardProgressSources(target);
            await target.run("INSERT INTO assignments (experiment_id, contact_id, arm_id, phase_id, method, seed, assigned_at) VALUES (1, ?, 10, 1, 'hash', 's', ?)", [c, day(0)]);
            await target.run('INSERT INTO outcome_events (contact_id, stage, occurred_at, recorded_at, recorded_by, idempotency_key) VALUES (?, ?, ?, ?, 1, ?)', [c, 'responded', day(1), day(1), `two-${c}`]);
          });
          await progressProjectionFor(target).catchUp();
          const row = await target.get<{ n: number }>('SELECT COUNT(*) AS n FROM assignment_progress WHERE contact_id = ? AND responded_day IS NOT NULL', [c]);
          if (row?.n !== 1) stale.push(c);
        }
      };
      await Promise.all([instance(db, [1, 3, 5, 7, 9, 11]), instance(other, [2, 4, 6, 8, 10, 12])]);
      expect(stale).toEqual([]);
      const incremental = await readModel();
      await progressProjectionFor(other).rebuild();
      expect(await readModel()).toEqual(incremental);
      expect(await people('responded')).toBe(12);
    } finally {
      await other.close();
    }
  });

});
