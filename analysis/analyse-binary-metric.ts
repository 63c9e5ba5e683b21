import type { BinaryArmStats, Interval } from './types.ts';
import type { ProportionTestName } from './compare-proportions.ts';
import { alwaysValidPValue, confidenceSequenceDifference } from './confidence-sequence.ts';
import { continuityCorrectedWilsonInterval } from './continuity-corrected-wilson-interval.ts';
import { omnibusRateTest, type OmnibusRateResult } from './omnibus-rate-test.ts';
import { benjaminiHochbergAdjust, holmAdjust } from './p-value-adjustment.ts';
import { expectedLoss, probabilityBeatsControl, type ExpectedLoss } from './probability-beats-control.ts';
import { relativeUpliftScoreInterval } from './risk-ratio-score-interval.ts';
import { sampleRatioMismatch, type SampleRatioMismatchResult } from './sample-ratio-mismatch.ts';
import { scoreDifferenceInterval, scoreDifferenceTest } from './score-difference-interval.ts';
import { assertBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

export interface AnalyseBinaryMetricInput {
  /** Counts per arm, in the order they should be reported. Arm names must be unique. */
  arms: readonly BinaryArmStats[];
  /** Name of the control arm every other arm is compared with. */
  control: string;
  /** Planned allocation weights in the same order as `arms`; adds the sample-ratio check. */
  plannedWeights?: readonly number[];
  /** Confidence level of every interval, default 0.95. */
  confidence?: number;
  /**
   * Planned number of people across all arms by the end of the experiment; adds
   * an always-valid (weekly-look-safe) interval and p-value to each comparison.
   */
  plannedTotal?: number;
}

export interface ArmSummary extends BinaryArmStats {
  /** successes ÷ n; null when the arm has nobody yet. */
  rate: number | null;
  /** Continuity-corrected Wilson interval for the rate; null when the arm has nobody yet. */
  ci: Interval | null;
}

export interface SequentialComparison {
  /** Always-valid confidence sequence for the difference (`confidenceSequenceDifference`). */
  ci: Interval | null;
  /** Always-valid p-value (`alwaysValidPValue`). */
  pValue: number | null;
  /** The planned people in this arm plus control that the sequence was tuned for. */
  plannedTotal: number;
}

/** One non-control arm against control. Every field is null when either arm has nobody yet. */
export interface ArmComparison {
  arm: string;
  /** arm rate − control rate (fraction; 0.05 = 5 percentage points). */
  difference: number | null;
  /** Score interval for the difference (`scoreDifferenceInterval`): the inversion of the test behind `pValue`. */
  differenceCi: Interval | null;
  /** arm rate ÷ control rate − 1; also null when the control arm has no successes. */
  relativeUplift: number | null;
  /**
   * Score interval for the relative uplift (`relativeUpliftScoreInterval`).
   * When the control arm has no successes it is the one-sided bound
   * [lower, Infinity] (relativeUplift is then null); JSON writes Infinity as null.
   */
  relativeUpliftCi: Interval | null;
  /**
   * Two-sided p-value of the score test (`scoreDifferenceTest`) that
   * `differenceCi` inverts: below 1 − confidence exactly when the interval leaves out 0.
   */
  pValue: number | null;
  /** Which test produced `pValue`: always 'score' here. */
  test: ProportionTestName | null;
  /** Holm-adjusted across this metric's non-control comparisons. */
  pValueHolm: number | null;
  /** P(arm rate > control rate) under uniform priors. */
  probabilityBeatsControl: number | null;
  expectedLoss: ExpectedLoss | null;
  /** Present when `plannedTotal` was given. */
  sequential?: SequentialComparison;
  /** Benjamini–Hochberg across metrics; added by `adjustAcrossMetrics`. */
  pValueAcrossMetrics?: number | null;
}

export interface BinaryMetricResult {
  control: string;
  confidence: number;
  arms: ArmSummary[];
  comparisons: ArmComparison[];
  /**
   * Test of "all arms have the same rate": chi-square, or the exact
   * Fisher–Freeman–Halton test when an expected count is below 5 (`test` says
   * which); null with fewer than two arms with people.
   */
  omnibus: OmnibusRateResult | null;
  /** Present when planned weights were given; null if nobody has been assigned yet. */
  srm?: SampleRatioMismatchResult | null;
}

function emptyComparison(arm: string): ArmComparison {
  return {
    arm,
    difference: null,
    differenceCi: null,
    relativeUplift: null,
    relativeUpliftCi: null,
    pValue: null,
    test: null,
    pValueHolm: null,
    probabilityBeatsControl: null,
    expectedLoss: null,
  };
}

function validateInput(input: AnalyseBinaryMetricInput): void {
  const { arms, control, plannedWeights, confidence, plannedTotal } = input;
  if (arms.length < 2) throw new RangeError(`a comparison needs at least two arms (got ${arms.length})`);
  arms.forEach((arm) => assertBinaryArm(arm));
  const names = arms.map((arm) => arm.arm);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new RangeError(`arm "${duplicate}" appears more than once`);
  if (!names.includes(control)) {
    throw new RangeError(`control arm "${control}" is not one of the arms: ${names.join(', ')}`);
  }
  if (plannedWeights !== undefined && plannedWeights.length !== arms.length) {
    throw new RangeError(`there are ${arms.length} arms but ${plannedWeights.length} planned weights`);
  }
  if (confidence !== undefined) assertOpenUnitInterval(confidence, 'confidence');
  if (plannedTotal !== undefined && !(plannedTotal > 0 && Number.isFinite(plannedTotal))) {
    throw new RangeError(`plannedTotal must be a positive number of people (got ${plannedTotal})`);
  }
}

/**
 * The full analysis of one binary (funnel-stage) metric across the arms of an
 * experiment: each arm's rate with a continuity-corrected Wilson interval; for
 * each non-control arm, the difference with its score interval and the p-value
 * of the same score test (so "the interval excludes 0" and "p < 1 − confidence"
 * always agree), the relative uplift with its score interval (a one-sided
 * bound when the control rate is zero), the Holm-adjusted p-value across the non-control
 * arms, the Bayesian chance of beating control and expected loss; the omnibus
 * test (chi-square, or exact when counts are small); the sample-ratio check
 * when planned weights are given; and, when the planned total is given, an
 * always-valid interval and p-value for weekly looks. Every interval keeps at
 * least 95.4% coverage from 10 people per arm
 * (docs/decisions/0022-small-sample-intervals.md).
 *
 * Empty arms (n = 0, e.g. early in a phase) do not throw: their rate and ci are
 * null, every comparison involving them has null fields (and is left out of
 * the Holm family), and they are left out of the omnibus test. They do count
 * in the sample-ratio check, where an empty arm is itself a warning sign.
 *
 * For the always-valid interval each comparison is tuned to its share of the
 * planned total: plannedTotal × (w_arm + w_control) ÷ Σw, with equal weights
 * when none are given.
 *
 * Source: composes the functions named above; each documents its own reference.
 *
 * @example
 * analyseBinaryMetric({
 *   arms: [{ arm: 'letter', n: 120, successes: 12 }, { arm: 'text', n: 118, successes: 21 }],
 *   control: 'letter',
 * }).comparisons[0]
 * // { arm: 'text', difference: 0.077966, differenceCi: [-0.014756, 0.173382], relativeUplift: 0.779661,
 * //   relativeUpliftCi: [-0.097823, 2.630742], pValue: 0.100562, test: 'score', pValueHolm: 0.100562,
 * //   probabilityBeatsControl: 0.957635, expectedLoss: { chooseArm: 0.000781, chooseControl: 0.077557 } }
 */
export function analyseBinaryMetric(input: AnalyseBinaryMetricInput): BinaryMetricResult {
  validateInput(input);
  const { arms, control: controlName, plannedWeights, confidence = 0.95, plannedTotal } = input;
  const controlIndex = arms.findIndex((arm) => arm.arm === controlName);
  const control = arms[controlIndex];

  const armSummaries: ArmSummary[] = arms.map((arm) => ({
    arm: arm.arm,
    n: arm.n,
    successes: arm.successes,
    rate: arm.n === 0 ? null : arm.successes / arm.n,
    ci: arm.n === 0 ? null : continuityCorrectedWilsonInterval(arm.successes, arm.n, confidence),
  }));

  const weights = plannedWeights ?? arms.map(() => 1);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);

  const comparisons: ArmComparison[] = arms
    .map((arm, index) => ({ arm, index }))
    .filter(({ index }) => index !== controlIndex)
    .map(({ arm, index }) => {
      if (arm.n === 0 || control.n === 0) return emptyComparison(arm.arm);
      const { difference, interval } = scoreDifferenceInterval(arm, control, confidence);
      const uplift = relativeUpliftScoreInterval(arm, control, confidence);
      const { pValue } = scoreDifferenceTest(arm, control);
      const comparison: ArmComparison = {
        arm: arm.arm,
        difference,
        differenceCi: interval,
        relativeUplift: uplift.relativeUplift,
        relativeUpliftCi: uplift.interval,
        pValue,
        test: 'score',
        pValueHolm: null,
        probabilityBeatsControl: probabilityBeatsControl(arm, control),
        expectedLoss: expectedLoss(arm, control),
      };
      if (plannedTotal !== undefined) {
        const pairPlannedTotal = (plannedTotal * (weights[index] + weights[controlIndex])) / weightTotal;
        comparison.sequential = {
          ci: confidenceSequenceDifference(arm, control, { alpha: 1 - confidence, plannedTotal: pairPlannedTotal }),
          pValue: alwaysValidPValue(arm, control, { plannedTotal: pairPlannedTotal }),
          plannedTotal: pairPlannedTotal,
        };
      }
      return comparison;
    });

  const holm = holmAdjust(comparisons.map((comparison) => comparison.pValue));
  comparisons.forEach((comparison, index) => {
    comparison.pValueHolm = holm[index];
  });

  const armsWithPeople = arms.filter((arm) => arm.n > 0);
  const result: BinaryMetricResult = {
    control: controlName,
    confidence,
    arms: armSummaries,
    comparisons,
    omnibus: armsWithPeople.length >= 2 ? omnibusRateTest(armsWithPeople) : null,
  };
  if (plannedWeights !== undefined) {
    const counts = arms.map((arm) => arm.n);
    result.srm = counts.some((count) => count > 0) ? sampleRatioMismatch(counts, plannedWeights) : null;
  }
  return result;
}

/**
 * Benjamini–Hochberg adjustment across metrics: every non-control comparison of
 * every metric given forms one family, adjusted on the raw p-values. Returns
 * copies of the results with `pValueAcrossMetrics` set on each comparison (null
 * where the comparison had no p-value). Holm within each metric is unchanged.
 *
 * Source: `benjaminiHochbergAdjust` (R `p.adjust(p, 'BH')`).
 *
 * @example
 * adjustAcrossMetrics([attended, responded]) // each comparison gains pValueAcrossMetrics (BH over all four p-values)
 */
export function adjustAcrossMetrics<T extends BinaryMetricResult>(metrics: readonly T[]): T[] {
  const raw = metrics.flatMap((metric) => metric.comparisons.map((comparison) => comparison.pValue));
  const adjusted = benjaminiHochbergAdjust(raw);
  let position = 0;
  return metrics.map((metric) => ({
    ...metric,
    comparisons: metric.comparisons.map((comparison) => ({
      ...comparison,
      pValueAcrossMetrics: adjusted[position++],
    })),
  }));
}
