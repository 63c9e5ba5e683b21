import { normalSurvival } from '../normal-distribution.ts';
import { assertOpenUnitInterval } from '../validate-input.ts';
import { alphaSpent, SPENDING_FUNCTION_NAMES, type SpendingFunctionName } from './alpha-spending.ts';
import {
  continuationDensity,
  crossingProbabilities,
  gridResolution,
  solveDecreasing,
  type ContinuationDensity,
} from './sequential-integration.ts';

export interface GroupSequentialOptions {
  /** Total two-sided type I error over all looks, default 0.05. */
  alpha?: number;
  /** Lan–DeMets spending shape, default 'obf' (O'Brien–Fleming-like). */
  spending?: SpendingFunctionName;
}

export interface GroupSequentialLook {
  /** Information so far ÷ planned information (people so far ÷ planned people, for equal arms). */
  informationFraction: number;
  /** Stop for efficacy at this look when |z| ≥ zBoundary (Infinity: nothing left to spend, no stop). */
  zBoundary: number;
  /** Two-sided type I error spent by this look, cumulative (the spending function at min(t, 1)). */
  alphaSpent: number;
  /** Two-sided nominal p-value threshold at this look, 2(1 − Φ(zBoundary)). */
  nominalAlpha: number;
}

/** Throws unless the fractions are finite, positive and strictly increasing. */
export function assertInformationFractions(informationFractions: readonly number[]): void {
  if (informationFractions.length === 0) throw new RangeError('at least one information fraction is needed');
  informationFractions.forEach((fraction, index) => {
    if (!(fraction > 0) || !Number.isFinite(fraction)) {
      throw new RangeError(`information fractions must be positive numbers (look ${index + 1} is ${fraction})`);
    }
    if (index > 0 && !(fraction > informationFractions[index - 1])) {
      throw new RangeError(
        `information fractions must increase from look to look (look ${index + 1} is ${fraction} after ${informationFractions[index - 1]})`,
      );
    }
  });
}

export function validatedGroupSequentialOptions(options: GroupSequentialOptions): Required<GroupSequentialOptions> {
  const { alpha = 0.05, spending = 'obf' } = options;
  assertOpenUnitInterval(alpha, 'alpha');
  if (!SPENDING_FUNCTION_NAMES.includes(spending)) {
    throw new RangeError(`spending must be one of ${SPENDING_FUNCTION_NAMES.join(', ')} (got ${String(spending)})`);
  }
  return { alpha, spending };
}

/** Largest boundary we search to; Φ(−40) underflows to 0, so nothing beyond it can be spent. */
const LARGEST_BOUNDARY = 40;

/**
 * Two-sided symmetric efficacy boundaries of a Lan–DeMets alpha-spending
 * group-sequential design (no futility stopping). At look k, with the boundaries of
 * looks 1..k−1 fixed, c_k solves
 *
 *   P₀(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1}),
 *
 * by the exact recursive numerical integration of Armitage, McPherson & Rowe
 * (1969) on the Jennison & Turnbull (2000, ch. 19) grid. The boundary at look k
 * depends only on t₁..t_k, so it can be computed at an interim look from the
 * information actually observed; unequal, extra or missed looks need no special
 * handling. Fractions above 1 (the trial ran past its plan) spend what is left
 * of α at the first such look; later looks have nothing left (zBoundary = Infinity).
 *
 * Matches R rpact `getDesignGroupSequential(typeOfDesign = "asOF" | "asP",
 * informationRates = t, alpha, sided = 2)$criticalValues` to better than 1e-6
 * (rpact reports Inf where less than about 1e-9 would be spent; we give the finite value).
 *
 * Source: Lan & DeMets (1983) Biometrika 70:659–663; Jennison & Turnbull (2000)
 * Group Sequential Methods with Applications to Clinical Trials, §7.2 and ch. 19.
 *
 * @example
 * groupSequentialBoundaries([0.25, 0.5, 0.75, 1]).map((look) => look.zBoundary)
 * // [4.332634, 2.963132, 2.359044, 2.014090]  (R rpact asOF, sided = 2)
 */
export function groupSequentialBoundaries(
  informationFractions: readonly number[],
  options: GroupSequentialOptions = {},
): GroupSequentialLook[] {
  assertInformationFractions(informationFractions);
  let design = startGroupSequentialDesign(options);
  for (const t of informationFractions) design = addLook(design, t);
  return [...design.looks];
}

/**
 * A design part-way through its looks, carrying what the next look's boundary
 * needs (the sub-density of the last look's statistic is built lazily, once
 * the next fraction is known). Lets a simulation extend one trial's schedule a
 * look at a time instead of recomputing every earlier look.
 */
export interface GroupSequentialDesignSoFar {
  readonly alpha: number;
  readonly spending: SpendingFunctionName;
  readonly looks: readonly GroupSequentialLook[];
  /** Sub-density at the look before the last (null until there are two looks). */
  readonly densityBeforeLast: ContinuationDensity | null;
}

/** A design with no looks yet. */
export function startGroupSequentialDesign(options: GroupSequentialOptions = {}): GroupSequentialDesignSoFar {
  const { alpha, spending } = validatedGroupSequentialOptions(options);
  return { alpha, spending, looks: [], densityBeforeLast: null };
}

/** The design with one more look at information fraction `t` (which must exceed the last). */
export function addLook(design: GroupSequentialDesignSoFar, t: number): GroupSequentialDesignSoFar {
  const { alpha, spending, looks } = design;
  const last = looks[looks.length - 1];
  assertInformationFractions(last === undefined ? [t] : [last.informationFraction, t]);
  const previous =
    last === undefined
      ? null
      : continuationDensity(
          design.densityBeforeLast,
          last.informationFraction,
          0,
          -last.zBoundary,
          last.zBoundary,
          gridResolution(last.informationFraction, t),
        );
  const spent = alphaSpent(t, { alpha, spending });
  const toSpend = spent - (last?.alphaSpent ?? 0);
  let boundary = Infinity;
  if (toSpend > 0) {
    const excess = (c: number) => {
      const crossing = crossingProbabilities(previous, t, 0, -c, c);
      return crossing.upper + crossing.lower - toSpend;
    };
    boundary = excess(LARGEST_BOUNDARY) > 0 ? LARGEST_BOUNDARY : solveDecreasing(excess, 0, LARGEST_BOUNDARY);
  }
  const look = { informationFraction: t, zBoundary: boundary, alphaSpent: spent, nominalAlpha: 2 * normalSurvival(boundary) };
  return { alpha, spending, looks: [...looks, look], densityBeforeLast: previous };
}
