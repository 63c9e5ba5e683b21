import type { Interval } from '../types.ts';
import type { GroupSequentialLook } from './group-sequential-boundaries.ts';
import { scheduleBoundaries, type LookSchedule } from './look-decision.ts';
import {
  continuationDensity,
  crossingProbabilities,
  gridResolution,
  solveDecreasing,
  type ContinuationDensity,
} from './sequential-integration.ts';

/**
 * P_η(the trial stops "at or beyond" the observed outcome in the stage-wise
 * ordering, on the upper side): crossing the upper boundary at an earlier look,
 * or reaching the stopping look k and seeing Z_k ≥ z. η is the drift (the
 * standardised effect at full information). Jennison & Turnbull (2000) §8.4.
 */
function stageWiseUpperTail(boundaries: readonly GroupSequentialLook[], z: number, drift: number): number {
  let total = 0;
  let previous: ContinuationDensity | null = null;
  const stoppingIndex = boundaries.length - 1;
  for (let index = 0; index < stoppingIndex; index++) {
    const { informationFraction: t, zBoundary: c } = boundaries[index];
    total += crossingProbabilities(previous, t, drift, -c, c).upper;
    previous = continuationDensity(previous, t, drift, -c, c, gridResolution(t, boundaries[index + 1].informationFraction));
  }
  return total + crossingProbabilities(previous, boundaries[stoppingIndex].informationFraction, drift, -Infinity, z).upper;
}

export interface StageWiseInference {
  /** Look at which the trial stopped (1 = first). */
  stoppingLook: number;
  /** Two-sided p-value under the stage-wise ordering, 2·min(p⁺, 1 − p⁺). */
  pValue: number;
  /** Median-unbiased estimate of the difference, on the scale of `estimate`. */
  medianUnbiasedEstimate: number;
  /** Two-sided (1 − α) confidence interval under the stage-wise ordering. */
  confidenceInterval: Interval;
}

/**
 * Inference once a group-sequential trial has stopped — at the look where a
 * boundary was crossed, or at the final look — that allows for the early looks:
 * the stage-wise (Armitage / Tsiatis, Rosner & Mehta) ordering p-value,
 * median-unbiased estimate and confidence interval. The naive estimate at an
 * early stop is biased away from zero; these are not.
 *
 * With k the stopping look, Z_k = estimate ÷ standardError (or `z` when given, e.g.
 * a score statistic) and η the drift at full information,
 *   p⁺(η) = Σ_{j<k} P_η(cross the upper boundary at j) + P_η(continue to k, Z_k ≥ z);
 * the p-value is 2·min(p⁺(0), 1 − p⁺(0)), the median-unbiased estimate solves
 * p⁺(η) = ½ and the interval p⁺(η) = α/2 and 1 − α/2. η maps back to the
 * estimate's scale through the information at the stopping look:
 * θ = η · standardError · √t_k (information grows in proportion to t).
 *
 * Throws a RangeError when the last look neither crossed its boundary nor
 * reached the planned information (t < 1), because then the trial has not
 * stopped; if it ended early for another reason, pass 1 as its information
 * fraction (which spends the rest of α there).
 *
 * Matches R rpact `getAnalysisResults(design, getDataset(means ...), normalApproximation = TRUE)`
 * `$finalPValues`, `$medianUnbiasedEstimates`, `$finalConfidenceIntervalLowerBounds/UpperBounds`.
 *
 * Source: Jennison & Turnbull (2000) Group Sequential Methods, §8.4–8.5;
 * Tsiatis, Rosner & Mehta (1984) Biometrics 40:797–803; Emerson & Fleming (1990)
 * Biometrika 77:875–892.
 *
 * @example
 * stageWiseInference({ informationFractions: [0.25, 0.5, 0.75], estimate: 0.4, standardError: 0.114567 })
 * // { stoppingLook: 3, pValue: 0.003263, medianUnbiasedEstimate: 0.376495, confidenceInterval: [0.130944, 0.609916] }
 */
export function stageWiseInference(
  options: LookSchedule & { estimate: number; standardError: number; z?: number },
): StageWiseInference {
  const { estimate, standardError } = options;
  if (!Number.isFinite(estimate)) throw new RangeError(`estimate must be a finite number (got ${estimate})`);
  if (!(standardError > 0) || !Number.isFinite(standardError)) {
    throw new RangeError(`standardError must be a positive number (got ${standardError})`);
  }
  const z = options.z ?? estimate / standardError;
  if (!Number.isFinite(z)) throw new RangeError(`z must be a finite number (got ${z})`);
  const boundaries = scheduleBoundaries(options);
  const alpha = options.alpha ?? 0.05;
  const stopping = boundaries[boundaries.length - 1];
  if (Math.abs(z) < stopping.zBoundary && stopping.informationFraction < 1) {
    throw new RangeError(
      `the trial has not stopped at look ${boundaries.length}: |z| = ${Math.abs(z).toFixed(3)} is inside the boundary ` +
        `${stopping.zBoundary.toFixed(3)} and the information fraction ${stopping.informationFraction} is below 1`,
    );
  }
  const upperTail = (drift: number) => stageWiseUpperTail(boundaries, z, drift);
  const pUpper = upperTail(0);
  const naiveDrift = z / Math.sqrt(stopping.informationFraction);
  const driftWhere = (probability: number) => {
    let low = naiveDrift - 8;
    let high = naiveDrift + 8;
    while (upperTail(low) > probability) low -= 8;
    while (upperTail(high) < probability) high += 8;
    return solveDecreasing((drift) => probability - upperTail(drift), low, high);
  };
  const toEstimateScale = standardError * Math.sqrt(stopping.informationFraction);
  return {
    stoppingLook: boundaries.length,
    pValue: Math.min(1, 2 * Math.min(pUpper, 1 - pUpper)),
    medianUnbiasedEstimate: driftWhere(0.5) * toEstimateScale,
    confidenceInterval: [driftWhere(alpha / 2) * toEstimateScale, driftWhere(1 - alpha / 2) * toEstimateScale],
  };
}
