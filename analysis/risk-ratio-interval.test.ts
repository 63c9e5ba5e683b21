import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import { relativeUpliftInterval, riskRatioInterval } from './risk-ratio-interval.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

// statsmodels' compare='ratio', method='log' uses exactly the Katz variance
// 1/x1 − 1/n1 + 1/x2 − 1/n2 with nothing added, so it is the reference here.
describe('riskRatioInterval', () => {
  it('matches the statsmodels log (Katz) interval', () => {
    // python: confint_proportions_2indep(15, 50, 8, 50, compare='ratio', method='log')
    const result = riskRatioInterval(arm(15, 50), arm(8, 50));
    expectClose(result?.riskRatio, 1.875);
    expectIntervalClose(result?.interval, [0.8739888603405795, 4.022505502678852]);
    // python: confint_proportions_2indep(30, 200, 18, 210, compare='ratio', method='log')
    expectIntervalClose(riskRatioInterval(arm(30, 200), arm(18, 210))?.interval, [1.0083217808895257, 3.0372248800361232]);
    // python: confint_proportions_2indep(5, 2000, 11, 2000, compare='ratio', method='log')
    expectIntervalClose(riskRatioInterval(arm(5, 2000), arm(11, 2000))?.interval, [0.15822063119417323, 1.3058446846566667]);
  });

  it('uses the requested confidence level', () => {
    // python: confint_proportions_2indep(30, 200, 18, 210, compare='ratio', method='log', alpha=0.1)
    expectIntervalClose(riskRatioInterval(arm(30, 200), arm(18, 210), 0.9)?.interval, [1.101779250822222, 2.7795949122426804]);
  });

  it('handles all successes and a single person', () => {
    // python: confint_proportions_2indep(20, 20, 15, 20, compare='ratio', method='log')
    expectIntervalClose(riskRatioInterval(arm(20, 20), arm(15, 20))?.interval, [1.0352591792213783, 1.7172296691103475]);
    // python: confint_proportions_2indep(1, 1, 1, 3, compare='ratio', method='log')
    expectIntervalClose(riskRatioInterval(arm(1, 1), arm(1, 3))?.interval, [0.6055055176673002, 14.86361352192519]);
  });

  it('returns null when either arm has no successes', () => {
    expect(riskRatioInterval(arm(0, 20), arm(3, 20))).toBeNull();
    expect(riskRatioInterval(arm(3, 20), arm(0, 20))).toBeNull();
    expect(riskRatioInterval(arm(0, 20), arm(0, 20))).toBeNull();
  });

  it('throws a RangeError for an empty arm', () => {
    expect(() => riskRatioInterval(arm(0, 0), arm(3, 20))).toThrow(RangeError);
  });
});

describe('relativeUpliftInterval', () => {
  it('is the risk ratio and its interval shifted down by one', () => {
    // python: confint_proportions_2indep(21, 118, 12, 120, compare='ratio', method='log') minus 1
    const result = relativeUpliftInterval(arm(21, 118), arm(12, 120));
    expectClose(result?.relativeUplift, 21 / 118 / (12 / 120) - 1);
    expectIntervalClose(result?.interval, [0.9178178865101482 - 1, 3.4507862418014357 - 1]);
  });

  it('returns null when a rate is zero', () => {
    expect(relativeUpliftInterval(arm(4, 20), arm(0, 20))).toBeNull();
  });
});
