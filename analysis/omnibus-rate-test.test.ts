import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { omnibusRateTest } from './omnibus-rate-test.ts';

const arms = (successes: number[], sizes: number[]) =>
  successes.map((count, index) => ({ arm: `arm${index}`, n: sizes[index], successes: count }));

describe('omnibusRateTest', () => {
  it('uses the chi-square test when every expected count is at least 5', () => {
    const result = omnibusRateTest(arms([12, 21, 27], [120, 118, 122]));
    // R: chisq.test(matrix(c(12, 21, 27, 108, 97, 95), ncol = 2), correct = FALSE)
    expect(result.test).toBe('chi-square');
    expectClose(result.statistic, 6.5714253959433186);
    expectClose(result.pValue, 0.037413910770850385);
  });

  it('uses the exact Fisher–Freeman–Halton test when any expected count is below 5', () => {
    const result = omnibusRateTest(arms([0, 4], [30, 30]));
    expect(result.test).toBe('fisher-freeman-halton');
    expectClose(result.pValue, 0.1123996431757358638); // R: fisher.test(matrix(c(0, 4, 30, 26), ncol = 2))$p.value
    // the chi-square statistic is still reported: R: chisq.test(matrix(c(0, 4, 30, 26), ncol = 2), correct = FALSE)$statistic
    expectClose(result.statistic, 4.2857142857142856);
    expect(result.df).toBe(1);
    // R: fisher.test(matrix(c(1, 0, 3, 2, 4, 5, 2, 3), ncol = 2))$p.value
    expectClose(omnibusRateTest(arms([1, 0, 3, 2], [5, 5, 5, 5])).pValue, 0.3808049535603649227);
  });

  it('switches at an expected count of exactly 5', () => {
    // smallest expected = 50 × 10 / 100 = 5 → chi-square; 50 × 9 / 100 = 4.5 → exact
    expect(omnibusRateTest(arms([4, 6], [50, 50])).test).toBe('chi-square');
    expect(omnibusRateTest(arms([4, 5], [50, 50])).test).toBe('fisher-freeman-halton');
  });

  it('gives p = 1 when nobody reached the stage, and throws with fewer than two arms with people', () => {
    expect(omnibusRateTest(arms([0, 0, 0], [10, 12, 9]))).toEqual({ statistic: 0, df: 2, pValue: 1, test: 'fisher-freeman-halton' });
    expect(() => omnibusRateTest(arms([3, 0], [10, 0]))).toThrow(/at least two arms/);
  });
});
