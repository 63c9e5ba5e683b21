/**
 * Student t distribution (CDF, two-sided tail, quantile) and the regularized
 * incomplete beta function it rests on, plus the two-sided critical value used
 * by every interval in analysis/.
 *
 * Why hand-written: simple-statistics 7 has no Student t CDF or quantile, and
 * Welch's test needs them for fractional degrees of freedom. The incomplete
 * beta follows Numerical Recipes, 3rd edition, §6.4 (modified-Lentz continued
 * fraction with the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)); the tests pin it to
 * R's pbeta, pt and qt to about 1e-11 relative.
 *
 * The normal and chi-square distributions live in normal-distribution.ts and
 * chi-square-distribution.ts (one implementation each for the whole of
 * analysis/); this file uses them for infinite df and starting values.
 * `gammaln` (log gamma) comes from simple-statistics (Lanczos, ~1e-15).
 */
import { gammaln } from 'simple-statistics';
import { normalCdf, normalQuantile } from './normal-distribution.ts';
import { assertOpenUnitInterval } from './validate-input.ts';

const MAX_ITERATIONS = 10_000;
const EPSILON = 1e-16;
const TINY = 1e-300;

function assertProbability(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a probability between 0 and 1, got ${value}`);
  }
}

function assertPositive(name: string, value: number, allowInfinity = false): void {
  if (Number.isNaN(value) || value <= 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
}

/**
 * Continued fraction for the incomplete beta function, evaluated with the
 * modified Lentz method (Numerical Recipes 3rd ed., `Beta::betacf`).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return h;
  }
  throw new RangeError(`incomplete beta did not converge for x=${x}, a=${a}, b=${b}`);
}

/**
 * The regularized incomplete beta function I_x(a, b): the probability that a
 * Beta(a, b) variable is at most x. Source: Numerical Recipes 3rd ed. §6.4
 * (continued fraction with the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) so the
 * fraction always converges quickly). Matches R `pbeta(x, a, b)`.
 *
 * @example
 * regularizedIncompleteBeta(0.3, 2, 5); // 0.579825 (R: pbeta(0.3, 2, 5))
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  assertPositive('a', a);
  assertPositive('b', b);
  if (!(x >= 0 && x <= 1)) {
    throw new RangeError(`x must be between 0 and 1, got ${x}`);
  }
  return incompleteBeta(x, 1 - x, a, b);
}

/**
 * I_x(a, b) given both x and its complement y = 1 − x, so a caller that can
 * compute y without cancellation (the t distribution near t = 0) keeps precision.
 */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const logFront =
    gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(y);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) {
    return (front * betaContinuedFraction(x, a, b)) / a;
  }
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/**
 * The Student t cumulative distribution function P(T ≤ t) with `df` degrees of
 * freedom (any positive real df, as Welch's test needs; df = Infinity gives the
 * normal). Uses P(|T| > |t|) = I_{df/(df+t²)}(df/2, ½). Matches R `pt(t, df)`.
 *
 * @example
 * studentTCdf(2.1, 7.3); // 0.9638766 (R: pt(2.1, 7.3))
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) throw new RangeError('t must be a number, got NaN');
  assertPositive('df', df, true);
  if (df === Infinity) return normalCdf(t);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), (t * t) / (df + t * t), df / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
}

/**
 * Two-sided tail probability P(|T| ≥ |t|) for Student t with `df` degrees of
 * freedom, computed directly so tiny p-values keep their precision.
 * Matches R `2 * pt(-abs(t), df)`.
 *
 * @example
 * studentTTwoSided(2.1, 7.3); // 0.07224671 (R: 2 * pt(-2.1, 7.3))
 */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t)) throw new RangeError('t must be a number, got NaN');
  assertPositive('df', df, true);
  if (df === Infinity) return normalTwoSided(t);
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), (t * t) / (df + t * t), df / 2, 0.5);
}

/**
 * Two-sided tail probability P(|Z| ≥ |z|) for the standard normal.
 * Matches R `2 * pnorm(-abs(z))`.
 *
 * @example
 * normalTwoSided(1.96); // 0.04999579 (R: 2 * pnorm(-1.96))
 */
export function normalTwoSided(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('z must be a number, got NaN');
  return 2 * normalCdf(-Math.abs(z));
}

/**
 * The Student t quantile function: the t with P(T ≤ t) = p for `df` degrees of
 * freedom (positive real df; Infinity gives the normal). Solved by safeguarded
 * Newton iteration on `studentTCdf` inside an expanding bracket, in the lower
 * tail so no precision is lost near p = 1. Matches R `qt(p, df)`.
 *
 * @example
 * studentTQuantile(0.975, 10); // 2.228139 (R: qt(0.975, 10))
 */
export function studentTQuantile(p: number, df: number): number {
  assertProbability('p', p);
  assertPositive('df', df, true);
  if (df === Infinity) return normalQuantile(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  // Now p < 0.5, so the answer is negative. Bracket it: cdf(lower) < p < cdf(upper).
  let upper = 0;
  let lower = Math.min(-1, normalQuantile(p));
  while (studentTCdf(lower, df) > p) {
    upper = lower;
    lower *= 2;
    if (!Number.isFinite(lower)) return -Infinity;
  }
  let t = Math.max(lower, Math.min(upper, normalQuantile(p)));
  for (let i = 0; i < 200; i++) {
    const cdf = studentTCdf(t, df);
    const error = cdf - p;
    if (error === 0) return t;
    if (error > 0) upper = t;
    else lower = t;
    const density = studentTDensity(t, df);
    let next = t - error / density;
    if (!(next > lower && next < upper)) next = (lower + upper) / 2;
    if (Math.abs(next - t) <= 1e-15 * Math.max(1, Math.abs(t))) return next;
    t = next;
  }
  return t;
}

/** Student t density, used by the quantile's Newton steps. */
function studentTDensity(t: number, df: number): number {
  const logDensity =
    gammaln((df + 1) / 2) -
    gammaln(df / 2) -
    0.5 * Math.log(df * Math.PI) -
    ((df + 1) / 2) * Math.log1p((t * t) / df);
  return Math.exp(logDensity);
}

/**
 * The two-sided critical value for a confidence level: the z with
 * P(|Z| ≤ z) = confidence, or the t with P(|T| ≤ t) = confidence when `df` is
 * given. Throws a RangeError unless 0 < confidence < 1.
 *
 * @example
 * criticalValue(0.95); // 1.959964 (R: qnorm(0.975))
 * criticalValue(0.95, 10); // 2.228139 (R: qt(0.975, 10))
 */
export function criticalValue(confidence: number, df: number = Infinity): number {
  assertConfidence(confidence);
  return studentTQuantile(1 - (1 - confidence) / 2, df);
}

/** Throws a RangeError unless `confidence` is strictly between 0 and 1. */
export function assertConfidence(confidence: number): void {
  assertOpenUnitInterval(confidence, 'confidence');
}

