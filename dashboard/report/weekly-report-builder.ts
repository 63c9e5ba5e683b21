import type { ExperimentReport, MetricReport } from '../../analysis/report-types.ts';
import type { Interval } from '../../analysis/types.ts';
import { comparisonSentence, intervalWords, metricPhrase, perHundred, type Reading } from './plain-english.ts';
import { shownCount, shownProportion, shownTotal, type ShownCount } from './suppression.ts';

/**
 * The ministers' weekly uplift report: aggregates only, suppressed, in plain
 * English. A pure function of experiment reports and a few counts, so the
 * same input always gives the same report, and what is frozen in a snapshot is
 * already safe to show.
 */

export interface WeeklyPeople {
  assignedThisWeek: number;
  assignedTotal: number;
  contactedThisWeek: number;
  contactedTotal: number;
}

export interface UnitTotals {
  people: number;
  attended: number;
  engaged8w: number;
  inWork13w: number;
  inWork26w: number;
  optedOut: number;
  complaints: number;
}

export interface WeeklyReportInput {
  weekEnding: string;
  weekStart: string;
  weekEnd: string;
  provisional: boolean;
  generatedAt: string;
  experiments: { report: ExperimentReport; people: WeeklyPeople; concludedAt: string | null }[];
  unit: UnitTotals;
  /** The analysts' approved learning summary for the week; coaches' raw notes never reach this report (docs/decisions/0027). */
  learning: { text: string; approvedAt: string } | null;
}

export interface MinisterComparison {
  armName: string;
  reading: Reading;
  sentence: string;
  /** Percentage points; null when withheld. */
  difference: number | null;
  interval: Interval | null;
  differenceText: string;
  intervalText: string;
}

export interface MinisterGuardrail {
  key: string;
  label: string;
  total: ShownCount;
  arms: { armName: string; count: ShownCount; rateText: string }[];
  concern: boolean;
  sentence: string;
}

export interface MinisterExperiment {
  key: string;
  name: string;
  status: string;
  journeyPhase: number;
  launchedAt: string | null;
  daysRunning: number;
  metricLabel: string;
  headline: string;
  headlineReading: Reading;
  comparisons: MinisterComparison[];
  arms: { armName: string; isControl: boolean; people: ShownCount; reached: ShownCount; rateText: string }[];
  people: { assignedThisWeek: ShownCount; assignedTotal: ShownCount; contactedThisWeek: ShownCount; contactedTotal: ShownCount };
  guardrails: MinisterGuardrail[];
  chart: { type: 'uplift'; title: string; unit: string; labels: string[]; estimates: number[]; intervals: Interval[] } | null;
}

export interface MinisterReport {
  weekEnding: string;
  weekStart: string;
  weekEnd: string;
  provisional: boolean;
  generatedAt: string;
  unit: Record<keyof UnitTotals, ShownCount>;
  experiments: MinisterExperiment[];
  learning: { text: string; approvedAt: string } | null;
}

const READING_ORDER: Record<Reading, number> = { more: 0, fewer: 1, no_clear_difference: 2, too_early: 3 };

/** Ministers look every week, so they get the always-valid interval when there is one. */
function ministerInterval(comparison: MetricReport['comparisons'][number]): Interval | null {
  return comparison.sequentialCi ?? comparison.differenceCi;
}

function comparisonsFor(metric: MetricReport): { comparisons: MinisterComparison[]; withheldArms: Set<string> } {
  const control = metric.arms.find((a) => a.isControl);
  const withheldArms = new Set<string>();
  const proportion = (arm: MetricReport['arms'][number]) => shownProportion(arm.n, arm.successes ?? 0);
  const controlWithheld = !control || metric.kind !== 'binary' || proportion(control).withheld;
  const phrase = metricPhrase(metric.key, metric.label);
  const comparisons = metric.comparisons.map((comparison) => {
    const arm = metric.arms.find((a) => a.arm === comparison.arm);
    const withheld = controlWithheld || !arm || proportion(arm).withheld;
    if (withheld) withheldArms.add(comparison.arm);
    const interval = withheld ? null : ministerInterval(comparison);
    const difference = withheld ? null : comparison.difference;
    const { reading, sentence } = comparisonSentence({ armName: comparison.name, controlName: control?.name ?? 'the control', phrase, difference, interval, withheld });
    return {
      armName: comparison.name,
      reading,
      sentence,
      difference: difference === null ? null : difference * 100,
      interval: interval ? ([interval[0] * 100, interval[1] * 100] as Interval) : null,
      differenceText: difference === null ? 'withheld' : `${difference >= 0 ? '+' : '−'}${perHundred(difference * 100)} in every 100`,
      intervalText: interval ? intervalWords(interval) : 'withheld',
    };
  });
  return { comparisons, withheldArms };
}

function guardrailsFor(report: ExperimentReport): MinisterGuardrail[] {
  return report.metrics
    .filter((m) => m.role === 'guardrail' && m.kind === 'binary')
    .map((metric) => {
      const total = metric.arms.reduce((sum, a) => sum + (a.successes ?? 0), 0);
      const worse = metric.comparisons.filter((c) => c.verdict === 'worse');
      const phrase = metricPhrase(metric.key, metric.label);
      const arms = metric.arms.map((arm) => {
        const shown = shownProportion(arm.n, arm.successes ?? 0);
        return { armName: arm.name, count: shown.reached, rateText: shown.rateText };
      });
      return {
        key: metric.key,
        label: metric.label,
        total: shownTotal(total, arms.map((a) => a.count), metric.arms.map((a) => a.successes ?? 0)),
        arms,
        concern: worse.length > 0,
        sentence:
          worse.length > 0
            ? `Watch: more people ${phrase} with ${worse.map((c) => c.name).join(' and ')} than with the control. The unit is looking into why.`
            : `No sign that any arm leads to more people who ${phrase}.`,
      };
    });
}

function experimentView(input: WeeklyReportInput['experiments'][number], asOf: string): MinisterExperiment {
  const { report, people } = input;
  const primary = report.metrics.find((m) => m.role === 'primary');
  const arms = primary
    ? primary.arms.map((arm) => {
        const shown = shownProportion(arm.n, arm.successes ?? 0);
        return { armName: arm.name, isControl: arm.isControl, people: shown.people, reached: shown.reached, rateText: shown.rateText };
      })
    : [];
  const { comparisons } = primary ? comparisonsFor(primary) : { comparisons: [] as MinisterComparison[] };
  const best = [...comparisons].sort((a, b) => READING_ORDER[a.reading] - READING_ORDER[b.reading] || (b.interval?.[0] ?? -Infinity) - (a.interval?.[0] ?? -Infinity))[0];
  let headline: string;
  let headlineReading: Reading = 'too_early';
  if (!primary || comparisons.length === 0) headline = 'Too early to tell: there are no results yet.';
  else if (best.reading === 'more' || best.reading === 'fewer') {
    headline = best.sentence;
    headlineReading = best.reading;
  } else if (comparisons.every((c) => c.reading === 'too_early')) headline = 'Too early to tell: the numbers are still too small to report.';
  else {
    headline = `No clear difference yet between the arms in how many people ${metricPhrase(primary.key, primary.label)}.`;
    headlineReading = 'no_clear_difference';
  }
  const shownComparisons = comparisons.filter((c) => c.difference !== null && c.interval !== null);
  const status = input.concludedAt && input.concludedAt <= asOf ? 'concluded' : report.experiment.status === 'concluded' ? 'running' : report.experiment.status;
  return {
    key: report.experiment.key,
    name: report.experiment.name,
    status,
    journeyPhase: report.experiment.journeyPhase,
    launchedAt: report.experiment.launchedAt,
    daysRunning: report.daysRunning,
    metricLabel: primary?.label ?? '',
    headline,
    headlineReading,
    comparisons,
    arms,
    people: {
      assignedThisWeek: shownCount(people.assignedThisWeek),
      assignedTotal: shownTotal(people.assignedTotal, arms.map((a) => a.people), primary ? primary.arms.map((a) => a.n) : []),
      contactedThisWeek: shownCount(people.contactedThisWeek),
      contactedTotal: shownCount(people.contactedTotal),
    },
    guardrails: guardrailsFor(report),
    chart:
      shownComparisons.length > 0 && primary
        ? {
            type: 'uplift',
            title: `${primary.label}: difference from ${primary.arms.find((a) => a.isControl)?.name ?? 'control'}, people in every 100`,
            unit: 'more people in every 100',
            labels: shownComparisons.map((c) => c.armName),
            estimates: shownComparisons.map((c) => Number(c.difference!.toFixed(2))),
            intervals: shownComparisons.map((c) => [Number(c.interval![0].toFixed(2)), Number(c.interval![1].toFixed(2))] as Interval),
          }
        : null,
  };
}

export function buildWeeklyReport(input: WeeklyReportInput): MinisterReport {
  const unit = Object.fromEntries(Object.entries(input.unit).map(([key, value]) => [key, shownCount(value)])) as Record<keyof UnitTotals, ShownCount>;
  return {
    weekEnding: input.weekEnding,
    weekStart: input.weekStart,
    weekEnd: input.weekEnd,
    provisional: input.provisional,
    generatedAt: input.generatedAt,
    unit,
    experiments: input.experiments.map((e) => experimentView(e, input.weekEnd)),
    learning: input.learning ? { text: input.learning.text, approvedAt: input.learning.approvedAt } : null,
  };
}
