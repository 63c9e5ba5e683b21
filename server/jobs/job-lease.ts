import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

const TAKE_LEASE = `INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE job_leases.expires_at <= ? OR job_leases.holder = excluded.holder`;
const RELEASE_LEASE = 'DELETE FROM job_leases WHERE job = ? AND holder = ?';

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
  const outcome = await db.exclusively(job, async () => {
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + (options.ttlMs ?? 10 * 60_000)).toISOString();
    const { changes } = await db.run(TAKE_LEASE, [job, holder, expiresAt, now.toISOString()]);
    if (changes === 0) return false;
    let failed = false;
    try {
      await work();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // When the work itself failed (the database gone, say), its error is the one to report;
      // an unreleased lease runs out after ttlMs.
      await db.run(RELEASE_LEASE, [job, holder]).catch((releaseError: unknown) => {
        if (!failed) throw releaseError;
      });
    }
    return true;
  });
  return outcome.ran && outcome.result;
}

/** One holder name per process. */
const defaultHolder = `instance-${randomUUID()}`;
