import type { Interval } from './types.ts';
import { normalQuantile } from './normal-distribution.ts';
import { assertCount, assertOpenUnitInterval } from './validate-input.ts';

/**
 * Wilson score interval for a single proportion with Yates's continuity
 * correction: each limit is the Wilson limit for the rate moved half a person
 * outwards, (successes ± ½) ÷ n. The plain Wilson interval covers only 92.2%
 * when the true rate is 2% and n = 50, and 92.4% at 30% and n = 10; with the
 * correction every cell of the grid in docs/decisions/0022-small-sample-intervals.md
 * is covered at least 95.4% of the time. It is the one-arm case of the
 * half-step correction the difference and ratio intervals use.
 *
 * Zero successes give a lower limit of exactly 0 and n successes an upper
 * limit of exactly 1. n = 0 throws a RangeError: there is no rate.
 *
 * Source: Newcombe, R. G. (1998) "Two-sided confidence intervals for the
 * single proportion: comparison of seven methods", Statistics in Medicine
 * 17:857–872 (method 4), https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E;
 * reference implementation R `prop.test(x, n, correct = TRUE)$conf.int`. (R
 * drops the correction when x = n·p for its null p, 0.5 by default; pass a p
 * away from x/n, e.g. `p = 0.01`, to get the corrected interval there too.)
 *
 * @example
 * continuityCorrectedWilsonInterval(12, 40) // [0.170859, 0.467113] (R: prop.test(12, 40, correct = TRUE)$conf.int)
 */
export function continuityCorrectedWilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  assertCount(n, 'n');
  assertCount(successes, 'successes');
  if (successes > n) throw new RangeError(`successes (${successes}) cannot exceed n (${n})`);
  if (n === 0) throw new RangeError('a Wilson interval needs at least one person (n = 0)');
  assertOpenUnitInterval(confidence, 'confidence');

  const z = normalQuantile((1 + confidence) / 2);
  const zSquaredOver2n = (z * z) / (2 * n);
  const denominator = 1 + 2 * zSquaredOver2n;
  const limit = (rate: number, sign: 1 | -1) =>
    (rate + zSquaredOver2n + sign * z * Math.sqrt((rate * (1 - rate)) / n + zSquaredOver2n / (2 * n))) / denominator;
  const lowerRate = (successes - 0.5) / n;
  const upperRate = (successes + 0.5) / n;
  return [lowerRate <= 0 ? 0 : limit(lowerRate, -1), upperRate >= 1 ? 1 : limit(upperRate, 1)];
}
