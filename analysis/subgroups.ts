/**
 * Results broken down by a person characteristic (health condition group, age
 * band, sex, ethnicity group, caring responsibilities, work coach, …): per
 * subgroup rates and arm-vs-control differences, with small cells suppressed,
 * and a test of whether the effect differs across subgroups.
 *
 * Small-number suppression: a subgroup in which any arm (any arm seen in any
 * subgroup; an absent arm counts as 0 people) has fewer than `minPerArm`
 * people is returned as `{ subgroup, tooSmall: true, withheldReason: 'small' }`
 * with no counts, rates or differences at all, and is left out of the
 * heterogeneity test. Because arm totals are shown elsewhere, the next-smallest
 * subgroups are withheld too (`withheldReason: 'secondary'`) until the withheld
 * subgroups together have at least `minPerArm` people in every arm (or all are
 * withheld): see `withheldSubgroups`. So nothing identifying can leak through a
 * report or a difference of totals.
 *
 * Per-subgroup differences are descriptive: with several subgroups some will
 * look different by chance. The heterogeneity test is the one to read before
 * claiming the effect differs between groups.
 */
import type { BinaryArmStats, Interval, NumericArmStats } from './types.ts';
import { chiSquareSurvival } from './chi-square-distribution.ts';
import { newcombeDifferenceInterval } from './newcombe-difference-interval.ts';
import { withheldSubgroups, type WithheldReason } from './subgroup-suppression.ts';
import { assertBinaryArm, assertCount, assertOpenUnitInterval } from './validate-input.ts';
import { describeNumeric, numericMoments, welchTTest } from './welch.ts';
import { wilsonInterval } from './wilson-interval.ts';

export interface SubgroupOptions {
  /** Name of the control arm. */
  control: string;
  /** Fewest people any arm may have for the subgroup to be reported; default 10, at least 1 (2 for numeric metrics). */
  minPerArm?: number;
  confidence?: number;
}

/** Cochran's Q test of "the arm-vs-control effect is the same in every subgroup". */
export interface HeterogeneityTest {
  arm: string;
  /** Cochran's Q; 0 when fewer than two subgroups could be used. */
  statistic: number;
  /** Number of subgroups used − 1 (0 when fewer than two). */
  df: number;
  /** Chi-square upper-tail p-value; null when fewer than two subgroups could be used. */
  pValue: number | null;
  /** Higgins' I² = max(0, (Q − df)/Q): share of variation beyond chance; null when Q = 0 or p is null. */
  iSquared: number | null;
  /** Subgroups that entered the test. */
  subgroupsUsed: string[];
  /** Subgroups whose arms were all at 0% or 100%, given ½ continuity correction for the test. */
  continuityCorrected: string[];
}

export interface BinarySubgroupArm {
  arm: string;
  n: number;
  successes: number;
  rate: number;
  /** Wilson score interval for the rate. */
  ci: Interval;
}

export interface BinarySubgroupComparison {
  arm: string;
  /** rate(arm) − rate(control) within the subgroup. */
  difference: number;
  /** Newcombe hybrid score interval (method 10). */
  differenceCi: Interval;
}

export interface BinarySubgroupResult {
  subgroup: string;
  tooSmall: boolean;
  /** Present when withheld: `small` itself, or `secondary` so a small one cannot be worked out from the total. */
  withheldReason?: WithheldReason;
  arms?: BinarySubgroupArm[];
  comparisons?: BinarySubgroupComparison[];
}

export interface BinarySubgroupEffects {
  subgroups: BinarySubgroupResult[];
  heterogeneity: HeterogeneityTest[];
}

interface SubgroupInput<Stats extends { arm: string; n: number }> {
  subgroup: string;
  arms: Stats[];
}

/** One subgroup's effect estimate and variance, as Cochran's Q needs it. */
interface EffectEstimate {
  subgroup: string;
  effect: number;
  variance: number;
  corrected: boolean;
}

/**
 * Validates the subgroup list and returns the arm names (order of first
 * appearance, control first) and which subgroups are withheld, and why.
 */
function prepare<Stats extends { arm: string; n: number }>(
  groups: SubgroupInput<Stats>[],
  options: SubgroupOptions,
  smallestAllowed: number,
): { armNames: string[]; tooSmall: Map<string, WithheldReason>; confidence: number } {
  const minPerArm = options.minPerArm ?? 10;
  assertCount(minPerArm, 'minPerArm');
  if (minPerArm < smallestAllowed) {
    throw new RangeError(`minPerArm must be at least ${smallestAllowed} (got ${minPerArm})`);
  }
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');

  const armNames = [options.control];
  const seenSubgroups = new Set<string>();
  for (const group of groups) {
    if (seenSubgroups.has(group.subgroup)) {
      throw new RangeError(`subgroup "${group.subgroup}" appears more than once`);
    }
    seenSubgroups.add(group.subgroup);
    const seenArms = new Set<string>();
    for (const stats of group.arms) {
      if (seenArms.has(stats.arm)) {
        throw new RangeError(`arm "${stats.arm}" appears more than once in subgroup "${group.subgroup}"`);
      }
      seenArms.add(stats.arm);
      if (!armNames.includes(stats.arm)) armNames.push(stats.arm);
    }
  }
  if (groups.length > 0 && !groups.some((group) => group.arms.some((stats) => stats.arm === options.control))) {
    throw new RangeError(`control arm "${options.control}" is not in any subgroup`);
  }

  const tooSmall = withheldSubgroups(groups, armNames, minPerArm);
  return { armNames, tooSmall, confidence };
}

/**
 * Cochran's Q over per-subgroup effects with inverse-variance weights:
 * Q = Σ w_i (θ_i − θ̄)², w_i = 1/v_i, θ̄ = Σ w_i θ_i / Σ w_i, df = k − 1,
 * p from chi-square(k − 1); I² = max(0, (Q − df)/Q).
 * Source: Cochran (1954) Biometrics 10:101–129; Higgins & Thompson (2002)
 * Statistics in Medicine 21:1539–1558 for I². Reference implementation
 * statsmodels `combine_effects(effect, variance).q` and `.test_homogeneity()`
 * (statsmodels does not truncate I² at 0; we do, as Higgins et al. 2003).
 */
function cochranQ(arm: string, estimates: EffectEstimate[]): HeterogeneityTest {
  const subgroupsUsed = estimates.map((estimate) => estimate.subgroup);
  const continuityCorrected = estimates.filter((estimate) => estimate.corrected).map((estimate) => estimate.subgroup);
  if (estimates.length < 2) {
    return { arm, statistic: 0, df: 0, pValue: null, iSquared: null, subgroupsUsed, continuityCorrected };
  }
  const weights = estimates.map((estimate) => 1 / estimate.variance);
  const totalWeight = weights.reduce((total, weight) => total + weight, 0);
  const pooled = estimates.reduce((total, estimate, i) => total + weights[i] * estimate.effect, 0) / totalWeight;
  const statistic = estimates.reduce(
    (total, estimate, i) => total + weights[i] * (estimate.effect - pooled) ** 2,
    0,
  );
  const df = estimates.length - 1;
  return {
    arm,
    statistic,
    df,
    pValue: chiSquareSurvival(statistic, df),
    iSquared: statistic > 0 ? Math.max(0, (statistic - df) / statistic) : null,
    subgroupsUsed,
    continuityCorrected,
  };
}

/**
 * Risk difference and its Wald variance p₁(1 − p₁)/n₁ + p₀(1 − p₀)/n₀ for the
 * heterogeneity test. When that variance is 0 (both arms at 0% or 100%, where
 * the subgroup would otherwise get infinite weight) ½ is added to the
 * successes and to the failures of both arms (Haldane–Anscombe correction) and
 * effect and variance are recomputed from the corrected counts. Such subgroups
 * are kept, not dropped: "0 of 12 and 0 of 11" is real evidence of no effect.
 */
function riskDifferenceEstimate(subgroup: string, arm: BinaryArmStats, control: BinaryArmStats): EffectEstimate {
  const armRate = arm.successes / arm.n;
  const controlRate = control.successes / control.n;
  const variance = (armRate * (1 - armRate)) / arm.n + (controlRate * (1 - controlRate)) / control.n;
  if (variance > 0) return { subgroup, effect: armRate - controlRate, variance, corrected: false };
  const correctedArm = (arm.successes + 0.5) / (arm.n + 1);
  const correctedControl = (control.successes + 0.5) / (control.n + 1);
  return {
    subgroup,
    effect: correctedArm - correctedControl,
    variance:
      (correctedArm * (1 - correctedArm)) / (arm.n + 1) + (correctedControl * (1 - correctedControl)) / (control.n + 1),
    corrected: true,
  };
}

/**
 * Binary-metric results by subgroup. For every subgroup with at least
 * `minPerArm` people in every arm: each arm's rate with its Wilson score
 * interval, and each non-control arm's difference from control with the
 * Newcombe hybrid score interval. Smaller subgroups, and those withheld so a
 * small one cannot be recovered from the totals, are `tooSmall: true` with no
 * numbers (see the module comment).
 *
 * Heterogeneity, for each non-control arm: Cochran's Q test of equal risk
 * differences across the reported subgroups that contain the arm, with
 * inverse-variance (Wald) weights; df = k − 1 and `pValue` null when k < 2.
 * A subgroup whose Wald variance is 0 gets ½ added to every cell for this test
 * (listed in `continuityCorrected`).
 *
 * Sources: Wilson (1927); Newcombe (1998) Statistics in Medicine 17:873–890;
 * Cochran (1954) Biometrics 10:101–129. Reference implementations: statsmodels
 * `proportion_confint(method='wilson')`, `confint_proportions_2indep(method='newcomb',
 * compare='diff')` and `meta_analysis.combine_effects(effects, variances)` (its `q`
 * and `test_homogeneity().pvalue`).
 *
 * @example
 * subgroupEffects(
 *   [
 *     { subgroup: 'mental health', arms: [{ arm: 'letter', n: 45, successes: 9 }, { arm: 'text', n: 48, successes: 16 }] },
 *     { subgroup: 'musculoskeletal', arms: [{ arm: 'letter', n: 30, successes: 5 }, { arm: 'text', n: 32, successes: 6 }] },
 *     { subgroup: 'neurological', arms: [{ arm: 'letter', n: 22, successes: 4 }, { arm: 'text', n: 20, successes: 9 }] },
 *     { subgroup: 'other', arms: [{ arm: 'letter', n: 12, successes: 2 }, { arm: 'text', n: 8, successes: 3 }] },
 *   ],
 *   { control: 'letter' },
 * );
 * // { subgroups: [
 * //     { subgroup: 'mental health', tooSmall: false, arms: [...],
 * //       comparisons: [{ arm: 'text', difference: 0.1333, differenceCi: [-0.04748, 0.30139] }] },
 * //     { subgroup: 'musculoskeletal', tooSmall: false, ... },
 * //     { subgroup: 'neurological', tooSmall: true, withheldReason: 'secondary' },
 * //     { subgroup: 'other', tooSmall: true, withheldReason: 'small' } ],
 * //   heterogeneity: [{ arm: 'text', statistic: 0.7201, df: 1, pValue: 0.3961, ... }] }
 */
export function subgroupEffects(
  groups: { subgroup: string; arms: BinaryArmStats[] }[],
  options: { control: string; minPerArm?: number; confidence?: number },
): BinarySubgroupEffects {
  for (const group of groups) group.arms.forEach((stats) => assertBinaryArm(stats));
  const { armNames, tooSmall, confidence } = prepare(groups, options, 1);
  const treatmentArms = armNames.slice(1);
  const estimates = new Map<string, EffectEstimate[]>(treatmentArms.map((name) => [name, []]));

  const subgroups = groups.map((group): BinarySubgroupResult => {
    const withheldReason = tooSmall.get(group.subgroup);
    if (withheldReason) return { subgroup: group.subgroup, tooSmall: true, withheldReason };
    const byName = (name: string) => group.arms.find((stats) => stats.arm === name) as BinaryArmStats;
    const control = byName(options.control);
    const arms = armNames.map((name) => {
      const stats = byName(name);
      return {
        arm: name,
        n: stats.n,
        successes: stats.successes,
        rate: stats.successes / stats.n,
        ci: wilsonInterval(stats.successes, stats.n, confidence),
      };
    });
    const comparisons = treatmentArms.map((name) => {
      const stats = byName(name);
      const { difference, interval } = newcombeDifferenceInterval(stats, control, confidence);
      estimates.get(name)?.push(riskDifferenceEstimate(group.subgroup, stats, control));
      return { arm: name, difference, differenceCi: interval };
    });
    return { subgroup: group.subgroup, tooSmall: false, arms, comparisons };
  });

  return {
    subgroups,
    heterogeneity: treatmentArms.map((name) => cochranQ(name, estimates.get(name) ?? [])),
  };
}

export interface NumericSubgroupArm {
  arm: string;
  n: number;
  mean: number;
  sd: number;
  /** Student t interval for the mean. */
  ci: Interval;
}

export interface NumericSubgroupComparison {
  arm: string;
  /** mean(arm) − mean(control) within the subgroup. */
  difference: number;
  /** Welch t interval; null when neither arm varies in this subgroup. */
  differenceCi: Interval | null;
  /** Welch two-sided p-value; null when neither arm varies. */
  pValue: number | null;
}

export interface NumericSubgroupResult {
  subgroup: string;
  tooSmall: boolean;
  /** As for binary subgroups. */
  withheldReason?: WithheldReason;
  arms?: NumericSubgroupArm[];
  comparisons?: NumericSubgroupComparison[];
}

export interface NumericSubgroupEffects {
  subgroups: NumericSubgroupResult[];
  heterogeneity: HeterogeneityTest[];
}

/**
 * Numeric-metric results by subgroup (usefulness rating, working-alliance
 * score), with the same small-cell rule as `subgroupEffects` (and `minPerArm`
 * at least 2, since a standard deviation needs two people). Per subgroup: each
 * arm's mean, sd and t interval; each non-control arm's Welch difference,
 * interval and p-value against control.
 *
 * Heterogeneity: Cochran's Q on the per-subgroup mean differences with
 * inverse-variance weights, variance s₁²/n₁ + s₀²/n₀ (the Welch standard
 * error squared). A subgroup where neither arm varies has variance 0 and no
 * sensible weight; it is left out of the test (there is no continuity
 * correction for means) and `continuityCorrected` is always empty.
 *
 * Sources: Welch (1947) Biometrika 34:28–35; Cochran (1954). Reference
 * implementations: R `t.test(x, y, var.equal = FALSE)` and statsmodels
 * `meta_analysis.combine_effects`.
 *
 * @example
 * subgroupNumericEffects(
 *   [
 *     { subgroup: 'carer', arms: [
 *       { arm: 'standard', n: 12, sum: 38, sumSquares: 130 },
 *       { arm: 'warm', n: 11, sum: 44, sumSquares: 182 } ] },
 *     { subgroup: 'not a carer', arms: [
 *       { arm: 'standard', n: 15, sum: 49, sumSquares: 169 },
 *       { arm: 'warm', n: 14, sum: 56, sumSquares: 230 } ] },
 *   ],
 *   { control: 'standard' },
 * ).heterogeneity[0];
 * // { arm: 'warm', statistic: 0.04919, df: 1, pValue: 0.8245, ... }
 */
export function subgroupNumericEffects(
  groups: { subgroup: string; arms: NumericArmStats[] }[],
  options: { control: string; minPerArm?: number; confidence?: number },
): NumericSubgroupEffects {
  for (const group of groups) group.arms.forEach((stats) => numericMoments(stats));
  const { armNames, tooSmall, confidence } = prepare(groups, options, 2);
  const treatmentArms = armNames.slice(1);
  const estimates = new Map<string, EffectEstimate[]>(treatmentArms.map((name) => [name, []]));

  const subgroups = groups.map((group): NumericSubgroupResult => {
    const withheldReason = tooSmall.get(group.subgroup);
    if (withheldReason) return { subgroup: group.subgroup, tooSmall: true, withheldReason };
    const byName = (name: string) => group.arms.find((stats) => stats.arm === name) as NumericArmStats;
    const control = byName(options.control);
    const arms = armNames.map((name) => {
      const summary = describeNumeric(byName(name), confidence);
      // n ≥ minPerArm ≥ 2, so mean, sd and interval all exist.
      return {
        arm: name,
        n: summary.n,
        mean: summary.mean as number,
        sd: summary.sd as number,
        ci: summary.interval as Interval,
      };
    });
    const comparisons = treatmentArms.map((name) => {
      const result = welchTTest(byName(name), control, confidence);
      const difference = result.difference as number;
      if (result.standardError !== null) {
        estimates.get(name)?.push({
          subgroup: group.subgroup,
          effect: difference,
          variance: result.standardError ** 2,
          corrected: false,
        });
      }
      return { arm: name, difference, differenceCi: result.interval, pValue: result.pValue };
    });
    return { subgroup: group.subgroup, tooSmall: false, arms, comparisons };
  });

  return {
    subgroups,
    heterogeneity: treatmentArms.map((name) => cochranQ(name, estimates.get(name) ?? [])),
  };
}
