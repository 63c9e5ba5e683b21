import type { BinaryArmStats, Interval } from './types.ts';
import { normalQuantile } from './normal-distribution.ts';
import { assertNonEmptyBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

export interface RiskRatioWithInterval {
  /** arm rate ÷ control rate. */
  riskRatio: number;
  interval: Interval;
}

export interface RelativeUpliftWithInterval {
  /** arm rate ÷ control rate − 1 (0.5 = "50% more people"). */
  relativeUplift: number;
  interval: Interval;
}

/**
 * Risk ratio (arm rate ÷ control rate) with the log-scale (Katz) interval
 * exp(log RR ± z·√(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂)).
 *
 * Returns null when either arm has zero successes: the ratio is then 0 or
 * undefined and the log interval does not exist (report the difference instead).
 * An arm with n = 0 throws a RangeError.
 *
 * Source: Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978) "Obtaining
 * confidence intervals for the risk ratio in cohort studies", Biometrics 34:469–474,
 * https://doi.org/10.2307/2530610; reference implementation statsmodels
 * `confint_proportions_2indep(..., compare='ratio', method='log')` (same formula, no 0.5 added).
 *
 * @example
 * riskRatioInterval({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { riskRatio: 1.875, interval: [0.873989, 4.022506] }
 */
export function riskRatioInterval(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  confidence = 0.95,
): RiskRatioWithInterval | null {
  assertNonEmptyBinaryArm(arm);
  assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
  assertOpenUnitInterval(confidence, 'confidence');
  if (arm.successes === 0 || control.successes === 0) return null;
  const riskRatio = arm.successes / arm.n / (control.successes / control.n);
  const standardError = Math.sqrt(
    1 / arm.successes - 1 / arm.n + 1 / control.successes - 1 / control.n,
  );
  const z = normalQuantile((1 + confidence) / 2);
  const logRatio = Math.log(riskRatio);
  return {
    riskRatio,
    interval: [Math.exp(logRatio - z * standardError), Math.exp(logRatio + z * standardError)],
  };
}

/**
 * Relative uplift (risk ratio − 1) with the Katz log-scale interval shifted the
 * same way. Null when either arm has zero successes (see `riskRatioInterval`).
 *
 * Source: as `riskRatioInterval`.
 *
 * @example
 * relativeUpliftInterval({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { relativeUplift: 0.875, interval: [-0.126011, 3.022506] }
 */
export function relativeUpliftInterval(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  confidence = 0.95,
): RelativeUpliftWithInterval | null {
  const ratio = riskRatioInterval(arm, control, confidence);
  if (ratio === null) return null;
  return {
    relativeUplift: ratio.riskRatio - 1,
    interval: [ratio.interval[0] - 1, ratio.interval[1] - 1],
  };
}
