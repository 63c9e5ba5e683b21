import type { BinaryArmStats, NumericArmStats } from './types.ts';

/**
 * The one error policy for the analysis functions: bad input (negative or
 * fractional counts, more successes than people, a level outside (0, 1), …)
 * throws a `RangeError` whose message names the offending value. Nothing here
 * returns NaN silently.
 */

/** Throws unless `value` is a whole number ≥ 0 (a count of people). */
export function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of 0 or more (got ${value})`);
  }
}

/** Throws unless the arm's counts make sense: whole numbers, 0 ≤ successes ≤ n. */
export function assertBinaryArm(stats: BinaryArmStats, label = `arm "${stats.arm}"`): void {
  assertCount(stats.n, `${label} n`);
  assertCount(stats.successes, `${label} successes`);
  if (stats.successes > stats.n) {
    throw new RangeError(
      `${label} has more successes (${stats.successes}) than people (${stats.n})`,
    );
  }
}

/** As `assertBinaryArm`, and also throws when nobody is in the arm. */
export function assertNonEmptyBinaryArm(stats: BinaryArmStats, label = `arm "${stats.arm}"`): void {
  assertBinaryArm(stats, label);
  if (stats.n === 0) throw new RangeError(`${label} has no people (n = 0)`);
}

/** Throws unless the arm has a whole n ≥ 2 and finite sums (a sample variance needs two people). */
export function assertNumericArm(stats: NumericArmStats, label = `arm "${stats.arm}"`): void {
  assertCount(stats.n, `${label} n`);
  if (stats.n < 2) throw new RangeError(`${label} needs at least 2 people for a variance (n = ${stats.n})`);
  if (!Number.isFinite(stats.sum) || !Number.isFinite(stats.sumSquares) || stats.sumSquares < 0) {
    throw new RangeError(`${label} sum and sumSquares must be finite, sumSquares ≥ 0`);
  }
}

/** Throws unless `value` lies strictly between 0 and 1 (a confidence level, α, power or rate). */
export function assertOpenUnitInterval(value: number, name: string): void {
  if (!(value > 0 && value < 1)) {
    throw new RangeError(`${name} must be strictly between 0 and 1 (got ${value})`);
  }
}

/** Throws unless `value` is a p-value: a number in [0, 1]. */
export function assertPValue(value: number, name = 'p-value'): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be between 0 and 1 (got ${value})`);
  }
}
