import type { BinaryArmStats, Interval } from './types.ts';
import { bracketedRoot } from './bracketed-root.ts';
import { normalQuantile } from './normal-distribution.ts';
import { assertNonEmptyBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

export interface RiskRatioScoreInterval {
  /** arm rate ÷ control rate; null when the control arm has no successes (the ratio is undefined). */
  riskRatio: number | null;
  /** Lower limit ≥ 0; the upper limit is Infinity when the control arm has no successes. */
  interval: Interval;
}

export interface RelativeUpliftScoreInterval {
  /** arm rate ÷ control rate − 1 (0.5 = "50% more people"); null when the control arm has no successes. */
  relativeUplift: number | null;
  /** Lower limit ≥ −1; the upper limit is Infinity when the control arm has no successes. */
  interval: Interval;
}

/**
 * The control arm's rate that is most likely given the data under the
 * constraint armRate = ratio × controlRate: the smaller root of a quadratic
 * (Miettinen & Nurminen 1985, eq. 27), written in the form that does not lose
 * digits when ratio × N is small.
 */
function restrictedControlRate(x1: number, n1: number, x2: number, n2: number, ratio: number): number {
  const a = (n1 + n2) * ratio;
  const minusB = n1 * ratio + x1 + n2 + x2 * ratio;
  const c = x1 + x2;
  if (c === 0) return 0;
  const rate = (2 * c) / (minusB + Math.sqrt(Math.max(minusB * minusB - 4 * a * c, 0)));
  return Math.min(rate, 1, 1 / ratio);
}

/**
 * The score statistic for "armRate ÷ controlRate = ratio" on plain counts, so
 * the coverage check can call it without building objects: the departure
 * x₁/n₁ − ratio·x₂/n₂, shrunk towards 0 by half the largest change one person
 * can make to it, ½·max(1/n₁, ratio/n₂) (unless `corrected` is false), over
 * the Miettinen–Nurminen standard error under the null. It falls as ratio rises.
 * At ratio = 1 it equals `differenceScoreStatistic` at delta = 0, so the ratio
 * interval leaves out 1 exactly when the difference interval leaves out 0.
 */
export function ratioScoreStatistic(x1: number, n1: number, x2: number, n2: number, ratio: number, corrected = true): number {
  const raw = x1 / n1 - (ratio * x2) / n2;
  const correction = corrected ? 0.5 * Math.max(1 / n1, ratio / n2) : 0;
  const departure = Math.sign(raw) * Math.max(0, Math.abs(raw) - correction);
  if (departure === 0) return 0;
  const controlRate = restrictedControlRate(x1, n1, x2, n2, ratio);
  const armRate = ratio * controlRate;
  const total = n1 + n2;
  const variance =
    ((armRate * (1 - armRate)) / n1 + (ratio * ratio * controlRate * (1 - controlRate)) / n2) *
    (total / (total - 1));
  if (!(variance > 0)) return departure > 0 ? Infinity : -Infinity;
  return departure / Math.sqrt(variance);
}

/** Far enough out on the log scale that exp() is still a finite, non-zero double. */
const LOG_RATIO_LIMIT = 700;

/**
 * One limit of the interval on the log scale, so small and large limits are
 * found to the same relative precision. `outside(logRatio)` is negative inside
 * the interval and positive beyond the limit sought, which lies in `direction`
 * from `start`. Steps double until the sign changes, then Brent's method.
 */
function limitOnLogScale(outside: (logRatio: number) => number, start: number, direction: 1 | -1): number {
  let near = start;
  for (let step = 1; outside(near) >= 0; step *= 2) {
    near = start - direction * step;
    if (step > LOG_RATIO_LIMIT) throw new RangeError('no ratio inside the score interval was found');
  }
  let far = near + direction;
  for (let step = 1; outside(far) < 0; step *= 2) {
    if (Math.abs(near + direction * step) > LOG_RATIO_LIMIT) return direction > 0 ? Infinity : 0;
    far = near + direction * step;
  }
  const [low, high] = direction > 0 ? [near, far] : [far, near];
  return Math.exp(bracketedRoot(outside, low, high, 1e-13));
}

/**
 * The score interval for the risk ratio on plain counts for a critical value
 * z (the fast path the coverage check uses).
 * Lower limit exactly 0 when the arm has no successes; upper limit Infinity
 * when the control has none (the data cannot rule out any large ratio); the
 * whole half-line when neither has any.
 */
export function ratioScoreLimits(x1: number, n1: number, x2: number, n2: number, z: number, corrected = true): Interval {
  if (x1 === 0 && x2 === 0) return [0, Infinity];
  const statistic = (logRatio: number) => ratioScoreStatistic(x1, n1, x2, n2, Math.exp(logRatio), corrected);
  // Search out from the estimate (statistic 0), or from a nudged estimate when it is 0 or ∞.
  const start =
    x1 === 0 || x2 === 0
      ? Math.log(((x1 + 0.5) / (n1 + 1)) / ((x2 + 0.5) / (n2 + 1)))
      : Math.log(x1 / n1 / (x2 / n2));
  const lower = x1 === 0 ? 0 : limitOnLogScale((logRatio) => statistic(logRatio) - z, start, -1);
  const upper = x2 === 0 ? Infinity : limitOnLogScale((logRatio) => -z - statistic(logRatio), start, 1);
  return [lower, upper];
}

/**
 * Score interval for the risk ratio (arm rate ÷ control rate): every ratio
 * the Miettinen–Nurminen score test (restricted-maximum-likelihood variance
 * × N/(N − 1)) with a half-step continuity correction does not reject. Unlike
 * the Katz log interval it exists when either arm has no successes, is never
 * of zero width when both arms are at 100%, and keeps its coverage near rates
 * of 0% and 100%: at least 95.4% on the grid in
 * docs/decisions/0022-small-sample-intervals.md. It leaves out 1 exactly when
 * `scoreDifferenceInterval` leaves out 0 (the two statistics coincide there).
 *
 * When the control arm has no successes the ratio itself is undefined
 * (riskRatio null) but the data still bound it from below: the interval is
 * [lower, Infinity], an honest one-sided bound ([0, Infinity] when neither
 * arm has any successes). An arm with n = 0 throws a RangeError.
 *
 * Source: Miettinen, O. & Nurminen, M. (1985) "Comparative analysis of two
 * rates", Statistics in Medicine 4:213–226, https://doi.org/10.1002/sim.4780040211;
 * reference: the R computation `rrci` in the test file; without the
 * continuity correction it is statsmodels
 * `confint_proportions_2indep(x1, n1, x2, n2, method='score', compare='ratio', correction=True)`.
 *
 * @example
 * riskRatioScoreInterval({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { riskRatio: 1.875, interval: [0.855933, 4.397052] }
 */
export function riskRatioScoreInterval(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  confidence = 0.95,
): RiskRatioScoreInterval {
  assertNonEmptyBinaryArm(arm);
  assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
  assertOpenUnitInterval(confidence, 'confidence');
  const z = normalQuantile((1 + confidence) / 2);
  return {
    riskRatio: control.successes === 0 ? null : arm.successes / arm.n / (control.successes / control.n),
    interval: ratioScoreLimits(arm.successes, arm.n, control.successes, control.n, z),
  };
}

/**
 * Relative uplift (risk ratio − 1) with the score interval of
 * `riskRatioScoreInterval` shifted the same way, so −1 means "nobody in the
 * arm". When the control arm has no successes the uplift itself is undefined
 * (null) and the interval is the one-sided bound [lower − 1, Infinity]: "at
 * least this much more"; [−1, Infinity] when neither arm has any. Reporting
 * that bound, rather than nothing, is what keeps the coverage at 95% when the
 * control rate is small (docs/decisions/0022-small-sample-intervals.md).
 *
 * Source: as `riskRatioScoreInterval`.
 *
 * @example
 * relativeUpliftScoreInterval({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { relativeUplift: 0.875, interval: [-0.144067, 3.397052] }
 * relativeUpliftScoreInterval({ arm: 'text', n: 14, successes: 4 }, { arm: 'letter', n: 15, successes: 0 })
 * // { relativeUplift: null, interval: [-0.040796, Infinity] }
 */
export function relativeUpliftScoreInterval(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  confidence = 0.95,
): RelativeUpliftScoreInterval {
  const { riskRatio, interval } = riskRatioScoreInterval(arm, control, confidence);
  return { relativeUplift: riskRatio === null ? null : riskRatio - 1, interval: [interval[0] - 1, interval[1] - 1] };
}
