import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../seed/mulberry32.ts';
import { differenceOfDifferences, type TwoByTwoCells } from './difference-of-differences.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';

// Reference: Rscript (R 4.2.2, estimatr), options(digits = 17), the counts expanded to one row per person:
//   d <- data.frame(a, b, y)   # a = 1 for the first factor's non-reference level, b likewise
//   m <- estimatr::lm_robust(y ~ a * b, data = d, se_type = "HC2")   # add alpha = 0.1 for 90%
//   summary(m)$coefficients["a:b", ]   # Estimate, Std. Error, t value, Pr(>|t|), CI Lower, CI Upper, DF

const channelByTone: TwoByTwoCells = {
  neither: { n: 120, successes: 24 },
  firstOnly: { n: 121, successes: 25 },
  secondOnly: { n: 118, successes: 22 },
  both: { n: 119, successes: 46 },
};

describe('differenceOfDifferences', () => {
  it('matches the interaction coefficient of a linear probability model with HC2 errors', () => {
    const result = differenceOfDifferences(channelByTone);
    // R: lm_robust(y ~ a * b, se_type = "HC2") on n = 120, 121, 118, 119 and s = 24, 25, 22, 46
    expectClose(result.estimate, 0.193502373634703934);
    expectClose(result.standardError, 0.077566469601689489);
    expectClose(result.t, 2.494665215889743326);
    expectClose(result.pValue, 0.012946962599391388, 1e-8);
    expectIntervalClose(result.interval, [0.041085706495055163, 0.345919040774352704], 1e-8);
    expect(result.df).toBe(474);
  });

  it('gives the 90% interval R gives with alpha = 0.1', () => {
    // R: lm_robust(y ~ a * b, se_type = "HC2", alpha = 0.1): conf.low, conf.high for a:b
    expectIntervalClose(differenceOfDifferences(channelByTone, 0.9).interval, [0.065667040606934707, 0.321337706662473188], 1e-8);
  });

  it('reports a small interaction in small cells as unclear', () => {
    const result = differenceOfDifferences({
      neither: { n: 40, successes: 6 },
      firstOnly: { n: 42, successes: 11 },
      secondOnly: { n: 38, successes: 9 },
      both: { n: 41, successes: 17 },
    });
    // R: lm_robust(y ~ a * b, se_type = "HC2") on n = 40, 42, 38, 41 and s = 6, 11, 9, 17
    expectClose(result.estimate, 0.065887279173544575);
    expectClose(result.standardError, 0.13761184766391979);
    expectClose(result.pValue, 0.632753635059188357, 1e-8);
    expectIntervalClose(result.interval, [-0.205922151043175905, 0.337696709390265082], 1e-8);
  });

  it('has no interval or p-value when a cell has one person or every cell is at 0% or 100%', () => {
    const lonely = differenceOfDifferences({ ...channelByTone, both: { n: 1, successes: 1 } });
    expect(lonely).toMatchObject({ interval: null, t: null, pValue: null, standardError: null });
    expectClose(lonely.estimate, 1 - 22 / 118 - (25 / 121 - 24 / 120));
    const extremes = differenceOfDifferences({
      neither: { n: 12, successes: 0 },
      firstOnly: { n: 11, successes: 11 },
      secondOnly: { n: 10, successes: 0 },
      both: { n: 13, successes: 0 },
    });
    expect(extremes).toMatchObject({ estimate: -1, standardError: 0, interval: null, pValue: null });
  });

  it('refuses an empty cell and impossible counts', () => {
    expect(() => differenceOfDifferences({ ...channelByTone, neither: { n: 0, successes: 0 } })).toThrow(RangeError);
    expect(() => differenceOfDifferences({ ...channelByTone, both: { n: 5, successes: 6 } })).toThrow(RangeError);
    expect(() => differenceOfDifferences(channelByTone, 1)).toThrow(RangeError);
  });

  it('rejects "no interaction" about 5% of the time when there is none', () => {
    // Additive rates (no interaction on the rate scale), 60 people a cell: the test's size should be near 5%.
    const random = mulberry32(20260026);
    const rates = { neither: 0.15, firstOnly: 0.25, secondOnly: 0.3, both: 0.4 };
    const draw = (n: number, rate: number) => {
      let successes = 0;
      for (let i = 0; i < n; i++) if (random() < rate) successes += 1;
      return { n, successes };
    };
    const simulations = 4000;
    let rejected = 0;
    for (let s = 0; s < simulations; s++) {
      const cells = {
        neither: draw(60, rates.neither),
        firstOnly: draw(60, rates.firstOnly),
        secondOnly: draw(60, rates.secondOnly),
        both: draw(60, rates.both),
      };
      const { pValue } = differenceOfDifferences(cells);
      if (pValue !== null && pValue < 0.05) rejected += 1;
    }
    // Binomial standard error of a 5% rate over 4000 runs is 0.34 points; allow about three.
    expect(rejected / simulations).toBeGreaterThan(0.04);
    expect(rejected / simulations).toBeLessThan(0.06);
  });
});
