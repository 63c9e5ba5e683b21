import { normalCdf, normalQuantile } from './normal-distribution.ts';
import { assertOpenUnitInterval } from './validate-input.ts';

/**
 * Planning calculations for comparing two proportions with a two-sided test at
 * level α, using the same power formula as R's `power.prop.test` with its
 * default `strict = FALSE`:
 *
 *   power = Φ( (√n·|p₂ − p₁| − z₁₋α/₂·√((p₁ + p₂)(1 − (p₁ + p₂)/2))) / √(p₁(1 − p₁) + p₂(1 − p₂)) )
 *
 * With the default strict = FALSE R counts only the tail in the direction of
 * the effect; `strict = TRUE` would add the (tiny) opposite tail. We match the
 * default. Roots are found by bisection to ~1e-10, tighter than R's `uniroot`
 * default tolerance (1.2e-4), so pinned tests compare with `tol = 1e-12`.
 *
 * Source: Fleiss, Levin & Paik (2003) Statistical Methods for Rates and Proportions,
 * 3rd ed. §4.2; reference implementation R `power.prop.test`
 * (https://github.com/wch/r-source/blob/trunk/src/library/stats/R/power.R).
 */

function power(nPerArm: number, baseline: number, target: number, alpha: number): number {
  const criticalValue = -normalQuantile(alpha / 2);
  const pooled = (baseline + target) * (1 - (baseline + target) / 2);
  const unpooled = baseline * (1 - baseline) + target * (1 - target);
  return normalCdf((Math.sqrt(nPerArm) * Math.abs(target - baseline) - criticalValue * Math.sqrt(pooled)) / Math.sqrt(unpooled));
}

/** Bisection for an increasing function: the x in [low, high] where f(x) = 0. */
function bisect(f: (x: number) => number, low: number, high: number, tolerance: number): number {
  let lower = low;
  let upper = high;
  for (let iteration = 0; iteration < 400 && upper - lower > tolerance * Math.max(1, Math.abs(lower)); iteration++) {
    const middle = (lower + upper) / 2;
    if (f(middle) < 0) lower = middle;
    else upper = middle;
  }
  return (lower + upper) / 2;
}

export interface SampleSizeOptions {
  /** The control rate we expect (e.g. 0.10 = 10% attend). */
  baseline: number;
  /** The arm rate we want to be able to detect. */
  target: number;
  /** Two-sided significance level, default 0.05. */
  alpha?: number;
  /** Chance of detecting the target difference if it is real, default 0.8. */
  power?: number;
}

/**
 * Statistical power (0–1) of a two-sided comparison of two proportions with
 * `nPerArm` people in each arm.
 *
 * @example
 * twoProportionPower({ baseline: 0.1, target: 0.15, nPerArm: 686 }) // 0.800231
 */
export function twoProportionPower(options: { baseline: number; target: number; nPerArm: number; alpha?: number }): number {
  const { baseline, target, nPerArm, alpha = 0.05 } = options;
  assertOpenUnitInterval(baseline, 'baseline');
  assertOpenUnitInterval(target, 'target');
  assertOpenUnitInterval(alpha, 'alpha');
  if (!(nPerArm > 0) || !Number.isFinite(nPerArm)) throw new RangeError(`nPerArm must be a positive number (got ${nPerArm})`);
  return power(nPerArm, baseline, target, alpha);
}

function validatedSampleSizeOptions(options: SampleSizeOptions): Required<SampleSizeOptions> {
  const { baseline, target, alpha = 0.05, power: targetPower = 0.8 } = options;
  assertOpenUnitInterval(baseline, 'baseline');
  assertOpenUnitInterval(target, 'target');
  assertOpenUnitInterval(alpha, 'alpha');
  assertOpenUnitInterval(targetPower, 'power');
  if (baseline === target) throw new RangeError('target must differ from baseline to plan a sample size');
  return { baseline, target, alpha, power: targetPower };
}

/**
 * The exact (unrounded) n per arm at which the power reaches the target, as
 * R's `power.prop.test(p1 = baseline, p2 = target, sig.level = alpha, power = power)$n`.
 * Like R's search (which starts at n = 1), the answer is never below 1.
 *
 * @example
 * exactSampleSizePerArm({ baseline: 0.10, target: 0.15 }) // 685.596858
 */
export function exactSampleSizePerArm(options: SampleSizeOptions): number {
  const { baseline, target, alpha, power: targetPower } = validatedSampleSizeOptions(options);
  const shortfall = (n: number) => power(n, baseline, target, alpha) - targetPower;
  if (shortfall(1) >= 0) return 1;
  let upper = 2;
  while (shortfall(upper) < 0) {
    upper *= 2;
    if (upper > 1e15) throw new RangeError('the difference between baseline and target is too small to plan for');
  }
  return bisect(shortfall, upper / 2, upper, 1e-13);
}

/**
 * People needed in each arm to detect a change from `baseline` to `target`
 * with the given power: R's `power.prop.test(p1 = baseline, p2 = target,
 * sig.level = alpha, power = power)$n`, rounded up.
 *
 * @example
 * sampleSizePerArm({ baseline: 0.10, target: 0.15 }) // 686
 */
export function sampleSizePerArm(options: SampleSizeOptions): number {
  return Math.ceil(exactSampleSizePerArm(options));
}

export interface MinimumDetectableEffectOptions {
  /** The control rate we expect. */
  baseline: number;
  /** People per arm we can realistically get. */
  nPerArm: number;
  alpha?: number;
  power?: number;
}

/**
 * The smallest increase over `baseline` (absolute, as a fraction: 0.05 = 5
 * percentage points) that `nPerArm` people per arm would detect with the given
 * power: R's `power.prop.test(n = nPerArm, p1 = baseline, power = power)$p2 − baseline`.
 * Throws a RangeError when even a target rate of 1 would not reach the power.
 *
 * @example
 * minimumDetectableEffect({ baseline: 0.10, nPerArm: 200 }) // 0.099701
 */
export function minimumDetectableEffect(options: MinimumDetectableEffectOptions): number {
  const { baseline, nPerArm, alpha = 0.05, power: targetPower = 0.8 } = options;
  assertOpenUnitInterval(baseline, 'baseline');
  assertOpenUnitInterval(alpha, 'alpha');
  assertOpenUnitInterval(targetPower, 'power');
  if (!(nPerArm > 0) || !Number.isFinite(nPerArm)) throw new RangeError(`nPerArm must be a positive number (got ${nPerArm})`);
  const shortfall = (target: number) => power(nPerArm, baseline, target, alpha) - targetPower;
  if (shortfall(1) < 0) {
    throw new RangeError(
      `with ${nPerArm} people per arm no rate above ${baseline} reaches power ${targetPower}; more people are needed`,
    );
  }
  return bisect(shortfall, baseline, 1, 1e-14) - baseline;
}
