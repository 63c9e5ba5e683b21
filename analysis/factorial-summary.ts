/**
 * A factorial experiment read interaction first: the cell rates, then whether
 * the factors' effects depend on one another, then the main effects, flagged
 * as misleading on their own when the interaction is clear. A main effect
 * averages a factor's effect over the other factor's levels; when the effect
 * is large at one level and absent at another, that average describes neither.
 */
import type { Interval } from './types.ts';
import { differenceOfDifferences } from './difference-of-differences.ts';
import {
  factorialLikelihoodRatio,
  factorialMainEffects,
  type FactorialArmStats,
  type FactorMainEffect,
} from './factorial.ts';
import { wilsonInterval } from './wilson-interval.ts';
import { assertOpenUnitInterval } from './validate-input.ts';

/** One arm (one combination of levels) with its rate and Wilson interval. */
export interface FactorialCell {
  arm: string;
  levels: Record<string, string>;
  n: number;
  successes: number;
  rate: number;
  ci: Interval;
}

export interface FactorialInteraction {
  /** The factors whose interaction was tested, in the design's order. */
  factors: string[];
  /** 2 × 2: the difference of differences on the rate scale; larger designs: null (several terms). */
  estimate: number | null;
  ci: Interval | null;
  pValue: number | null;
  /** `hc2-t`: linear probability model with HC2 errors (2 × 2); `likelihood-ratio`: logistic, all interaction terms. */
  test: 'hc2-t' | 'likelihood-ratio';
  /** t (hc2-t) or chi-square (likelihood-ratio); null when it cannot be computed. */
  statistic: number | null;
  df: number;
  /** p below the threshold (0.05): the main effects on their own would mislead. */
  clear: boolean;
  /** One plain-English sentence on what the interaction means. */
  reading: string;
}

export interface FactorialMainEffectRead extends FactorMainEffect {
  /** True when the interaction is clear, so this average over the other factors misleads on its own. */
  misleading: boolean;
}

export interface FactorialSummary {
  cells: FactorialCell[];
  interaction: FactorialInteraction | null;
  factors: FactorialMainEffectRead[];
}

export interface FactorialSummaryOptions {
  /** Reference (control) level of every factor. */
  reference: Record<string, string>;
  /** The design's factors in order; default: order of first appearance in the arms' levels. */
  factors?: string[];
  confidence?: number;
  /** p below which the interaction counts as clear; default 0.05. */
  clearBelow?: number;
  /** Words for a factor or level code in the reading; default: underscores to spaces. */
  label?: (code: string) => string;
}

const defaultLabel = (code: string) => code.replace(/_/g, ' ');

/** "+17.8 points", "−3.1 points": the same form as the results page. */
function points(value: number): string {
  const rounded = Math.abs(value * 100).toFixed(1);
  const sign = rounded === '0.0' ? '' : value > 0 ? '+' : '−';
  return `${sign}${rounded} points`;
}

function listInWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function levelsInOrder(arms: FactorialArmStats[], factor: string, reference: string): string[] {
  const levels = [reference];
  for (const arm of arms) if (!levels.includes(arm.levels[factor])) levels.push(arm.levels[factor]);
  return levels;
}

function pooledRate(arms: FactorialArmStats[], levels: Record<string, string>): number {
  let n = 0;
  let successes = 0;
  for (const arm of arms) {
    if (Object.entries(levels).every(([factor, level]) => arm.levels[factor] === level)) {
      n += arm.n;
      successes += arm.successes;
    }
  }
  return successes / n;
}

/**
 * The reading of a two-factor interaction: the effect of the two-level factor
 * (`effectOf`, the second factor when it has two levels) at each level of the
 * other, so a reader sees where it helped and where it did not.
 */
function twoFactorReading(
  arms: FactorialArmStats[],
  factors: [string, string],
  reference: Record<string, string>,
  clear: boolean,
  testable: boolean,
  label: (code: string) => string,
): string {
  const [first, second] = factors;
  const secondLevels = levelsInOrder(arms, second, reference[second]);
  const firstLevels = levelsInOrder(arms, first, reference[first]);
  const [effectOf, across, effectLevels, acrossLevels] =
    secondLevels.length === 2 || firstLevels.length !== 2
      ? [second, first, secondLevels, firstLevels]
      : [first, second, firstLevels, secondLevels];
  const dependence = `the effect of ${label(effectOf)} depends on the ${label(across)}`;
  if (!testable) {
    return `Cannot yet tell whether ${dependence}: a cell has fewer than two people, or every cell is at 0% or 100%. Read the main effects below with care.`;
  }
  if (!clear) {
    return `No clear sign that ${dependence}; the main effects below average over the other factor.`;
  }
  if (effectLevels.length !== 2) {
    return `${capitalise(dependence)}: the combinations do not simply add up, so read the cell rates above rather than the main effects on their own.`;
  }
  const [base, changed] = effectLevels;
  const simpleEffects = [...acrossLevels.slice(1), acrossLevels[0]].map((level) => {
    const effect = pooledRate(arms, { [across]: level, [effectOf]: changed }) - pooledRate(arms, { [across]: level, [effectOf]: base });
    return { level, effect };
  });
  const phrases = simpleEffects.map(({ level, effect }, i) =>
    i === 0 ? `${points(effect)} when the ${label(across)} was ${label(level)}` : `by ${points(effect)} when it was ${label(level)}`,
  );
  return `${capitalise(dependence)}: ${label(changed)} rather than ${label(base)} changed the rate by ${listInWords(phrases)}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Reads a factorial experiment on a binary metric interaction first.
 *
 * - `cells`: every arm's rate with its Wilson score interval.
 * - `interaction`: for a 2 × 2 design, the difference of differences on the
 *   rate scale (the interaction coefficient of the linear probability model
 *   y ~ A * B) with its HC2 robust interval and t-test, as
 *   `differenceOfDifferences`; for any larger design (more levels or more
 *   factors), the likelihood-ratio test of all interaction terms at once from
 *   binomial logistic regression, as `factorialLikelihoodRatio`, which has no
 *   single estimate. Null when the design has fewer than two factors with two
 *   or more levels. `clear` when p < `clearBelow` (0.05). `reading` says in
 *   plain English whether the effect of one factor depends on the other, with
 *   the effect at each level when it does (two factors).
 * - `factors`: each factor's main effect (`factorialMainEffects`), with
 *   `misleading: true` when the interaction is clear.
 *
 * These are fixed-horizon tests for one look at the data.
 *
 * Sources: Montgomery, Design and Analysis of Experiments, ch. 5 (interpret
 * main effects only when the interaction is negligible); see
 * `differenceOfDifferences` and `factorialLikelihoodRatio` for the tests.
 * References: R `estimatr::lm_robust(y ~ a * b, se_type = "HC2")` (2 × 2) and
 * `anova(glm(cbind(s, n - s) ~ a + b, binomial), glm(cbind(s, n - s) ~ a * b, binomial), test = "LRT")`.
 *
 * @example
 * factorialSummary(
 *   [
 *     { arm: 'letter-standard', levels: { channel: 'letter', tone: 'standard' }, n: 120, successes: 24 },
 *     { arm: 'letter-warm', levels: { channel: 'letter', tone: 'warm' }, n: 118, successes: 22 },
 *     { arm: 'text-standard', levels: { channel: 'text', tone: 'standard' }, n: 121, successes: 25 },
 *     { arm: 'text-warm', levels: { channel: 'text', tone: 'warm' }, n: 119, successes: 46 },
 *   ],
 *   { reference: { channel: 'letter', tone: 'standard' } },
 * ).interaction;
 * // { estimate: 0.1935, ci: [0.04109, 0.34592], pValue: 0.01295, test: 'hc2-t', clear: true,
 * //   reading: 'The effect of tone depends on the channel: warm rather than standard changed the rate
 * //   by +18.0 points when the channel was text and by −1.4 points when it was letter.', … }
 */
export function factorialSummary(arms: FactorialArmStats[], options: FactorialSummaryOptions): FactorialSummary {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const clearBelow = options.clearBelow ?? 0.05;
  assertOpenUnitInterval(clearBelow, 'clearBelow');
  const label = options.label ?? defaultLabel;
  // Main effects validate the arms, the levels and the references.
  const mainEffects = factorialMainEffects(arms, { reference: options.reference, confidence });
  const designFactors = options.factors ?? mainEffects.factors.map((effect) => effect.factor);
  const reference = options.reference;

  const cells = arms.map((arm) => ({
    arm: arm.arm,
    levels: { ...arm.levels },
    n: arm.n,
    successes: arm.successes,
    rate: arm.successes / arm.n,
    ci: wilsonInterval(arm.successes, arm.n, confidence),
  }));

  const varying = designFactors.filter((factor) => levelsInOrder(arms, factor, reference[factor]).length > 1);
  let interaction: FactorialInteraction | null = null;
  if (varying.length === 2 && varying.every((factor) => levelsInOrder(arms, factor, reference[factor]).length === 2)) {
    const [first, second] = varying as [string, string];
    const [a0, a1] = levelsInOrder(arms, first, reference[first]);
    const [b0, b1] = levelsInOrder(arms, second, reference[second]);
    const cell = (a: string, b: string) => {
      let n = 0;
      let successes = 0;
      for (const arm of arms) {
        if (arm.levels[first] === a && arm.levels[second] === b) {
          n += arm.n;
          successes += arm.successes;
        }
      }
      return { n, successes };
    };
    const result = differenceOfDifferences(
      { neither: cell(a0, b0), firstOnly: cell(a1, b0), secondOnly: cell(a0, b1), both: cell(a1, b1) },
      confidence,
    );
    const clear = result.pValue !== null && result.pValue < clearBelow;
    interaction = {
      factors: [first, second],
      estimate: result.estimate,
      ci: result.interval,
      pValue: result.pValue,
      test: 'hc2-t',
      statistic: result.t,
      df: result.df,
      clear,
      reading: twoFactorReading(arms, [first, second], reference, clear, result.pValue !== null, label),
    };
  } else if (varying.length >= 2) {
    const result = factorialLikelihoodRatio(arms, { factors: varying, reference });
    const clear = result.pValue < clearBelow;
    interaction = {
      factors: varying,
      estimate: null,
      ci: null,
      pValue: result.pValue,
      test: 'likelihood-ratio',
      statistic: result.statistic,
      df: result.df,
      clear,
      reading:
        varying.length === 2
          ? twoFactorReading(arms, varying as [string, string], reference, clear, true, label)
          : clear
            ? `The effects of the ${listInWords(varying.map(label))} depend on one another: the combinations do not simply add up, so read the cell rates above rather than the main effects on their own.`
            : `No clear sign that the effects of the ${listInWords(varying.map(label))} depend on one another; the main effects below average over the other factors.`,
    };
  }

  const misleading = interaction?.clear ?? false;
  const byFactor = new Map(mainEffects.factors.map((effect) => [effect.factor, effect]));
  const ordered = [
    ...designFactors.filter((factor) => byFactor.has(factor)),
    ...mainEffects.factors.map((effect) => effect.factor).filter((factor) => !designFactors.includes(factor)),
  ];
  return {
    cells,
    interaction,
    factors: ordered.map((factor) => ({ ...(byFactor.get(factor) as FactorMainEffect), misleading })),
  };
}
