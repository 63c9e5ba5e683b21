import type { Interval } from './types.ts';
import type { Verdict } from './report-types.ts';
import type { DecisionRule, SpendingFunction } from '../experiments/vocabulary.ts';
import { cachedGroupSequentialBoundaries, informationFractionFromCounts, lookDecision, MINIMUM_PEOPLE_PER_ARM, stageWiseInference } from './group-sequential/index.ts';

/**
 * The platform's one verdict rule (docs/decisions/0020), for one arm against
 * control on one metric, as the analysis plan locked it:
 *
 * - **group-sequential** (the default when the plan has a planned size): each
 *   week is a look; the Lan–DeMets boundary of this look is recomputed from the
 *   information actually observed at every look so far; the verdict is read from
 *   the repeated confidence interval at this look's adjusted level, which is the
 *   inversion of the very test whose p-value is shown beside it, so the two can
 *   never disagree: the interval excludes zero exactly when p is below the look's
 *   threshold;
 * - **confidence sequence** (open-ended monitoring, no planned end): the verdict
 *   is read from the always-valid interval, and the p-value shown is the
 *   always-valid p-value, compared with α.
 *
 * Either way the verdict is "too early" until both arms have 10 people.
 * Pure: the caller supplies the counts at each look and the interval function.
 */

/** Several coaches are needed before the cluster-robust interval decides (decision 0024). */
export const MINIMUM_COACHES_FOR_ROBUST = 4;

export interface DecisionPlan {
  rule: DecisionRule;
  spending: SpendingFunction;
  /** Two-sided error rate over all looks, default 0.05. */
  alpha?: number;
  /** People planned in the arm and in the control by the end; needed for the group-sequential rule. */
  planned: { armN: number; controlN: number } | null;
}

export interface ComparisonDecision {
  rule: DecisionRule;
  verdict: Verdict;
  /** The interval that decides; null while too early. */
  interval: Interval | null;
  /** Its confidence level (the look's adjusted level for group-sequential, 1 − α for the sequence). */
  confidence: number | null;
  /** The p-value of the test the interval inverts. */
  pValue: number | null;
  /** The verdict is "better" or "worse" exactly when pValue is below this. */
  threshold: number | null;
  /** Group-sequential only: this look's place in the design. */
  look: { number: number; informationFraction: number; zBoundary: number; alphaSpent: number } | null;
  /** Group-sequential, once the trial has crossed a boundary or reached its planned size: inference adjusted for the looks. */
  final: { pValue: number; medianUnbiasedEstimate: number; interval: Interval } | null;
}

/** Stage-wise inference is costly (nested integration in a root search) and pure: remember recent answers. */
const finalMemo = new Map<string, ComparisonDecision['final']>();
const FINAL_MEMO_SIZE = 500;

/** Looks that add less than this share of the planned information are not new looks (a week with almost nobody new). */
const SMALLEST_INFORMATION_STEP = 0.005;

export interface DecideOptions {
  plan: DecisionPlan;
  /** People in arm and control at each earlier weekly look, oldest first, then now as the last entry. */
  looks: { armN: number; controlN: number }[];
  higherIsBetter: boolean;
  estimate: number | null;
  /** Group-sequential: the interval inverting the shown test, at any confidence level. */
  intervalAt: ((confidence: number) => Interval) | null;
  /** Group-sequential: that test's two-sided p-value now. */
  pValue: number | null;
  /** The standard error behind `estimate`, for the final adjusted inference. */
  standardError?: number | null;
  /** Confidence-sequence rule: the always-valid interval and p-value now. */
  alwaysValid?: { interval: Interval | null; pValue: number | null };
}

const tooEarly = (rule: DecisionRule): ComparisonDecision => ({ rule, verdict: 'too_early', interval: null, confidence: null, pValue: null, threshold: null, look: null, final: null });

function verdictOf(interval: Interval, higherIsBetter: boolean): Verdict {
  if (interval[0] > 0) return higherIsBetter ? 'better' : 'worse';
  if (interval[1] < 0) return higherIsBetter ? 'worse' : 'better';
  return 'not_enough_evidence';
}

export function decideComparison(options: DecideOptions): ComparisonDecision {
  const { plan, looks, higherIsBetter, estimate } = options;
  const alpha = plan.alpha ?? 0.05;
  const now = looks.at(-1);
  if (!now || now.armN < MINIMUM_PEOPLE_PER_ARM || now.controlN < MINIMUM_PEOPLE_PER_ARM || estimate === null) return tooEarly(plan.rule);

  if (plan.rule === 'confidence_sequence' || !plan.planned) {
    const interval = options.alwaysValid?.interval ?? null;
    if (!interval) return tooEarly('confidence_sequence');
    return { rule: 'confidence_sequence', verdict: verdictOf(interval, higherIsBetter), interval, confidence: 1 - alpha, pValue: options.alwaysValid?.pValue ?? null, threshold: alpha, look: null, final: null };
  }

  if (!options.intervalAt) return tooEarly(plan.rule);
  const planned = plan.planned;
  const fractions: number[] = [];
  for (const look of looks) {
    if (look.armN < MINIMUM_PEOPLE_PER_ARM || look.controlN < MINIMUM_PEOPLE_PER_ARM) continue;
    const fraction = informationFractionFromCounts({ armN: look.armN, controlN: look.controlN, plannedArmN: planned.armN, plannedControlN: planned.controlN });
    if (fractions.length > 0 && fraction - fractions[fractions.length - 1] < SMALLEST_INFORMATION_STEP) fractions[fractions.length - 1] = Math.max(fractions[fractions.length - 1], fraction);
    else fractions.push(fraction);
  }
  // A trial past its planned size is analysed once, at its end: looks at or beyond the plan
  // are merged into one final look at the latest information, which spends what is left of α.
  const firstPastPlan = fractions.findIndex((fraction) => fraction >= 1);
  if (firstPastPlan >= 0 && firstPastPlan < fractions.length - 1) fractions.splice(firstPastPlan, fractions.length - 1 - firstPastPlan);
  const boundaries = cachedGroupSequentialBoundaries(fractions, { alpha, spending: plan.spending });
  const decision = lookDecision({ boundaries, intervalAt: options.intervalAt });
  const canStop = Number.isFinite(decision.interval[0]) && Number.isFinite(decision.interval[1]);
  const verdict = canStop ? verdictOf(decision.interval, higherIsBetter) : 'not_enough_evidence';
  let final: ComparisonDecision['final'] = null;
  const standardError = options.standardError ?? null;
  if ((verdict === 'better' || verdict === 'worse' || decision.informationFraction >= 1) && standardError !== null && standardError > 0) {
    const key = `${plan.spending}|${alpha}|${fractions.join(',')}|${estimate}|${standardError}`;
    if (finalMemo.has(key)) final = finalMemo.get(key)!;
    else {
      try {
        const inference = stageWiseInference({ boundaries, alpha, estimate, standardError });
        final = { pValue: inference.pValue, medianUnbiasedEstimate: inference.medianUnbiasedEstimate, interval: inference.confidenceInterval };
      } catch {
        // The Wald z sits inside the boundary although the score interval crossed: no adjusted estimate at this look.
        final = null;
      }
      if (finalMemo.size >= FINAL_MEMO_SIZE) finalMemo.clear();
      finalMemo.set(key, final);
    }
  }
  return {
    rule: 'group_sequential',
    verdict,
    interval: decision.interval,
    confidence: decision.confidence,
    pValue: options.pValue,
    threshold: canStop ? decision.nominalAlpha : 0,
    look: { number: decision.look, informationFraction: decision.informationFraction, zBoundary: decision.zBoundary, alphaSpent: decision.alphaSpent },
    final,
  };
}

/**
 * The verdict and the figures it is read from, as a report, the API and
 * `eiu analyse --json` carry them on each comparison. An interval that cannot
 * stop the trial yet (an early look) is reported as null.
 */
export function verdictFields(decision: ComparisonDecision, clustered: boolean) {
  return {
    verdict: decision.verdict,
    verdictRule: decision.rule,
    verdictInterval: decision.interval && decision.interval.every(Number.isFinite) ? decision.interval : null,
    verdictConfidence: decision.confidence,
    verdictPValue: decision.pValue,
    verdictThreshold: decision.threshold,
    /** True when the interval allows for people nested in clusters (work coaches). */
    verdictAllowsForClusters: clustered && decision.rule === 'group_sequential',
    look: decision.look,
    finalInference: decision.final,
  };
}
