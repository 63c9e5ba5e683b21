import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { decisionRuleInWords } from './decision-rule-words.ts';
import { clusterPlan } from './cluster-design-plan.ts';
import { eligibilityInWords } from './eligibility-words.ts';
import { instructionParagraphs } from '../contact/arm-instructions.ts';
import { createExperimentCountsReadModel } from './experiment-counts-read-model.ts';

const UNIT_TEXT = {
  person: 'Each person',
  coach: 'Whole work coaches’ caseloads: everyone of a coach gets the same arm, and results are analysed with coaches as the unit',
  site: 'Whole sites: everyone at a site gets the same arm, and results are analysed with sites as the unit',
} as const;

const CHANGED = new Set(['launch', 'pause', 'resume', 'conclude', 'allocation', 'instructions']);

/** One experiment's design: editable while a draft, shown locked once launched. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  const counts = await createExperimentCountsReadModel(services.db).assignedByArm(experiment.id);
  const arms = experiment.arms.map((arm) => ({
    ...arm,
    assigned: counts.get(arm.id) ?? 0,
    paragraphs: arm.instructions ? instructionParagraphs(arm.instructions.instructions) : [],
  }));
  render(req, res, 'experiments/experiment.njk', {
    pageTitle: experiment.name,
    experiment,
    arms,
    assigned: arms.reduce((sum, a) => sum + a.assigned, 0),
    eligibility: eligibilityInWords(experiment.eligibility),
    decisionRuleText: decisionRuleInWords(experiment),
    randomisationUnitText: UNIT_TEXT[experiment.randomisationUnit],
    // The warning is for planning: once launched, the clusters are those randomised.
    clusterPlan: experiment.status === 'draft' ? await clusterPlan(services.db, experiment.randomisationUnit, experiment.arms.map((a) => a.weight)) : null,
    locked: experiment.status !== 'draft',
    saved: req.query.saved === '1',
    changed: typeof req.query.changed === 'string' && CHANGED.has(req.query.changed) ? req.query.changed : null,
    backLink: { href: '/experiments', text: 'All experiments' },
  });
}
