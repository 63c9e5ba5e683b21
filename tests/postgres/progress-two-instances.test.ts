import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, reopenLocation, type Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { guardProgressSources } from '../../experiments/progress/source-guard.ts';
import { progressProjectionFor } from '../../experiments/progress/progress-projection.ts';
import { addProgressWorld, day, people, readModel } from '../support/progress-world.ts';
import { createAssignmentStore, type NewAssignment } from '../../experiments/assignment/assignment-store.ts';

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

  it("takes the source lock in an assignment's own insert, before the row's id is drawn", async () => {
    const row = (contactId: number): NewAssignment => ({
      experimentId: 1, contactId, armId: 10, phaseId: 1, method: 'hash', seed: 's', hashValue: 0.5,
      stratum: null, blockIndex: null, blockPosition: null, cluster: null, assignedAt: day(0), assignedBy: 1,
    });
    const lastId = async () => (await db.get<{ n: number | null }>("SELECT last_value AS n FROM pg_sequences WHERE sequencename = 'assignments_id_seq'"))!.n;
    const catchUp = await openDatabase(reopenLocation(db), { migrate: false, poolSize: 2 });
    try {
      // A catch-up reading the newest ids holds the lock exclusively: the insert must wait without drawing an id.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const reader = catchUp.withTransaction(async () => {
        await catchUp.get('SELECT pg_advisory_xact_lock(72150010) AS "locked"');
        locked();
        await held;
      });
      await isLocked;
      const before = await lastId();
      const writer = db.withTransaction(async () => {
        const id = await createAssignmentStore(db).insert(row(1));
        const shared = await db.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = 72150010 AND mode = 'ShareLock'",
        );
        return { id, shared: shared!.n };
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await lastId()).toBe(before);
      release();
      await reader;
      const { id, shared } = await writer;
      expect(id).not.toBeNull();
      expect(shared).toBe(1);
      // A second insert for the same person and experiment inserts nothing: the stored arm stands.
      expect(await db.withTransaction(() => createAssignmentStore(db).insert(row(1)))).toBeNull();
    } finally {
      await catchUp.close();
    }
  });
});
