import { describe, expect, it } from 'vitest';
import {
  alwaysValidPValue,
  confidenceSequenceDifference,
  confidenceSequenceHalfWidth,
  sequentialRho,
} from './confidence-sequence.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import { twoProportionZTest } from './two-proportion-z-test.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

// Reference values come from the same formula evaluated in R (gbstats is not installable
// offline, so the formula was checked against its source instead):
//   rho <- function(alpha, T) sqrt((-2 * log(alpha) + log(-2 * log(alpha) + 1)) / T)
//   hw  <- function(v, N, alpha, T) { r <- rho(alpha, T); sqrt(v * N) * sqrt((2 * (N * r^2 + 1) / (N^2 * r^2)) * log(sqrt(N * r^2 + 1) / alpha)) }
//   csb(xa, na, xc, nc, T, alpha): d <- xa/na - xc/nc; v <- pa*(1-pa)/na + pc*(1-pc)/nc; c(d - hw(v, na + nc, alpha, T), d + hw(...))
//   p-value: exp(uniroot(function(la) abs(d) - hw(v, na + nc, exp(la), T), c(log(1e-12), log(1 - 1e-9)), tol = 1e-13)$root)
describe('sequentialRho and confidenceSequenceHalfWidth', () => {
  it('match the gbstats formula evaluated in R', () => {
    expectClose(sequentialRho(0.05, 1000), 0.089085097528922116, 1e-12); // R: rho(0.05, 1000)
    // R: hw(0.00064, 500, 0.05, 1000)
    expectClose(confidenceSequenceHalfWidth({ variance: 0.00064, totalN: 500, alpha: 0.05, plannedTotal: 1000 }), 0.078008803672329305, 1e-12);
  });

  it('is wider than the fixed-horizon interval it replaces', () => {
    const variance = 0.00064;
    const fixed = 1.959963984540054 * Math.sqrt(variance);
    expect(confidenceSequenceHalfWidth({ variance, totalN: 500, plannedTotal: 1000 })).toBeGreaterThan(fixed);
  });

  it('narrows as α grows, so the p-value bisection is well defined', () => {
    let previous = Infinity;
    for (let logAlpha = -25; logAlpha < -1e-6; logAlpha += 0.05) {
      const halfWidth = confidenceSequenceHalfWidth({ variance: 1, totalN: 300, alpha: Math.exp(logAlpha), plannedTotal: 1000 });
      expect(halfWidth).toBeLessThanOrEqual(previous);
      previous = halfWidth;
    }
  });

  it('throws a RangeError for a bad α, planned total or variance', () => {
    expect(() => sequentialRho(1, 1000)).toThrow(/alpha/);
    expect(() => sequentialRho(0.05, 0)).toThrow(/plannedTotal/);
    expect(() => confidenceSequenceHalfWidth({ variance: -1, totalN: 10, plannedTotal: 100 })).toThrow(/variance/);
    expect(() => confidenceSequenceHalfWidth({ variance: 1, totalN: 0, plannedTotal: 100 })).toThrow(/totalN/);
  });
});

describe('confidenceSequenceDifference for rates', () => {
  it('matches the formula evaluated in R', () => {
    // R: csb(60, 250, 40, 250, T = 1000)
    expectIntervalClose(confidenceSequenceDifference(arm(60, 250), arm(40, 250), { plannedTotal: 1000 }), [-0.029768116644899575, 0.18976811664489956]);
    // R: csb(30, 100, 18, 100, T = 1000)
    expectIntervalClose(confidenceSequenceDifference(arm(30, 100), arm(18, 100), { plannedTotal: 1000 }), [-0.081159360952602094, 0.32115936095260211]);
    // R: csb(30, 100, 18, 100, T = 200): tuned to the current size it is narrower
    expectIntervalClose(confidenceSequenceDifference(arm(30, 100), arm(18, 100), { plannedTotal: 200 }), [-0.061504482501597568, 0.30150448250159756]);
    // R: csb(120, 1000, 95, 1000, T = 2000, alpha = 0.1)
    expectIntervalClose(
      confidenceSequenceDifference(arm(120, 1000), arm(95, 1000), { plannedTotal: 2000, alpha: 0.1 }),
      [-0.013255845417900723, 0.063255845417900719],
    );
    // R: csb(600, 2000, 500, 2000, T = 4000)
    expectIntervalClose(confidenceSequenceDifference(arm(600, 2000), arm(500, 2000), { plannedTotal: 4000 }), [0.0072100116144781928, 0.092789988385521785]);
  });

  it('returns null when the variance estimate is zero', () => {
    expect(confidenceSequenceDifference(arm(0, 20), arm(0, 20), { plannedTotal: 100 })).toBeNull();
    expect(confidenceSequenceDifference(arm(1, 1), arm(0, 1), { plannedTotal: 100 })).toBeNull();
  });

  it('throws a RangeError for an empty arm or mixed metric types', () => {
    expect(() => confidenceSequenceDifference(arm(0, 0), arm(1, 10), { plannedTotal: 100 })).toThrow(RangeError);
    const numeric = { arm: 'a', n: 10, sum: 5, sumSquares: 5 };
    // @ts-expect-error mixing a rate with a mean is a type error as well as a RangeError
    expect(() => confidenceSequenceDifference(arm(1, 10), numeric, { plannedTotal: 100 })).toThrow(/both be binary/);
  });
});

describe('confidenceSequenceDifference for means', () => {
  it('matches the formula evaluated in R with sample variances from sums', () => {
    // R: na = nc = 200; means 6.5 and 5.75; va <- (9800 - 1300^2/200)/199; vc <- (7900 - 1150^2/200)/199;
    //    d <- 0.75; v <- va/200 + vc/200; c(d - hw(v, 400, 0.05, 800), d + hw(v, 400, 0.05, 800))
    const arm = { arm: 'text', n: 200, sum: 1300, sumSquares: 9800 };
    const control = { arm: 'letter', n: 200, sum: 1150, sumSquares: 7900 };
    expectIntervalClose(confidenceSequenceDifference(arm, control, { plannedTotal: 800 }), [-0.043794944801370694, 1.5437949448013706]);
    expectClose(alwaysValidPValue(arm, control, { plannedTotal: 800 }), 0.078586432840918166, 1e-8);
  });

  it('throws a RangeError with fewer than two values in an arm', () => {
    const one = { arm: 'a', n: 1, sum: 3, sumSquares: 9 };
    expect(() => confidenceSequenceDifference(one, one, { plannedTotal: 100 })).toThrow(/at least 2/);
  });
});

describe('alwaysValidPValue', () => {
  it('is the smallest α at which the sequence excludes 0, matching R uniroot on the formula', () => {
    expectClose(alwaysValidPValue(arm(60, 250), arm(40, 250), { plannedTotal: 1000 }), 0.33700860492672025, 1e-8); // R: csb(60, 250, 40, 250, 1000)
    expectClose(alwaysValidPValue(arm(30, 100), arm(18, 100), { plannedTotal: 200 }), 0.44327929270589561, 1e-8); // R: csb(30, 100, 18, 100, 200)
    expectClose(alwaysValidPValue(arm(600, 2000), arm(500, 2000), { plannedTotal: 4000 }), 0.010853939770637994, 1e-8); // R: csb(600, 2000, 500, 2000, 4000)
  });

  it('agrees with the interval: below α exactly when the (1 − α) sequence excludes 0', () => {
    const pValue = alwaysValidPValue(arm(600, 2000), arm(500, 2000), { plannedTotal: 4000 })!;
    const justAbove = confidenceSequenceDifference(arm(600, 2000), arm(500, 2000), { plannedTotal: 4000, alpha: pValue * 1.001 })!;
    const justBelow = confidenceSequenceDifference(arm(600, 2000), arm(500, 2000), { plannedTotal: 4000, alpha: pValue * 0.999 })!;
    expect(justAbove[0]).toBeGreaterThan(0);
    expect(justBelow[0]).toBeLessThan(0);
  });

  it('is 1 when the sequence contains 0 at every level, and null when the variance is zero', () => {
    expect(alwaysValidPValue(arm(9, 25), arm(4, 25), { plannedTotal: 1000 })).toBe(1); // R: csb(9, 25, 4, 25, 1000) gives 1
    expect(alwaysValidPValue(arm(0, 25), arm(0, 25), { plannedTotal: 1000 })).toBeNull();
  });

  it('reports overwhelming evidence as 1e-12', () => {
    expect(alwaysValidPValue(arm(900, 1000), arm(100, 1000), { plannedTotal: 2000 })).toBe(1e-12);
  });
});


describe('weekly looks at an A/A test', () => {
  it('keep the confidence sequence false-positive rate within 5% while peeking at a z-test inflates it', () => {
    const random = mulberry32(20240601);
    const trials = 4000;
    const weeks = 20;
    const perArmPerWeek = 25;
    const rate = 0.2;
    const plannedTotal = 2 * perArmPerWeek * weeks;
    let sequenceFalsePositives = 0;
    let peekingFalsePositives = 0;

    for (let trial = 0; trial < trials; trial++) {
      let armSuccesses = 0;
      let controlSuccesses = 0;
      let sequenceRejected = false;
      let peekingRejected = false;
      for (let week = 1; week <= weeks; week++) {
        for (let person = 0; person < perArmPerWeek; person++) {
          if (random() < rate) armSuccesses++;
          if (random() < rate) controlSuccesses++;
        }
        const n = week * perArmPerWeek;
        const armStats = arm(armSuccesses, n, 'text');
        const controlStats = arm(controlSuccesses, n, 'letter');
        const interval = confidenceSequenceDifference(armStats, controlStats, { plannedTotal });
        if (interval !== null && (interval[0] > 0 || interval[1] < 0)) sequenceRejected = true;
        if (twoProportionZTest(armStats, controlStats).pValue < 0.05) peekingRejected = true;
      }
      if (sequenceRejected) sequenceFalsePositives++;
      if (peekingRejected) peekingFalsePositives++;
    }

    const sequenceRate = sequenceFalsePositives / trials;
    const peekingRate = peekingFalsePositives / trials;
    expect(sequenceRate).toBeLessThanOrEqual(0.05);
    expect(peekingRate).toBeGreaterThan(0.08);
  });
});
