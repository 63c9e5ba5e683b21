import type { BinaryArmStats, Interval, NumericArmStats } from './types.ts';
import {
  assertNonEmptyBinaryArm,
  assertNumericArm,
  assertOpenUnitInterval,
} from './validate-input.ts';

/**
 * Always-valid inference for weekly looks. Ministers see results every week;
 * a fixed-horizon 95% interval checked every week excludes zero by chance far
 * more than 5% of the time. An asymptotic confidence sequence is a sequence of
 * intervals that all contain the true difference simultaneously with
 * probability ≥ 1 − α, however often (and whenever) it is looked at.
 *
 * Method: the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Wu,
 * Ramdas & Howard (2023) "Time-uniform central limit theory and asymptotic
 * confidence sequences", arXiv:2103.06476, eq. 9 (normal-mixture boundary),
 * with the mixing parameter ρ tuned (their eq. 161) to be tightest at the
 * planned total sample size — exactly as GrowthBook's gbstats does
 * (`sequential_rho` and `sequential_interval_halfwidth` in
 * https://github.com/growthbook/growthbook/blob/main/packages/stats/gbstats/frequentist/tests.py),
 * with gbstats' tuning parameter set to the planned number of people:
 *
 *   ρ = √((−2 ln α + ln(−2 ln α + 1)) / plannedTotal)
 *   halfWidth = √(V·N) · √( 2(Nρ² + 1)/(N²ρ²) · ln(√(Nρ² + 1)/α) )
 *
 * where V is the usual variance of the difference estimate
 * (p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂, or s₁²/n₁ + s₂²/n₂ for means) and N = n_arm + n_control.
 * It is asymptotic (a CLT argument), so very early looks with a handful of
 * people per arm are approximate; our A/A simulation (confidence-sequence.test.ts)
 * shows the false-positive rate stays below α with 25 people per arm per week.
 */

export interface ConfidenceSequenceOptions {
  /** Error rate over all looks together, default 0.05 (a 95% confidence sequence). */
  alpha?: number;
  /**
   * The total number of people (arm + control) expected by the end of the
   * experiment; the sequence is tightest there. Any positive value keeps it
   * valid; a good guess only makes it narrower.
   */
  plannedTotal: number;
}

type ArmPair = [BinaryArmStats, BinaryArmStats] | [NumericArmStats, NumericArmStats];

interface DifferenceEstimate {
  difference: number;
  variance: number;
  totalN: number;
}

function isBinary(stats: BinaryArmStats | NumericArmStats): stats is BinaryArmStats {
  return 'successes' in stats;
}

function estimateDifference(arm: BinaryArmStats | NumericArmStats, control: BinaryArmStats | NumericArmStats): DifferenceEstimate {
  if (isBinary(arm) && isBinary(control)) {
    assertNonEmptyBinaryArm(arm);
    assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
    const armRate = arm.successes / arm.n;
    const controlRate = control.successes / control.n;
    return {
      difference: armRate - controlRate,
      variance: (armRate * (1 - armRate)) / arm.n + (controlRate * (1 - controlRate)) / control.n,
      totalN: arm.n + control.n,
    };
  }
  if (!isBinary(arm) && !isBinary(control)) {
    assertNumericArm(arm);
    assertNumericArm(control, `control arm "${control.arm}"`);
    const sampleVariance = (stats: NumericArmStats) =>
      Math.max(0, (stats.sumSquares - (stats.sum * stats.sum) / stats.n) / (stats.n - 1));
    return {
      difference: arm.sum / arm.n - control.sum / control.n,
      variance: sampleVariance(arm) / arm.n + sampleVariance(control) / control.n,
      totalN: arm.n + control.n,
    };
  }
  throw new RangeError('arm and control must both be binary counts or both numeric sums');
}

function assertPlannedTotal(plannedTotal: number): void {
  if (!(plannedTotal > 0) || !Number.isFinite(plannedTotal)) {
    throw new RangeError(`plannedTotal must be a positive number of people (got ${plannedTotal})`);
  }
}

/**
 * The mixing parameter ρ that makes the confidence sequence tightest at
 * `plannedTotal` observations (Waudby-Smith et al. 2023, eq. 161; gbstats `sequential_rho`).
 *
 * @example
 * sequentialRho(0.05, 1000) // 0.089085
 */
export function sequentialRho(alpha: number, plannedTotal: number): number {
  assertOpenUnitInterval(alpha, 'alpha');
  assertPlannedTotal(plannedTotal);
  const minusTwoLogAlpha = -2 * Math.log(alpha);
  return Math.sqrt((minusTwoLogAlpha + Math.log(minusTwoLogAlpha + 1)) / plannedTotal);
}

/**
 * Half-width of the two-sided asymptotic confidence sequence for an estimate
 * with variance `variance` after `totalN` observations (Waudby-Smith et al. 2023,
 * eq. 9; gbstats `sequential_interval_halfwidth` with s² = variance × totalN).
 *
 * @example
 * confidenceSequenceHalfWidth({ variance: 0.00064, totalN: 500, alpha: 0.05, plannedTotal: 1000 }) // 0.078009
 */
export function confidenceSequenceHalfWidth(options: {
  variance: number;
  totalN: number;
  alpha?: number;
  plannedTotal: number;
}): number {
  const { variance, totalN, alpha = 0.05, plannedTotal } = options;
  if (!(variance >= 0) || !Number.isFinite(variance)) throw new RangeError(`variance must be 0 or more (got ${variance})`);
  if (!(totalN >= 1)) throw new RangeError(`totalN must be at least 1 (got ${totalN})`);
  const rho = sequentialRho(alpha, plannedTotal);
  const nRhoSquaredPlusOne = totalN * rho * rho + 1;
  const perObservationVariance = variance * totalN;
  return (
    Math.sqrt(perObservationVariance) *
    Math.sqrt(((2 * nRhoSquaredPlusOne) / (totalN * totalN * rho * rho)) * Math.log(Math.sqrt(nRhoSquaredPlusOne) / alpha))
  );
}

/**
 * Always-valid (1 − α) confidence sequence for the difference arm − control,
 * either in rates (both arms `BinaryArmStats`) or in means (both `NumericArmStats`).
 * Safe to look at every week: all the intervals together cover the true
 * difference with probability ≥ 1 − α.
 *
 * Returns null when the variance estimate is zero (e.g. nobody, or everybody,
 * reached the stage in both arms; or every value identical), where no interval
 * can be formed yet. Empty arms (n = 0; n < 2 for means) throw a RangeError.
 *
 * Source: Waudby-Smith et al. (2023) arXiv:2103.06476 eq. 9 and 161, as
 * implemented in GrowthBook gbstats (see the module comment); reference values
 * computed from the same formula in R.
 *
 * @example
 * confidenceSequenceDifference({ arm: 'text', n: 250, successes: 60 }, { arm: 'letter', n: 250, successes: 40 }, { plannedTotal: 1000 })
 * // [-0.029768, 0.189768]
 */
export function confidenceSequenceDifference(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  options: ConfidenceSequenceOptions,
): Interval | null;
export function confidenceSequenceDifference(
  arm: NumericArmStats,
  control: NumericArmStats,
  options: ConfidenceSequenceOptions,
): Interval | null;
export function confidenceSequenceDifference(
  ...[arm, control, options]: [...ArmPair, ConfidenceSequenceOptions]
): Interval | null {
  const { alpha = 0.05, plannedTotal } = options;
  const estimate = estimateDifference(arm, control);
  if (estimate.variance === 0) return null;
  const halfWidth = confidenceSequenceHalfWidth({ variance: estimate.variance, totalN: estimate.totalN, alpha, plannedTotal });
  return [estimate.difference - halfWidth, estimate.difference + halfWidth];
}

const SMALLEST_REPORTED_P = 1e-12;
const LARGEST_SEARCHED_ALPHA = 1 - 1e-9;

/**
 * Always-valid p-value for "no difference": the smallest α at which the
 * confidence sequence (tuned for that α, as `confidenceSequenceDifference`)
 * excludes 0, found by bisection on log α to about 1e-10 relative. Because
 * the sequence's half-width shrinks as α grows (checked in the tests), the
 * chance this p-value ever drops below α at any look is at most α.
 *
 * Returns 1 when the sequence contains 0 at every α below 1, null when the
 * variance estimate is zero (as `confidenceSequenceDifference`). Values below
 * 1e-12 are reported as 1e-12.
 *
 * Source: as `confidenceSequenceDifference`; the inversion is the standard
 * duality between confidence sequences and anytime-valid p-values
 * (Howard et al. 2021, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Annals of Statistics 49:1055–1080, §2).
 *
 * @example
 * alwaysValidPValue({ arm: 'text', n: 250, successes: 60 }, { arm: 'letter', n: 250, successes: 40 }, { plannedTotal: 1000 })
 * // 0.337009
 */
export function alwaysValidPValue(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  options: { plannedTotal: number },
): number | null;
export function alwaysValidPValue(
  arm: NumericArmStats,
  control: NumericArmStats,
  options: { plannedTotal: number },
): number | null;
export function alwaysValidPValue(...[arm, control, options]: [...ArmPair, { plannedTotal: number }]): number | null {
  const { plannedTotal } = options;
  assertPlannedTotal(plannedTotal);
  const estimate = estimateDifference(arm, control);
  if (estimate.variance === 0) return null;
  const distance = Math.abs(estimate.difference);
  const excludesZero = (alpha: number) =>
    distance > confidenceSequenceHalfWidth({ variance: estimate.variance, totalN: estimate.totalN, alpha, plannedTotal });
  if (!excludesZero(LARGEST_SEARCHED_ALPHA)) return 1;
  if (excludesZero(SMALLEST_REPORTED_P)) return SMALLEST_REPORTED_P;
  let lowerLog = Math.log(SMALLEST_REPORTED_P); // does not exclude 0 here
  let upperLog = Math.log(LARGEST_SEARCHED_ALPHA); // excludes 0 here
  for (let iteration = 0; iteration < 200 && upperLog - lowerLog > 1e-11; iteration++) {
    const middle = (lowerLog + upperLog) / 2;
    if (excludesZero(Math.exp(middle))) upperLog = middle;
    else lowerLog = middle;
  }
  return Math.exp(upperLog);
}
