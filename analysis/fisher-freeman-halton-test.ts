import { gammaln } from 'simple-statistics';
import type { BinaryArmStats } from './types.ts';
import { assertBinaryArm } from './validate-input.ts';

/** R's relative tolerance for "as or less likely than the observed table" (as `fisherExactTest`). */
const RELATIVE_TOLERANCE = 1e-7;

/**
 * Past this many steps of the search the table is too big for an exact answer
 * in reasonable time (R's `fisher.test` stops too, asking for more workspace).
 */
const MAXIMUM_STEPS = 20_000_000;

function logChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/** log(e^a + e^b) without overflow. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const larger = Math.max(a, b);
  return larger + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Fisher–Freeman–Halton exact test of "every arm has the same rate" on the
 * arms × (reached, did not) table: with the arm sizes and the total reached
 * fixed, the probability of a table as or less likely than the one observed.
 * It is the r × 2 generalisation of Fisher's exact test, for the omnibus test
 * when expected counts are too small for the chi-square approximation.
 *
 * Tables are enumerated arm by arm with the network algorithm's pruning: at
 * each partial table the most and least likely completions are known (a small
 * dynamic programme), so whole branches that all count, or all do not, are
 * settled at once (the branch's total probability is a Vandermonde sum). Ties
 * use R's relative tolerance of 1e-7.
 *
 * Arms with n = 0 are left out; fewer than two arms with people, or nobody
 * (or everybody) reaching the stage, give p = 1. Returns null when the table
 * is too large to enumerate (more than 20 million steps; then counts are
 * large and the chi-square approximation is sound).
 *
 * Source: Freeman, G. H. & Halton, J. H. (1951) "Note on an exact treatment of
 * contingency, goodness of fit and other problems of significance",
 * Biometrika 38:141–149; Mehta, C. R. & Patel, N. R. (1983) "A network
 * algorithm for performing Fisher's exact test in r × c contingency tables",
 * JASA 78:427–434; reference implementation R
 * `fisher.test(matrix(c(successes, failures), ncol = 2))$p.value`.
 *
 * @example
 * fisherFreemanHaltonTest([
 *   { arm: 'letter', n: 30, successes: 0 },
 *   { arm: 'text', n: 30, successes: 4 },
 *   { arm: 'phone', n: 30, successes: 3 },
 * ]) // { pValue: 0.140233 } (R: fisher.test(matrix(c(0, 4, 3, 30, 26, 27), ncol = 2))$p.value)
 */
export function fisherFreemanHaltonTest(arms: readonly BinaryArmStats[]): { pValue: number } | null {
  arms.forEach((arm) => assertBinaryArm(arm));
  const rows = arms.filter((arm) => arm.n > 0);
  const total = rows.reduce((sum, arm) => sum + arm.n, 0);
  const reached = rows.reduce((sum, arm) => sum + arm.successes, 0);
  if (rows.length < 2 || reached === 0 || reached === total) return { pValue: 1 };

  // Work with the smaller column, and put the largest arm last: its count is
  // then fixed by the others and never enumerated.
  const useReached = reached <= total - reached;
  const column = useReached ? reached : total - reached;
  const ordered = rows
    .map((arm) => ({ n: arm.n, count: useReached ? arm.successes : arm.n - arm.successes }))
    .sort((a, b) => a.n - b.n);
  const sizes = ordered.map((row) => row.n);
  const rowCount = sizes.length;
  const logChooses = sizes.map((n) => Array.from({ length: Math.min(n, column) + 1 }, (_, x) => logChoose(n, x)));

  // Arms i..end: how many people they hold, and for each number s still to
  // place among them the largest and smallest log Π C(n, x) over completions.
  const peopleFrom = new Array<number>(rowCount + 1).fill(0);
  for (let i = rowCount - 1; i >= 0; i--) peopleFrom[i] = peopleFrom[i + 1] + sizes[i];
  const most: Float64Array[] = [];
  const least: Float64Array[] = [];
  for (let i = rowCount - 1; i >= 0; i--) {
    const mostHere = new Float64Array(column + 1).fill(-Infinity);
    const leastHere = new Float64Array(column + 1).fill(Infinity);
    for (let s = 0; s <= Math.min(column, peopleFrom[i]); s++) {
      if (i === rowCount - 1) {
        if (s <= sizes[i]) mostHere[s] = leastHere[s] = logChooses[i][s];
        continue;
      }
      const next = rowCount - 1 - (i + 1);
      for (let x = Math.max(0, s - peopleFrom[i + 1]); x <= Math.min(sizes[i], s); x++) {
        mostHere[s] = Math.max(mostHere[s], logChooses[i][x] + most[next][s - x]);
        leastHere[s] = Math.min(leastHere[s], logChooses[i][x] + least[next][s - x]);
      }
    }
    most.push(mostHere);
    least.push(leastHere);
  }
  const mostFrom = (i: number) => most[rowCount - 1 - i];
  const leastFrom = (i: number) => least[rowCount - 1 - i];

  const logDenominator = logChoose(total, column);
  const observed = ordered.reduce((sum, row, i) => sum + logChooses[i][row.count], 0);
  const threshold = observed + Math.log1p(RELATIVE_TOLERANCE);

  let logAsExtreme = -Infinity;
  let steps = 0;
  const visit = (i: number, remaining: number, partial: number): boolean => {
    if (++steps > MAXIMUM_STEPS) return false;
    if (partial + mostFrom(i)[remaining] <= threshold) {
      // Every completion is as or less likely: add them all (Vandermonde's identity).
      logAsExtreme = logAdd(logAsExtreme, partial + logChoose(peopleFrom[i], remaining));
      return true;
    }
    if (partial + leastFrom(i)[remaining] > threshold) return true;
    // i < last arm here: the last arm's completion is unique, so one of the checks above settled it.
    for (let x = Math.max(0, remaining - peopleFrom[i + 1]); x <= Math.min(sizes[i], remaining); x++) {
      if (!visit(i + 1, remaining - x, partial + logChooses[i][x])) return false;
    }
    return true;
  };
  if (!visit(0, column, 0)) return null;
  return { pValue: Math.min(1, Math.exp(logAsExtreme - logDenominator)) };
}
