import { normalQuantile } from '../normal-distribution.ts';
import { exactSampleSizePerArm, sampleSizePerArm } from '../two-proportion-power.ts';
import { assertOpenUnitInterval } from '../validate-input.ts';
import type { SpendingFunctionName } from './alpha-spending.ts';
import {
  assertInformationFractions,
  groupSequentialBoundaries,
  type GroupSequentialLook,
  type GroupSequentialOptions,
} from './group-sequential-boundaries.ts';
import { boundaryCrossingProbabilities, solveDecreasing } from './sequential-integration.ts';

/**
 * Probability that a design with these boundaries stops at some look for
 * efficacy in the direction of the effect (the upper boundary for a positive
 * drift), when the drift is `drift`: the standardised effect θ·√I_max, so that
 * Z_k has mean drift·√t_k. Stopping on the wrong side is not counted as power,
 * as in rpact's `getDesignCharacteristics` (and our simulations, which count
 * only a correct "better").
 *
 * @example
 * groupSequentialPower(groupSequentialBoundaries([0.25, 0.5, 0.75, 1]), 2.828959) // 0.8000 (the drift rpact sizes 80% power with)
 */
export function groupSequentialPower(looks: readonly GroupSequentialLook[], drift: number): number {
  const crossings = boundaryCrossingProbabilities(
    looks.map((look) => ({ informationFraction: look.informationFraction, lower: -look.zBoundary, upper: look.zBoundary })),
    drift,
  );
  return crossings.reduce((sum, crossing) => sum + (drift >= 0 ? crossing.upper : crossing.lower), 0);
}

/** Equally spaced fractions 1/K, 2/K, …, 1 for `K` looks, or the fractions given. */
export function lookFractions(looks: number | readonly number[]): number[] {
  if (typeof looks === 'number') {
    if (!Number.isInteger(looks) || looks < 1) throw new RangeError(`looks must be a whole number, 1 or more (got ${looks})`);
    return Array.from({ length: looks }, (_, index) => (index + 1) / looks);
  }
  assertInformationFractions(looks);
  if (looks[looks.length - 1] !== 1) throw new RangeError(`the last planned look must be at information fraction 1 (got ${looks[looks.length - 1]})`);
  return [...looks];
}

/**
 * How much more information (people) a group-sequential design needs at most
 * than a fixed-size trial with the same α and power: (η / (z₁₋α/₂ + z₁₋β))², where
 * the drift η is found so that P_η(cross the upper boundary at some look) = power
 * (see `groupSequentialPower`).
 *
 * Matches R rpact `getDesignCharacteristics(getDesignGroupSequential(typeOfDesign,
 * informationRates = t, alpha, beta = 1 − power, sided = 2))$inflationFactor`.
 *
 * Source: Jennison & Turnbull (2000) §2.5 and §7.2 (tables of R_L for
 * Lan–DeMets designs).
 *
 * @example
 * groupSequentialInflation({ looks: 4 }) // 1.019637 (R rpact asOF, 4 equal looks)
 */
export function groupSequentialInflation(
  options: GroupSequentialOptions & { looks: number | readonly number[]; power?: number },
): { inflation: number; drift: number; looks: GroupSequentialLook[] } {
  // The answer depends only on these four, not on the rates, and takes up to half a
  // second for 52 looks: keep recent answers (the design page sizes many plans).
  const key = JSON.stringify([options.looks, options.alpha ?? 0.05, options.power ?? 0.8, options.spending ?? 'obf']);
  let answer = inflationCache.get(key);
  if (answer === undefined) {
    answer = computeInflation(options);
    if (inflationCache.size >= 256) inflationCache.delete(inflationCache.keys().next().value!);
    inflationCache.set(key, answer);
  }
  return { inflation: answer.inflation, drift: answer.drift, looks: answer.looks.map((look) => ({ ...look })) };
}

const inflationCache = new Map<string, { inflation: number; drift: number; looks: GroupSequentialLook[] }>();

function computeInflation(
  options: GroupSequentialOptions & { looks: number | readonly number[]; power?: number },
): { inflation: number; drift: number; looks: GroupSequentialLook[] } {
  const { power = 0.8 } = options;
  assertOpenUnitInterval(power, 'power');
  const looks = groupSequentialBoundaries(lookFractions(options.looks), options);
  const alpha = options.alpha ?? 0.05;
  const fixedDrift = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  // Power rises with the drift; the fixed design's drift is a lower bound and 2× it is ample.
  let high = 2 * fixedDrift;
  while (groupSequentialPower(looks, high) < power) high *= 2;
  const drift = solveDecreasing((candidate) => power - groupSequentialPower(looks, candidate), 0, high);
  return { inflation: (drift / fixedDrift) ** 2, drift, looks };
}

export interface GroupSequentialSampleSizeOptions {
  /** The control rate we expect (0.10 = 10%). */
  baseline: number;
  /** The arm rate we want to detect. */
  target: number;
  /** Total two-sided type I error over all looks, default 0.05. */
  alpha?: number;
  /** Chance of stopping for efficacy by the end if the target is real, default 0.8. */
  power?: number;
  /** Number of equally spaced looks (the last at the planned end), or the planned information fractions. */
  looks: number | readonly number[];
  spending?: SpendingFunctionName;
}

export interface GroupSequentialSampleSize {
  /** Most people needed in each arm (reached only if the trial never stops early), rounded up. */
  perArm: number;
  /** People per arm for a single look at the end: R power.prop.test, rounded up. */
  fixedPerArm: number;
  /** perArm ÷ fixed size before rounding. */
  inflation: number;
  /** Planned boundaries at each look. */
  looks: GroupSequentialLook[];
}

/**
 * Maximum people per arm for a two-arm comparison of rates with weekly (or
 * other) looks under a Lan–DeMets group-sequential design: the fixed-size
 * answer of R `power.prop.test` (our `exactSampleSizePerArm`) times the design's
 * inflation factor, rounded up.
 *
 * This is exactly how R rpact sizes it: `getSampleSizeRates(design, pi1 = target,
 * pi2 = baseline)$maxNumberOfSubjects / 2` equals inflationFactor × its `nFixed / 2`,
 * and rpact's two-sided normal-approximation `nFixed` is power.prop.test's formula.
 * docs/decisions/0021-group-sequential-sample-size.md explains the choice.
 *
 * @example
 * groupSequentialSampleSize({ baseline: 0.10, target: 0.16, looks: 20 })
 * // { perArm: 515, fixedPerArm: 492, inflation: 1.046295, looks: [...] }
 */
export function groupSequentialSampleSize(options: GroupSequentialSampleSizeOptions): GroupSequentialSampleSize {
  const { baseline, target, alpha = 0.05, power = 0.8, spending = 'obf' } = options;
  const exactFixed = exactSampleSizePerArm({ baseline, target, alpha, power });
  const { inflation, looks } = groupSequentialInflation({ looks: options.looks, alpha, power, spending });
  return {
    perArm: Math.ceil(exactFixed * inflation - 1e-9),
    fixedPerArm: sampleSizePerArm({ baseline, target, alpha, power }),
    inflation,
    looks,
  };
}
