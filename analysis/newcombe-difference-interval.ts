import type { BinaryArmStats, Interval } from './types.ts';
import { assertNonEmptyBinaryArm } from './validate-input.ts';
import { wilsonInterval } from './wilson-interval.ts';

export interface DifferenceWithInterval {
  /** arm rate − control rate, as a fraction (0.05 = 5 percentage points). */
  difference: number;
  interval: Interval;
}

/**
 * Difference in rates (arm − control) with Newcombe's hybrid score interval:
 * each arm's Wilson interval is combined by "square-and-add", which keeps good
 * coverage with small counts and rates near 0 or 1 where the Wald interval fails.
 * Both arms need at least one person (n = 0 throws a RangeError).
 *
 * Source: Newcombe, R. G. (1998) "Interval estimation for the difference between
 * independent proportions: comparison of eleven methods", Statistics in Medicine
 * 17:873–890, method 10, https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I;
 * reference implementation statsmodels `confint_proportions_2indep(..., method='newcomb', compare='diff')`.
 *
 * @example
 * newcombeDifferenceInterval({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { difference: 0.14, interval: [-0.025933, 0.297413] }
 */
export function newcombeDifferenceInterval(
  arm: BinaryArmStats,
  control: BinaryArmStats,
  confidence = 0.95,
): DifferenceWithInterval {
  assertNonEmptyBinaryArm(arm);
  assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
  const armRate = arm.successes / arm.n;
  const controlRate = control.successes / control.n;
  const [armLower, armUpper] = wilsonInterval(arm.successes, arm.n, confidence);
  const [controlLower, controlUpper] = wilsonInterval(control.successes, control.n, confidence);
  const difference = armRate - controlRate;
  const below = Math.hypot(armRate - armLower, controlUpper - controlRate);
  const above = Math.hypot(armUpper - armRate, controlRate - controlLower);
  return { difference, interval: [difference - below, difference + above] };
}
