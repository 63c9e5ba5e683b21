import { describe, expect, it } from 'vitest';
import { compareProportions } from './compare-proportions.ts';
import { expectClose } from './expect-close.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

describe('compareProportions', () => {
  it('uses the z-test when every expected count is at least 5', () => {
    const result = compareProportions(arm(15, 50), arm(8, 50));
    expect(result.test).toBe('z');
    expectClose(result.pValue, 0.096238474911478827); // R: prop.test(c(15, 8), c(50, 50), correct = FALSE)$p.value
  });

  it('switches to Fisher when an expected count is below 5', () => {
    // 7 successes among 16 people: expected successes per arm = 8 × 7 / 16 = 3.5
    const result = compareProportions(arm(1, 8), arm(6, 8));
    expect(result.test).toBe('fisher');
    expectClose(result.pValue, 0.040559440559440579); // R: fisher.test(matrix(c(1, 6, 7, 2), 2))$p.value
    // a small arm beside a large control: expected arm successes = 50 × 62 / 1050 ≈ 2.95
    const unbalanced = compareProportions(arm(2, 50), arm(60, 1000));
    expect(unbalanced.test).toBe('fisher');
    expectClose(unbalanced.pValue, 0.76326483095840669); // R: fisher.test(matrix(c(2, 60, 48, 940), 2))$p.value
  });

  it('switches exactly at an expected count of 5', () => {
    // successes 10 of 100 in total, 50 per arm: expected successes 5 in each arm → z
    expect(compareProportions(arm(4, 50), arm(6, 50)).test).toBe('z');
    // 9 successes in total: expected 4.5 → Fisher
    expect(compareProportions(arm(4, 50), arm(5, 50)).test).toBe('fisher');
  });

  it('gives p = 1 from Fisher when nobody, or everybody, reached the stage', () => {
    expect(compareProportions(arm(0, 200), arm(0, 200))).toEqual({ pValue: 1, test: 'fisher' });
    expect(compareProportions(arm(200, 200), arm(180, 180))).toEqual({ pValue: 1, test: 'fisher' });
  });

  it('handles one person per arm with Fisher', () => {
    expect(compareProportions(arm(1, 1), arm(0, 1))).toEqual({ pValue: 1, test: 'fisher' }); // R: fisher.test(matrix(c(1, 0, 0, 1), 2))$p.value
  });

  it('throws a RangeError for an empty arm', () => {
    expect(() => compareProportions(arm(0, 0), arm(1, 10))).toThrow(RangeError);
  });
});
