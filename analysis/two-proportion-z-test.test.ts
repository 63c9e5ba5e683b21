import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { twoProportionZTest } from './two-proportion-z-test.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

describe('twoProportionZTest', () => {
  it('matches R prop.test without continuity correction (and statsmodels proportions_ztest)', () => {
    // R: prop.test(c(15, 8), c(50, 50), correct = FALSE)$p.value
    const result = twoProportionZTest(arm(15, 50), arm(8, 50));
    expectClose(result.pValue, 0.096238474911478827);
    expectClose(result.statistic ** 2, 2.766798418972332); // R: prop.test(c(15, 8), c(50, 50), correct = FALSE)$statistic
    expect(result.statistic).toBeGreaterThan(0);
    // R: prop.test(c(30, 18), c(200, 210), correct = FALSE)$p.value
    expectClose(twoProportionZTest(arm(30, 200), arm(18, 210)).pValue, 0.042996225770821003);
    // R: prop.test(c(120, 95), c(1000, 1000), correct = FALSE)$p.value
    expectClose(twoProportionZTest(arm(120, 1000), arm(95, 1000)).pValue, 0.071114061696446185);
  });

  it('keeps precision for very small p-values', () => {
    // R: prop.test(c(3, 40), c(3000, 3000), correct = FALSE)$p.value
    const result = twoProportionZTest(arm(3, 3000), arm(40, 3000));
    expectClose(result.pValue, 1.4894423139874285e-8);
    expect(result.statistic).toBeLessThan(0);
  });

  it('handles one person per arm', () => {
    // R: prop.test(c(1, 0), c(1, 1), correct = FALSE)$p.value
    expectClose(twoProportionZTest(arm(1, 1), arm(0, 1)).pValue, 0.15729920705028447);
  });

  it('returns p = 1 for identical rates and for degenerate tables where R gives NaN', () => {
    expect(twoProportionZTest(arm(50, 100), arm(50, 100)).pValue).toBe(1); // R: 1
    expect(twoProportionZTest(arm(0, 40), arm(0, 35))).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(arm(40, 40), arm(35, 35))).toEqual({ statistic: 0, pValue: 1 });
  });

  it('throws a RangeError for an empty arm', () => {
    expect(() => twoProportionZTest(arm(0, 0), arm(1, 10))).toThrow(RangeError);
  });
});
