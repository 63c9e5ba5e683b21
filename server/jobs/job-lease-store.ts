import type { Db } from '../db/database.ts';

// Taken when no one holds the job, when the lease has run out, or when this holder has it already.
const TAKE = `INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE job_leases.expires_at <= ? OR job_leases.holder = excluded.holder`;
const RELEASE = 'DELETE FROM job_leases WHERE job = ? AND holder = ?';

/** Plain reads and writes on job_leases: one row per background job while an instance holds it. */
export function createJobLeaseStore(db: Db) {
  return {
    /** Resolves to whether `holder` now holds the job's lease, until `expiresAt`. */
    async take(job: string, holder: string, expiresAt: string, now: string): Promise<boolean> {
      return (await db.run(TAKE, [job, holder, expiresAt, now])).changes > 0;
    },
    async release(job: string, holder: string): Promise<void> {
      await db.run(RELEASE, [job, holder]);
    },
  };
}

export type JobLeaseStore = ReturnType<typeof createJobLeaseStore>;
