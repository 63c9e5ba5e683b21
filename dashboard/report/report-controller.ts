import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { NotFoundError } from '../../server/errors.ts';
import { dashboardContext, render, type DashboardContext } from '../page-context.ts';
import { createLearningSummaryService } from '../learning-log/learning-summary-service.ts';
import { buildWeeklyReport, type MinisterReport } from './weekly-report-builder.ts';
import { createWeeklyCountsReadModel } from './weekly-counts-read-model.ts';
import { createReportSnapshotService } from './report-snapshot-service.ts';
import { latestCompletedWeek, weekContaining, weekEndingOn, type ReportWeek } from './report-week.ts';
import { formatDate } from '../format.ts';

/**
 * Builds the ministers' report for a week, as of `asOf` (the end of the week,
 * or now for the provisional "this week so far"). Experiments that had
 * launched by then are included, running or concluded.
 */
export function buildReportForWeek(context: DashboardContext, week: ReportWeek, options: { asOf: Date; provisional: boolean }): MinisterReport {
  const { services, buildReport } = context;
  const counts = createWeeklyCountsReadModel(services.db);
  const asOfIso = options.asOf.toISOString();
  const experiments = services.experiments
    .list()
    .filter((e) => e.status !== 'draft' && e.launchedAt !== null && e.launchedAt < asOfIso)
    .map((e) => ({
      // The experiment report counts whole days up to the end of asOf's day: the week's last moment is Sunday 23:59:59.999.
      report: buildReport(services.db, e.key, { asOf: new Date(Math.min(options.asOf.getTime(), week.end.getTime()) - 1) }),
      people: counts.forExperiment(e.id, week.start, options.asOf),
      concludedAt: e.concludedAt,
    }));
  return buildWeeklyReport({
    weekEnding: week.weekEnding,
    weekStart: week.start.toISOString(),
    weekEnd: week.end.toISOString(),
    provisional: options.provisional,
    generatedAt: services.clock.now().toISOString(),
    experiments,
    unit: counts.unitTotals(options.asOf),
    learning: createLearningSummaryService(services.db, services.clock).approvedFor(week.weekEnding),
  });
}

/**
 * Returns the frozen report of a completed week. The latest completed week is
 * frozen the first time anyone opens it (see docs/decisions/0012); earlier
 * weeks are only ever read from their snapshots.
 */
function frozenWeek(context: DashboardContext, week: ReportWeek, allowFreeze: boolean) {
  const snapshots = createReportSnapshotService(context.services.db, context.services.clock);
  const existing = snapshots.get(week.weekEnding);
  if (existing) return withApprovedLearning(context, existing);
  if (!allowFreeze) return null;
  return withApprovedLearning(context, snapshots.freeze(buildReportForWeek(context, week, { asOf: week.end, provisional: false })));
}

/**
 * The figures stay frozen, but the learning section is the week's latest
 * approved summary, read when the report is shown: analysts often approve it
 * after the first minister has opened the week (docs/decisions/0027).
 */
function withApprovedLearning<T extends { report: MinisterReport }>(context: DashboardContext, snapshot: T): T {
  const learning = createLearningSummaryService(context.services.db, context.services.clock).approvedFor(snapshot.report.weekEnding);
  return { ...snapshot, report: { ...snapshot.report, learning } };
}

function renderReport(req: Request, res: Response, report: MinisterReport, frozenAt: string | null) {
  const context = dashboardContext(res);
  const snapshots = createReportSnapshotService(context.services.db, context.services.clock).list();
  context.services.audit.record(req.user!.id, 'view', 'weekly-report', report.weekEnding);
  render(req, res, 'report/report.njk', {
    pageTitle: report.provisional ? 'This week so far (provisional)' : `Weekly uplift report: week ending ${formatDate(report.weekEnding)}`,
    report,
    frozenAt,
    earlierWeeks: snapshots.filter((s) => s.weekEnding !== report.weekEnding).slice(0, 8),
  });
}

/** The latest completed week's report: the ministers' start page. */
export function getLatest(req: Request, res: Response): void {
  const context = dashboardContext(res);
  const week = latestCompletedWeek(context.services.clock.now());
  const snapshot = frozenWeek(context, week, true)!;
  renderReport(req, res, snapshot.report, snapshot.frozenAt);
}

/**
 * The provisional report is rebuilt only when something it reads has changed:
 * records are append-only and experiment changes touch updated_at, so the
 * newest ids, the newest experiment change and the day say whether it would differ.
 */
const provisionalCache = new WeakMap<object, { key: string; report: MinisterReport }>();

function dataVersion(context: DashboardContext, now: Date): string {
  const sql = context.services.db.$client;
  const version = sql
    .prepare(
      `SELECT (SELECT MAX(id) FROM outcome_events) || '|' || (SELECT MAX(id) FROM assignments) || '|' ||
              IFNULL((SELECT MAX(id) FROM learning_summary_approvals), 0) || '|' || (SELECT MAX(updated_at) FROM experiments)`,
    )
    .pluck()
    .get() as string | null;
  return `${version ?? ''}|${now.toISOString().slice(0, 10)}`;
}

/** This week so far: built live, clearly marked provisional, never frozen. */
export function getCurrent(req: Request, res: Response): void {
  const context = dashboardContext(res);
  const now = context.services.clock.now();
  const key = dataVersion(context, now);
  let cached = provisionalCache.get(context.services.db);
  if (!cached || cached.key !== key) {
    // +1 ms: figures include anything recorded up to and including this moment.
    cached = { key, report: buildReportForWeek(context, weekContaining(now), { asOf: new Date(now.getTime() + 1), provisional: true }) };
    provisionalCache.set(context.services.db, cached);
  }
  renderReport(req, res, cached.report, null);
}

export function getWeeks(req: Request, res: Response): void {
  const context = dashboardContext(res);
  const latest = latestCompletedWeek(context.services.clock.now());
  frozenWeek(context, latest, true);
  render(req, res, 'report/weeks.njk', {
    pageTitle: 'Earlier weekly reports',
    weeks: createReportSnapshotService(context.services.db, context.services.clock).list(),
  });
}

function snapshotFor(req: Request, res: Response) {
  const context = dashboardContext(res);
  const week = weekEndingOn(String(req.params.weekEnding));
  if (!week) throw new NotFoundError('Weekly report');
  const latest = latestCompletedWeek(context.services.clock.now());
  const snapshot = frozenWeek(context, week, week.weekEnding === latest.weekEnding);
  if (!snapshot) throw new NotFoundError('Weekly report');
  return snapshot;
}

export function getWeek(req: Request, res: Response): void {
  const snapshot = snapshotFor(req, res);
  renderReport(req, res, snapshot.report, snapshot.frozenAt);
}

/** The same suppressed figures as the page, one row per figure. */
export function getCsv(req: Request, res: Response): void {
  const { report } = snapshotFor(req, res);
  const rows: (string | number)[][] = [['week_ending', 'experiment', 'section', 'arm', 'measure', 'value', 'interval']];
  const add = (experiment: string, section: string, arm: string, measure: string, value: string | number, interval = '') =>
    rows.push([report.weekEnding, experiment, section, arm, measure, value, interval]);
  for (const [key, count] of Object.entries(report.unit)) add('(all experiments)', 'unit', '', key, count.text);
  for (const e of report.experiments) {
    add(e.name, 'headline', '', e.metricLabel, e.headline);
    add(e.name, 'people', '', 'taking part this week', e.people.assignedThisWeek.text);
    add(e.name, 'people', '', 'taking part in total', e.people.assignedTotal.text);
    add(e.name, 'people', '', 'contacted this week', e.people.contactedThisWeek.text);
    add(e.name, 'people', '', 'contacted in total', e.people.contactedTotal.text);
    for (const arm of e.arms) {
      add(e.name, 'primary metric', arm.armName, 'people', arm.people.text);
      add(e.name, 'primary metric', arm.armName, e.metricLabel, arm.reached.text);
      add(e.name, 'primary metric', arm.armName, 'rate', arm.rateText);
    }
    for (const c of e.comparisons) add(e.name, 'uplift', c.armName, 'difference from control', c.differenceText, c.intervalText);
    for (const g of e.guardrails) {
      add(e.name, 'guardrail', '', g.label, g.total.text);
      for (const arm of g.arms) add(e.name, 'guardrail', arm.armName, g.label, arm.count.text);
    }
  }
  if (report.learning) add('(all experiments)', 'learning', '', 'approved summary', report.learning.text);
  res.type('text/csv; charset=utf-8').attachment(`eiu-weekly-report-${report.weekEnding}.csv`).send(stringify(rows));
}
