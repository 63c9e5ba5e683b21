import type { BinaryArmStats } from './types.ts';
import { normalSurvival } from './normal-distribution.ts';
import { assertNonEmptyBinaryArm } from './validate-input.ts';

export interface ZTestResult {
  /** (arm rate − control rate) ÷ pooled standard error; positive when the arm is higher. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Pooled two-proportion z-test of "the arm and control have the same rate",
 * without continuity correction, two-sided. The same test as Pearson's
 * chi-square on the 2×2 table (z² = X²).
 *
 * Degenerate tables, where nobody or everybody in both arms reached the stage,
 * carry no evidence of a difference: they return statistic 0 and p = 1 (R gives
 * NaN). An arm with n = 0 throws a RangeError.
 *
 * Source: e.g. Agresti (2013) Categorical Data Analysis 3rd ed. §3.1.3; reference
 * implementations R `prop.test(c(x1, x2), c(n1, n2), correct = FALSE)$p.value`
 * and statsmodels `proportions_ztest([x1, x2], [n1, n2])`.
 *
 * @example
 * twoProportionZTest({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { statistic: 1.663370, pValue: 0.096238 }
 */
export function twoProportionZTest(arm: BinaryArmStats, control: BinaryArmStats): ZTestResult {
  assertNonEmptyBinaryArm(arm);
  assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
  const pooledRate = (arm.successes + control.successes) / (arm.n + control.n);
  const variance = pooledRate * (1 - pooledRate) * (1 / arm.n + 1 / control.n);
  if (variance === 0) return { statistic: 0, pValue: 1 };
  const statistic = (arm.successes / arm.n - control.successes / control.n) / Math.sqrt(variance);
  return { statistic, pValue: Math.min(1, 2 * normalSurvival(Math.abs(statistic))) };
}
