import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { withJobLease } from '../jobs/job-lease.ts';
import { startSchedule } from '../jobs/schedule.ts';
import type { ErasureService } from '../../experiments/contacts/contact-erasure-service.ts';
import { purgeAuditLogBefore } from './audit-retention.ts';
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
  const DELETE_SESSIONS = 'DELETE FROM sessions WHERE expires_at < ?';
  const DELETE_TOKENS = 'DELETE FROM api_tokens WHERE revoked_at IS NOT NULL AND revoked_at < ?';
  // Due: every experiment they were assigned to concluded before the cut-off, no outcome
  // recorded since, and their record unchanged since (people never assigned: just the last).
  const DUE_PEOPLE = `
    SELECT c.id FROM contacts c
    WHERE c.erased_at IS NULL AND c.updated_at < ?
      AND NOT EXISTS (
        SELECT 1 FROM assignments a JOIN experiments e ON e.id = a.experiment_id
        WHERE a.contact_id = c.id AND (e.concluded_at IS NULL OR e.concluded_at >= ?))
      AND NOT EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.recorded_at >= ?)
    ORDER BY c.id LIMIT ?`;

  /** The people due for erasure at `now`, oldest record first (at most `limit`). */
  async function due(now: Date, limit: number): Promise<number[]> {
    const cutoff = daysBefore(now, policy.peopleDays).toISOString();
    const rows = await db.all<{ id: number }>(DUE_PEOPLE, [cutoff, cutoff, cutoff, limit]);
    return rows.map((row) => row.id);
  }

  async function runOnce(): Promise<RetentionResult> {
    const now = clock.now();
    const sessions = (await db.run(DELETE_SESSIONS, [daysBefore(now, policy.sessionsDays).toISOString()])).changes;
    const apiTokens = (await db.run(DELETE_TOKENS, [daysBefore(now, policy.apiTokensDays).toISOString()])).changes;
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
