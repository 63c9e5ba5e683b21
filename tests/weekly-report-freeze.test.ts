import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TRIAL_KEY } from './browser/support/fixtures.ts';
import { createWeeklyReportService, FREEZE_JOB, startWeeklyFreezeSchedule } from '../dashboard/report/weekly-report-service.ts';
import { defaultReportBuilder } from '../dashboard/report-source.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { withJobLease } from '../server/jobs/job-lease.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { column } from './support/sql.ts';

/**
 * The weekly freeze, on a real database with an injected clock: each completed
 * week is frozen once, shortly after it ends, missed weeks are caught up after
 * downtime, running it again changes nothing, and only one instance runs it at
 * a time. The trial fixture launched on Monday 12 October 2026 (TEST_NOW is
 * Monday 23 November, 09:00 UTC).
 */
let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
  await seedTrial(server);
});
afterEach(() => server.close());

const service = (instance?: string) => createWeeklyReportService({ db: server.db, clock: server.clock, experiments: server.services.experiments, buildReport: defaultReportBuilder, instance });
const snapshots = () =>
  server.db.all<{ weekEnding: string; content: string; frozenAt: string }>('SELECT week_ending AS "weekEnding", content, created_at AS "frozenAt" FROM report_snapshots ORDER BY week_ending');

describe('freezing the weekly report on a schedule', () => {
  it('freezes every completed week since launch, oldest first, and running again changes nothing', async () => {
    const frozen = await service().freezeDueWeeks();
    expect(frozen).toEqual(['2026-10-18', '2026-10-25', '2026-11-01', '2026-11-08', '2026-11-15', '2026-11-22']);
    const first = await snapshots();
    expect(first.map((s) => s.frozenAt)).toEqual(first.map(() => '2026-11-23T09:00:00.000Z'));
    server.clock.set('2026-11-23T15:00:00.000Z');
    expect(await service().freezeDueWeeks()).toEqual([]);
    expect(await snapshots()).toEqual(first);
  });

  it('does not freeze a week before it has ended, and freezes it just after', async () => {
    await service().freezeDueWeeks();
    server.clock.set('2026-11-29T23:59:59.999Z');
    expect(await service().freezeDueWeeks()).toEqual([]);
    server.clock.set('2026-11-30T00:05:00.000Z');
    expect(await service().freezeDueWeeks()).toEqual(['2026-11-29']);
    expect((await snapshots()).at(-1)).toMatchObject({ weekEnding: '2026-11-29', frozenAt: '2026-11-30T00:05:00.000Z' });
  });

  it('catches up on the weeks it missed while the server was down, each from its own cut-off', async () => {
    await service().freezeDueWeeks();
    // Down for three weeks: on start-up the schedule freezes the missed weeks at once.
    server.clock.set('2026-12-21T08:00:00.000Z');
    // The schedule's first run starts at once: wait for it to finish before reading what it froze.
    const scheduled = service();
    const freeze = scheduled.freezeDueWeeks.bind(scheduled);
    let firstRun: ReturnType<typeof freeze> | undefined;
    scheduled.freezeDueWeeks = () => (firstRun ??= freeze());
    const stop = await startWeeklyFreezeSchedule(scheduled, { intervalMs: 60_000 });
    stop();
    await firstRun;
    const caughtUp = (await snapshots()).slice(-4);
    expect(caughtUp.map((s) => s.weekEnding)).toEqual(['2026-11-29', '2026-12-06', '2026-12-13', '2026-12-20']);
    expect(caughtUp.every((s) => s.frozenAt === '2026-12-21T08:00:00.000Z')).toBe(true);
    for (const s of caughtUp) expect(JSON.parse(s.content).weekEnd).toBe(new Date(Date.parse(s.weekEnding) + 86_400_000).toISOString());
  });

  it('counts exactly the records before the cut-off: Sunday 23:59:59.999 is in, Monday 00:00 is out', async () => {
    const analyst = (await server.db.get<CurrentUser>(`SELECT id, username, display_name AS "displayName", role FROM users WHERE username = 'analyst'`))!;
    const unanswered = await column<string>(
      server.db,
      `SELECT c.reference AS reference FROM contacts c JOIN assignments a ON a.contact_id = c.id
         WHERE NOT EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.stage = 'responded') ORDER BY c.id LIMIT 2`,
    );
    server.clock.set('2026-11-30T09:00:00.000Z');
    await server.services.outcomes.record({ ...analyst, coachId: null }, { contact: unanswered[0], stage: 'responded', occurredAt: '2026-11-29T23:59:59.999Z', idempotencyKey: 'edge-sunday' } as never);
    await server.services.outcomes.record({ ...analyst, coachId: null }, { contact: unanswered[1], stage: 'responded', occurredAt: '2026-11-30T00:00:00.000Z', idempotencyKey: 'edge-monday' } as never);
    const responded = async (asOf: string) =>
      (await buildExperimentReport(server.db, TRIAL_KEY, { asOf: new Date(asOf) })).metrics.find((m) => m.key === 'responded')!.arms.reduce((sum, a) => sum + (a.successes ?? 0), 0);
    const beforeSunday = await responded('2026-11-28T12:00:00.000Z');
    expect(await responded('2026-11-29T23:59:59.999Z')).toBe(beforeSunday + 1);
    expect(await responded('2026-11-30T00:00:00.000Z')).toBe(beforeSunday + 2);
  });

  it('runs on one instance at a time: another instance holding the lease freezes nothing until the lease expires', async () => {
    const taken = await withJobLease(server.db, server.clock, FREEZE_JOB, async () => {
      // While instance A works, instance B cannot take the job.
      expect(await service('instance-b').freezeDueWeeks()).toEqual([]);
    }, { holder: 'instance-a' });
    expect(taken).toBe(true);
    expect(await snapshots()).toEqual([]);
    // A crashed instance's lease runs out: after ten minutes another instance takes over.
    await server.db.run("INSERT INTO job_leases (job, holder, expires_at) VALUES (?, 'crashed', ?)", [FREEZE_JOB, '2026-11-23T09:10:00.000Z']);
    expect(await service('instance-b').freezeDueWeeks()).toEqual([]);
    server.clock.set('2026-11-23T09:10:00.000Z');
    expect((await service('instance-b').freezeDueWeeks()).length).toBe(6);
  });
});
