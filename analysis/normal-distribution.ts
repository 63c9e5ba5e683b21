import { regularizedLowerGamma, regularizedUpperGamma } from './chi-square-distribution.ts';

/**
 * Why hand-written: simple-statistics' `probit` is off in the third decimal
 * (probit(0.975) = 1.95716 against 1.959964) and its `cumulativeStdNormalProbability`
 * reads a two-decimal table, too coarse for intervals pinned to R at 1e-9.
 */

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density φ(z). */
export function normalDensity(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Standard normal distribution function Φ(z) = P(Z ≤ z), accurate to about
 * 1e-14 relative in both tails.
 *
 * Source: Φ(−|z|) = ½·Q(½, z²/2), the regularized incomplete gamma identity
 * (Abramowitz & Stegun 26.2.30 with 6.5.17); matches R's `pnorm(z)`.
 *
 * @example
 * normalCdf(-1.959963984540054) // 0.025 (R: pnorm(-1.959963984540054))
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalCdf needs a number (got NaN)');
  if (z === -Infinity) return 0;
  if (z === Infinity) return 1;
  const half = (z * z) / 2;
  return z < 0 ? 0.5 * regularizedUpperGamma(0.5, half) : 0.5 + 0.5 * regularizedLowerGamma(0.5, half);
}

/**
 * Upper tail of the standard normal, P(Z > z) = 1 − Φ(z), computed without the
 * cancellation of 1 − Φ(z) for large z.
 *
 * @example
 * normalSurvival(1.959963984540054) // 0.025 (R: pnorm(1.959963984540054, lower.tail = FALSE))
 */
export function normalSurvival(z: number): number {
  return normalCdf(-z);
}

/**
 * Standard normal quantile Φ⁻¹(p): the z with P(Z ≤ z) = p.
 *
 * Source: Abramowitz & Stegun 26.2.23 as a starting value (error < 4.5e-4),
 * then Newton steps on `normalCdf` to full double precision; matches R's `qnorm(p)`.
 *
 * @example
 * normalQuantile(0.975) // 1.959963984540054 (R: qnorm(0.975))
 */
export function normalQuantile(probability: number): number {
  if (!(probability >= 0 && probability <= 1)) {
    throw new RangeError(`normalQuantile needs a probability in [0, 1] (got ${probability})`);
  }
  if (probability === 0) return -Infinity;
  if (probability === 1) return Infinity;
  if (probability === 0.5) return 0;
  // Work in the lower tail, where p is represented most precisely.
  if (probability > 0.5) return -normalQuantile(1 - probability);
  const t = Math.sqrt(-2 * Math.log(probability));
  let z =
    -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  // Near the centre, compare distances from ½ so the residual keeps its relative precision.
  const centred = probability > 0.25;
  const offset = probability - 0.5;
  for (let iteration = 0; iteration < 50; iteration++) {
    const residual = centred
      ? Math.sign(z) * 0.5 * regularizedLowerGamma(0.5, (z * z) / 2) - offset
      : normalCdf(z) - probability;
    const step = residual / normalDensity(z);
    z -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
  }
  return z;
}
