import type { BinaryArmStats } from './types.ts';
import { fisherExactTest } from './fisher-exact-test.ts';
import { twoProportionZTest } from './two-proportion-z-test.ts';
import { assertNonEmptyBinaryArm } from './validate-input.ts';

/**
 * Which test produced a p-value comparing two rates: 'z' and 'fisher' from
 * `compareProportions`, 'score' from `scoreDifferenceTest` (what
 * `analyseBinaryMetric` reports, the test its difference interval inverts).
 */
export type ProportionTestName = 'z' | 'fisher' | 'score';

export interface ProportionComparison {
  /** Two-sided p-value of "arm and control have the same rate". */
  pValue: number;
  /** Which test produced it. */
  test: Exclude<ProportionTestName, 'score'>;
}

/** The usual rule of thumb (Cochran 1954) for when the chi-square/z approximation is trusted. */
const MINIMUM_EXPECTED_COUNT = 5;

/**
 * Two-sided test of "arm and control have the same rate" that is honest for
 * small samples: the pooled z-test when every expected cell count of the 2×2
 * table is at least 5, otherwise Fisher's exact test.
 *
 * Degenerate tables (nobody, or everybody, in both arms reached the stage)
 * have an expected count of 0 and so go to Fisher, which returns p = 1.
 * An arm with n = 0 throws a RangeError.
 *
 * Source: Cochran, W. G. (1954) "Some methods for strengthening the common χ²
 * tests", Biometrics 10:417–451 (expected count ≥ 5 rule); tests as in
 * `twoProportionZTest` and `fisherExactTest`.
 *
 * @example
 * compareProportions({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { pValue: 0.096238, test: 'z' }
 * compareProportions({ arm: 'text', n: 8, successes: 1 }, { arm: 'letter', n: 8, successes: 6 })
 * // { pValue: 0.040559, test: 'fisher' }
 */
export function compareProportions(arm: BinaryArmStats, control: BinaryArmStats): ProportionComparison {
  assertNonEmptyBinaryArm(arm);
  assertNonEmptyBinaryArm(control, `control arm "${control.arm}"`);
  const total = arm.n + control.n;
  const successes = arm.successes + control.successes;
  const failures = total - successes;
  const smallestExpected = (Math.min(arm.n, control.n) * Math.min(successes, failures)) / total;
  if (smallestExpected < MINIMUM_EXPECTED_COUNT) {
    const { pValue } = fisherExactTest(
      arm.successes,
      arm.n - arm.successes,
      control.successes,
      control.n - control.successes,
    );
    return { pValue, test: 'fisher' };
  }
  return { pValue: twoProportionZTest(arm, control).pValue, test: 'z' };
}
