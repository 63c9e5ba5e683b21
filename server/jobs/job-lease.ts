import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

/**
 * Runs `work` only if this holder can take the job's lease in the database,
 * so that several server instances over one database never run the same
 * background job at the same time. A lease expires after `ttlMs`, so a crashed
 * instance cannot hold a job for ever; it is released when `work` ends.
 * Returns whether the work ran.
 */
export function withJobLease(db: Db, clock: Clock, job: string, work: () => void, options: { holder?: string; ttlMs?: number } = {}): boolean {
  const holder = options.holder ?? defaultHolder;
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? 10 * 60_000)).toISOString();
  const taken = db.$client
    .prepare(
      `INSERT INTO job_leases (job, holder, expires_at) VALUES (@job, @holder, @expiresAt)
       ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE job_leases.expires_at <= @now OR job_leases.holder = excluded.holder`,
    )
    .run({ job, holder, expiresAt, now: now.toISOString() }).changes;
  if (taken === 0) return false;
  try {
    work();
  } finally {
    db.$client.prepare('DELETE FROM job_leases WHERE job = ? AND holder = ?').run(job, holder);
  }
  return true;
}

/** One holder name per process. */
const defaultHolder = `instance-${randomUUID()}`;
