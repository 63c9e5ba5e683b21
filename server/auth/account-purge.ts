import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { withJobLease } from '../jobs/job-lease.ts';
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
 * or been revoked, and sign-in counters that have run out, under a database
 * lease so that only one instance purges at a time. Null when another
 * instance holds the lease.
 */
export function purgeExpiredCredentials(input: { db: Db; clock: Clock; auth: AuthService; throttle: SignInThrottle; instance?: string }): PurgeCounts | null {
  let counts: PurgeCounts | null = null;
  withJobLease(
    input.db,
    input.clock,
    PURGE_JOB,
    () => {
      const { sessions, tokens } = input.auth.purgeExpired();
      counts = { sessions, tokens, throttleCounters: input.throttle.purgeExpired() };
    },
    { holder: input.instance },
  );
  return counts;
}

/** Purges now and then every `intervalMs` (15 minutes); returns a function that stops it. */
export function startAccountPurgeSchedule(
  input: Parameters<typeof purgeExpiredCredentials>[0],
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): () => void {
  const run = () => {
    try {
      purgeExpiredCredentials(input);
    } catch (error) {
      options.onError?.(error);
    }
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? 15 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
