import type { Request, Response } from 'express';
import { NotFoundError } from '../../server/errors.ts';
import { csvText } from '../../server/csv.ts';
import { dashboardContext, render, type DashboardContext } from '../page-context.ts';
import { weekEndingOn } from '../../experiments/calendar/reporting-calendar.ts';
import { formatDate } from '../format.ts';
import { UNIT_FIGURES, type MinisterReport } from './weekly-report-builder.ts';
import { createWeeklyReportService } from './weekly-report-service.ts';
import { historyView } from './report-history-view.ts';
import { createLearningSummaryService } from '../learning-log/learning-summary-service.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';

/**
 * The ministers' weekly report. Ministers read frozen weeks only (decision
 * 0016): a frozen week never changes, so nothing a coach records can be
 * differenced out of what a minister sees. Analysts can also preview the week
 * so far, which is never stored.
 */
/** Built once per dashboard, not on every request. */
const reportServices = new WeakMap<DashboardContext, ReturnType<typeof createWeeklyReportService>>();

function reportService(context: DashboardContext) {
  let service = reportServices.get(context);
  if (!service) {
    const { services, buildReport } = context;
    const learning = createLearningSummaryService(services.db, services.clock);
    service = createWeeklyReportService({ db: services.db, clock: services.clock, experiments: services.experiments, buildReport, learningFor: (week) => learning.approvedFor(week) });
    reportServices.set(context, service);
  }
  return service;
}

/**
 * The figures stay as frozen, but the learning section is the week's latest
 * approved summary (decision 0027): reports freeze minutes after the week ends,
 * usually before the analysts have written it.
 */
async function withApprovedLearning<T extends { report: MinisterReport }>(context: DashboardContext, snapshot: T): Promise<T> {
  const learning = await reportService(context).learningFor(snapshot.report.weekEnding);
  return { ...snapshot, report: { ...snapshot.report, learning } };
}

/** The frozen report of a completed week; freezes any due weeks first (the schedule may not have run yet). */
async function frozenWeek(context: DashboardContext, weekEnding: string) {
  const service = reportService(context);
  await service.freezeDueWeeks();
  const snapshot = await service.snapshots.get(weekEnding);
  return snapshot ? await withApprovedLearning(context, snapshot) : null;
}

async function renderReport(req: Request, res: Response, report: MinisterReport, frozenAt: string | null, provisional = false) {
  const context = dashboardContext(res);
  const snapshots = await reportService(context).snapshots.list();
  await context.services.audit.record(req.user!.id, 'view', 'weekly-report', report.weekEnding);
  render(req, res, 'report/report.njk', {
    pageTitle: provisional ? 'This week so far (provisional, analysts only)' : `Weekly uplift report: week ending ${formatDate(report.weekEnding)}`,
    report,
    provisional,
    unitFigures: UNIT_FIGURES,
    frozenAt,
    earlierWeeks: snapshots.filter((s) => s.weekEnding !== report.weekEnding).slice(0, 6),
  });
}

/** The latest frozen week's report: the ministers' start page. */
export async function getLatest(req: Request, res: Response): Promise<void> {
  const context = dashboardContext(res);
  const service = reportService(context);
  await service.freezeDueWeeks();
  const latest = (await service.snapshots.list())[0];
  if (!latest) {
    render(req, res, 'report/no-report.njk', { pageTitle: 'Weekly uplift report' });
    return;
  }
  const snapshot = await withApprovedLearning(context, (await service.snapshots.get(latest.weekEnding))!);
  await renderReport(req, res, snapshot.report, snapshot.frozenAt);
}

/** This week so far, for analysts only: built live, clearly provisional, never frozen. */
export async function getCurrent(req: Request, res: Response): Promise<void> {
  const context = dashboardContext(res);
  await renderReport(req, res, await reportService(context).weekSoFar(), null, true);
}

export async function getWeeks(req: Request, res: Response): Promise<void> {
  const context = dashboardContext(res);
  const service = reportService(context);
  await service.freezeDueWeeks();
  const weeks = await service.snapshots.list();
  const reports: MinisterReport[] = [];
  for (const w of weeks) reports.push((await service.snapshots.get(w.weekEnding))!.report);
  await context.services.audit.record(req.user!.id, 'view', 'weekly-report', 'history');
  render(req, res, 'report/weeks.njk', {
    pageTitle: 'Earlier weekly reports',
    weeks,
    history: historyView(reports.reverse()),
  });
}

async function snapshotFor(req: Request, res: Response) {
  const context = dashboardContext(res);
  const week = weekEndingOn(String(req.params.weekEnding));
  if (!week) throw new NotFoundError('Weekly report');
  const snapshot = await frozenWeek(context, week.weekEnding);
  if (!snapshot) throw new NotFoundError('Weekly report');
  return snapshot;
}

export async function getWeek(req: Request, res: Response): Promise<void> {
  const snapshot = await snapshotFor(req, res);
  await renderReport(req, res, snapshot.report, snapshot.frozenAt);
}

/** The same rounded and withheld figures as the page, one row per figure. */
export async function getCsv(req: Request, res: Response): Promise<void> {
  const { report, frozenAt } = await snapshotFor(req, res);
  await auditRequest(res, dashboardContext(res).services.audit, req.user!.id, { entityId: report.weekEnding });
  const rows: (string | number)[][] = [['week_ending', 'experiment', 'section', 'arm', 'measure', 'value', 'interval']];
  const add = (experiment: string, section: string, arm: string, measure: string, value: string | number, interval = '') =>
    rows.push([report.weekEnding, experiment, section, arm, measure, value, interval]);
  add('(all experiments)', 'about', '', 'frozen at', frozenAt);
  add('(all experiments)', 'about', '', 'data cut-off', report.weekEnd);
  add('(all experiments)', 'about', '', 'disclosure control', 'counts below 10 withheld; other counts rounded to the nearest 5');
  for (const figure of UNIT_FIGURES) add('(all experiments)', 'unit', '', figure.label, report.unit[figure.key].text);
  for (const e of report.experiments) {
    add(e.name, 'headline', '', e.metricLabel, e.headline);
    add(e.name, 'outlook', '', 'what we cannot tell yet', e.outlook);
    for (const c of e.comparisons) add(e.name, 'uplift', c.armName, 'difference from control', c.differenceText, c.intervalText);
    for (const arm of e.arms) {
      add(e.name, 'primary metric', arm.armName, 'people', arm.people.text);
      add(e.name, 'primary metric', arm.armName, e.metricLabel, arm.reached.text);
      add(e.name, 'primary metric', arm.armName, 'rate', arm.rateText);
    }
    const journeyRows = [...e.journey.arms.map((a) => ({ name: a.armName, joined: a.joinedThisWeek, counts: a.counts })), { name: 'Total', joined: e.journey.total.joinedThisWeek, counts: e.journey.total.counts }];
    for (const row of journeyRows) {
      add(e.name, 'journey', row.name, 'joined this week', row.joined.text);
      e.journey.steps.forEach((step, i) => add(e.name, 'journey', row.name, step.label, row.counts[i].text));
    }
    for (const g of e.guardrails) {
      add(e.name, 'guardrail', 'Total', g.label, g.total.text);
      for (const arm of g.arms) add(e.name, 'guardrail', arm.armName, g.label, arm.count.text);
      add(e.name, 'guardrail', '', `${g.label}: reading`, g.sentence);
    }
  }
  if (report.learning) add('(all experiments)', 'learning', '', 'approved summary', report.learning.text);
  res.set('Cache-Control', 'no-store');
  res.type('text/csv; charset=utf-8').attachment(`eiu-weekly-report-${report.weekEnding}.csv`).send(csvText(rows));
}
