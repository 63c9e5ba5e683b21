/**
 * Numeric metrics (meeting usefulness 1–5, working-alliance score) from
 * sufficient statistics: count, sum and sum of squares per arm.
 *
 * Policy for too little data: an arm with fewer than two people has no
 * standard deviation, so the functions here return `null` for what cannot be
 * estimated (and say why in `unavailable`) rather than throwing. Weekly reports
 * routinely meet an arm with one response so far; that is not a programming
 * error. Malformed input (negative or fractional n, non-finite sums, a sum of
 * squares too small for the sum, confidence outside (0, 1)) throws a RangeError.
 */
import type { Interval, NumericArmStats } from './types.ts';
import { assertConfidence, criticalValue, studentTTwoSided } from './distributions.ts';
import { assertCount } from './validate-input.ts';

/** Why an estimate could not be made; `null` when everything was estimated. */
export type NumericUnavailableReason = 'no-people' | 'fewer-than-two-people' | 'no-variation' | null;

/** Mean, standard deviation and t interval for the mean of one arm. */
export interface NumericSummary {
  arm: string;
  n: number;
  /** Sample mean; null when the arm is empty. */
  mean: number | null;
  /** Sample standard deviation (n − 1 denominator); null when n < 2. */
  sd: number | null;
  /** Standard error of the mean, sd / √n; null when n < 2. */
  standardError: number | null;
  /** Degrees of freedom of the t interval, n − 1; null when n < 2. */
  df: number | null;
  /** Student t interval for the mean; null when n < 2. */
  interval: Interval | null;
  unavailable: NumericUnavailableReason;
}

/** Welch's two-sample t test of arm against control. */
export interface WelchResult {
  arm: string;
  control: string;
  /** mean(arm) − mean(control); null when either arm is empty. */
  difference: number | null;
  /** √(s²_arm/n_arm + s²_control/n_control); null when either arm has n < 2. */
  standardError: number | null;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general). */
  df: number | null;
  interval: Interval | null;
  t: number | null;
  /** Two-sided p-value from Student t with the Welch df. */
  pValue: number | null;
  unavailable: NumericUnavailableReason;
}

/** Validated n, mean and variance of one arm's sufficient statistics. */
export interface NumericMoments {
  n: number;
  mean: number | null;
  variance: number | null;
}

/**
 * Checks one arm's sufficient statistics and turns them into mean and sample
 * variance, (Σx² − (Σx)²/n) / (n − 1). Rounding noise that makes a constant
 * sample's variance a hair above or below zero is snapped to exactly zero;
 * a sum of squares clearly too small for the sum throws a RangeError.
 *
 * @example
 * numericMoments({ arm: 'a', n: 4, sum: 10, sumSquares: 30 });
 * // { n: 4, mean: 2.5, variance: 1.6666666666666667 }
 */
export function numericMoments(stats: NumericArmStats): NumericMoments {
  const { arm, n, sum, sumSquares } = stats;
  assertCount(n, `arm "${arm}" n`);
  if (!Number.isFinite(sum) || !Number.isFinite(sumSquares)) {
    throw new RangeError(`arm "${arm}": sum and sumSquares must be finite numbers`);
  }
  if (sumSquares < 0) {
    throw new RangeError(`arm "${arm}": sumSquares cannot be negative, got ${sumSquares}`);
  }
  if (n === 0) {
    if (sum !== 0 || sumSquares !== 0) {
      throw new RangeError(`arm "${arm}": an empty arm must have sum and sumSquares of 0`);
    }
    return { n, mean: null, variance: null };
  }
  const mean = sum / n;
  if (n === 1) {
    return { n, mean, variance: null };
  }
  const centred = sumSquares - (sum * sum) / n;
  const noise = 1e-12 * Math.max(sumSquares, 1);
  if (centred < -noise) {
    throw new RangeError(
      `arm "${arm}": sumSquares ${sumSquares} is too small for sum ${sum} with n ${n}`,
    );
  }
  const variance = centred <= noise ? 0 : centred / (n - 1);
  return { n, mean, variance };
}

/**
 * Describes a numeric metric in one arm: mean, sample standard deviation and
 * the Student t confidence interval for the mean, mean ± t(1 − α/2, n − 1)·sd/√n.
 * With n = 0 everything is null; with n = 1 only the mean is given. With no
 * variation (every value equal) the interval collapses to [mean, mean]
 * (R's t.test refuses such data; we report the degenerate interval).
 *
 * Source: the one-sample t interval; reference implementation R
 * `t.test(x, conf.level = confidence)$conf.int`
 * (https://stat.ethz.ch/R-manual/R-devel/library/stats/html/t.test.html).
 *
 * @example
 * describeNumeric({ arm: 'warm', n: 12, sum: 47, sumSquares: 193 });
 * // { arm: 'warm', n: 12, mean: 3.9167, sd: 0.9003, standardError: 0.2599,
 * //   df: 11, interval: [3.3446, 4.4887], unavailable: null }
 */
export function describeNumeric(stats: NumericArmStats, confidence = 0.95): NumericSummary {
  assertConfidence(confidence);
  const { n, mean, variance } = numericMoments(stats);
  const base = { arm: stats.arm, n };
  if (mean === null) {
    return { ...base, mean, sd: null, standardError: null, df: null, interval: null, unavailable: 'no-people' };
  }
  if (variance === null) {
    return {
      ...base,
      mean,
      sd: null,
      standardError: null,
      df: null,
      interval: null,
      unavailable: 'fewer-than-two-people',
    };
  }
  const sd = Math.sqrt(variance);
  const standardError = sd / Math.sqrt(n);
  const df = n - 1;
  const margin = criticalValue(confidence, df) * standardError;
  return {
    ...base,
    mean,
    sd,
    standardError,
    df,
    interval: [mean - margin, mean + margin],
    unavailable: null,
  };
}

/**
 * Welch's unequal-variance two-sample t test of `arm` against `control`:
 * the difference in means, its standard error √(s₁²/n₁ + s₀²/n₀), the
 * Welch–Satterthwaite degrees of freedom
 * (s₁²/n₁ + s₀²/n₀)² / ((s₁²/n₁)²/(n₁ − 1) + (s₀²/n₀)²/(n₀ − 1)),
 * the t confidence interval and the two-sided p-value.
 *
 * Null results (with `unavailable` saying why): either arm empty (no
 * difference), either arm with one person (difference only), or both arms
 * without any variation (difference only: the standard error is 0, where
 * R's t.test stops with "data are essentially constant").
 *
 * Source: Welch (1947), Biometrika 34:28–35; reference implementation R
 * `t.test(x, y, var.equal = FALSE, conf.level = confidence)`
 * (https://stat.ethz.ch/R-manual/R-devel/library/stats/html/t.test.html).
 *
 * @example
 * welchTTest(
 *   { arm: 'warm', n: 12, sum: 47, sumSquares: 193 },
 *   { arm: 'standard', n: 10, sum: 28, sumSquares: 86 },
 * );
 * // { arm: 'warm', control: 'standard', difference: 1.1167, standardError: 0.3899,
 * //   df: 19.138, interval: [0.3011, 1.9323], t: 2.8642, pValue: 0.009879,
 * //   unavailable: null }
 */
export function welchTTest(
  arm: NumericArmStats,
  control: NumericArmStats,
  confidence = 0.95,
): WelchResult {
  assertConfidence(confidence);
  const treated = numericMoments(arm);
  const reference = numericMoments(control);
  const empty = {
    arm: arm.arm,
    control: control.arm,
    standardError: null,
    df: null,
    interval: null,
    t: null,
    pValue: null,
  };
  if (treated.mean === null || reference.mean === null) {
    return { ...empty, difference: null, unavailable: 'no-people' };
  }
  const difference = treated.mean - reference.mean;
  if (treated.variance === null || reference.variance === null) {
    return { ...empty, difference, unavailable: 'fewer-than-two-people' };
  }
  const armShare = treated.variance / treated.n;
  const controlShare = reference.variance / reference.n;
  const squaredError = armShare + controlShare;
  if (squaredError === 0) {
    return { ...empty, difference, unavailable: 'no-variation' };
  }
  const standardError = Math.sqrt(squaredError);
  const df =
    (squaredError * squaredError) /
    ((armShare * armShare) / (treated.n - 1) + (controlShare * controlShare) / (reference.n - 1));
  const t = difference / standardError;
  const margin = criticalValue(confidence, df) * standardError;
  return {
    arm: arm.arm,
    control: control.arm,
    difference,
    standardError,
    df,
    interval: [difference - margin, difference + margin],
    t,
    pValue: studentTTwoSided(t, df),
    unavailable: null,
  };
}
