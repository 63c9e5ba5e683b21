import { describe, expect, it } from 'vitest';
import { chiSquareIndependence } from './chi-square-independence.ts';
import { expectClose } from './expect-close.ts';

const arms = (successes: number[], ns: number[]) => successes.map((x, index) => ({ arm: `arm${index}`, n: ns[index], successes: x }));

describe('chiSquareIndependence', () => {
  it('matches R chisq.test without continuity correction for three arms', () => {
    // R: chisq.test(matrix(c(c(12, 21, 27), c(120, 118, 122) - c(12, 21, 27)), ncol = 2), correct = FALSE)
    const result = chiSquareIndependence(arms([12, 21, 27], [120, 118, 122]));
    expectClose(result.statistic, 6.5714253959433186);
    expect(result.df).toBe(2);
    expectClose(result.pValue, 0.037413910770850385);
  });

  it('equals the two-proportion z-test for two arms', () => {
    // R: chisq.test(matrix(c(15, 8, 35, 42), ncol = 2), correct = FALSE)
    const result = chiSquareIndependence(arms([15, 8], [50, 50]));
    expectClose(result.statistic, 2.766798418972332);
    expectClose(result.pValue, 0.096238474911478827);
  });

  it('matches R for four arms, small and large', () => {
    // R: chisq.test(matrix(c(c(1, 0, 3, 2), c(4, 5, 2, 3)), ncol = 2), correct = FALSE)
    const small = chiSquareIndependence(arms([1, 0, 3, 2], [5, 5, 5, 5]));
    expectClose(small.statistic, 4.7619047619047619);
    expect(small.df).toBe(3);
    expectClose(small.pValue, 0.19008523190369528);
    // R: chisq.test(matrix(c(c(200, 230, 260, 190), 2000 - c(200, 230, 260, 190)), ncol = 2), correct = FALSE)
    const large = chiSquareIndependence(arms([200, 230, 260, 190], [2000, 2000, 2000, 2000]));
    expectClose(large.statistic, 15.321756894790603);
    expectClose(large.pValue, 0.0015613426082705668);
  });

  it('returns statistic 0 and p = 1 when nobody (or everybody) reached the stage, where R gives NaN', () => {
    expect(chiSquareIndependence(arms([0, 0, 0], [10, 12, 9]))).toEqual({ statistic: 0, df: 2, pValue: 1 });
    expect(chiSquareIndependence(arms([10, 12, 9], [10, 12, 9]))).toEqual({ statistic: 0, df: 2, pValue: 1 });
  });

  it('leaves out arms with nobody in them', () => {
    const withEmpty = chiSquareIndependence(arms([15, 8, 0], [50, 50, 0]));
    expectClose(withEmpty.statistic, 2.766798418972332); // as the two-arm table above
    expect(withEmpty.df).toBe(1);
  });

  it('throws a RangeError with fewer than two arms with people, or impossible counts', () => {
    expect(() => chiSquareIndependence(arms([3], [10]))).toThrow(/at least two arms/);
    expect(() => chiSquareIndependence(arms([3, 0], [10, 0]))).toThrow(RangeError);
    expect(() => chiSquareIndependence(arms([11, 3], [10, 10]))).toThrow(RangeError);
  });
});
