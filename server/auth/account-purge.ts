import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { withJobLease } from '../jobs/job-lease.ts';
import { startSchedule } from '../jobs/schedule.ts';
import type { AuthService } from './auth-service.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

export const PURGE_JOB = 'account-purge';

export interface PurgeCounts {
  sessions: number;
  tokens: number;
  throttleCounters: number;
}

/**
 * Deletes sessions past their absolute or idle limit, tokens that have expired
 * or been revoked, and sign-in counters that have run out, under the job's
 * advisory lock and database lease (server/jobs/job-lease.ts) so that only one
 * instance purges at a time. Null when another instance holds the job.
 */
export async function purgeExpiredCredentials(input: { db: Db; clock: Clock; auth: AuthService; throttle: SignInThrottle; instance?: string }): Promise<PurgeCounts | null> {
  let counts: PurgeCounts | null = null;
  await withJobLease(
    input.db,
    input.clock,
    PURGE_JOB,
    async () => {
      const { sessions, tokens } = await input.auth.purgeExpired();
      counts = { sessions, tokens, throttleCounters: await input.throttle.purgeExpired() };
    },
    { holder: input.instance },
  );
  return counts;
}

/**
 * Purges now and then every `intervalMs` (15 minutes). Errors go to `onError`
 * and the next run tries again. Returns a function that stops it (resolving
 * once a run in progress has ended).
 */
export function startAccountPurgeSchedule(
  input: Parameters<typeof purgeExpiredCredentials>[0],
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): () => Promise<void> {
  return startSchedule(
    async () => {
      await purgeExpiredCredentials(input);
    },
    options.intervalMs ?? 15 * 60_000,
    options.onError,
  );
}
