import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { eligibilityInWords } from './eligibility-words.ts';
import { decisionRuleInWords } from './decision-rule-words.ts';

/** One experiment's design: editable while a draft, shown locked once launched. */
export function get(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const experiment = services.experiments.get(String(req.params.key));
  const eligibility = eligibilityInWords(experiment.eligibility);
  render(req, res, 'experiments/experiment.njk', {
    pageTitle: experiment.name,
    experiment,
    eligibility,
    decisionRuleText: decisionRuleInWords(experiment),
    locked: experiment.status !== 'draft',
    saved: req.query.saved === '1',
    changed: typeof req.query.changed === 'string' ? req.query.changed : null,
    backLink: { href: '/experiments', text: 'All experiments' },
  });
}
