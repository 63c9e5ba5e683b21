import { scoreDifferenceInterval } from '../score-difference-interval.ts';
import type { BinaryArmStats, Interval } from '../types.ts';
import { assertOpenUnitInterval } from '../validate-input.ts';
import type { SpendingFunctionName } from './alpha-spending.ts';
import {
  addLook,
  groupSequentialBoundaries,
  startGroupSequentialDesign,
  type GroupSequentialDesignSoFar,
  type GroupSequentialLook,
} from './group-sequential-boundaries.ts';
import { informationFractionFromCounts } from './information-fraction.ts';
import { lookDecision } from './look-decision.ts';
import { MINIMUM_PEOPLE_PER_ARM, sequentialVerdict, type SequentialVerdict } from './sequential-verdict.ts';

/** The difference interval (arm − control) the rule sets the level of; swappable for a score interval. */
export type DifferenceIntervalAt = (arm: BinaryArmStats, control: BinaryArmStats, confidence: number) => Interval;

/**
 * The platform's difference interval: the continuity-corrected Miettinen–Nurminen
 * score interval, which inverts the score test shown beside it (decision 0023).
 */
export const scoreIntervalAt: DifferenceIntervalAt = (arm, control, confidence) =>
  scoreDifferenceInterval(arm, control, confidence).interval;

export interface GroupSequentialSimulationOptions {
  /** True control rate. */
  baseline: number;
  /** True rate of each non-control arm. */
  armRates: readonly number[];
  /** People joining each arm each week. */
  perWeek: number;
  /** Weekly looks, the last being the end of the trial. */
  weeks: number;
  /** Planned people per arm at the end (information fraction 1). */
  plannedPerArm: number;
  alpha?: number;
  spending?: SpendingFunctionName;
  trials: number;
  /** Seeded generator of fractions in [0, 1), e.g. `mulberry32(seed)`. */
  random: () => number;
  differenceIntervalAt?: DifferenceIntervalAt;
  minimumPerArm?: number;
  /** Called after each simulated trial with the number done, for a progress bar. */
  onTrialDone?: (completed: number) => void;
}

export interface SimulatedArm {
  arm: string;
  trueRate: number;
  /** True arm rate − control rate. */
  trueDifference: number;
  /** Share of trials ending 'better', 'worse', 'not_enough_evidence' for this arm. */
  better: number;
  worse: number;
  notEnoughEvidence: number;
  /** P(correct 'better') when the arm is truly better; null otherwise. */
  power: number | null;
  /** P('better' or 'worse') when the arm truly equals control; null otherwise. */
  falsePositiveRate: number | null;
  /** Share of trials whose repeated interval at the deciding look (stop or end) contains the true difference. */
  coverage: number;
  /** Mean week at which the verdict was settled: the stopping week, or the last week. */
  expectedWeeksToDecision: number;
  /** Mean naive difference reported at the deciding look (arm rate − control rate); shows the bias of stopping early. */
  meanReportedDifference: number;
}

export interface GroupSequentialSimulation {
  trials: number;
  weeks: number;
  perWeek: number;
  plannedPerArm: number;
  /** Boundaries at the weekly looks (as seen by every simulated trial, accrual being fixed). */
  boundaries: GroupSequentialLook[];
  arms: SimulatedArm[];
  /** When every arm equals control: share of trials with any 'better' or 'worse' (family-wise error). */
  anyFalsePositive: number | null;
}

function binomial(size: number, probability: number, random: () => number): number {
  let successes = 0;
  for (let i = 0; i < size; i++) if (random() < probability) successes++;
  return successes;
}

function validate(options: GroupSequentialSimulationOptions): void {
  assertOpenUnitInterval(options.baseline, 'baseline');
  if (options.armRates.length === 0) throw new RangeError('at least one non-control arm is needed');
  options.armRates.forEach((rate, index) => assertOpenUnitInterval(rate, `rate of arm ${index + 1}`));
  for (const name of ['perWeek', 'weeks', 'plannedPerArm', 'trials'] as const) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number, 1 or more (got ${value})`);
  }
}

/**
 * Simulates two-or-more-arm trials of a rate week by week under the
 * group-sequential rule, with every non-control arm compared with control:
 * each week `perWeek` people join every arm, outcomes are Bernoulli(true rate);
 * at each look the boundary is computed from the information observed so far,
 * the difference interval is taken at the look's nominal level, and an arm's
 * verdict is settled the first time it crosses (or at the last week). The
 * verdict and its figures are what the platform would report: the deciding look's
 * difference is the arm's rate minus the control's, as the report shows it.
 *
 * Arms are not adjusted for each other (each comparison has its own α);
 * with several arms the family-wise error is reported as `anyFalsePositive`.
 *
 * @example
 * simulateGroupSequentialTrials({ baseline: 0.1, armRates: [0.1], perWeek: 26, weeks: 20, plannedPerArm: 515,
 *   trials: 2000, random: mulberry32(1) }).arms[0].falsePositiveRate // about 0.04
 */
export function simulateGroupSequentialTrials(options: GroupSequentialSimulationOptions): GroupSequentialSimulation {
  validate(options);
  const {
    baseline,
    armRates,
    perWeek,
    weeks,
    plannedPerArm,
    alpha = 0.05,
    spending = 'obf',
    trials,
    random,
    differenceIntervalAt = scoreIntervalAt,
    minimumPerArm = MINIMUM_PEOPLE_PER_ARM,
    onTrialDone,
  } = options;
  // Boundaries depend only on the fractions observed so far: cache each schedule so far,
  // extending the parent schedule by one look when a new history appears.
  const designCache = new Map<string, GroupSequentialDesignSoFar>([['', startGroupSequentialDesign({ alpha, spending })]]);
  const designFor = (parentKey: string, fraction: number) => {
    const key = `${parentKey},${fraction}`;
    let design = designCache.get(key);
    if (design === undefined) {
      design = addLook(designCache.get(parentKey)!, fraction);
      designCache.set(key, design);
    }
    return { key, design };
  };

  const armNames = armRates.map((_, index) => `arm ${index + 1}`);
  const tallies = armRates.map(() => ({ better: 0, worse: 0, notEnoughEvidence: 0, covered: 0, weeks: 0, difference: 0 }));
  let anyFalsePositive = 0;

  for (let trial = 0; trial < trials; trial++) {
    const control: BinaryArmStats = { arm: 'control', n: 0, successes: 0 };
    const arms: BinaryArmStats[] = armNames.map((arm) => ({ arm, n: 0, successes: 0 }));
    const settled: Array<SequentialVerdict | null> = arms.map(() => null);
    const scheduleKeys: string[] = arms.map(() => '');
    for (let week = 1; week <= weeks && settled.some((verdict) => verdict === null); week++) {
      control.n += perWeek;
      control.successes += binomial(perWeek, baseline, random);
      arms.forEach((arm, index) => {
        if (settled[index] !== null) return;
        arm.n += perWeek;
        arm.successes += binomial(perWeek, armRates[index], random);
      });
      arms.forEach((arm, index) => {
        if (settled[index] !== null) return;
        if (arm.n < minimumPerArm || control.n < minimumPerArm) return; // too early: no look, no α spent
        const fraction = informationFractionFromCounts({
          armN: arm.n,
          controlN: control.n,
          plannedArmN: plannedPerArm,
          plannedControlN: plannedPerArm,
        });
        const { key, design } = designFor(scheduleKeys[index], fraction);
        scheduleKeys[index] = key;
        const decision = lookDecision({
          boundaries: design.looks,
          intervalAt: (confidence) => differenceIntervalAt(arm, control, confidence),
        });
        const verdict = sequentialVerdict({ armN: arm.n, controlN: control.n, decision, minimumPerArm });
        if (verdict === 'not_enough_evidence' && week < weeks) return;
        settled[index] = verdict;
        const tally = tallies[index];
        if (verdict === 'better') tally.better++;
        else if (verdict === 'worse') tally.worse++;
        else tally.notEnoughEvidence++;
        const trueDifference = armRates[index] - baseline;
        if (decision.interval[0] <= trueDifference && trueDifference <= decision.interval[1]) tally.covered++;
        tally.weeks += week;
        // The naive difference the report shows beside the verdict (the same as analyseBinaryMetric's).
        tally.difference += arm.successes / arm.n - control.successes / control.n;
      });
    }
    if (settled.some((verdict) => verdict === 'better' || verdict === 'worse')) anyFalsePositive++;
    onTrialDone?.(trial + 1);
  }

  const weeklyFractions = Array.from({ length: weeks }, (_, index) => ((index + 1) * perWeek) / plannedPerArm);
  const allNull = armRates.every((rate) => rate === baseline);
  return {
    trials,
    weeks,
    perWeek,
    plannedPerArm,
    boundaries: groupSequentialBoundaries(weeklyFractions, { alpha, spending }),
    arms: armRates.map((rate, index) => {
      const tally = tallies[index];
      const trueDifference = rate - baseline;
      return {
        arm: armNames[index],
        trueRate: rate,
        trueDifference,
        better: tally.better / trials,
        worse: tally.worse / trials,
        notEnoughEvidence: tally.notEnoughEvidence / trials,
        power: trueDifference > 0 ? tally.better / trials : trueDifference < 0 ? tally.worse / trials : null,
        falsePositiveRate: trueDifference === 0 ? (tally.better + tally.worse) / trials : null,
        coverage: tally.covered / trials,
        expectedWeeksToDecision: tally.weeks / trials,
        meanReportedDifference: tally.difference / trials,
      };
    }),
    anyFalsePositive: allNull ? anyFalsePositive / trials : null,
  };
}
