import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import { CHARACTERISTICS, STAGES, ALWAYS_GUARDRAILS } from '../../experiments/vocabulary.ts';
import { metricByKey } from '../../experiments/metrics.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { humanise } from '../format.ts';
import {
  armOptions,
  chosenSpending,
  effectiveDecisionRule,
  ELIGIBILITY_KEYS,
  emptyFormValues,
  experimentInputFromForm,
  formValuesFromBody,
  formValuesFromExperiment,
  mapServiceErrors,
  STRATUM_KEYS,
  withArmDefaults,
  type ExperimentFormValues,
} from './experiment-form.ts';
import { calculatePower, currentWeeklyIntake, type PowerResult } from './power-calculator.ts';
import { clusterPlan, clusterPowerInput, DEFAULT_ICC, withClusterDesignEffect } from './cluster-design-plan.ts';

/** Choices the form offers, from the shared vocabulary. */
function formChoices() {
  return {
    metrics: STAGES.map((s) => ({ value: s.key, text: s.label, hint: metricByKey.get(s.key)?.kind === 'numeric' ? 'a score' : undefined })),
    eligibilityOptions: ELIGIBILITY_KEYS.map((key) => ({
      key,
      label: humanise(key),
      values: (CHARACTERISTICS[key] as readonly string[]).map((v) => ({ value: v, text: humanise(v) })),
    })),
    strataOptions: STRATUM_KEYS.map((key) => ({ value: key, text: humanise(key) })),
    alwaysGuardrails: ALWAYS_GUARDRAILS.map((key) => humanise(key).toLowerCase()),
  };
}

function weightShares(values: ExperimentFormValues): number[] {
  const chosen = armOptions(values).filter((a) => values.arms.includes(a.key));
  // A weight that is not a positive finite number counts as 1 here; saving reports it.
  const weights = chosen.map((a) => {
    const weight = Number(values.weights[a.key] || '1');
    return Number.isFinite(weight) && weight > 0 && weight < 1e6 ? weight : 1;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

async function renderForm(
  req: Request,
  res: Response,
  options: { values: ExperimentFormValues; mode: 'new' | 'edit'; errors?: PageError[]; power?: PowerResult | null; status?: number },
): Promise<void> {
  const values = withArmDefaults(options.values);
  const key = String(req.params.key ?? '');
  const clusters = await clusterPlan(dashboardContext(res).services.db, values.randomisationUnit as never, weightShares(values));
  render(
    req,
    res,
    'experiments/design.njk',
    {
      pageTitle: options.mode === 'new' ? 'Define an experiment' : 'Change the design',
      mode: options.mode,
      action: options.mode === 'new' ? '/experiments/new' : `/experiments/${key}/edit`,
      backLink: { href: options.mode === 'new' ? '/experiments' : `/experiments/${key}` },
      values,
      decisionRule: effectiveDecisionRule(values),
      armOptions: armOptions(values),
      power: options.power ?? null,
      // Cluster-randomised designs (decision 0037): the clusters there are, and the calculator's defaults.
      clusterPlan: clusters,
      clusterDefaults: clusters ? { icc: String(DEFAULT_ICC), clusterSize: clusters.meanClusterSize ? String(Math.round(clusters.meanClusterSize)) : '' } : null,
      errors: options.errors ?? [],
      ...formChoices(),
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

async function withIntake(req: Request, res: Response, values: ExperimentFormValues): Promise<ExperimentFormValues> {
  if (values.powerIntake) return values;
  const { services } = dashboardContext(res);
  const intake = await currentWeeklyIntake(services.db, services.clock.now());
  return intake ? { ...values, powerIntake: String(intake) } : values;
}

/**
 * One POST handles the three buttons: "Update arms" and "Calculate" re-render
 * the form (so both work without JavaScript); "Save" validates and saves.
 */
function handlePost(mode: 'new' | 'edit') {
  return async (req: Request, res: Response) => {
    const { services } = dashboardContext(res);
    const user = req.user!;
    const action = field(req.body, 'action');
    let values = formValuesFromBody(req.body);
    const fixedKey = mode === 'edit' ? String(req.params.key) : undefined;
    if (fixedKey) {
      const existing = await services.experiments.get(fixedKey);
      if (existing.status !== 'draft') return res.redirect(303, `/experiments/${fixedKey}`);
      values.key = fixedKey;
    }

    if (action === 'arms') return renderForm(req, res, { values, mode });
    if (action === 'calculate') {
      // Before a rule is chosen the calculator plans weekly looks: it fills in a planned size, which makes that the default.
      const rule = effectiveDecisionRule({ ...values, plannedSampleSize: values.plannedSampleSize || 'to be filled in' }) ?? 'group_sequential';
      const { result, errors } = calculatePower(
        {
          baseline: values.powerBaseline,
          uplift: values.powerUplift,
          intake: values.powerIntake,
          plannedSampleSize: values.plannedSampleSize,
          decisionRule: rule,
          spending: chosenSpending(values),
        },
        weightShares(withArmDefaults(values)),
      );
      let power: PowerResult | null = result;
      const clusters = await clusterPlan(services.db, values.randomisationUnit as never, weightShares(withArmDefaults(values)));
      if (clusters) {
        // People needed for a cluster-randomised design: multiplied by the design effect 1 + (m − 1)·ICC.
        const cluster = clusterPowerInput(values, clusters);
        errors.push(...cluster.errors);
        power = result && cluster.errors.length === 0 ? withClusterDesignEffect(result, { unit: clusters.unit, icc: cluster.icc, clusterSize: cluster.clusterSize }) : null;
        if (cluster.errors.length === 0) values = { ...values, powerIcc: String(cluster.icc), powerClusterSize: String(cluster.clusterSize) };
      }
      if (power && !values.plannedSampleSize) values = { ...values, plannedSampleSize: String(power.total) };
      return renderForm(req, res, { values, mode, errors, power });
    }

    const { input, errors } = experimentInputFromForm(values, { fixedKey });
    if (!input) return renderForm(req, res, { values, mode, errors });
    try {
      const saved = mode === 'new' ? await services.experiments.create(input, user.id) : await services.experiments.updateDraft(fixedKey!, input, user.id);
      await services.audit.record(user.id, mode === 'new' ? 'create' : 'update', 'experiment', saved.key);
      res.redirect(303, `/experiments/${saved.key}?saved=1`);
    } catch (error) {
      if (error instanceof HttpError && error.status < 500 && error.errors.length > 0)
        return renderForm(req, res, { values, mode, errors: mapServiceErrors(error.errors, armOptions(values).length > 0), status: error.status });
      throw error;
    }
  };
}

export async function getNew(req: Request, res: Response): Promise<void> {
  await renderForm(req, res, { values: await withIntake(req, res, emptyFormValues()), mode: 'new' });
}

export const postNew = handlePost('new');

export async function getEdit(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  if (experiment.status !== 'draft') return res.redirect(303, `/experiments/${experiment.key}`);
  await renderForm(req, res, { values: await withIntake(req, res, formValuesFromExperiment(experiment)), mode: 'edit' });
}

export const postEdit = handlePost('edit');
