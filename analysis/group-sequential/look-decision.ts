import type { Interval } from '../types.ts';
import type { SpendingFunctionName } from './alpha-spending.ts';
import { groupSequentialBoundaries, type GroupSequentialLook } from './group-sequential-boundaries.ts';

/** Either the information fractions of every look so far (this one last), or their boundaries already computed. */
export type LookSchedule =
  | { informationFractions: readonly number[]; alpha?: number; spending?: SpendingFunctionName; boundaries?: never }
  | {
      boundaries: readonly GroupSequentialLook[];
      /** α the boundaries were computed with; only `stageWiseInference` reads it (its interval level), default 0.05. */
      alpha?: number;
      informationFractions?: never;
      spending?: never;
    };

export type LookDecisionOptions = LookSchedule & {
  /**
   * The difference interval at a given confidence level, e.g.
   * `(confidence) => newcombeDifferenceInterval(arm, control, confidence).interval`.
   * Any interval method can be plugged in; the rule only sets its level.
   */
  intervalAt: (confidence: number) => Interval;
  /**
   * A two-sided p-value from a test that matches the interval (e.g. a score test);
   * when given, the boundary is crossed when it is at most the nominal α of this look.
   */
  pValueToCompare?: number;
  /** The point estimate; gives the direction when `pValueToCompare` decides the crossing (default: the interval's midpoint). */
  estimate?: number;
};

export interface LookDecision {
  /** Which look this is (1 = first). */
  look: number;
  informationFraction: number;
  zBoundary: number;
  /** Two-sided α spent by this look, cumulative. */
  alphaSpent: number;
  /** Nominal two-sided α of this look, 2(1 − Φ(zBoundary)). */
  nominalAlpha: number;
  /** The level of the repeated confidence interval, 1 − nominalAlpha. */
  confidence: number;
  /** The repeated confidence interval: `intervalAt(confidence)`. */
  interval: Interval;
  /** 'upper' when the arm is better than control beyond doubt at this look, 'lower' when worse, otherwise null. */
  crossed: 'upper' | 'lower' | null;
}

/**
 * A confidence level within 1e-12 of 1 cannot be passed to an interval function
 * accurately (1 − level loses its digits in floating point), so looks with a
 * boundary above about 7.1 — the first week or two of an O'Brien–Fleming design
 * with many looks — are treated as looks that cannot stop, with the interval
 * (−∞, ∞). This gives up at most 1e-12 of α per look.
 */
const SMALLEST_EXPRESSIBLE_NOMINAL_ALPHA = 1e-12;

/** The boundaries up to and including the current look. */
export function scheduleBoundaries(schedule: LookSchedule): readonly GroupSequentialLook[] {
  if (schedule.boundaries !== undefined) {
    if (schedule.boundaries.length === 0) throw new RangeError('at least one look is needed');
    return schedule.boundaries;
  }
  return groupSequentialBoundaries(schedule.informationFractions, { alpha: schedule.alpha, spending: schedule.spending });
}

/**
 * The group-sequential decision at the latest look: its efficacy boundary, the
 * repeated confidence interval (the difference interval at the look's nominal
 * level 1 − 2(1 − Φ(c_k))), and whether the trial has crossed. The interval
 * method is a parameter, so the same rule serves Newcombe, score or Wald intervals.
 *
 * Crossing: the repeated interval lies wholly above 0 ('upper') or below it
 * ('lower'); or, when `pValueToCompare` is given, that p-value is at most the
 * nominal α (direction from `estimate`). Repeated confidence intervals of
 * Jennison & Turnbull (1989) keep their coverage jointly over all looks, so
 * the interval at any look — including the one where the trial stops — is a
 * valid ≥ 1 − α interval whatever the stopping rule. A look with nothing left to
 * spend, or a boundary above about 7.1 (see SMALLEST_EXPRESSIBLE_NOMINAL_ALPHA),
 * cannot stop: its interval is (−∞, ∞).
 *
 * Source: Jennison, C. & Turnbull, B. W. (1989) "Interim analyses: the repeated
 * confidence interval approach", JRSS B 51:305–361; Jennison & Turnbull (2000) ch. 9.
 *
 * @example
 * lookDecision({
 *   informationFractions: [0.25, 0.5],
 *   intervalAt: (confidence) => newcombeDifferenceInterval({ arm: 'text', n: 150, successes: 33 }, { arm: 'letter', n: 150, successes: 12 }, confidence).interval,
 * })
 * // { look: 2, informationFraction: 0.5, zBoundary: 2.963132, alphaSpent: 0.003051, nominalAlpha: 0.003045,
 * //   confidence: 0.996955, interval: [0.016645, 0.262548], crossed: 'upper' }
 */
export function lookDecision(options: LookDecisionOptions): LookDecision {
  const boundaries = scheduleBoundaries(options);
  const current = boundaries[boundaries.length - 1];
  const confidence = 1 - current.nominalAlpha;
  const interval: Interval = current.nominalAlpha < SMALLEST_EXPRESSIBLE_NOMINAL_ALPHA ? [-Infinity, Infinity] : options.intervalAt(confidence);
  let crossed: LookDecision['crossed'] = null;
  if (options.pValueToCompare !== undefined) {
    const { pValueToCompare } = options;
    if (!(pValueToCompare >= 0 && pValueToCompare <= 1)) throw new RangeError(`pValueToCompare must be between 0 and 1 (got ${pValueToCompare})`);
    const direction = options.estimate ?? (interval[0] + interval[1]) / 2;
    if (pValueToCompare <= current.nominalAlpha && direction !== 0) crossed = direction > 0 ? 'upper' : 'lower';
  } else if (interval[0] > 0) crossed = 'upper';
  else if (interval[1] < 0) crossed = 'lower';
  return {
    look: boundaries.length,
    informationFraction: current.informationFraction,
    zBoundary: current.zBoundary,
    alphaSpent: current.alphaSpent,
    nominalAlpha: current.nominalAlpha,
    confidence,
    interval,
    crossed,
  };
}

/**
 * Wald repeated confidence interval for an estimate with a standard error at
 * the latest look: estimate ± c_k · SE. For numeric metrics (difference in means)
 * and anything else with an approximately normal estimate.
 *
 * Matches R rpact `getAnalysisResults(design, getDataset(means...), normalApproximation = TRUE)`
 * `$repeatedConfidenceIntervalLowerBounds / UpperBounds`.
 *
 * @example
 * repeatedConfidenceInterval({ estimate: 0.4, standardError: 0.114567, informationFractions: [0.25, 0.5, 0.75] })
 * // [0.129730, 0.670270]
 */
export function repeatedConfidenceInterval(options: LookSchedule & { estimate: number; standardError: number }): Interval {
  const { estimate, standardError } = options;
  assertEstimate(estimate, standardError);
  const boundaries = scheduleBoundaries(options);
  const halfWidth = boundaries[boundaries.length - 1].zBoundary * standardError;
  return [estimate - halfWidth, estimate + halfWidth];
}

/**
 * `lookDecision` over an estimate and its standard error (Wald), for numeric metrics.
 *
 * @example
 * waldLookDecision({ estimate: 0.4, standardError: 0.114567, informationFractions: [0.25, 0.5, 0.75] }).crossed // 'upper'
 */
export function waldLookDecision(options: LookSchedule & { estimate: number; standardError: number }): LookDecision {
  const { estimate, standardError } = options;
  assertEstimate(estimate, standardError);
  const schedule: LookSchedule =
    options.boundaries !== undefined
      ? { boundaries: options.boundaries }
      : { informationFractions: options.informationFractions, alpha: options.alpha, spending: options.spending };
  const boundaries = scheduleBoundaries(schedule);
  const halfWidth = boundaries[boundaries.length - 1].zBoundary * standardError;
  return lookDecision({ boundaries, intervalAt: () => [estimate - halfWidth, estimate + halfWidth] });
}

function assertEstimate(estimate: number, standardError: number): void {
  if (!Number.isFinite(estimate)) throw new RangeError(`estimate must be a finite number (got ${estimate})`);
  if (!(standardError > 0) || !Number.isFinite(standardError)) {
    throw new RangeError(`standardError must be a positive number (got ${standardError})`);
  }
}
