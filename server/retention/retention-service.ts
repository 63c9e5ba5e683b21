import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { createApiTokenStore } from '../auth/api-token-store.ts';
import { createSessionStore } from '../auth/session-store.ts';
import { withJobLease } from '../jobs/job-lease.ts';
import { startSchedule } from '../jobs/schedule.ts';
import type { ErasureService } from '../../experiments/contacts/contact-erasure-service.ts';
import { purgeAuditLogBefore } from './audit-retention.ts';
import { createRetentionReadModel } from './retention-read-model.ts';
import type { RetentionPolicy } from './retention-policy.ts';

export const RETENTION_JOB = 'retention';

/** The most batches of people one run erases; the rest wait for the next run, so a run stays well inside its lease. */
const MAX_BATCHES_PER_RUN = 40;
const LEASE_MS = 30 * 60_000;

export interface RetentionResult {
  sessions: number;
  apiTokens: number;
  auditRows: number;
  people: number;
}

const DAY_MS = 86_400_000;
const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/**
 * Applies the retention policy once (docs/decisions/0033): deletes sessions
 * and revoked API tokens past their period, audit rows past theirs (through
 * `purgeAuditLogBefore`), and erases, in batches, people whose involvement
 * ended more than `peopleDays` ago. Running it again at once changes nothing.
 */
export function createRetentionService(options: { db: Db; clock: Clock; policy: RetentionPolicy; erasure: ErasureService; instance?: string }) {
  const { db, clock, policy, erasure } = options;
  const sessionStore = createSessionStore(db);
  const tokenStore = createApiTokenStore(db);
  const readModel = createRetentionReadModel(db);

  /** The people due for erasure at `now`, oldest record first (at most `limit`). */
  async function due(now: Date, limit: number): Promise<number[]> {
    return readModel.duePeople(daysBefore(now, policy.peopleDays).toISOString(), limit);
  }

  async function runOnce(): Promise<RetentionResult> {
    const now = clock.now();
    const sessions = await sessionStore.deleteExpiredBefore(daysBefore(now, policy.sessionsDays).toISOString());
    const apiTokens = await tokenStore.deleteRevokedBefore(daysBefore(now, policy.apiTokensDays).toISOString());
    let people = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const ids = await due(now, policy.batchSize);
      if (ids.length === 0) break;
      people += (await erasure.eraseMany(ids, { userId: null, action: 'erase-retention' })).length;
    }
    // Last, so the audit rows of this run's erasures are written before old rows are purged.
    const auditRows = await purgeAuditLogBefore(db, daysBefore(now, policy.auditDays), now);
    return { sessions, apiTokens, auditRows, people };
  }

  return {
    policy,
    due: (limit = policy.batchSize) => due(clock.now(), limit),

    /**
     * Runs the policy under the job's advisory lock and database lease
     * (server/jobs/job-lease.ts), so two instances never run it at once; null
     * when another instance holds the job.
     */
    async run(): Promise<RetentionResult | null> {
      let result: RetentionResult | null = null;
      await withJobLease(
        db,
        clock,
        RETENTION_JOB,
        async () => {
          result = await runOnce();
        },
        { holder: options.instance, ttlMs: LEASE_MS },
      );
      return result;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;

/**
 * Runs retention now and then every `intervalMs` (default hourly), as the weekly
 * freeze is scheduled; returns a function that stops it (resolving once a run in
 * progress has ended). Errors go to `onError` and the next run tries again.
 */
export function startRetentionSchedule(
  service: RetentionService,
  options: { intervalMs?: number; onError?: (error: unknown) => void; onRun?: (result: RetentionResult) => void } = {},
): () => Promise<void> {
  return startSchedule(
    async () => {
      const result = await service.run();
      if (result) options.onRun?.(result);
    },
    options.intervalMs ?? 60 * 60_000,
    options.onError,
  );
}
