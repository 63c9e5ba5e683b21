import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { createJobLeaseStore } from './job-lease-store.ts';

/**
 * Runs `work` only if this holder can take the job's lease in the database,
 * so that several server instances over one database never run the same
 * background job at the same time. Two guards, both needed:
 *
 * - `db.exclusively(job)`: an advisory lock on PostgreSQL (held while `work`
 *   runs, let go by the server if the instance dies), a flag on SQLite. It also
 *   keeps two runs in this one process apart, which the lease cannot (they share
 *   a holder name).
 * - the `job_leases` row: expires after `ttlMs`, so a crashed instance cannot
 *   hold a job for ever; it is released when `work` ends.
 *
 * Resolves to whether the work ran.
 */
export async function withJobLease(
  db: Db,
  clock: Clock,
  job: string,
  work: () => Promise<void> | void,
  options: { holder?: string; ttlMs?: number } = {},
): Promise<boolean> {
  const holder = options.holder ?? defaultHolder;
  const leases = createJobLeaseStore(db);
  const outcome = await db.exclusively(job, async () => {
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + (options.ttlMs ?? 10 * 60_000)).toISOString();
    if (!(await leases.take(job, holder, expiresAt, now.toISOString()))) return false;
    let failed = false;
    try {
      await work();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // When the work itself failed (the database gone, say), its error is the one to report;
      // an unreleased lease runs out after ttlMs.
      await leases.release(job, holder).catch((releaseError: unknown) => {
        if (!failed) throw releaseError;
      });
    }
    return true;
  });
  return outcome.ran && outcome.result;
}

/** One holder name per process. */
const defaultHolder = `instance-${randomUUID()}`;
