import type { Db } from '../../server/db/database.ts';
import { guardProgressSources } from '../../experiments/progress/source-guard.ts';

/**
 * A small world for the reports' read model: one site, three coaches, twelve
 * people and a two-arm experiment, written straight into the tables; and
 * writers that append to them as the services do (under the source guard).
 */
export const AT = '2026-10-12T09:00:00.000Z';
export const day = (days: number) => new Date(Date.parse(AT) + days * 86_400_000).toISOString();

export async function addProgressWorld(db: Db): Promise<void> {
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
}

let key = 0;
const write = (db: Db, sql: string, params: unknown[]) =>
  db.withTransaction(async () => {
    await guardProgressSources(db);
    await db.run(sql, params);
  });
export const assign = (db: Db, contact: number, arm: number, at: string) =>
  write(db, "INSERT INTO assignments (experiment_id, contact_id, arm_id, phase_id, method, seed, assigned_at) VALUES (1, ?, ?, 1, 'hash', 's', ?)", [contact, arm, at]);
export const record = (db: Db, contact: number, stage: string, at: string, value: number | null = null) =>
  write(db, 'INSERT INTO outcome_events (contact_id, stage, occurred_at, value, recorded_at, recorded_by, idempotency_key) VALUES (?, ?, ?, ?, ?, 1, ?)', [contact, stage, at, value, at, `k${key++}`]);
export const correct = (db: Db, event: number, kind: 'correct' | 'withdraw', at: string | null = null, value: number | null = null) =>
  write(db, "INSERT INTO outcome_corrections (event_id, kind, occurred_at, value, reason, corrected_by, corrected_at) VALUES (?, ?, ?, ?, 'typo', 1, ?)", [event, kind, at, value, AT]);

export const readModel = async (target: Db) => ({
  progress: await target.all('SELECT * FROM assignment_progress ORDER BY assignment_id'),
  tallies: await target.all(
    `SELECT experiment_id, dimension, dimension_value, stage, arm_id, day, people, ROUND(CAST(value_sum AS NUMERIC), 9) AS value_sum
     FROM progress_tallies WHERE people <> 0 OR abs(value_sum) > 1e-9 ORDER BY experiment_id, dimension, dimension_value, stage, arm_id, day`,
  ),
});
export const people = async (db: Db, stage: string) =>
  (await db.get<{ n: number | null }>("SELECT SUM(people) AS n FROM progress_tallies WHERE dimension = '' AND stage = ?", [stage]))?.n ?? 0;

