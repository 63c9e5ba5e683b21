import { normalCdf } from '../normal-distribution.ts';

/**
 * The numerical engine behind the group-sequential functions: the joint
 * distribution of the standardised statistics Z₁, …, Z_K seen at information
 * fractions t₁ < … < t_K, where Z_k·√t_k is a Brownian motion with drift
 * `drift` (so E[Z_k] = drift·√t_k and the increments are independent).
 *
 * It carries, look by look, the sub-density of Z_k over the region where the
 * trial is still running (no boundary crossed yet), on the grid of Jennison &
 * Turnbull (2000) Group Sequential Methods with Applications to Clinical
 * Trials, ch. 19 (§19.2–19.3): 6r − 1 points, dense within ±3 of the mean and
 * log-spaced out to ±(3 + 4 ln r), trimmed to the continuation interval, with
 * Simpson's rule weights on the trimmed points and their midpoints. This is the
 * Armitage, McPherson & Rowe (1969) recursion used by rpact and gsDesign.
 *
 * Internal to analysis/group-sequential; the exported functions there are the
 * public interface.
 */

const SQRT_HALF_PI_INVERSE = 0.3989422804014327;
const MINIMUM_RESOLUTION = 32;
const MAXIMUM_RESOLUTION = 1500;

/** Sub-density of Z_k on its continuation region, already multiplied by Simpson's weights. */
export interface ContinuationDensity {
  informationFraction: number;
  points: Float64Array;
  weightedDensity: Float64Array;
}

/**
 * The grid resolution r for look k so that the next look's transition kernel,
 * whose standard deviation in Z_k is √((t_{k+1} − t_k)/t_k), is spanned by several
 * grid points; J&T recommend r = 16 for 1e-6 accuracy with ordinary spacing, we
 * use at least 32.
 */
export function gridResolution(informationFraction: number, nextInformationFraction: number): number {
  const kernelSd = Math.sqrt((nextInformationFraction - informationFraction) / informationFraction);
  return Math.min(MAXIMUM_RESOLUTION, Math.max(MINIMUM_RESOLUTION, Math.ceil(6 / kernelSd)));
}

/** J&T §19.2.1 grid for a statistic with mean `mean`, trimmed to [lower, upper], with Simpson weights. */
function simpsonGrid(mean: number, lower: number, upper: number, resolution: number): { points: Float64Array; weights: Float64Array } {
  const r = resolution;
  const base: number[] = [];
  for (let i = 1; i <= 6 * r - 1; i++) {
    let offset: number;
    if (i < r) offset = -3 - 4 * Math.log(r / i);
    else if (i <= 5 * r) offset = -3 + (3 * (i - r)) / (2 * r);
    else offset = 3 + 4 * Math.log(r / (6 * r - i));
    base.push(mean + offset);
  }
  const odd: number[] = [];
  if (lower > base[0]) odd.push(lower);
  for (const point of base) if (point > lower && point < upper) odd.push(point);
  if (upper < base[base.length - 1]) odd.push(upper);
  if (odd.length < 2) {
    // The whole continuation region is narrower than one grid step: two end points.
    odd.length = 0;
    odd.push(Math.max(lower, base[0]), Math.min(upper, base[base.length - 1]));
  }
  const count = 2 * odd.length - 1;
  const points = new Float64Array(count);
  const weights = new Float64Array(count);
  for (let i = 0; i < odd.length; i++) points[2 * i] = odd[i];
  for (let i = 0; i + 1 < odd.length; i++) {
    const width = odd[i + 1] - odd[i];
    points[2 * i + 1] = (odd[i] + odd[i + 1]) / 2;
    weights[2 * i] += width / 6;
    weights[2 * i + 1] += (4 * width) / 6;
    weights[2 * i + 2] += width / 6;
  }
  return { points, weights };
}

/**
 * Probabilities of first crossing at this look: P(continued so far, Z_k ≥ upper)
 * and P(continued so far, Z_k ≤ lower). `previous` is null at the first look.
 */
export function crossingProbabilities(
  previous: ContinuationDensity | null,
  informationFraction: number,
  drift: number,
  lower: number,
  upper: number,
): { upper: number; lower: number } {
  const t = informationFraction;
  if (previous === null) {
    const mean = drift * Math.sqrt(t);
    return { upper: normalCdf(mean - upper), lower: normalCdf(lower - mean) };
  }
  const increment = t - previous.informationFraction;
  const sdIncrement = Math.sqrt(increment);
  const rootPrevious = Math.sqrt(previous.informationFraction);
  const upperScore = upper * Math.sqrt(t);
  const lowerScore = lower * Math.sqrt(t);
  const driftIncrement = drift * increment;
  let upperProbability = 0;
  let lowerProbability = 0;
  const { points, weightedDensity } = previous;
  for (let i = 0; i < points.length; i++) {
    const weight = weightedDensity[i];
    if (weight === 0) continue;
    const expectedScore = points[i] * rootPrevious + driftIncrement;
    if (upper !== Infinity) upperProbability += weight * normalCdf((expectedScore - upperScore) / sdIncrement);
    if (lower !== -Infinity) lowerProbability += weight * normalCdf((lowerScore - expectedScore) / sdIncrement);
  }
  return { upper: upperProbability, lower: lowerProbability };
}

/**
 * The sub-density of Z_k over (lower, upper), given the previous look's, on a
 * grid of the given resolution (see `gridResolution`).
 */
export function continuationDensity(
  previous: ContinuationDensity | null,
  informationFraction: number,
  drift: number,
  lower: number,
  upper: number,
  resolution: number,
): ContinuationDensity {
  const t = informationFraction;
  const mean = drift * Math.sqrt(t);
  const { points, weights } = simpsonGrid(mean, lower, upper, resolution);
  const weightedDensity = new Float64Array(points.length);
  if (previous === null) {
    for (let j = 0; j < points.length; j++) {
      const distance = points[j] - mean;
      weightedDensity[j] = weights[j] * SQRT_HALF_PI_INVERSE * Math.exp(-0.5 * distance * distance);
    }
    return { informationFraction: t, points, weightedDensity };
  }
  const increment = t - previous.informationFraction;
  const sdIncrement = Math.sqrt(increment);
  const rootT = Math.sqrt(t);
  const rootPrevious = Math.sqrt(previous.informationFraction);
  const driftIncrement = drift * increment;
  const scale = (rootT / sdIncrement) * SQRT_HALF_PI_INVERSE;
  const previousScores = new Float64Array(previous.points.length);
  for (let i = 0; i < previous.points.length; i++) previousScores[i] = previous.points[i] * rootPrevious + driftIncrement;
  const previousWeights = previous.weightedDensity;
  for (let j = 0; j < points.length; j++) {
    const score = points[j] * rootT;
    let sum = 0;
    for (let i = 0; i < previousScores.length; i++) {
      const standardised = (score - previousScores[i]) / sdIncrement;
      if (standardised > 40 || standardised < -40) continue;
      sum += previousWeights[i] * Math.exp(-0.5 * standardised * standardised);
    }
    weightedDensity[j] = weights[j] * scale * sum;
  }
  return { informationFraction: t, points, weightedDensity };
}

export interface LookBoundary {
  informationFraction: number;
  lower: number;
  upper: number;
}

/**
 * Probability of first crossing the upper and lower boundary at each look when
 * the drift is `drift` (J&T §19.2). Boundaries may be ±Infinity (no stopping).
 */
export function boundaryCrossingProbabilities(looks: readonly LookBoundary[], drift: number): Array<{ upper: number; lower: number }> {
  const result: Array<{ upper: number; lower: number }> = [];
  let previous: ContinuationDensity | null = null;
  looks.forEach((look, index) => {
    result.push(crossingProbabilities(previous, look.informationFraction, drift, look.lower, look.upper));
    const next = looks[index + 1];
    if (next !== undefined) {
      previous = continuationDensity(
        previous,
        look.informationFraction,
        drift,
        look.lower,
        look.upper,
        gridResolution(look.informationFraction, next.informationFraction),
      );
    }
  });
  return result;
}

/**
 * Root of a decreasing function on [low, high] (f(low) > 0 > f(high)) by the
 * Illinois variant of regula falsi, to ~1e-12 in x; it needs about ten
 * evaluations where bisection needs forty, which matters because each
 * evaluation here is a full numerical integration.
 */
export function solveDecreasing(f: (x: number) => number, low: number, high: number): number {
  let a = low;
  let b = high;
  let fa = f(a);
  let fb = f(b);
  if (fa <= 0) return a;
  if (fb >= 0) return b;
  let side = 0;
  for (let iteration = 0; iteration < 200; iteration++) {
    const c = (a * fb - b * fa) / (fb - fa);
    if (Math.abs(b - a) < 1e-12 * Math.max(1, Math.abs(c))) return c;
    const fc = f(c);
    if (fc === 0) return c;
    if (fc > 0) {
      a = c;
      fa = fc;
      if (side === -1) fb /= 2;
      side = -1;
    } else {
      b = c;
      fb = fc;
      if (side === 1) fa /= 2;
      side = 1;
    }
  }
  return (a * fb - b * fa) / (fb - fa);
}
