import type { Request, Response } from 'express';
import { STAGES } from '../../experiments/vocabulary.ts';
import { dashboardContext, render } from '../page-context.ts';
import { plannedSizeWarning, resultsView } from './results-view.ts';

/**
 * Full results for analysts: every metric, chart and breakdown of the
 * experiment report. `?metric=` adds a later-phase metric (for example still
 * engaged at 8 weeks) read by this experiment's arms.
 */
export async function get(req: Request, res: Response): Promise<void> {
  const { services, buildReport } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (experiment.status === 'draft') return res.redirect(303, `/experiments/${experiment.key}`);
  const own = new Set<string>([experiment.primaryMetric, ...experiment.secondaryMetrics, ...experiment.guardrailMetrics]);
  const laterMetrics = STAGES.filter((s) => s.phase > experiment.journeyPhase && !own.has(s.key)).map((s) => ({ value: s.key, text: s.label }));
  const metric = typeof req.query.metric === 'string' && laterMetrics.some((m) => m.value === req.query.metric) ? req.query.metric : null;
  const report = await buildReport(services.db, experiment.key, { asOf: services.clock.now(), ...(metric ? { extraMetrics: [metric] } : {}) });
  await services.audit.record(req.user!.id, 'view-results', 'experiment', experiment.key);
  render(req, res, 'experiments/results.njk', {
    pageTitle: `Results: ${experiment.name}`,
    experiment,
    report,
    view: report.assigned > 0 ? resultsView(report) : null,
    plannedSizeWarning: plannedSizeWarning(report.assigned, report.experiment.plannedSampleSize ?? null),
    laterMetrics: [{ value: '', text: 'None' }, ...laterMetrics.map((m) => ({ ...m, selected: m.value === metric }))],
    metric,
    backLink: { href: `/experiments/${experiment.key}`, text: 'Experiment design' },
  });
}
