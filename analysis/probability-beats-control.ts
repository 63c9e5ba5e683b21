import { gammaln } from 'simple-statistics';
import type { BinaryArmStats } from './types.ts';
import { assertBinaryArm } from './validate-input.ts';
import { regularizedIncompleteBeta } from './distributions.ts';

/**
 * Bayesian comparison of two rates under independent uniform Beta(1, 1) priors:
 * the posterior of each rate is Beta(1 + successes, 1 + failures). An arm with
 * n = 0 is allowed and simply keeps the prior.
 *
 * Computed exactly with Evan Miller's closed-form sum (log-beta terms, so counts
 * in the thousands are fine); the sum has min(successes) + 1 terms, so even a
 * million people per arm costs only milliseconds.
 */

interface BetaParameters {
  alpha: number;
  beta: number;
}

function logBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

function posterior(stats: BinaryArmStats): BetaParameters {
  return { alpha: 1 + stats.successes, beta: 1 + stats.n - stats.successes };
}

/**
 * P(Y > X) for X ~ Beta(x.alpha, x.beta), Y ~ Beta(y.alpha, y.beta), y.alpha a whole number.
 * Evan Miller (2015), "Formulas for Bayesian A/B testing", eq. for Pr(p_B > p_A):
 * Σ_{i=0}^{α_Y−1} B(α_X+i, β_X+β_Y) / ((β_Y+i) B(1+i, β_Y) B(α_X, β_X)).
 */
function probabilityGreaterBySum(x: BetaParameters, y: BetaParameters): number {
  const constant = logBeta(x.alpha, x.beta);
  let total = 0;
  for (let i = 0; i < y.alpha; i++) {
    total += Math.exp(
      logBeta(x.alpha + i, x.beta + y.beta) - Math.log(y.beta + i) - logBeta(1 + i, y.beta) - constant,
    );
  }
  return total;
}

/** P(Y > X), summing over whichever shape parameter is smaller (P(Y > X) = 1 − P(X > Y)). */
/** Above this many terms the exact sum gives way to quadrature (fixed cost, error below 1e-7). */
const MAX_EXACT_TERMS = 1000;

/**
 * P(X > Y) (note: the reverse order of probabilityGreater) by integrating f_X(t)·F_Y(t) with composite Simpson's rule over
 * X's mean ± 10 standard deviations, where X is all but certain to lie. Used
 * only when every parameter is large, so both densities are smooth and
 * near-normal at that scale.
 */
function probabilityGreaterByQuadrature(x: BetaParameters, y: BetaParameters): number {
  const total = x.alpha + x.beta;
  const mean = x.alpha / total;
  const sd = Math.sqrt((x.alpha * x.beta) / (total * total * (total + 1)));
  const lower = Math.max(1e-12, mean - 10 * sd);
  const upper = Math.min(1 - 1e-12, mean + 10 * sd);
  const intervals = 200;
  const step = (upper - lower) / intervals;
  const constant = logBeta(x.alpha, x.beta);
  let sum = 0;
  for (let i = 0; i <= intervals; i++) {
    const t = lower + i * step;
    const density = Math.exp((x.alpha - 1) * Math.log(t) + (x.beta - 1) * Math.log1p(-t) - constant);
    const weight = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    sum += weight * density * regularizedIncompleteBeta(t, y.alpha, y.beta);
  }
  return (sum * step) / 3;
}

/**
 * P(Y > X) for independent Beta variables (Evan Miller's orientation). The exact sum runs over one
 * parameter, so it uses whichever of four equivalent forms needs fewest terms
 * (P(Y > X) = 1 − P(X > Y) = P(1 − X > 1 − Y)); past MAX_EXACT_TERMS it integrates.
 */
function probabilityGreater(x: BetaParameters, y: BetaParameters): number {
  const flip = (b: BetaParameters) => ({ alpha: b.beta, beta: b.alpha });
  const options: [number, () => number][] = [
    [y.alpha, () => probabilityGreaterBySum(x, y)],
    [x.alpha, () => 1 - probabilityGreaterBySum(y, x)],
    [x.beta, () => probabilityGreaterBySum(flip(y), flip(x))],
    [y.beta, () => 1 - probabilityGreaterBySum(flip(x), flip(y))],
  ];
  const [terms, exact] = options.reduce((best, option) => (option[0] < best[0] ? option : best));
  const probability = terms <= MAX_EXACT_TERMS ? exact() : probabilityGreaterByQuadrature(y, x);
  return Math.min(1, Math.max(0, probability));
}

/**
 * The probability that the arm's true rate is higher than control's, P(p_arm > p_control),
 * given the data and independent uniform Beta(1, 1) priors. Reads as "the chance
 * the arm is really better", which is what ministers ask; it is not a p-value.
 *
 * Source: Miller, E. (2015) "Formulas for Bayesian A/B testing",
 * https://www.evanmiller.org/bayesian-ab-testing.html (exact closed form);
 * checked against R numerical integration
 * `integrate(function(x) dbeta(x, a1, b1) * pbeta(x, a2, b2), 0, 1)`.
 *
 * @example
 * probabilityBeatsControl({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // 0.949452
 */
export function probabilityBeatsControl(arm: BinaryArmStats, control: BinaryArmStats): number {
  assertBinaryArm(arm);
  assertBinaryArm(control, `control arm "${control.arm}"`);
  return probabilityGreater(posterior(control), posterior(arm));
}

export interface ExpectedLoss {
  /** E[max(p_control − p_arm, 0)]: the rate we expect to give up by rolling out the arm. */
  chooseArm: number;
  /** E[max(p_arm − p_control, 0)]: the rate we expect to give up by keeping control. */
  chooseControl: number;
}

/** E[max(Y − X, 0)] = E[Y]·P(Y⁺ > X) − E[X]·P(Y > X⁺), where Z⁺ is Z's size-biased Beta(α+1, β). */
function expectedShortfall(x: BetaParameters, y: BetaParameters): number {
  const meanX = x.alpha / (x.alpha + x.beta);
  const meanY = y.alpha / (y.alpha + y.beta);
  const value =
    meanY * probabilityGreater(x, { alpha: y.alpha + 1, beta: y.beta }) -
    meanX * probabilityGreater({ alpha: x.alpha + 1, beta: x.beta }, y);
  return Math.max(0, value);
}

/**
 * Expected loss of each decision under independent Beta(1, 1) priors: how much
 * rate (as a fraction) we expect to give up if we choose the arm and control is
 * really better, E[max(p_control − p_arm, 0)], and the same for choosing control.
 * A common stopping rule is "choose the arm once its expected loss is below a
 * threshold we would not care about" (e.g. 0.002 = 0.2 percentage points).
 *
 * Source: Stucchio, C. (2015) "Bayesian A/B Testing at VWO",
 * https://vwo.com/downloads/VWO_SmartStats_technical_whitepaper.pdf (expected loss);
 * computed exactly with Miller's sum on the size-biased posteriors; checked against R
 * `integrate(function(x) dbeta(x, aa, ba) * (ac/(ac+bc) * pbeta(x, ac+1, bc, lower.tail=FALSE) - x * pbeta(x, ac, bc, lower.tail=FALSE)), 0, 1)`.
 *
 * @example
 * expectedLoss({ arm: 'text', n: 50, successes: 15 }, { arm: 'letter', n: 50, successes: 8 })
 * // { chooseArm: 0.001773, chooseControl: 0.136388 }
 */
export function expectedLoss(arm: BinaryArmStats, control: BinaryArmStats): ExpectedLoss {
  assertBinaryArm(arm);
  assertBinaryArm(control, `control arm "${control.arm}"`);
  const armPosterior = posterior(arm);
  const controlPosterior = posterior(control);
  return {
    chooseArm: expectedShortfall(armPosterior, controlPosterior),
    chooseControl: expectedShortfall(controlPosterior, armPosterior),
  };
}
