import { describe, expect, it } from 'vitest';
import { expectClose } from '../expect-close.ts';
import { alphaSpent } from './alpha-spending.ts';

describe('alphaSpent', () => {
  it('is rpact’s two-sided O’Brien–Fleming-like spending: each side spends α/2', () => {
    // R: 4 * pnorm(qnorm(1 - 0.05 / 4) / sqrt(c(0.25, 0.5, 0.75, 0.13)), lower.tail = FALSE)
    expectClose(alphaSpent(0.25), 1.4733616871738838e-5, 1e-10);
    expectClose(alphaSpent(0.5), 3.0506455159778033e-3, 1e-10);
    expectClose(alphaSpent(0.75), 1.9298649907024013e-2, 1e-10);
    expectClose(alphaSpent(0.13), 1.0165212369657934e-9, 1e-10);
    // rpact reports the same to its search tolerance (1e-8 in α):
    // R: getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$alphaSpent
    expectClose(alphaSpent(0.5), 0.00305064550484982, 1e-8);
    expectClose(alphaSpent(0.75), 0.019298649625411772, 1e-7);
  });

  it('is rpact’s Pocock-like spending', () => {
    // R: 0.05 * log(1 + (exp(1) - 1) * c(0.25, 0.5, 0.75))
    expectClose(alphaSpent(0.25, { spending: 'pocock' }), 0.017868700975439421, 1e-12);
    expectClose(alphaSpent(0.5, { spending: 'pocock' }), 0.031005725347913876, 1e-12);
    expectClose(alphaSpent(0.75, { spending: 'pocock' }), 0.041399446962143489, 1e-12);
    // R: getDesignGroupSequential(typeOfDesign = "asP", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$alphaSpent[2]
    expectClose(alphaSpent(0.5, { spending: 'pocock' }), 0.0310057255938815, 1e-8);
  });

  it('spends all of α at the planned end and nothing more when the trial overruns', () => {
    expect(alphaSpent(1)).toBe(0.05);
    expect(alphaSpent(1.4, { alpha: 0.1, spending: 'pocock' })).toBe(0.1);
    expect(alphaSpent(0)).toBe(0);
  });

  it('never decreases with information, for either shape', () => {
    for (const spending of ['obf', 'pocock'] as const) {
      let previous = 0;
      for (let t = 0.01; t <= 1.2; t += 0.01) {
        const spent = alphaSpent(t, { spending });
        expect(spent).toBeGreaterThanOrEqual(previous);
        previous = spent;
      }
    }
  });

  it('throws a RangeError for a negative fraction, a bad α or an unknown shape', () => {
    expect(() => alphaSpent(-0.1)).toThrow(RangeError);
    expect(() => alphaSpent(0.5, { alpha: 1 })).toThrow(/alpha/);
    expect(() => alphaSpent(0.5, { spending: 'haybittle' as never })).toThrow(/spending must be one of/);
  });
});
