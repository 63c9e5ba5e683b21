import { assertPValue } from './validate-input.ts';

/**
 * Multiple-comparison adjustments of a family of p-values, as R's `p.adjust`.
 *
 * Missing values: a `null` or `NaN` entry is left out of the family (the family
 * size is the number of present p-values, exactly as R's `p.adjust` treats NA)
 * and comes back unchanged, in the same position. Every other entry must be a
 * number in [0, 1], else a RangeError. Output order always matches input order.
 */

type Adjuster = (sorted: number[]) => number[];

function isMissing(value: number | null): value is null {
  return value === null || Number.isNaN(value);
}

function adjustPresent<T extends number | null>(pValues: readonly T[], adjustSorted: Adjuster, ascending: boolean): T[] {
  const present: { index: number; value: number }[] = [];
  pValues.forEach((value, index) => {
    if (isMissing(value)) return;
    assertPValue(value as number, `p-value at position ${index}`);
    present.push({ index, value: value as number });
  });
  // Stable sort keeps ties in input order, as R's order() does.
  const sorted = [...present].sort((left, right) => (ascending ? left.value - right.value : right.value - left.value));
  const adjusted = adjustSorted(sorted.map((entry) => entry.value));
  const result = [...pValues];
  sorted.forEach((entry, rank) => {
    result[entry.index] = adjusted[rank] as T;
  });
  return result;
}

/**
 * Holm's step-down adjustment: controls the family-wise error rate (the chance
 * of any false positive among the comparisons) under any dependence, and is
 * uniformly more powerful than Bonferroni. Used across the arms of one metric.
 *
 * Source: Holm, S. (1979) "A simple sequentially rejective multiple test procedure",
 * Scandinavian Journal of Statistics 6:65–70, https://www.jstor.org/stable/4615733;
 * reference implementation R `p.adjust(p, method = 'holm')`.
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export function holmAdjust(pValues: readonly number[]): number[];
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[];
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  return adjustPresent(
    pValues,
    (ascending) => {
      const size = ascending.length;
      let runningMax = 0;
      return ascending.map((value, rank) => {
        runningMax = Math.max(runningMax, (size - rank) * value);
        return Math.min(1, runningMax);
      });
    },
    true,
  );
}

/**
 * Benjamini–Hochberg adjustment: controls the false discovery rate (the expected
 * share of false positives among the findings) for independent or positively
 * dependent tests. Used across the metrics of an experiment.
 *
 * Source: Benjamini, Y. & Hochberg, Y. (1995) "Controlling the false discovery rate",
 * JRSS B 57:289–300, https://doi.org/10.1111/j.2517-6161.1995.tb02031.x;
 * reference implementation R `p.adjust(p, method = 'BH')`.
 *
 * @example
 * benjaminiHochbergAdjust([0.01, 0.04, 0.03]) // [0.03, 0.04, 0.04]
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[];
export function benjaminiHochbergAdjust(pValues: readonly (number | null)[]): (number | null)[];
export function benjaminiHochbergAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  return adjustPresent(
    pValues,
    (descending) => {
      const size = descending.length;
      let runningMin = 1;
      return descending.map((value, rank) => {
        runningMin = Math.min(runningMin, (size / (size - rank)) * value);
        return runningMin;
      });
    },
    false,
  );
}
