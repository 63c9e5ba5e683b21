import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { humanise } from '../format.ts';
import { decisionRuleInWords } from './decision-rule-words.ts';
import { clusterPlan } from './cluster-design-plan.ts';

const UNIT_TEXT = {
  person: 'Each person',
  coach: 'Whole work coaches’ caseloads: everyone of a coach gets the same arm, and results are analysed with coaches as the unit',
  site: 'Whole sites: everyone at a site gets the same arm, and results are analysed with sites as the unit',
} as const;

/** One experiment's design: editable while a draft, shown locked once launched. */
export function get(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const experiment = services.experiments.get(String(req.params.key));
  const eligibility = Object.entries(experiment.eligibility).map(([key, condition]) => {
    const values = condition && typeof condition === 'object' && '$in' in condition ? (condition as { $in: unknown[] }).$in : [condition];
    return `${humanise(key)}: ${values.map((v) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : humanise(v))).join(', ')}`;
  });
  render(req, res, 'experiments/experiment.njk', {
    pageTitle: experiment.name,
    experiment,
    eligibility,
    decisionRuleText: decisionRuleInWords(experiment),
    randomisationUnitText: UNIT_TEXT[experiment.randomisationUnit],
    // The warning is for planning: once launched, the clusters are those randomised.
    clusterPlan: experiment.status === 'draft' ? clusterPlan(services.db, experiment.randomisationUnit, experiment.arms.map((a) => a.weight)) : null,
    locked: experiment.status !== 'draft',
    saved: req.query.saved === '1',
    changed: typeof req.query.changed === 'string' ? req.query.changed : null,
    backLink: { href: '/experiments', text: 'All experiments' },
  });
}
