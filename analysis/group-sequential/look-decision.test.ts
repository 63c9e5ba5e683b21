import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from '../expect-close.ts';
import { newcombeDifferenceInterval } from '../newcombe-difference-interval.ts';
import { normalQuantile } from '../normal-distribution.ts';
import { groupSequentialBoundaries } from './group-sequential-boundaries.ts';
import { lookDecision, repeatedConfidenceInterval, waldLookDecision } from './look-decision.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

// R (all rpact cases below):
//   design <- getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)
//   data <- getDataset(n1 = c(50, 50, 50), n2 = c(50, 50, 50), means1 = c(1.2, 1.5, 1.4), means2 = c(1.0, 1.0, 0.9),
//                      stDevs1 = c(1, 1.1, 0.9), stDevs2 = c(1, 0.9, 1.05))
//   results <- getAnalysisResults(design, data, normalApproximation = TRUE)
// with the cumulative difference in means and pooled SD from results$.stageResults:
const caseA = [
  { fractions: [0.25], difference: 0.2, sd: 1, n: 50, rci: [-0.666526729204389, 1.06652672920965] },
  { fractions: [0.25, 0.5], difference: 0.35, sd: 1.00310125172493, n: 100, rci: [-0.0703496692708537, 0.770349669271123] },
  { fractions: [0.25, 0.5, 0.75], difference: 0.4, sd: 0.992182812681595, n: 150, rci: [0.129730429603848, 0.670269621124074] },
] as const;

describe('repeatedConfidenceInterval', () => {
  it('matches rpact’s repeated confidence intervals for a difference in means', () => {
    for (const look of caseA) {
      const standardError = look.sd * Math.sqrt(2 / look.n);
      // rpact finds its bounds by a search with tolerance ~1e-8 on the boundary.
      expectIntervalClose(
        repeatedConfidenceInterval({ estimate: look.difference, standardError, informationFractions: look.fractions }),
        look.rci,
        1e-6,
      );
    }
  });

  it('matches rpact for Pocock spending, including on the lower side', () => {
    // R: getAnalysisResults(getDesignGroupSequential(typeOfDesign = "asP", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2),
    //      getDataset(n1 = c(60, 60), n2 = c(60, 60), means1 = c(0.7, 0.5), means2 = c(1, 1), stDevs1 = c(1, 1), stDevs2 = c(1, 1)),
    //      normalApproximation = TRUE)$repeatedConfidenceIntervalLowerBounds[2] / UpperBounds[2]
    expectIntervalClose(
      repeatedConfidenceInterval({
        estimate: -0.4,
        standardError: 0.998317913022793 * Math.sqrt(2 / 120),
        informationFractions: [0.25, 0.5],
        spending: 'pocock',
      }),
      [-0.705131948105992, -0.0948680518998103],
      1e-7,
    );
  });

  it('is the fixed-size 95% Wald interval when there is one look at the end', () => {
    expectIntervalClose(
      repeatedConfidenceInterval({ estimate: 0.1, standardError: 0.02, informationFractions: [1] }),
      [0.1 - 1.959963984540054 * 0.02, 0.1 + 1.959963984540054 * 0.02],
      1e-12,
    );
  });
});

describe('lookDecision', () => {
  it('sets the interval’s level from the look’s boundary and reports the crossing', () => {
    const text = arm(33, 150, 'text');
    const letter = arm(12, 150, 'letter');
    const decision = lookDecision({
      informationFractions: [0.25, 0.5],
      intervalAt: (confidence) => newcombeDifferenceInterval(text, letter, confidence).interval,
    });
    // R: getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$criticalValues[2]
    expectClose(decision.zBoundary, 2.96313159912825, 1e-7);
    expectClose(normalQuantile((1 + decision.confidence) / 2), decision.zBoundary, 1e-9);
    expect(decision.interval).toEqual(newcombeDifferenceInterval(text, letter, decision.confidence).interval);
    expect(decision.interval[0]).toBeGreaterThan(0);
    expect(decision.crossed).toBe('upper');
    expect(decision.look).toBe(2);
  });

  it('does not stop on a result that a single 95% interval would call significant early on', () => {
    const text = arm(25, 150, 'text');
    const letter = arm(12, 150, 'letter');
    expect(newcombeDifferenceInterval(text, letter, 0.95).interval[0]).toBeGreaterThan(0);
    const decision = lookDecision({
      informationFractions: [0.25, 0.5],
      intervalAt: (confidence) => newcombeDifferenceInterval(text, letter, confidence).interval,
    });
    expect(decision.crossed).toBeNull();
  });

  it('reports a crossing below zero as lower', () => {
    const decision = lookDecision({ informationFractions: [1], intervalAt: () => [-0.2, -0.01] });
    expect(decision.crossed).toBe('lower');
  });

  it('decides from the p-value when one is given, taking the direction from the estimate', () => {
    const boundaries = groupSequentialBoundaries([0.3, 0.6]);
    const nominal = boundaries[1].nominalAlpha;
    const base = { boundaries, intervalAt: () => [-0.01, 0.2] as [number, number], estimate: -0.05 };
    expect(lookDecision({ ...base, pValueToCompare: nominal * 0.99 }).crossed).toBe('lower');
    expect(lookDecision({ ...base, pValueToCompare: nominal * 1.01 }).crossed).toBeNull();
  });

  it('never stops at a look with nothing left to spend', () => {
    const decision = lookDecision({ informationFractions: [0.5, 1, 1.2], intervalAt: () => [0.5, 0.6] });
    expect(decision.zBoundary).toBe(Infinity);
    expect(decision.crossed).toBeNull();
    expect(decision.interval).toEqual([-Infinity, Infinity]);
  });

  it('cannot stop at a look whose boundary is too far out to express as a confidence level', () => {
    const decision = lookDecision({
      informationFractions: [0.05],
      intervalAt: () => {
        throw new Error('not called');
      },
    });
    expect(decision.zBoundary).toBeGreaterThan(9);
    expect(decision.crossed).toBeNull();
    expect(decision.interval).toEqual([-Infinity, Infinity]);
  });

  it('accepts boundaries computed once, giving the same decision', () => {
    const intervalAt = (confidence: number) => newcombeDifferenceInterval(arm(40, 200), arm(22, 200), confidence).interval;
    const fractions = [0.2, 0.4, 0.6];
    expect(lookDecision({ boundaries: groupSequentialBoundaries(fractions), intervalAt })).toEqual(
      lookDecision({ informationFractions: fractions, intervalAt }),
    );
  });
});

describe('waldLookDecision', () => {
  it('crosses when the Wald repeated interval excludes zero, as in rpact case A at look 3', () => {
    const look = caseA[2];
    const decision = waldLookDecision({
      estimate: look.difference,
      standardError: look.sd * Math.sqrt(2 / look.n),
      informationFractions: look.fractions,
    });
    expect(decision.crossed).toBe('upper');
    expectIntervalClose(decision.interval, look.rci, 1e-7);
    const earlier = caseA[1];
    expect(
      waldLookDecision({ estimate: earlier.difference, standardError: earlier.sd * Math.sqrt(2 / earlier.n), informationFractions: earlier.fractions })
        .crossed,
    ).toBeNull();
  });

  it('throws a RangeError for a standard error that is not positive', () => {
    expect(() => waldLookDecision({ estimate: 0.1, standardError: 0, informationFractions: [1] })).toThrow(/standardError/);
  });
});
