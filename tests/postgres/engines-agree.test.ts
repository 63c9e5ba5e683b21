import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { seedDemoData } from '../../seed/demo.ts';
import { buildExperimentReport } from '../../experiments/progress/report-read-model.ts';
import { progressProjectionFor } from '../../experiments/progress/progress-projection.ts';
import { openTestDatabase } from '../support/test-database.ts';

/**
 * The same demo history on both engines (same seed, same clock) must give the
 * same raw rows, the same read model and, figure for figure, the same reports:
 * what keeps the two engines equivalent beyond the schema (decision 0038).
 */
const NOW = new Date('2026-11-23T09:00:00.000Z');
let sqlite: Db;
let postgres: Db;

beforeAll(async () => {
  sqlite = await openDatabase(':memory:');
  postgres = await openTestDatabase();
  await seedDemoData(sqlite, { contacts: 400, seed: 7, now: NOW });
  await seedDemoData(postgres, { contacts: 400, seed: 7, now: NOW });
  for (const db of [sqlite, postgres]) await progressProjectionFor(db).catchUp();
}, 180_000);

afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
});

const RAW = {
  contacts: 'SELECT reference, coach_id, health_group, age_band, sex, ethnicity_group, caring, opted_out_at FROM contacts ORDER BY reference',
  assignments: `SELECT e.key AS experiment, c.reference, r.key AS arm, a.method, a.hash_value AS "hashValue", a.stratum, a.assigned_at AS "assignedAt"
    FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN contacts c ON c.id = a.contact_id JOIN experiment_arms r ON r.id = a.arm_id
    ORDER BY e.key, c.reference`,
  events: `SELECT c.reference, o.stage, o.occurred_at AS "occurredAt", o.value, o.detail FROM outcome_events o JOIN contacts c ON c.id = o.contact_id
    ORDER BY c.reference, o.occurred_at, o.stage, o.id`,
  tallies: `SELECT e.key AS experiment, t.dimension, t.dimension_value AS "dimensionValue", t.stage, r.key AS arm, t.day, t.people,
      ROUND(CAST(t.value_sum AS NUMERIC), 9) AS "valueSum"
    FROM progress_tallies t JOIN experiments e ON e.id = t.experiment_id JOIN experiment_arms r ON r.id = t.arm_id
    WHERE t.people <> 0 ORDER BY 1, 2, 3, 4, 5, 6`,
};

describe('SQLite and PostgreSQL given the same history', () => {
  for (const [name, sql] of Object.entries(RAW)) {
    it(`hold the same ${name}`, async () => {
      const [left, right] = await Promise.all([sqlite.all(sql), postgres.all(sql)]);
      expect(left.length).toBeGreaterThan(0);
      expect(right).toEqual(left);
    });
  }

  it('give every experiment the identical report', async () => {
    const keys = (await sqlite.all<{ key: string }>('SELECT key FROM experiments ORDER BY key')).map((row) => row.key);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      const [left, right] = await Promise.all([buildExperimentReport(sqlite, key, { asOf: NOW }), buildExperimentReport(postgres, key, { asOf: NOW })]);
      expect(JSON.parse(JSON.stringify(right))).toEqual(JSON.parse(JSON.stringify(left)));
    }
  });
});
