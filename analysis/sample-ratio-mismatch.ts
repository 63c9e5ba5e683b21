import { chiSquareSurvival } from './chi-square-distribution.ts';
import { assertCount } from './validate-input.ts';

export interface SampleRatioMismatchResult {
  statistic: number;
  /** Degrees of freedom. */
  df: number;
  pValue: number;
  /** True when p < 0.001: the arm sizes are very unlikely under the planned split. */
  flagged: boolean;
}

/** The conventional SRM alarm threshold (Fabijan et al. 2019); strict because the check runs on every experiment. */
const SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio-mismatch check: a chi-square goodness-of-fit test of the number
 * of people in each arm against the planned allocation weights. A mismatch
 * usually means assignment or data capture is broken, so results should not be
 * trusted until it is explained. `flagged` when p < 0.001.
 *
 * Counts and weights are in the same arm order. Weights need not sum to 1 (they
 * are normalised) but must be positive; lengths must match and be ≥ 2, and at
 * least one person must be counted; otherwise a RangeError.
 *
 * Source: Fabijan, A. et al. (2019) "Diagnosing sample ratio mismatch in online
 * controlled experiments", KDD '19, https://doi.org/10.1145/3292500.3330722;
 * reference implementation R `chisq.test(x = counts, p = weights / sum(weights))`.
 *
 * @example
 * sampleRatioMismatch([120, 118, 122], [1, 1, 1])
 * // { statistic: 0.066667, df: 2, pValue: 0.967216, flagged: false }
 */
export function sampleRatioMismatch(
  counts: readonly number[],
  plannedWeights: readonly number[],
): SampleRatioMismatchResult {
  if (counts.length !== plannedWeights.length) {
    throw new RangeError(
      `there are ${counts.length} arm counts but ${plannedWeights.length} planned weights; give one weight per arm`,
    );
  }
  if (counts.length < 2) throw new RangeError('a sample-ratio check needs at least two arms');
  counts.forEach((count, index) => assertCount(count, `count for arm ${index + 1}`));
  plannedWeights.forEach((weight, index) => {
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new RangeError(`planned weight for arm ${index + 1} must be a positive number (got ${weight})`);
    }
  });
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) throw new RangeError('a sample-ratio check needs at least one person');
  const weightTotal = plannedWeights.reduce((sum, weight) => sum + weight, 0);

  let statistic = 0;
  counts.forEach((count, index) => {
    const expected = (total * plannedWeights[index]) / weightTotal;
    statistic += (count - expected) ** 2 / expected;
  });
  const degreesOfFreedom = counts.length - 1;
  const pValue = chiSquareSurvival(statistic, degreesOfFreedom);
  return { statistic, df: degreesOfFreedom, pValue, flagged: pValue < SRM_THRESHOLD };
}
