import type { Interval } from './types.ts';
import { criticalValue, studentTTwoSided } from './distributions.ts';
import { assertBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

/** The four cells of a 2 × 2 factorial: which levels of factor A and factor B each received. */
export interface TwoByTwoCells {
  /** Reference level of both factors. */
  neither: { n: number; successes: number };
  /** Non-reference level of A, reference level of B. */
  firstOnly: { n: number; successes: number };
  /** Reference level of A, non-reference level of B. */
  secondOnly: { n: number; successes: number };
  /** Non-reference level of both. */
  both: { n: number; successes: number };
}

export interface DifferenceOfDifferences {
  /** (p_both − p_secondOnly) − (p_firstOnly − p_neither), on the rate scale. */
  estimate: number;
  /** HC2 robust standard error, √(Σ s²/n) over the cells with s² = p(1 − p)·n/(n − 1). */
  standardError: number | null;
  /** Residual degrees of freedom of the saturated linear model: N − 4. */
  df: number;
  interval: Interval | null;
  t: number | null;
  pValue: number | null;
}

/**
 * The interaction of two two-level factors on the rate (percentage-point)
 * scale: how much the effect of B changes between the levels of A, the
 * difference of differences (p_both − p_secondOnly) − (p_firstOnly − p_neither).
 * It is the interaction coefficient of the linear probability model
 * y ~ A * B fitted by least squares to one row per person.
 *
 * The standard error is the HC2 heteroskedasticity-robust one, which in this
 * saturated (one mean per cell) model is √(Σ s²_cell / n_cell) with the
 * unbiased cell variance s² = p(1 − p)·n/(n − 1): the Neyman variance of a
 * randomised experiment, and less optimistic than the Wald (HC0) error when
 * cells are small, which they are here. Interval and p-value use Student's t
 * on N − 4 degrees of freedom, as R's estimatr does. When a cell has fewer
 * than two people, or every cell is at 0% or 100%, there is no usable standard
 * error and interval, t and p are null.
 *
 * Source: MacKinnon & White (1985) J. Econometrics 29:305–325 (HC2);
 * Samii & Aronow (2012) Statistics & Probability Letters 82:365–370 (HC2 equals
 * the Neyman variance). Reference: R `estimatr::lm_robust(y ~ a * b, se_type = "HC2")`.
 *
 * @example
 * differenceOfDifferences({
 *   neither: { n: 120, successes: 24 }, firstOnly: { n: 121, successes: 25 },
 *   secondOnly: { n: 118, successes: 22 }, both: { n: 119, successes: 46 },
 * });
 * // { estimate: 0.19350, standardError: 0.077566, df: 474, interval: [0.041086, 0.345919],
 * //   t: 2.4947, pValue: 0.012947 }
 */
export function differenceOfDifferences(cells: TwoByTwoCells, confidence = 0.95): DifferenceOfDifferences {
  assertOpenUnitInterval(confidence, 'confidence');
  const ordered = [cells.neither, cells.firstOnly, cells.secondOnly, cells.both];
  for (const [index, cell] of ordered.entries()) {
    assertBinaryArm({ arm: String(index), ...cell }, ['neither', 'first only', 'second only', 'both'][index] + ' cell');
    if (cell.n === 0) throw new RangeError('every cell of the 2 × 2 table needs at least one person');
  }
  const rate = (cell: { n: number; successes: number }) => cell.successes / cell.n;
  const estimate = rate(cells.both) - rate(cells.secondOnly) - (rate(cells.firstOnly) - rate(cells.neither));
  const df = ordered.reduce((total, cell) => total + cell.n, 0) - 4;
  if (ordered.some((cell) => cell.n < 2)) {
    return { estimate, standardError: null, df, interval: null, t: null, pValue: null };
  }
  const variance = ordered.reduce((total, cell) => total + (rate(cell) * (1 - rate(cell))) / (cell.n - 1), 0);
  if (variance === 0) return { estimate, standardError: 0, df, interval: null, t: null, pValue: null };
  const standardError = Math.sqrt(variance);
  const margin = criticalValue(confidence, df) * standardError;
  const t = estimate / standardError;
  return { estimate, standardError, df, interval: [estimate - margin, estimate + margin], t, pValue: studentTTwoSided(t, df) };
}
