import { expect } from 'vitest';

/**
 * Test helper: asserts `actual` is within a relative tolerance of a reference
 * value computed in R or statsmodels (absolute near zero). Used only by tests.
 */
export function expectClose(actual: number | null | undefined, expected: number, relativeTolerance = 1e-9): void {
  expect(actual).toBeTypeOf('number');
  const difference = Math.abs((actual as number) - expected);
  const allowed = relativeTolerance * Math.max(Math.abs(expected), 1e-300) + (expected === 0 ? 1e-15 : 0);
  if (difference > allowed) {
    expect.fail(`expected ${actual} to be within ${relativeTolerance} (relative) of ${expected}`);
  }
}

/** As `expectClose`, for both ends of an interval. */
export function expectIntervalClose(
  actual: readonly [number, number] | null | undefined,
  expected: readonly [number, number],
  relativeTolerance = 1e-9,
): void {
  expect(actual).not.toBeNull();
  expect(actual).toBeDefined();
  expectClose(actual![0], expected[0], relativeTolerance);
  expectClose(actual![1], expected[1], relativeTolerance);
}
