import type { ArmComparison } from '../analysis/analyse-binary-metric.ts';
import { alwaysValidPValue, confidenceSequenceDifference } from '../analysis/confidence-sequence.ts';
import { decideComparison, MINIMUM_COACHES_FOR_ROBUST, verdictFields, type ComparisonDecision } from '../analysis/decision-rule.ts';
import { scoreDifferenceInterval } from '../analysis/score-difference-interval.ts';
import type { BinaryArmStats, Interval } from '../analysis/types.ts';
import { DECISION_RULES, SPENDING_FUNCTIONS, type DecisionRule, type SpendingFunction } from '../experiments/vocabulary.ts';
import { InputError, type LevelCounts } from './analyse-counts.ts';

/**
 * The platform's one verdict rule (analysis/decision-rule.ts, decision 0020)
 * for `eiu analyse`, fed exactly as the dashboard feeds it
 * (analysis/experiment-report.ts, decisionContext and binaryMetricReport), so
 * the command and the weekly report give the same verdict on the same counts:
 *
 * - group-sequential: the score interval (inverting the score test whose
 *   p-value is shown) at the look's adjusted level, looks from the people per
 *   arm at the end of each week; with --cluster and at least 4 clusters, the
 *   CR2 interval and t-test instead, as the dashboard does with 4 or more coaches;
 * - confidence sequence: the always-valid interval and p-value, tuned to the
 *   comparison's share of the planned total, or to 1000 people when there is none.
 */

/** The verdict options of `eiu analyse`, as commander hands them over (strings). */
export interface VerdictOptions {
  planned?: string;
  spending?: string;
  rule?: string;
  alpha?: string;
  looks?: string;
  week?: string;
  lowerIsBetter?: boolean;
}

/** Where the looks come from: a week column, K equally spaced looks, or just the file as it is. */
export type LookSource = 'week' | 'equally_spaced' | 'current';

export interface VerdictPlan {
  rule: DecisionRule;
  /** Lan–DeMets spending function; only the group-sequential rule uses it. */
  spending: SpendingFunction;
  /** Two-sided error rate over all looks. */
  alpha: number;
  /** Planned people across all arms by the end; null when open-ended. */
  plannedTotal: number | null;
  higherIsBetter: boolean;
  looks: {
    from: LookSource;
    /** Weekly looks in the file (--week), K (--looks), or 1. */
    count: number;
    /** The --week column; null otherwise. */
    weekColumn: string | null;
    /** The weeks, oldest first (Sundays YYYY-MM-DD, or week numbers); null without --week. */
    weeks: string[] | null;
  };
}

/** Open-ended monitoring: the confidence sequence is tuned to this many people per comparison (as experiment-report.ts). */
const OPEN_ENDED_TUNING = 1000;

/** Clusters needed before the cluster-robust interval decides (decision 0024; MINIMUM_COACHES_FOR_ROBUST in experiment-report.ts). */
/** The dashboard's threshold, so the CLI and the reports decide alike. */
export const MINIMUM_CLUSTERS_FOR_ROBUST = MINIMUM_COACHES_FOR_ROBUST;

const MOST_LOOKS = 200;
const WHOLE_NUMBER = /^\d+$/;
const DECIMAL = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const oneOf = <T extends string>(values: readonly T[], value: string, option: string): T => {
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${option} must be ${values.join(' or ')} (got ${JSON.stringify(value)})`);
};

/**
 * Checks the verdict options and settles the rule: group-sequential when a
 * planned size is given, the confidence sequence otherwise. Throws InputError.
 * The weeks themselves are filled in once the file has been read (`withWeeks`).
 */
export function verdictPlan(options: VerdictOptions): VerdictPlan {
  let plannedTotal: number | null = null;
  if (options.planned !== undefined) {
    const text = options.planned.trim();
    plannedTotal = WHOLE_NUMBER.test(text) ? Number(text) : Number.NaN;
    if (!(plannedTotal > 0 && Number.isSafeInteger(plannedTotal))) {
      throw new InputError(`--planned must be a positive whole number of people across all arms (got ${JSON.stringify(options.planned)})`);
    }
  }
  const spending = oneOf(SPENDING_FUNCTIONS, options.spending ?? 'obf', '--spending');
  const rule = oneOf(DECISION_RULES, options.rule ?? (plannedTotal === null ? 'confidence_sequence' : 'group_sequential'), '--rule');
  if (rule === 'group_sequential' && plannedTotal === null) {
    throw new InputError('--rule group_sequential needs --planned N, the planned total people across all arms');
  }
  if (options.spending !== undefined && rule !== 'group_sequential') {
    throw new InputError('--spending is for the group-sequential rule, which needs --planned N; the confidence sequence spends no alpha per look');
  }
  let alpha = 0.05;
  if (options.alpha !== undefined) {
    const text = options.alpha.trim();
    alpha = DECIMAL.test(text) ? Number(text) : Number.NaN;
    if (!(alpha > 0 && alpha <= 0.5)) throw new InputError(`--alpha must be a number above 0 and at most 0.5, e.g. 0.05 (got ${JSON.stringify(options.alpha)})`);
  }
  if (options.looks !== undefined && options.week !== undefined) {
    throw new InputError('give --week COLUMN or --looks K, not both: with a week column the looks are its weeks');
  }
  let count = 1;
  if (options.looks !== undefined) {
    const text = options.looks.trim();
    count = WHOLE_NUMBER.test(text) ? Number(text) : Number.NaN;
    if (!(count >= 1 && count <= MOST_LOOKS)) throw new InputError(`--looks must be a whole number from 1 to ${MOST_LOOKS} (got ${JSON.stringify(options.looks)})`);
  }
  return {
    rule,
    spending,
    alpha,
    plannedTotal,
    higherIsBetter: !options.lowerIsBetter,
    looks: {
      from: options.week !== undefined ? 'week' : options.looks !== undefined ? 'equally_spaced' : 'current',
      count,
      weekColumn: options.week ?? null,
      weeks: null,
    },
  };
}

/** The plan with the file's weeks filled in (a --week file has one look per week). */
export function withWeeks(plan: VerdictPlan, weeks: LevelCounts[] | undefined): VerdictPlan {
  if (plan.looks.from !== 'week' || !weeks) return plan;
  return { ...plan, looks: { ...plan.looks, count: weeks.length, weeks: weeks.map((week) => week.level) } };
}

/**
 * People in `arm` at each look, oldest first, the last being the whole file:
 * the running total at the end of each week (--week), or round(n × k ÷ K) for
 * k = 1 … K (--looks), or just n.
 */
export function peopleAtLooks(plan: VerdictPlan, arm: BinaryArmStats, weeks: LevelCounts[] | undefined): number[] {
  if (plan.looks.from === 'week' && weeks) {
    let total = 0;
    return weeks.map((week) => (total += week.arms.find((stats) => stats.arm === arm.arm)?.n ?? 0));
  }
  const looks = plan.looks.count;
  return Array.from({ length: looks }, (_, index) => Math.round((arm.n * (index + 1)) / looks));
}

export interface ArmDecisionInput {
  plan: VerdictPlan;
  arm: BinaryArmStats;
  control: BinaryArmStats;
  /** Planned allocation weights of the arm and the control (equal when none were given) and of all arms together. */
  armWeight: number;
  controlWeight: number;
  weightTotal: number;
  comparison: ArmComparison;
  armLooks: number[];
  controlLooks: number[];
  /**
   * The cluster-robust test, when it decides (--cluster with enough clusters):
   * its interval at any level (robustIntervalAt), p-value and standard error.
   * Passed in so that clustering.ts is only loaded when --cluster is given.
   */
  robust: { intervalAt: (confidence: number) => Interval; pValue: number; standardError: number } | null;
}

/** One arm against control under the plan: decideComparison fed as binaryMetricReport feeds it. */
export function decideArm(input: ArmDecisionInput): ComparisonDecision {
  const { plan, arm, control, comparison, robust } = input;
  const bothHavePeople = arm.n > 0 && control.n > 0;
  // informationFractionFromCounts takes whole planned counts; a share such as 1000 ÷ 3 is rounded to the nearest person.
  const planned =
    plan.plannedTotal === null
      ? null
      : {
          armN: Math.max(1, Math.round((plan.plannedTotal * input.armWeight) / input.weightTotal)),
          controlN: Math.max(1, Math.round((plan.plannedTotal * input.controlWeight) / input.weightTotal)),
        };
  let alwaysValid: { interval: Interval | null; pValue: number | null } = { interval: null, pValue: null };
  if (plan.rule === 'confidence_sequence' && bothHavePeople) {
    const tunedTo = plan.plannedTotal === null ? OPEN_ENDED_TUNING : (plan.plannedTotal * (input.armWeight + input.controlWeight)) / input.weightTotal;
    alwaysValid = {
      interval: confidenceSequenceDifference(arm, control, { alpha: plan.alpha, plannedTotal: tunedTo }),
      pValue: alwaysValidPValue(arm, control, { plannedTotal: tunedTo }),
    };
  }
  const rate = (stats: BinaryArmStats) => stats.successes / stats.n;
  const waldSe = bothHavePeople ? Math.sqrt((rate(arm) * (1 - rate(arm))) / arm.n + (rate(control) * (1 - rate(control))) / control.n) : null;
  return decideComparison({
    plan: { rule: plan.rule, spending: plan.spending, alpha: plan.alpha, planned },
    looks: input.armLooks.map((armN, look) => ({ armN, controlN: input.controlLooks[look] ?? 0 })),
    higherIsBetter: plan.higherIsBetter,
    estimate: comparison.difference,
    intervalAt: robust
      ? robust.intervalAt
      : bothHavePeople
        ? (confidence) => scoreDifferenceInterval(arm, control, confidence).interval
        : null,
    pValue: robust ? robust.pValue : comparison.pValue,
    standardError: robust ? robust.standardError : waldSe,
    alwaysValid,
  });
}

/** The verdict fields of a comparison in `eiu analyse --json`: the same as the dashboard's report. */
export { verdictFields };

export type VerdictFields = ReturnType<typeof verdictFields>;
