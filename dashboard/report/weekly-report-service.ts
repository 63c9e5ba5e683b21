import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { withJobLease } from '../../server/jobs/job-lease.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { latestCompletedWeek, weekContaining, weeksBetween, type ReportWeek } from '../../experiments/calendar/reporting-calendar.ts';
import type { ReportBuilder } from '../report-source.ts';
import { buildWeeklyReport, type MinisterReport } from './weekly-report-builder.ts';
import { createWeeklyCountsReadModel } from './weekly-counts-read-model.ts';
import { createReportSnapshotService } from './report-snapshot-service.ts';

export const FREEZE_JOB = 'weekly-report-freeze';

export interface WeeklyReportServiceOptions {
  db: Db;
  clock: Clock;
  experiments: { list(): ExperimentView[] };
  buildReport: ReportBuilder;
  /** The approved learning summary for a week, if any. */
  learningFor?: (weekEnding: string) => { text: string; approvedAt: string } | null;
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

  const launched = (until: Date) => experiments.list().filter((e) => e.status !== 'draft' && e.launchedAt !== null && e.launchedAt < until.toISOString());

  /** The report of `week` from the records before `cutOff` (the week's end, or now for a week in progress). */
  function build(week: ReportWeek, cutOff: Date): MinisterReport {
    // Experiment reports count whole UTC days up to and including the day of `asOf`.
    const lastMoment = new Date(Math.min(cutOff.getTime(), week.end.getTime()) - 1);
    return buildWeeklyReport({
      weekEnding: week.weekEnding,
      weekStart: week.start.toISOString(),
      weekEnd: week.end.toISOString(),
      generatedAt: clock.now().toISOString(),
      experiments: launched(cutOff).map((e) => ({ report: buildReport(db, e.key, { asOf: lastMoment, finalInference: false }), concludedAt: e.concludedAt })),
      unit: counts.unitTotals(cutOff),
      learning: options.learningFor?.(week.weekEnding) ?? null,
    });
  }

  /** Completed weeks from the first launch to the latest that are not yet frozen. */
  function dueWeeks(now: Date): ReportWeek[] {
    const first = launched(now)
      .map((e) => e.launchedAt!)
      .sort()[0];
    if (!first) return [];
    const latest = latestCompletedWeek(now);
    const frozen = new Set(snapshots.list().map((s) => s.weekEnding));
    return weeksBetween(new Date(first), latest.start).filter((w) => w.end <= now && !frozen.has(w.weekEnding));
  }

  return {
    snapshots,
    dueWeeks,
    /** The week's approved learning summary now (the learning section is read live, decision 0027). */
    learningFor: (weekEnding: string) => options.learningFor?.(weekEnding) ?? null,

    /**
     * Freezes every completed week that is not frozen yet, oldest first, and
     * returns their names. Idempotent: a frozen week is never rebuilt. Runs
     * under a database lease, so two instances never freeze at once; an
     * instance that cannot take the lease freezes nothing and returns [].
     */
    freezeDueWeeks(): string[] {
      // Pages call this before they read: when nothing is due, take no lease (no write on a read).
      if (dueWeeks(clock.now()).length === 0) return [];
      const frozen: string[] = [];
      withJobLease(
        db,
        clock,
        FREEZE_JOB,
        () => {
          for (const week of dueWeeks(clock.now())) {
            snapshots.freeze(build(week, week.end));
            frozen.push(week.weekEnding);
          }
        },
        { holder: options.instance },
      );
      return frozen;
    },

    /** The week so far, for analysts: built live, never stored. */
    weekSoFar(): MinisterReport {
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
 * and then every `intervalMs`. Returns a function that stops the schedule.
 */
export function startWeeklyFreezeSchedule(service: WeeklyReportService, options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): () => void {
  const run = () => {
    try {
      service.freezeDueWeeks();
    } catch (error) {
      options.onError?.(error);
    }
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? 5 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
