import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { resultsView } from './results-view.ts';

/** Full results for analysts: every metric, chart and breakdown of the experiment report. */
export function get(req: Request, res: Response): void {
  const { services, buildReport } = dashboardContext(res);
  const experiment = services.experiments.get(String(req.params.key));
  if (experiment.status === 'draft') return res.redirect(303, `/experiments/${experiment.key}`);
  const report = buildReport(services.db, experiment.key, { asOf: services.clock.now() });
  services.audit.record(req.user!.id, 'view-results', 'experiment', experiment.key);
  render(req, res, 'experiments/results.njk', {
    pageTitle: `Results: ${experiment.name}`,
    experiment,
    report,
    view: resultsView(report),
    backLink: { href: `/experiments/${experiment.key}`, text: 'Experiment design' },
  });
}
