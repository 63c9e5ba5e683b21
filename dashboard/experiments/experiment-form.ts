import { CHARACTERISTICS, DECISION_RULES, SPENDING_FUNCTIONS, STAGES, type DecisionRule, type SpendingFunction, type StageKey } from '../../experiments/vocabulary.ts';
import { ALWAYS_GUARDRAILS, RANDOMISATION_UNITS } from '../../experiments/vocabulary.ts';
import { experimentInputSchema, type ExperimentInput } from '../../experiments/experiment/experiment-schema.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import type { FieldError } from '../../server/errors.ts';
import { field, fields, type PageError } from '../page-context.ts';
import { capitalise, humanise } from '../format.ts';
import { instructionTemplate } from '../contact/arm-instructions.ts';

/**
 * The "define an experiment" form: what the analyst typed (kept on every
 * re-render), how it becomes the API's ExperimentInput, and how the service's
 * field errors map back to the form's fields.
 */

export const FACTOR_SLOTS = 3;
export const ELIGIBILITY_KEYS = Object.keys(CHARACTERISTICS) as (keyof typeof CHARACTERISTICS)[];
export const STRATUM_KEYS = [...ELIGIBILITY_KEYS, 'caring', 'coachId', 'siteId'];
const MAX_STRATA = 3;

export interface ExperimentFormValues {
  name: string;
  key: string;
  hypothesis: string;
  journeyPhase: string;
  factors: { key: string; levels: string }[];
  /** Arm keys that were on the page when the form was sent (to tell "none ticked" from "not shown"). */
  armsShown: string;
  arms: string[];
  weights: Record<string, string>;
  /** What coaches are told for each arm, and its message script, by arm key (absent: not yet on the page). */
  instructions: Record<string, string>;
  scripts: Record<string, string>;
  controlArm: string;
  eligibility: Record<string, string[]>;
  caring: string;
  eligibilityAdvanced: string;
  primaryMetric: string;
  secondaryMetrics: string[];
  guardrailMetrics: string[];
  randomisation: string;
  /** 'person', 'coach' or 'site' (decision 0037). */
  randomisationUnit: string;
  strata: string[];
  plannedSampleSize: string;
  /** '' until the analyst chooses: then group-sequential with a planned size, else the confidence sequence. */
  decisionRule: string;
  alphaSpending: string;
  powerBaseline: string;
  powerUplift: string;
  powerIntake: string;
  /** Calculator, cluster-randomised designs only: the ICC and the people per coach or site. */
  powerIcc: string;
  powerClusterSize: string;
}

export interface ArmOption {
  key: string;
  name: string;
  levels: Record<string, string>;
}

/** Turns what people type into a slug: "Warm voluntary" → "warm_voluntary". */
export function toSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function splitLevels(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map(toSlug)
    .filter((level) => level !== '');
}

export function emptyFormValues(): ExperimentFormValues {
  return {
    name: '',
    key: '',
    hypothesis: '',
    journeyPhase: '',
    factors: Array.from({ length: FACTOR_SLOTS }, () => ({ key: '', levels: '' })),
    armsShown: '',
    arms: [],
    weights: {},
    instructions: {},
    scripts: {},
    controlArm: '',
    eligibility: {},
    caring: 'any',
    eligibilityAdvanced: '',
    primaryMetric: '',
    secondaryMetrics: [],
    guardrailMetrics: [],
    randomisation: 'hash',
    randomisationUnit: 'person',
    strata: [],
    plannedSampleSize: '',
    // New designs start on the recommended rule; saving without a planned size asks for one.
    decisionRule: 'group_sequential',
    alphaSpending: 'obf',
    powerBaseline: '',
    powerUplift: '',
    powerIntake: '',
    powerIcc: '',
    powerClusterSize: '',
  };
}

export function formValuesFromBody(body: unknown): ExperimentFormValues {
  const values = emptyFormValues();
  for (const name of ['name', 'key', 'hypothesis', 'journeyPhase', 'armsShown', 'controlArm', 'caring', 'primaryMetric', 'randomisation', 'plannedSampleSize', 'decisionRule', 'alphaSpending', 'powerBaseline', 'powerUplift', 'powerIntake'] as const)
    values[name] = field(body, name);
  values.hypothesis = String((body as Record<string, unknown>)?.hypothesis ?? '').trim();
  values.eligibilityAdvanced = String((body as Record<string, unknown>)?.eligibilityAdvanced ?? '').trim();
  values.caring ||= 'any';
  values.randomisation ||= 'hash';
  for (const name of ['randomisationUnit', 'powerIcc', 'powerClusterSize'] as const) values[name] = field(body, name);
  values.randomisationUnit ||= 'person';
  values.alphaSpending ||= 'obf';
  values.factors = Array.from({ length: FACTOR_SLOTS }, (_, i) => ({ key: field(body, `factor${i + 1}Key`), levels: field(body, `factor${i + 1}Levels`) }));
  values.arms = fields(body, 'arms');
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>))
  {
    const text = String(Array.isArray(value) ? value[0] : value);
    if (name.startsWith('weight-')) values.weights[name.slice('weight-'.length)] = text.trim();
    if (name.startsWith('instructions-')) values.instructions[name.slice('instructions-'.length)] = text.trim();
    if (name.startsWith('script-')) values.scripts[name.slice('script-'.length)] = text.trim();
  }
  for (const key of ELIGIBILITY_KEYS) values.eligibility[key] = fields(body, `eligibility-${key}`);
  values.secondaryMetrics = fields(body, 'secondaryMetrics');
  values.guardrailMetrics = fields(body, 'guardrailMetrics');
  values.strata = fields(body, 'strata');
  return values;
}

/** The form filled in from a saved (draft or locked) experiment. */
export function formValuesFromExperiment(experiment: ExperimentView): ExperimentFormValues {
  const values = emptyFormValues();
  values.name = experiment.name;
  values.key = experiment.key;
  values.hypothesis = experiment.hypothesis;
  values.journeyPhase = String(experiment.journeyPhase);
  experiment.factors.slice(0, FACTOR_SLOTS).forEach((factor, i) => (values.factors[i] = { key: factor.key, levels: factor.levels.join(', ') }));
  const options = armOptions(values);
  values.armsShown = options.map((a) => a.key).join(' ');
  values.arms = experiment.arms.map((a) => a.key);
  const total = experiment.arms.reduce((sum, a) => sum + a.weight, 0) || 1;
  const smallest = Math.min(...experiment.arms.filter((a) => a.weight > 0).map((a) => a.weight / total));
  for (const arm of experiment.arms) {
    values.weights[arm.key] = String(Number(((arm.weight / total) / smallest).toFixed(2)));
    if (arm.instructions) {
      values.instructions[arm.key] = arm.instructions.instructions;
      values.scripts[arm.key] = arm.instructions.script;
    }
  }
  values.controlArm = experiment.arms.find((a) => a.isControl)?.key ?? '';
  const structured = structuredEligibility(experiment.eligibility);
  if (structured) {
    values.eligibility = structured.eligibility;
    values.caring = structured.caring;
  } else {
    values.eligibilityAdvanced = JSON.stringify(experiment.eligibility, null, 2);
  }
  values.primaryMetric = experiment.primaryMetric;
  values.secondaryMetrics = experiment.secondaryMetrics;
  values.guardrailMetrics = experiment.guardrailMetrics.filter((m) => !ALWAYS_GUARDRAILS.includes(m));
  values.randomisation = experiment.randomisation;
  values.randomisationUnit = experiment.randomisationUnit;
  values.strata = experiment.strata;
  values.plannedSampleSize = experiment.plannedSampleSize ? String(experiment.plannedSampleSize) : '';
  values.decisionRule = experiment.decisionRule;
  values.alphaSpending = experiment.alphaSpending;
  return values;
}

/** A condition made only of `{ characteristic: { $in: [...] } }` and `caring: true|false`, as the form writes it. */
function structuredEligibility(condition: Record<string, unknown>): { eligibility: Record<string, string[]>; caring: string } | null {
  const eligibility: Record<string, string[]> = {};
  let caring = 'any';
  for (const [key, value] of Object.entries(condition)) {
    if (key === 'caring' && typeof value === 'boolean') caring = value ? 'yes' : 'no';
    else if ((ELIGIBILITY_KEYS as string[]).includes(key) && value && typeof value === 'object' && Array.isArray((value as { $in?: unknown }).$in) && Object.keys(value).length === 1)
      eligibility[key] = ((value as { $in: unknown[] }).$in).map(String);
    else return null;
  }
  return { eligibility, caring };
}

/**
 * The rule the experiment will be judged by: the one chosen, or, when none is,
 * group-sequential if a planned size is entered and open-ended monitoring if
 * not (as the API defaults). Null for a value that is not a rule.
 */
export function effectiveDecisionRule(values: Pick<ExperimentFormValues, 'decisionRule' | 'plannedSampleSize'>): DecisionRule | null {
  if (values.decisionRule === '') return values.plannedSampleSize ? 'group_sequential' : 'confidence_sequence';
  return (DECISION_RULES as readonly string[]).includes(values.decisionRule) ? (values.decisionRule as DecisionRule) : null;
}

/** The spending shape chosen, O'Brien–Fleming-like unless Pocock-like is. */
export function chosenSpending(values: Pick<ExperimentFormValues, 'alphaSpending'>): SpendingFunction {
  return values.alphaSpending === 'pocock' ? 'pocock' : 'obf';
}

/** The factors as typed, cleaned; blank slots dropped. */
function parsedFactors(values: ExperimentFormValues) {
  return values.factors
    .map((factor, index) => ({ index, key: toSlug(factor.key), levels: splitLevels(factor.levels), rawKey: factor.key, rawLevels: factor.levels }))
    .filter((factor) => factor.rawKey !== '' || factor.rawLevels !== '');
}

/** Every combination of the factors' levels: the full factorial the arms are chosen from. */
export function armOptions(values: ExperimentFormValues): ArmOption[] {
  const factors = parsedFactors(values).filter((f) => f.key && f.levels.length >= 2);
  if (factors.length === 0) return [];
  const combos = factors.reduce<Record<string, string>[]>(
    (all, factor) => all.flatMap((combo) => factor.levels.map((level) => ({ ...combo, [factor.key]: level }))),
    [{}],
  );
  if (combos.length > 24) return [];
  return combos.map((levels) => ({
    key: factors.map((f) => levels[f.key]).join('-'),
    name: capitalise(factors.map((f) => humanise(levels[f.key])).join(', ')),
    levels,
  }));
}

/** When the arms on the page no longer match the factors, start again from the full factorial. */
export function withArmDefaults(values: ExperimentFormValues): ExperimentFormValues {
  const options = armOptions(values);
  const shown = options.map((a) => a.key).join(' ');
  // Arms new to the page start from the built-in text, for the analyst to rewrite.
  const instructions = { ...values.instructions };
  const scripts = { ...values.scripts };
  for (const arm of options) {
    if (instructions[arm.key] === undefined) {
      const template = instructionTemplate(arm.levels);
      instructions[arm.key] = template.instructions;
      scripts[arm.key] ??= template.script;
    }
    scripts[arm.key] ??= '';
  }
  values = { ...values, instructions, scripts };
  if (values.armsShown === shown && shown !== '') return values;
  const control = options.some((a) => a.key === values.controlArm) ? values.controlArm : (options[0]?.key ?? '');
  return {
    ...values,
    armsShown: shown,
    arms: options.map((a) => a.key),
    weights: Object.fromEntries(options.map((a) => [a.key, values.weights[a.key] || '1'])),
    controlArm: control,
  };
}

/** Checks the form and builds the API input; errors name the form's field ids. */
export function experimentInputFromForm(values: ExperimentFormValues, options: { fixedKey?: string } = {}): { input: ExperimentInput | null; errors: PageError[] } {
  const errors: PageError[] = [];
  const key = options.fixedKey ?? (values.key ? values.key.trim() : toSlug(values.name).replace(/_/g, '-').slice(0, 63));
  if (!values.name) errors.push({ field: 'name', message: 'Enter a name for the experiment' });
  if (!options.fixedKey && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(key))
    errors.push({ field: 'key', message: 'Enter a short key of lower-case letters, digits and hyphens, for example channel-tone' });
  if (!values.hypothesis) errors.push({ field: 'hypothesis', message: 'Enter the hypothesis: what you expect to change, and why' });
  if (!['1', '2', '3'].includes(values.journeyPhase)) errors.push({ field: 'journeyPhase', message: 'Select the journey phase the experiment tests' });

  const factors = parsedFactors(values);
  if (factors.length === 0) errors.push({ field: 'factor1Key', message: 'Enter at least one factor and its levels, for example channel: letter, text' });
  for (const factor of factors) {
    const n = factor.index + 1;
    if (!factor.key) errors.push({ field: `factor${n}Key`, message: `Enter a name for factor ${n}` });
    if (factor.levels.length < 2) errors.push({ field: `factor${n}Levels`, message: `Enter at least two levels for factor ${n}, separated by commas` });
    else if (new Set(factor.levels).size !== factor.levels.length) errors.push({ field: `factor${n}Levels`, message: `Enter each level of factor ${n} once` });
  }
  const factorKeys = factors.map((f) => f.key).filter(Boolean);
  if (new Set(factorKeys).size !== factorKeys.length) errors.push({ field: 'factor1Key', message: 'Give each factor a different name' });

  const arms = armOptions(values);
  const shown = arms.map((a) => a.key).join(' ');
  if (factors.length > 0 && arms.length === 0 && errors.length === 0)
    errors.push({ field: 'factor1Key', message: 'The factors make more than 24 combinations: use fewer factors or levels' });
  let chosen = arms;
  let controlArm = arms[0]?.key ?? '';
  const weights: Record<string, number> = {};
  if (arms.length > 0 && values.armsShown !== '' && values.armsShown !== shown) {
    errors.push({ field: 'arms', message: 'The factors changed: check the arms, weights and control, then save' });
  } else if (arms.length > 0 && values.armsShown === shown) {
    chosen = arms.filter((a) => values.arms.includes(a.key));
    controlArm = values.controlArm;
    if (chosen.length < 2) errors.push({ field: 'arms', message: 'Select at least two arms' });
    if (!chosen.some((a) => a.key === controlArm)) errors.push({ field: 'controlArm', message: 'Select a control arm from the arms you included' });
    for (const arm of chosen) {
      const weight = Number(values.weights[arm.key] || '1');
      if (!Number.isFinite(weight) || weight <= 0) errors.push({ field: `weight-${arm.key}`, message: `Enter a weight above 0 for ${arm.name}` });
      weights[arm.key] = weight;
    }
    for (const arm of chosen) {
      if (values.instructions[arm.key] === '') errors.push({ field: `instructions-${arm.key}`, message: `Enter what the coach should do for ${arm.name}` });
      else if ((values.instructions[arm.key] ?? '').length > 4000 || (values.scripts[arm.key] ?? '').length > 4000)
        errors.push({ field: `instructions-${arm.key}`, message: `Keep the instructions and script for ${arm.name} to 4,000 characters each` });
    }
  }

  let eligibility: Record<string, unknown> = {};
  const structured: Record<string, unknown> = {};
  for (const characteristic of ELIGIBILITY_KEYS) {
    const selected = values.eligibility[characteristic] ?? [];
    const all = CHARACTERISTICS[characteristic] as readonly string[];
    if (selected.some((s) => !all.includes(s))) errors.push({ field: `eligibility-${characteristic}`, message: `Select ${humanise(characteristic)} from the list` });
    if (selected.length > 0 && selected.length < all.length) structured[characteristic] = { $in: selected };
  }
  if (values.caring === 'yes') structured.caring = true;
  if (values.caring === 'no') structured.caring = false;
  if (values.eligibilityAdvanced) {
    if (Object.keys(structured).length > 0) errors.push({ field: 'eligibilityAdvanced', message: 'Use either the choices or the advanced condition for eligibility, not both' });
    try {
      const parsed = JSON.parse(values.eligibilityAdvanced) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      eligibility = parsed as Record<string, unknown>;
    } catch {
      errors.push({ field: 'eligibilityAdvanced', message: 'Enter the advanced condition as a JSON object, for example {"ageBand": {"$in": ["25-34"]}}' });
    }
  } else {
    eligibility = structured;
  }

  const stageKeys = STAGES.map((s) => s.key as string);
  if (!stageKeys.includes(values.primaryMetric)) errors.push({ field: 'primaryMetric', message: 'Select a primary metric' });
  if (values.secondaryMetrics.includes(values.primaryMetric))
    errors.push({ field: 'secondaryMetrics', message: 'Do not select the primary metric as a secondary metric too' });
  if (!['hash', 'blocks'].includes(values.randomisation)) errors.push({ field: 'randomisation', message: 'Select how people are randomised' });
  if (!(RANDOMISATION_UNITS as readonly string[]).includes(values.randomisationUnit))
    errors.push({ field: 'randomisationUnit', message: 'Select whether people, coaches or sites are randomised' });
  if (values.randomisation === 'blocks' && values.strata.length > MAX_STRATA)
    errors.push({ field: 'strata', message: `Select up to ${MAX_STRATA} characteristics to stratify by` });
  let plannedSampleSize: number | undefined;
  if (values.plannedSampleSize) {
    plannedSampleSize = Number(values.plannedSampleSize.replace(/,/g, ''));
    if (!Number.isInteger(plannedSampleSize) || plannedSampleSize <= 0)
      errors.push({ field: 'plannedSampleSize', message: 'Enter the planned sample size as a whole number of people, for example 800' });
  }
  const decisionRule = effectiveDecisionRule(values);
  if (!decisionRule) errors.push({ field: 'decisionRule', message: 'Select how the experiment will be decided' });
  else if (decisionRule === 'group_sequential') {
    if (!(SPENDING_FUNCTIONS as readonly string[]).includes(values.alphaSpending))
      errors.push({ field: 'alphaSpending', message: 'Select how strict the early weekly looks are' });
    if (!values.plannedSampleSize) errors.push({ field: 'plannedSampleSize', message: 'Enter a planned sample size, or choose open-ended monitoring' });
  }
  if (errors.length) return { input: null, errors };

  const candidate = {
    key,
    name: values.name,
    hypothesis: values.hypothesis,
    journeyPhase: Number(values.journeyPhase),
    factors: factors.map((f) => ({ key: f.key, levels: f.levels })),
    arms: chosen.map((arm) => {
      const template = values.instructions[arm.key] === undefined ? instructionTemplate(arm.levels) : null;
      return {
        key: arm.key,
        name: arm.name,
        levels: arm.levels,
        control: arm.key === controlArm,
        weight: weights[arm.key] ?? 1,
        instructions: template ? template.instructions : values.instructions[arm.key],
        script: template ? template.script : (values.scripts[arm.key] ?? ''),
      };
    }),
    eligibility,
    primaryMetric: values.primaryMetric,
    secondaryMetrics: values.secondaryMetrics,
    guardrailMetrics: values.guardrailMetrics.filter((m) => !ALWAYS_GUARDRAILS.includes(m as StageKey)),
    plannedSampleSize,
    decisionRule,
    ...(decisionRule === 'group_sequential' ? { alphaSpending: values.alphaSpending as SpendingFunction } : {}),
    randomisation: values.randomisation,
    randomisationUnit: values.randomisationUnit,
    strata: values.randomisation === 'blocks' ? values.strata : [],
  };
  const parsed = experimentInputSchema.safeParse(candidate);
  if (!parsed.success)
    return { input: null, errors: mapServiceErrors(parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })), arms.length > 0) };
  return { input: parsed.data, errors: [] };
}

/** Maps the service's field names (`factors.0.levels`, `arms`) to the form's field ids. */
export function mapServiceErrors(errors: FieldError[], armsShown: boolean): PageError[] {
  return errors.map((error) => {
    const [head, index, rest] = error.field.split('.');
    let field = head;
    if (head === 'factors') field = index === undefined ? 'factor1Key' : `factor${Number(index) + 1}${rest === 'key' ? 'Key' : 'Levels'}`;
    else if (head === 'arms' || head === 'controlArm') field = armsShown ? head : 'factor1Key';
    else if (head === 'eligibility') field = 'eligibilityAdvanced';
    else if (head.startsWith('instructions-') || head === 'reason') field = head;
    else if (!['name', 'key', 'hypothesis', 'journeyPhase', 'primaryMetric', 'secondaryMetrics', 'guardrailMetrics', 'randomisation', 'randomisationUnit', 'strata', 'plannedSampleSize', 'decisionRule', 'alphaSpending'].includes(head))
      field = 'name';
    return { field, message: error.message };
  });
}
