import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import { newcombeDifferenceInterval } from './newcombe-difference-interval.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

describe('newcombeDifferenceInterval', () => {
  it('matches statsmodels for typical small trials', () => {
    // python: confint_proportions_2indep(15, 50, 8, 50, method='newcomb', compare='diff')
    const result = newcombeDifferenceInterval(arm(15, 50), arm(8, 50, 'control'));
    expectClose(result.difference, 0.14);
    expectIntervalClose(result.interval, [-0.025933164250094065, 0.2974125978950617]);
    // python: confint_proportions_2indep(30, 200, 18, 210, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(30, 200), arm(18, 210)).interval, [0.0016338784672587647, 0.12825028031768743]);
    // python: confint_proportions_2indep(12, 120, 21, 118, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(12, 120), arm(21, 118)).interval, [-0.16721750132820606, 0.01075036824051362]);
    // python: confint_proportions_2indep(5, 2000, 11, 2000, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(5, 2000), arm(11, 2000)).interval, [-0.007553017277151108, 0.0011274593384967848]);
  });

  it('uses the requested confidence level', () => {
    // python: confint_proportions_2indep(30, 200, 18, 210, method='newcomb', compare='diff', alpha=0.1)
    expectIntervalClose(newcombeDifferenceInterval(arm(30, 200), arm(18, 210), 0.9).interval, [0.011871838251918204, 0.11765508858973892]);
  });

  it('handles zero successes and all successes', () => {
    // python: confint_proportions_2indep(0, 20, 3, 20, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(0, 20), arm(3, 20)).interval, [-0.36041886474075696, 0.0383963331262675]);
    // python: confint_proportions_2indep(20, 20, 15, 20, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(20, 20), arm(15, 20)).interval, [0.03776544556663017, 0.4687008776187441]);
    // python: confint_proportions_2indep(0, 30, 0, 30, method='newcomb', compare='diff')
    const none = newcombeDifferenceInterval(arm(0, 30), arm(0, 30));
    expect(none.difference).toBe(0);
    expectIntervalClose(none.interval, [-0.1135133931739688, 0.1135133931739688]);
  });

  it('handles one person per arm', () => {
    // python: confint_proportions_2indep(1, 1, 0, 1, method='newcomb', compare='diff')
    expectIntervalClose(newcombeDifferenceInterval(arm(1, 1), arm(0, 1)).interval, [-0.12210872068194178, 1.0]);
  });

  it('throws a RangeError naming the arm when an arm is empty', () => {
    expect(() => newcombeDifferenceInterval(arm(0, 0, 'text'), arm(3, 20, 'letter'))).toThrow(/arm "text" has no people/);
    expect(() => newcombeDifferenceInterval(arm(1, 10), arm(0, 0, 'letter'))).toThrow(/control arm "letter"/);
    expect(() => newcombeDifferenceInterval(arm(11, 10), arm(1, 10))).toThrow(RangeError);
  });
});
