import type { BinaryArmStats } from './types.ts';
import { chiSquareIndependence, type ChiSquareResult } from './chi-square-independence.ts';
import { fisherFreemanHaltonTest } from './fisher-freeman-halton-test.ts';

export type OmnibusTestName = 'chi-square' | 'fisher-freeman-halton';

export interface OmnibusRateResult extends ChiSquareResult {
  /** Which test produced the p-value; the statistic and df are always Pearson's chi-square. */
  test: OmnibusTestName;
}

/** The usual rule of thumb (Cochran 1954) for when the chi-square approximation is trusted. */
const MINIMUM_EXPECTED_COUNT = 5;

/**
 * The omnibus "do the arms differ at all?" test for a binary metric, honest
 * for small samples: Pearson's chi-square when every expected count of the
 * arms × (reached, did not) table is at least 5, otherwise the exact
 * Fisher–Freeman–Halton test (for 0/30 vs 4/30 chi-square says p = 0.038,
 * the exact test 0.112). The chi-square statistic and df are reported either
 * way, and `test` says which p-value is shown.
 *
 * Arms with n = 0 are left out; at least two arms with people are needed,
 * else a RangeError (as `chiSquareIndependence`). If the table is too large
 * to enumerate exactly, which needs large counts, the chi-square p-value is used.
 *
 * Source: Cochran, W. G. (1954) Biometrics 10:417–451 (expected count ≥ 5
 * rule); tests as in `chiSquareIndependence` (R `chisq.test(…, correct = FALSE)`)
 * and `fisherFreemanHaltonTest` (R `fisher.test`).
 *
 * @example
 * omnibusRateTest([{ arm: 'letter', n: 30, successes: 0 }, { arm: 'text', n: 30, successes: 4 }])
 * // { statistic: 4.285714, df: 1, pValue: 0.112400, test: 'fisher-freeman-halton' }
 */
export function omnibusRateTest(arms: readonly BinaryArmStats[]): OmnibusRateResult {
  const chiSquare = chiSquareIndependence(arms);
  const rows = arms.filter((arm) => arm.n > 0);
  const total = rows.reduce((sum, arm) => sum + arm.n, 0);
  const reached = rows.reduce((sum, arm) => sum + arm.successes, 0);
  const smallestArm = Math.min(...rows.map((arm) => arm.n));
  const smallestExpected = (smallestArm * Math.min(reached, total - reached)) / total;
  if (smallestExpected >= MINIMUM_EXPECTED_COUNT) return { ...chiSquare, test: 'chi-square' };
  const exact = fisherFreemanHaltonTest(rows);
  if (exact === null) return { ...chiSquare, test: 'chi-square' };
  return { ...chiSquare, pValue: exact.pValue, test: 'fisher-freeman-halton' };
}
