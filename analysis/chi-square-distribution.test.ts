import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, regularizedLowerGamma, regularizedUpperGamma } from './chi-square-distribution.ts';
import { expectClose } from './expect-close.ts';

describe('chiSquareSurvival', () => {
  it('matches R pchisq upper tails across degrees of freedom', () => {
    expectClose(chiSquareSurvival(3.841459, 1), 0.049999994653195726, 1e-12); // R: pchisq(3.841459, 1, lower.tail = FALSE)
    expectClose(chiSquareSurvival(7.1, 2), 0.028724639654239433, 1e-12); // R: pchisq(7.1, 2, lower.tail = FALSE)
    expectClose(chiSquareSurvival(100, 3), 1.5541594313896051e-21, 1e-12); // R: pchisq(100, 3, lower.tail = FALSE)
    expectClose(chiSquareSurvival(0.01, 4), 0.99998754158864567, 1e-12); // R: pchisq(0.01, 4, lower.tail = FALSE)
    expectClose(chiSquareSurvival(30, 10), 0.00085664121077530053, 1e-12); // R: pchisq(30, 10, lower.tail = FALSE)
  });

  it('is 1 at a statistic of 0 and rejects negative statistics or degrees of freedom', () => {
    expect(chiSquareSurvival(0, 2)).toBe(1);
    expect(() => chiSquareSurvival(-1, 2)).toThrow(RangeError);
    expect(() => chiSquareSurvival(1, 0)).toThrow(RangeError);
  });
});

describe('regularized incomplete gamma', () => {
  it('has lower and upper parts that add to one', () => {
    for (const [shape, x] of [[0.5, 0.2], [3, 2.5], [10, 30]]) {
      expectClose(regularizedLowerGamma(shape, x) + regularizedUpperGamma(shape, x), 1, 1e-14);
    }
  });
});
