import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { sampleRatioMismatch } from './sample-ratio-mismatch.ts';

describe('sampleRatioMismatch', () => {
  it('matches R chisq.test goodness of fit for an equal split', () => {
    // R: chisq.test(x = c(120, 118, 122), p = c(1, 1, 1) / 3)
    const result = sampleRatioMismatch([120, 118, 122], [1, 1, 1]);
    expectClose(result.statistic, 0.066666666666666666);
    expect(result.df).toBe(2);
    expectClose(result.pValue, 0.9672161004820059);
    expect(result.flagged).toBe(false);
  });

  it('matches R for unequal planned weights, which need not sum to one', () => {
    // R: chisq.test(x = c(210, 390), p = c(1, 2) / 3)
    expectClose(sampleRatioMismatch([210, 390], [1, 2]).pValue, 0.38647623077123266);
    // R: chisq.test(x = c(50, 50, 100), p = c(0.25, 0.25, 0.5))
    expect(sampleRatioMismatch([50, 50, 100], [0.25, 0.25, 0.5])).toEqual({ statistic: 0, df: 2, pValue: 1, flagged: false });
  });

  it('flags only when p < 0.001', () => {
    // R: chisq.test(x = c(500, 430), p = c(1, 1) / 2)$p.value = 0.0217: suspicious but not flagged
    const mild = sampleRatioMismatch([500, 430], [1, 1]);
    expectClose(mild.pValue, 0.02171075957802723);
    expect(mild.flagged).toBe(false);
    // R: chisq.test(x = c(1000, 1100, 900), p = c(1, 1, 1) / 3)
    const severe = sampleRatioMismatch([1000, 1100, 900], [1, 1, 1]);
    expectClose(severe.statistic, 20);
    expectClose(severe.pValue, 4.5399929762484854e-5);
    expect(severe.flagged).toBe(true);
    // R: chisq.test(x = c(300, 200), p = c(1, 1) / 2)
    expectClose(sampleRatioMismatch([300, 200], [1, 1]).pValue, 7.7442164310440858e-6);
  });

  it('flags an arm nobody was assigned to', () => {
    expect(sampleRatioMismatch([0, 40], [1, 1]).flagged).toBe(true);
  });

  it('throws a RangeError for mismatched lengths, bad weights, bad counts or nobody at all', () => {
    expect(() => sampleRatioMismatch([10, 12], [1, 1, 1])).toThrow(/2 arm counts but 3 planned weights/);
    expect(() => sampleRatioMismatch([10, 12], [1, 0])).toThrow(/positive/);
    expect(() => sampleRatioMismatch([10, 12], [1, -1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([10, 1.5], [1, 1])).toThrow(RangeError);
    expect(() => sampleRatioMismatch([0, 0], [1, 1])).toThrow(/at least one person/);
    expect(() => sampleRatioMismatch([10], [1])).toThrow(/two arms/);
  });
});
