import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { withJobLease } from '../../server/jobs/job-lease.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { latestCompletedWeek, weekContaining, weeksBetween, type ReportWeek } from '../../experiments/calendar/reporting-calendar.ts';
import type { ReportBuilder } from '../report-source.ts';
import { buildWeeklyReport, type MinisterReport } from './weekly-report-builder.ts';
import { createWeeklyCountsReadModel } from './weekly-counts-read-model.ts';
import { createReportSnapshotService } from './report-snapshot-service.ts';

type ApprovedLearning = { text: string; approvedAt: string };

export const FREEZE_JOB = 'weekly-report-freeze';
/** The name under which the freeze runs on one instance at a time (`db.exclusively`), besides its lease. */
export const FREEZE_EXCLUSIVE = 'weekly-freeze';

export interface WeeklyReportServiceOptions {
  db: Db;
  clock: Clock;
  experiments: { list(): Promise<ExperimentView[]> | ExperimentView[] };
  buildReport: ReportBuilder;
  /** The approved learning summary for a week, if any. */
  learningFor?: (weekEnding: string) => Promise<ApprovedLearning | null> | ApprovedLearning | null;
  /** This instance's name for the job lease (default: one per process). */
  instance?: string;
}

/**
 * Builds and freezes the ministers' weekly reports (decision 0015). A week is
 * built from the records up to its cut-off (Monday 00:00 UTC) and frozen once,
 * by a scheduled job that any instance may run but only one runs at a time.
 */
export function createWeeklyReportService(options: WeeklyReportServiceOptions) {
  const { db, clock, experiments, buildReport } = options;
  const snapshots = createReportSnapshotService(db, clock);
  const counts = createWeeklyCountsReadModel(db);

  async function launched(until: Date): Promise<ExperimentView[]> {
    return (await experiments.list()).filter((e) => e.status !== 'draft' && e.launchedAt !== null && e.launchedAt < until.toISOString());
  }

  /** The report of `week` from the records before `cutOff` (the week's end, or now for a week in progress). */
  async function build(week: ReportWeek, cutOff: Date): Promise<MinisterReport> {
    // Experiment reports count whole UTC days up to and including the day of `asOf`.
    const lastMoment = new Date(Math.min(cutOff.getTime(), week.end.getTime()) - 1);
    const reports: { report: Awaited<ReturnType<ReportBuilder>>; concludedAt: string | null }[] = [];
    for (const e of await launched(cutOff)) reports.push({ report: await buildReport(db, e.key, { asOf: lastMoment, finalInference: false }), concludedAt: e.concludedAt });
    return buildWeeklyReport({
      weekEnding: week.weekEnding,
      weekStart: week.start.toISOString(),
      weekEnd: week.end.toISOString(),
      generatedAt: clock.now().toISOString(),
      experiments: reports,
      unit: await counts.unitTotals(cutOff),
      learning: (await options.learningFor?.(week.weekEnding)) ?? null,
    });
  }

  /** Completed weeks from the first launch to the latest that are not yet frozen. */
  async function dueWeeks(now: Date): Promise<ReportWeek[]> {
    const first = (await launched(now))
      .map((e) => e.launchedAt!)
      .sort()[0];
    if (!first) return [];
    const latest = latestCompletedWeek(now);
    const frozen = new Set((await snapshots.list()).map((s) => s.weekEnding));
    return weeksBetween(new Date(first), latest.start).filter((w) => w.end <= now && !frozen.has(w.weekEnding));
  }

  return {
    snapshots,
    dueWeeks,
    /** The week's approved learning summary now (the learning section is read live, decision 0027). */
    learningFor: async (weekEnding: string): Promise<ApprovedLearning | null> => (await options.learningFor?.(weekEnding)) ?? null,

    /**
     * Freezes every completed week that is not frozen yet, oldest first, and
     * returns their names. Idempotent: a frozen week is never rebuilt. Runs on
     * one instance at a time (`db.exclusively`) and under a database lease, so
     * two instances never freeze at once; an instance that cannot take either
     * freezes nothing and returns [].
     */
    async freezeDueWeeks(): Promise<string[]> {
      // Pages call this before they read: when nothing is due, take no lease (no write on a read).
      if ((await dueWeeks(clock.now())).length === 0) return [];
      const frozen: string[] = [];
      await db.exclusively(FREEZE_EXCLUSIVE, async () =>
        await withJobLease(
          db,
          clock,
          FREEZE_JOB,
          async () => {
            for (const week of await dueWeeks(clock.now())) {
              await snapshots.freeze(await build(week, week.end));
              frozen.push(week.weekEnding);
            }
          },
          { holder: options.instance },
        ),
      );
      return frozen;
    },

    /** The week so far, for analysts: built live, never stored. */
    async weekSoFar(): Promise<MinisterReport> {
      const now = clock.now();
      return build(weekContaining(now), new Date(now.getTime() + 1));
    },

    latestWeek(): ReportWeek {
      return latestCompletedWeek(clock.now());
    },
  };
}

export type WeeklyReportService = ReturnType<typeof createWeeklyReportService>;

/**
 * Freezes due weeks now (catching up on any missed while the server was down)
 * and then every `intervalMs`. Resolves once the first run has ended, with a
 * function that stops the schedule (and resolves once a run under way has
 * ended). Errors go to `onError`, never to an unhandled rejection.
 */
export async function startWeeklyFreezeSchedule(
  service: WeeklyReportService,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): Promise<() => Promise<void>> {
  let running: Promise<void> | null = null;
  const run = () => {
    // A run still going when the next is due: let it finish rather than start another.
    running ??= (async () => {
      try {
        await service.freezeDueWeeks();
      } catch (error) {
        options.onError?.(error);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  await run();
  const timer = setInterval(() => void run(), options.intervalMs ?? 5 * 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    if (running) await running;
  };
}
