import type { Interval } from './types.ts';
import { normalQuantile } from './normal-distribution.ts';
import { assertCount, assertOpenUnitInterval } from './validate-input.ts';

/**
 * Wilson score interval for a single proportion (successes out of n), without
 * continuity correction. Unlike the plain ±1.96·SE interval it stays inside
 * [0, 1] and keeps close to its nominal coverage with tens of people, which is
 * the usual size of an EIU arm.
 *
 * Zero successes give a lower limit of exactly 0 and n successes an upper
 * limit of exactly 1 (as R does). n = 0 throws a RangeError: there is no rate.
 *
 * Source: Wilson, E. B. (1927) "Probable inference, the law of succession, and
 * statistical inference", JASA 22:209–212, https://doi.org/10.1080/01621459.1927.10502953;
 * reference implementation R `prop.test(x, n, correct = FALSE)$conf.int`.
 *
 * @example
 * wilsonInterval(12, 40) // [0.180748, 0.454300] (R: prop.test(12, 40, correct = FALSE)$conf.int)
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  assertCount(n, 'n');
  assertCount(successes, 'successes');
  if (successes > n) throw new RangeError(`successes (${successes}) cannot exceed n (${n})`);
  if (n === 0) throw new RangeError('a Wilson interval needs at least one person (n = 0)');
  assertOpenUnitInterval(confidence, 'confidence');

  const z = normalQuantile((1 + confidence) / 2);
  const rate = successes / n;
  const zSquaredOver2n = (z * z) / (2 * n);
  const denominator = 1 + 2 * zSquaredOver2n;
  const spread = z * Math.sqrt((rate * (1 - rate)) / n + zSquaredOver2n / (2 * n));
  const lower = successes === 0 ? 0 : (rate + zSquaredOver2n - spread) / denominator;
  const upper = successes === n ? 1 : (rate + zSquaredOver2n + spread) / denominator;
  return [lower, upper];
}
