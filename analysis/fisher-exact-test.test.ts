import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { fisherExactTest } from './fisher-exact-test.ts';

describe('fisherExactTest', () => {
  it('matches R fisher.test two-sided p-values', () => {
    expectClose(fisherExactTest(3, 9, 10, 2).pValue, 0.012278137799742326); // R: fisher.test(matrix(c(3, 10, 9, 2), 2))$p.value
    expectClose(fisherExactTest(0, 10, 5, 5).pValue, 0.032507739938080538); // R: fisher.test(matrix(c(0, 5, 10, 5), 2))$p.value
    expectClose(fisherExactTest(2, 48, 9, 41).pValue, 0.05112093374568652); // R: fisher.test(matrix(c(2, 9, 48, 41), 2))$p.value
    expectClose(fisherExactTest(40, 960, 20, 980).pValue, 0.01213954151555879); // R: fisher.test(matrix(c(40, 20, 960, 980), 2))$p.value
  });

  it('counts tables tied with the observed one, as R does with its 1e-7 tolerance', () => {
    expect(fisherExactTest(7, 13, 7, 13).pValue).toBeCloseTo(1, 12); // R: fisher.test(matrix(c(7, 7, 13, 13), 2))$p.value = 1
    expect(fisherExactTest(1, 2, 3, 4).pValue).toBeCloseTo(1, 12); // R: fisher.test(matrix(c(1, 3, 2, 4), 2))$p.value = 1
  });

  it('returns 1 for tables with only one possible arrangement', () => {
    expect(fisherExactTest(0, 20, 0, 20).pValue).toBe(1); // R: fisher.test(matrix(c(0, 0, 20, 20), 2))$p.value = 1
    expect(fisherExactTest(1, 0, 0, 1).pValue).toBe(1); // R: fisher.test(matrix(c(1, 0, 0, 1), 2))$p.value = 1
    expect(fisherExactTest(0, 0, 3, 4).pValue).toBe(1); // R: fisher.test(matrix(c(0, 3, 0, 4), 2))$p.value = 1
  });

  it('throws a RangeError for negative or fractional cells', () => {
    expect(() => fisherExactTest(-1, 2, 3, 4)).toThrow(/cell a/);
    expect(() => fisherExactTest(1, 2.5, 3, 4)).toThrow(RangeError);
  });
});
