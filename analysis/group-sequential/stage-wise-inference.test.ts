import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from '../expect-close.ts';
import { normalSurvival } from '../normal-distribution.ts';
import { stageWiseInference } from './stage-wise-inference.ts';

const se = (pooledSd: number, nPerGroup: number) => pooledSd * Math.sqrt(2 / nPerGroup);

// rpact tolerances: its final p-values agree to ~1e-8, its estimates and bounds to ~1e-6.
describe('stageWiseInference', () => {
  it('matches rpact when an O’Brien–Fleming trial stops at look 3 of 4', () => {
    // R: getAnalysisResults(getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2),
    //      getDataset(n1 = c(50, 50, 50), n2 = c(50, 50, 50), means1 = c(1.2, 1.5, 1.4), means2 = c(1.0, 1.0, 0.9),
    //                 stDevs1 = c(1, 1.1, 0.9), stDevs2 = c(1, 0.9, 1.05)), normalApproximation = TRUE)
    //    $finalPValues[3], $medianUnbiasedEstimates[3], $finalConfidenceIntervalLowerBounds[3], ...UpperBounds[3]
    const result = stageWiseInference({ informationFractions: [0.25, 0.5, 0.75], estimate: 0.4, standardError: se(0.992182812681595, 150) });
    expect(result.stoppingLook).toBe(3);
    expectClose(result.pValue, 0.00326312853892485, 1e-7);
    expectClose(result.medianUnbiasedEstimate, 0.376495105929027, 1e-6);
    expectIntervalClose(result.confidenceInterval, [0.130943735351716, 0.609916073233651], 1e-6);
  });

  it('matches rpact at the final look when no boundary was crossed', () => {
    // R: ... getDataset(n1 = rep(40, 4), n2 = rep(40, 4), means1 = c(1.1, 1.0, 1.2, 1.05), means2 = rep(1, 4),
    //                   stDevs1 = rep(1, 4), stDevs2 = rep(1, 4)) ... (asOF, 4 equal looks), stage 4
    const result = stageWiseInference({
      informationFractions: [0.25, 0.5, 0.75, 1],
      estimate: 0.0874999999999999,
      standardError: se(0.991909092507344, 160),
    });
    expectClose(result.pValue, 0.430202744221966, 1e-7);
    expectClose(result.medianUnbiasedEstimate, 0.0874846381352373, 1e-6);
    expectIntervalClose(result.confidenceInterval, [-0.129881946088798, 0.304846454915817], 1e-6);
  });

  it('matches rpact for unequal looks stopping at the second', () => {
    // R: getAnalysisResults(getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.2, 0.5, 1), alpha = 0.05, sided = 2),
    //      getDataset(n1 = c(40, 60), n2 = c(40, 60), means1 = c(1.5, 1.6), means2 = c(1, 1), stDevs1 = c(1, 1), stDevs2 = c(1, 1)),
    //      normalApproximation = TRUE), stage 2
    const result = stageWiseInference({ informationFractions: [0.2, 0.5], estimate: 0.56, standardError: se(0.995545634871205, 100) });
    expectClose(result.pValue, 7.05423485021228e-5, 1e-6);
    expectClose(result.medianUnbiasedEstimate, 0.559948976574286, 1e-6);
    expectIntervalClose(result.confidenceInterval, [0.283949014773413, 0.835913592853137], 1e-6);
  });

  it('matches rpact for a Pocock trial, and mirrors exactly for a stop on the lower side', () => {
    // R: getAnalysisResults(getDesignGroupSequential(typeOfDesign = "asP", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2),
    //      getDataset(n1 = c(60, 60), n2 = c(60, 60), means1 = c(1.3, 1.5), means2 = c(1, 1), stDevs1 = c(1, 1), stDevs2 = c(1, 1)),
    //      normalApproximation = TRUE), stage 2
    const standardError = se(0.998317913022793, 120);
    const upper = stageWiseInference({ informationFractions: [0.25, 0.5], spending: 'pocock', estimate: 0.4, standardError });
    expectClose(upper.pValue, 0.0188054702257976, 1e-7);
    expectClose(upper.medianUnbiasedEstimate, 0.366977742614604, 1e-6);
    expectIntervalClose(upper.confidenceInterval, [0.0669015829761375, 0.634451789194002], 1e-6);
    // For the mirror-image data (means1 = c(0.7, 0.5)) rpact gives the same p-value but falls back
    // to the naive estimate −0.4 and naive 95% interval; the stage-wise answers are the mirror image.
    const lower = stageWiseInference({ informationFractions: [0.25, 0.5], spending: 'pocock', estimate: -0.4, standardError });
    expectClose(lower.pValue, 0.0188054702257976, 1e-7);
    expectClose(lower.medianUnbiasedEstimate, -upper.medianUnbiasedEstimate, 1e-6);
    expectIntervalClose(lower.confidenceInterval, [-upper.confidenceInterval[1], -upper.confidenceInterval[0]], 1e-6);
  });

  it('takes any z-statistic: rpact’s pooled z for rates gives rpact’s final p-value', () => {
    // R: getAnalysisResults(getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2),
    //      getDataset(n1 = c(100, 100, 100), n2 = c(100, 100, 100), events1 = c(18, 20, 22), events2 = c(10, 9, 11)))
    //    $.stageResults$overallTestStatistics[3] = 3.42997170285018, $finalPValues[3] = 0.00333634024942886
    const result = stageWiseInference({ informationFractions: [0.25, 0.5, 0.75], estimate: 0.1, standardError: 0.03, z: 3.42997170285018 });
    expectClose(result.pValue, 0.00333634024942886, 1e-7);
  });

  it('pulls the estimate of a stop after earlier looks back towards zero', () => {
    // z = 3.5 crosses the second O'Brien–Fleming boundary (2.963); the naive estimate is 0.35.
    const result = stageWiseInference({ informationFractions: [0.25, 0.5], estimate: 0.35, standardError: 0.1 });
    expect(result.medianUnbiasedEstimate).toBeLessThan(0.35);
    expect(result.medianUnbiasedEstimate).toBeGreaterThan(0);
  });

  it('is the fixed-size analysis for a single final look', () => {
    const result = stageWiseInference({ informationFractions: [1], estimate: 0.05, standardError: 0.02 });
    expectClose(result.pValue, 2 * normalSurvival(2.5), 1e-8);
    expectClose(result.medianUnbiasedEstimate, 0.05, 1e-8);
    expectIntervalClose(result.confidenceInterval, [0.05 - 1.959963984540054 * 0.02, 0.05 + 1.959963984540054 * 0.02], 1e-8);
  });

  it('refuses to give final answers for a trial that is still running', () => {
    expect(() => stageWiseInference({ informationFractions: [0.25, 0.5], estimate: 0.1, standardError: 0.1 })).toThrow(/has not stopped/);
  });
});
