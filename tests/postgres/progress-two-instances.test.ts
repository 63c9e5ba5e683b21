import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, reopenLocation, type Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { guardProgressSources } from '../../experiments/progress/source-guard.ts';
import { progressProjectionFor } from '../../experiments/progress/progress-projection.ts';
import { addProgressWorld, day, people, readModel } from '../support/progress-world.ts';

let db: Db;
beforeEach(async () => {
  db = await openTestDatabase();
  await addProgressWorld(db);
});
afterEach(async () => {
  await db.close();
});

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
      const incremental = await readModel(db);
      await progressProjectionFor(other).rebuild();
      expect(await readModel(db)).toEqual(incremental);
      expect(await people(db, 'responded')).toBe(12);
    } finally {
      await other.close();
    }
  });

});
