import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import type { AllocationInput } from '../../experiments/experiment/experiment-schema.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { capitalise, humanise } from '../format.ts';
import { instructionTemplate } from '../contact/arm-instructions.ts';

/**
 * Steering a launched experiment from the screens (docs/decisions/0036):
 * changing the weights, adding or retiring an arm (a new phase with a new
 * seed, through the service's allocation change, after a confirmation page
 * that says what follows), and changing what coaches are told for each arm
 * (a new version of the instructions).
 */

interface AllocationFormValues {
  weights: Record<string, string>;
  addLevels: Record<string, string>;
  addName: string;
  addWeight: string;
  addInstructions: string | null;
  addScript: string | null;
  reason: string;
}

const steerable = (experiment: ExperimentView) => experiment.status === 'running' || experiment.status === 'paused';

/** The current split as a readable ratio: the smallest open arm is 1. */
function currentRatio(experiment: ExperimentView): Record<string, string> {
  const open = experiment.arms.filter((a) => a.weight > 0);
  const smallest = Math.min(...open.map((a) => a.weight));
  return Object.fromEntries(experiment.arms.map((a) => [a.key, a.weight > 0 ? String(Number((a.weight / smallest).toFixed(2))) : '0']));
}

function valuesFromBody(body: unknown, experiment: ExperimentView): AllocationFormValues {
  const raw = (body ?? {}) as Record<string, unknown>;
  return {
    weights: Object.fromEntries(experiment.arms.map((a) => [a.key, field(body, `weight-${a.key}`)])),
    addLevels: Object.fromEntries(experiment.factors.map((f) => [f.key, field(body, `add-${f.key}`)])),
    addName: field(body, 'addName'),
    addWeight: field(body, 'addWeight'),
    addInstructions: typeof raw.addInstructions === 'string' ? raw.addInstructions.trim() : null,
    addScript: typeof raw.addScript === 'string' ? raw.addScript.trim() : null,
    reason: field(body, 'reason'),
  };
}

/** Checks the form and builds the service's input; errors name the form's fields. */
function allocationInput(values: AllocationFormValues, experiment: ExperimentView): { input: AllocationInput | null; errors: PageError[]; adding: Record<string, string> | null } {
  const errors: PageError[] = [];
  const weights: Record<string, number> = {};
  for (const arm of experiment.arms) {
    const weight = Number(values.weights[arm.key] || 'NaN');
    if (!Number.isFinite(weight) || weight < 0 || weight > 1000) errors.push({ field: `weight-${arm.key}`, message: `Enter a weight of 0 or more for ${arm.name} (0 retires the arm)` });
    else weights[arm.key] = weight;
  }
  const chosen = experiment.factors.filter((f) => values.addLevels[f.key]);
  let adding: Record<string, string> | null = null;
  const addArms: AllocationInput['addArms'] = [];
  if (chosen.length > 0) {
    const first = experiment.factors.find((f) => !values.addLevels[f.key]);
    if (first) errors.push({ field: `add-${first.key}`, message: `Select a level of ${humanise(first.label ?? first.key)} for the new arm` });
    else {
      adding = values.addLevels;
      const key = experiment.factors.map((f) => adding![f.key]).join('-');
      const weight = Number(values.addWeight || '1');
      if (!Number.isFinite(weight) || weight <= 0 || weight > 1000) errors.push({ field: 'addWeight', message: 'Enter a weight above 0 for the new arm' });
      else weights[key] = weight;
      const template = instructionTemplate(adding);
      addArms.push({
        key,
        name: values.addName || undefined,
        levels: adding,
        instructions: values.addInstructions ?? template.instructions,
        script: values.addScript ?? template.script,
      });
    }
  }
  if (!values.reason) errors.push({ field: 'reason', message: 'Say why the allocation is changing' });
  else if (values.reason.length > 500) errors.push({ field: 'reason', message: 'Keep the reason to 500 characters' });
  if (errors.length) return { input: null, errors, adding };
  return { input: { weights, addArms, reason: values.reason }, errors: [], adding };
}

function mapAllocationErrors(errors: { field: string; message: string }[], experiment: ExperimentView): PageError[] {
  return errors.map((e) => ({
    field: e.field === 'weights' ? `weight-${experiment.arms[0].key}` : e.field.startsWith('addArms') ? `add-${experiment.factors[0].key}` : e.field,
    message: e.message,
  }));
}

function renderAllocationForm(req: Request, res: Response, experiment: ExperimentView, values: AllocationFormValues, errors: PageError[] = [], status?: number) {
  render(
    req,
    res,
    'experiments/allocation.njk',
    {
      pageTitle: 'Change the allocation',
      experiment,
      values,
      factors: experiment.factors.map((f) => ({
        key: f.key,
        label: capitalise(humanise(f.label ?? f.key)),
        items: [{ value: '', text: 'No new arm' }, ...f.levels.map((level) => ({ value: level, text: capitalise(humanise(level)), selected: values.addLevels[f.key] === level }))],
      })),
      errors,
      backLink: { href: `/experiments/${experiment.key}` },
    },
    status ?? (errors.length ? 400 : 200),
  );
}

export async function getAllocation(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (!steerable(experiment)) return res.redirect(303, `/experiments/${experiment.key}`);
  renderAllocationForm(req, res, experiment, { weights: currentRatio(experiment), addLevels: {}, addName: '', addWeight: '1', addInstructions: null, addScript: null, reason: '' });
}

/** "Review" shows the confirmation page; "Confirm" makes the change. */
export async function postAllocation(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (!steerable(experiment)) return res.redirect(303, `/experiments/${experiment.key}`);
  const values = valuesFromBody(req.body, experiment);
  const { input, errors, adding } = allocationInput(values, experiment);
  if (!input) return renderAllocationForm(req, res, experiment, values, errors);
  try {
    if (field(req.body, 'action') === 'confirm') {
      await services.experiments.changeAllocation(experiment.key, input, req.user!.id);
      await services.audit.record(req.user!.id, 'change-allocation', 'experiment', experiment.key);
      return res.redirect(303, `/experiments/${experiment.key}?changed=allocation`);
    }
    const plan = await services.experiments.planAllocation(experiment.key, input);
    const added = input.addArms[0];
    render(req, res, 'experiments/allocation-confirm.njk', {
      pageTitle: 'Change the allocation?',
      experiment,
      plan,
      values,
      hidden: [
        ...Object.entries(values.weights).map(([key, value]) => ({ name: `weight-${key}`, value })),
        ...(adding ? Object.entries(adding).map(([key, value]) => ({ name: `add-${key}`, value })) : []),
        ...(adding ? [{ name: 'addName', value: values.addName }, { name: 'addWeight', value: values.addWeight }] : []),
        { name: 'reason', value: values.reason },
      ],
      added: added ? { name: plan.arms.find((a) => a.added)!.name, instructions: added.instructions ?? '', script: added.script ?? '' } : null,
      retired: plan.arms.filter((a) => a.shareBefore > 0 && a.shareAfter === 0).map((a) => a.name),
      backLink: { href: `/experiments/${experiment.key}/allocation` },
    });
  } catch (error) {
    if (error instanceof HttpError && error.status < 500 && error.errors.length > 0)
      return renderAllocationForm(req, res, experiment, values, mapAllocationErrors(error.errors, experiment), error.status);
    throw error;
  }
}

function renderInstructions(req: Request, res: Response, experiment: ExperimentView, values: { instructions: Record<string, string>; scripts: Record<string, string>; reason: string }, errors: PageError[] = [], status?: number) {
  render(
    req,
    res,
    'experiments/instructions.njk',
    { pageTitle: 'Change what coaches are told', experiment, values, errors, backLink: { href: `/experiments/${experiment.key}` } },
    status ?? (errors.length ? 400 : 200),
  );
}

export async function getInstructions(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (experiment.status === 'draft') return res.redirect(303, `/experiments/${experiment.key}/edit#instructions`);
  if (!steerable(experiment)) return res.redirect(303, `/experiments/${experiment.key}`);
  const instructions: Record<string, string> = {};
  const scripts: Record<string, string> = {};
  for (const arm of experiment.arms) {
    const text = arm.instructions ?? instructionTemplate(arm.levels);
    instructions[arm.key] = text.instructions;
    scripts[arm.key] = text.script;
  }
  renderInstructions(req, res, experiment, { instructions, scripts, reason: '' });
}

export async function postInstructions(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (!steerable(experiment)) return res.redirect(303, `/experiments/${experiment.key}`);
  const raw = (req.body ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : '');
  const values = {
    instructions: Object.fromEntries(experiment.arms.map((a) => [a.key, text(`instructions-${a.key}`)])),
    scripts: Object.fromEntries(experiment.arms.map((a) => [a.key, text(`script-${a.key}`)])),
    reason: field(req.body, 'reason'),
  };
  try {
    const { changed } = await services.experiments.changeInstructions(
      experiment.key,
      experiment.arms.map((a) => ({ armKey: a.key, instructions: values.instructions[a.key], script: values.scripts[a.key] })),
      values.reason,
      req.user!.id,
    );
    if (changed.length === 0) return renderInstructions(req, res, experiment, values, [{ field: `instructions-${experiment.arms[0].key}`, message: 'Nothing has changed: change an arm’s instructions or script, or cancel' }]);
    await services.audit.record(req.user!.id, 'change-instructions', 'experiment', experiment.key);
    res.redirect(303, `/experiments/${experiment.key}?changed=instructions`);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500 && error.errors.length > 0) return renderInstructions(req, res, experiment, values, error.errors, error.status);
    throw error;
  }
}
