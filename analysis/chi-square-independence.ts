import type { BinaryArmStats } from './types.ts';
import { chiSquareSurvival } from './chi-square-distribution.ts';
import { assertBinaryArm } from './validate-input.ts';

export interface ChiSquareResult {
  statistic: number;
  /** Degrees of freedom. */
  df: number;
  pValue: number;
}

/**
 * Pearson's chi-square test of independence on the arms × (reached, did not)
 * table, without continuity correction: the omnibus "do the arms differ at all?"
 * test for a metric with more than two arms.
 *
 * Conventions where R returns NaN, both documented choices:
 * - arms with n = 0 are left out of the table (they carry no information);
 *   at least two arms with people are needed, else a RangeError;
 * - when nobody, or everybody, reached the stage (a zero column total) the
 *   table shows no association: statistic 0, p = 1, df still (arms − 1).
 *
 * Source: Pearson, K. (1900), Philosophical Magazine 50:157–175; reference
 * implementation R `chisq.test(matrix(c(successes, failures), ncol = 2), correct = FALSE)`.
 *
 * @example
 * chiSquareIndependence([
 *   { arm: 'letter', n: 120, successes: 12 },
 *   { arm: 'text', n: 118, successes: 21 },
 *   { arm: 'phone', n: 122, successes: 27 },
 * ]) // { statistic: 6.571425, df: 2, pValue: 0.037414 }
 */
export function chiSquareIndependence(arms: readonly BinaryArmStats[]): ChiSquareResult {
  arms.forEach((arm) => assertBinaryArm(arm));
  const rows = arms.filter((arm) => arm.n > 0);
  if (rows.length < 2) {
    throw new RangeError(`a chi-square test needs at least two arms with people (got ${rows.length})`);
  }
  const degreesOfFreedom = rows.length - 1;
  const total = rows.reduce((sum, arm) => sum + arm.n, 0);
  const successes = rows.reduce((sum, arm) => sum + arm.successes, 0);
  const failures = total - successes;
  if (successes === 0 || failures === 0) return { statistic: 0, df: degreesOfFreedom, pValue: 1 };

  let statistic = 0;
  for (const arm of rows) {
    const expectedSuccesses = (arm.n * successes) / total;
    const expectedFailures = (arm.n * failures) / total;
    statistic += (arm.successes - expectedSuccesses) ** 2 / expectedSuccesses;
    statistic += (arm.n - arm.successes - expectedFailures) ** 2 / expectedFailures;
  }
  return { statistic, df: degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}
