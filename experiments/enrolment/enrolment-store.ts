import type { Db } from '../../server/db/database.ts';
import type { Role } from '../vocabulary.ts';

const INSERT_BATCH = `INSERT INTO enrolment_batches (experiment_id, selection, description, status, total, created_by, created_at)
  VALUES (?, ?, ?, 'previewed', ?, ?, ?) RETURNING id`;
const BATCH_ROW = `SELECT b.id, e.key AS "experimentKey", b.selection, b.description, b.status, b.total, b.done, b.assigned, b.not_assigned AS "notAssigned",
    b.message, b.created_by AS "createdBy", b.created_at AS "createdAt", b.started_at AS "startedAt", b.heartbeat_at AS "heartbeatAt", b.finished_at AS "finishedAt"
  FROM enrolment_batches b JOIN experiments e ON e.id = b.experiment_id WHERE b.id = ?`;
// Claims the batch: it lands only if the batch is still as its starter saw it, so of two instances starting or resuming it, one runs it.
const MARK_STARTED = `UPDATE enrolment_batches SET status = 'running', total = ?, not_assigned = ?, started_at = COALESCE(started_at, CAST(? AS TEXT)), heartbeat_at = ?
  WHERE id = ? AND status = ? AND heartbeat_at IS NOT DISTINCT FROM ?`;
const SAVE_PROGRESS = 'UPDATE enrolment_batches SET done = ?, assigned = ?, not_assigned = ?, heartbeat_at = ? WHERE id = ?';
const FINISH = 'UPDATE enrolment_batches SET status = ?, message = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?';
const USER_ROW = 'SELECT id, username, display_name AS "displayName", role FROM users WHERE id = ?';

/**
 * Plain reads and writes on enrolment_batches (a batch is read with its
 * experiment's key), and the user who previewed a batch, for resuming it as
 * them. Selection and tallies are stored as JSON text.
 */
export function createEnrolmentStore(db: Db) {
  return {
    async insert(batch: { experimentId: number; selection: string; description: string; total: number; createdBy: number }, at: string): Promise<number> {
      return (await db.get<{ id: number }>(INSERT_BATCH, [batch.experimentId, batch.selection, batch.description, batch.total, batch.createdBy, at]))!.id;
    },
    byId: (batchId: number) => db.get<Record<string, unknown>>(BATCH_ROW, [batchId]),
    /**
     * Marks the batch running if it is still in `claim`'s status with `claim`'s
     * heartbeat; false when another instance got there first.
     */
    async markStarted(
      batchId: number,
      start: { total: number; notAssigned: string; at: string; heartbeatAt: string },
      claim: { status: string; heartbeatAt: string | null },
    ): Promise<boolean> {
      const { changes } = await db.run(MARK_STARTED, [start.total, start.notAssigned, start.at, start.heartbeatAt, batchId, claim.status, claim.heartbeatAt]);
      return changes > 0;
    },
    async saveProgress(batchId: number, progress: { done: number; assigned: number; notAssigned: string }, heartbeatAt: string): Promise<void> {
      await db.run(SAVE_PROGRESS, [progress.done, progress.assigned, progress.notAssigned, heartbeatAt, batchId]);
    },
    async finish(batchId: number, status: 'finished' | 'stopped', message: string | null, finishedAt: string, heartbeatAt: string): Promise<void> {
      await db.run(FINISH, [status, message, finishedAt, heartbeatAt, batchId]);
    },
    user: (userId: number) => db.get<{ id: number; username: string; displayName: string; role: Role }>(USER_ROW, [userId]),
  };
}

export type EnrolmentStore = ReturnType<typeof createEnrolmentStore>;
