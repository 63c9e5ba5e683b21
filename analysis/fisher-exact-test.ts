import { gammaln } from 'simple-statistics';
import { assertCount } from './validate-input.ts';

/** R's relative tolerance for "as or less likely than the observed table". */
const RELATIVE_TOLERANCE = 1 + 1e-7;

function logChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Fisher's exact test for a 2×2 table, two-sided: the probability, with all
 * margins fixed, of a table as or less likely than the one observed
 * (hypergeometric, computed with log-gamma so counts in the thousands are fine).
 *
 * Table layout (rows are arms, columns outcomes):
 *
 *     |           | reached | did not |
 *     | arm       |    a    |    b    |
 *     | control   |    c    |    d    |
 *
 * "As or less likely" uses R's relative tolerance: probabilities up to
 * (1 + 1e-7) × the observed one count, so floating-point ties are not lost.
 * A table whose margins allow only one arrangement (e.g. nobody reached the
 * stage) has p = 1.
 *
 * Source: Fisher, R. A. (1935) "The logic of inductive inference", JRSS 98:39–82;
 * reference implementation R `fisher.test(matrix(c(a, c, b, d), 2))$p.value`
 * (https://github.com/wch/r-source/blob/trunk/src/library/stats/R/fisher.test.R).
 *
 * @example
 * fisherExactTest(3, 9, 10, 2) // { pValue: 0.012278 } (R: fisher.test(matrix(c(3, 10, 9, 2), 2))$p.value)
 */
export function fisherExactTest(a: number, b: number, c: number, d: number): { pValue: number } {
  assertCount(a, 'cell a');
  assertCount(b, 'cell b');
  assertCount(c, 'cell c');
  assertCount(d, 'cell d');
  const firstColumn = a + c; // R's m
  const secondColumn = b + d; // R's n
  const firstRow = a + b; // R's k
  const lowest = Math.max(0, firstRow - secondColumn);
  const highest = Math.min(firstRow, firstColumn);
  if (lowest === highest) return { pValue: 1 };

  const logProbabilities: number[] = [];
  for (let x = lowest; x <= highest; x++) {
    logProbabilities.push(logChoose(firstColumn, x) + logChoose(secondColumn, firstRow - x));
  }
  const largest = Math.max(...logProbabilities);
  const weights = logProbabilities.map((value) => Math.exp(value - largest));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const observed = weights[a - lowest];
  let asExtreme = 0;
  for (const weight of weights) if (weight <= observed * RELATIVE_TOLERANCE) asExtreme += weight;
  return { pValue: Math.min(1, asExtreme / total) };
}
