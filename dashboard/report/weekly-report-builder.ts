import type { ExperimentReport, MetricReport } from '../../analysis/report-types.ts';
import type { Interval } from '../../analysis/types.ts';
import { FUNNEL_PATH, stageByKey } from '../../experiments/vocabulary.ts';
import { isoDateOfDay, utcDayOf } from '../../experiments/calendar/reporting-calendar.ts';
import { comparisonSentence, intervalWords, metricPhrase, perHundred, type Reading } from './plain-english.ts';
import { FEWER_THAN, isSmall, roundToBase, shownCount, shownProportion, shownTotal, type ShownCount } from './suppression.ts';

/**
 * The ministers' weekly uplift report: aggregates only, with disclosure control
 * (suppression.ts), in plain English. A pure function of the frozen week's
 * experiment reports and a few unit-wide counts, so the same input always gives
 * the same report, and what is frozen in a snapshot is already safe to show.
 */

export interface UnitTotals {
  people: number;
  attended: number;
  engaged8w: number;
  startedWork: number;
  inWork13w: number;
  inWork26w: number;
  optedOut: number;
  complaints: number;
}

/** The unit-wide figures, quality first, then the harms watched on every experiment. */
export const UNIT_FIGURES: { key: keyof UnitTotals; label: string; harm: boolean }[] = [
  { key: 'people', label: 'People taking part', harm: false },
  { key: 'attended', label: 'Came to a first meeting', harm: false },
  { key: 'engaged8w', label: 'Still engaged after 8 weeks', harm: false },
  { key: 'startedWork', label: 'Started work', harm: false },
  { key: 'inWork13w', label: 'In work 13 weeks later', harm: false },
  { key: 'inWork26w', label: 'In work 26 weeks later', harm: false },
  { key: 'optedOut', label: 'Asked not to be contacted again', harm: true },
  { key: 'complaints', label: 'Complaints', harm: true },
];

export interface WeeklyReportInput {
  weekEnding: string;
  weekStart: string;
  /** The data cut-off: the Monday 00:00 UTC that ends the week. */
  weekEnd: string;
  generatedAt: string;
  /** Each launched experiment's report as at the end of the week's Sunday. */
  experiments: { report: ExperimentReport; concludedAt: string | null }[];
  unit: UnitTotals;
  /** The analyst-approved learning summary for the week, if any. */
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
  tooFew: boolean;
  sentence: string;
}

/** People by arm at each step of the journey that makes sense for the experiment's phase. */
export interface MinisterJourney {
  steps: { key: string; label: string }[];
  arms: { armName: string; isControl: boolean; joinedThisWeek: ShownCount; counts: ShownCount[] }[];
  total: { joinedThisWeek: ShownCount; counts: ShownCount[] };
  /** Said when a later step has more people than an earlier one. */
  note: string | null;
  /**
   * Index into `steps` from which every later step has fewer than 10 people in
   * every approach and in total; the page says so in one line instead of rows
   * of "<10". Null when there is no such tail.
   */
  quietFrom: number | null;
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
  /** What the report cannot yet tell, and when it might. */
  outlook: string;
  comparisons: MinisterComparison[];
  arms: { armName: string; isControl: boolean; people: ShownCount; reached: ShownCount; rateText: string }[];
  journey: MinisterJourney;
  guardrails: MinisterGuardrail[];
  chart: { type: 'uplift'; title: string; unit: string; labels: string[]; estimates: number[]; intervals: Interval[] } | null;
}

export interface MinisterReport {
  weekEnding: string;
  weekStart: string;
  weekEnd: string;
  generatedAt: string;
  unit: Record<keyof UnitTotals, ShownCount>;
  experiments: MinisterExperiment[];
  learning: { text: string; approvedAt: string } | null;
}

const READING_ORDER: Record<Reading, number> = { more: 0, fewer: 1, no_clear_difference: 2, too_early: 3 };

/** Journey steps shown for an experiment of each phase: a phase-2 experiment has no outreach step. */
export function journeyStepsFor(phase: number): string[] {
  return FUNNEL_PATH.filter((key) => (stageByKey.get(key)!.phase as number) >= phase);
}

function comparisonsFor(metric: MetricReport): MinisterComparison[] {
  const control = metric.arms.find((a) => a.isControl);
  const proportion = (arm: MetricReport['arms'][number]) => shownProportion(arm.n, arm.successes ?? 0);
  const controlWithheld = !control || metric.kind !== 'binary' || proportion(control).withheld;
  const phrase = metricPhrase(metric.key, metric.label);
  return metric.comparisons.map((comparison) => {
    const arm = metric.arms.find((a) => a.arm === comparison.arm);
    const withheld = controlWithheld || !arm || proportion(arm).withheld || comparison.verdict === 'too_early';
    const interval = withheld ? null : comparison.verdictInterval;
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
}

function guardrailsFor(report: ExperimentReport): MinisterGuardrail[] {
  return report.metrics
    .filter((m) => m.role === 'guardrail' && m.kind === 'binary')
    .map((metric) => {
      const phrase = metricPhrase(metric.key, metric.label);
      const shownArms = metric.arms.map((arm) => ({ arm, shown: shownProportion(arm.n, arm.successes ?? 0) }));
      const arms = shownArms.map(({ arm, shown }) => ({ armName: arm.name, count: shown.reached, rateText: shown.rateText }));
      const worse = metric.comparisons.filter((c) => c.verdict === 'worse');
      // A guardrail is only "no sign" when the numbers behind it can be shown.
      const tooFew = shownArms.some(({ shown }) => shown.withheld) || metric.comparisons.some((c) => c.verdict === 'too_early');
      const sentence =
        worse.length > 0
          ? `Watch: more people ${phrase} with ${worse.map((c) => c.name).join(' and ')} than with the control. The unit is looking into why.`
          : tooFew
            ? `Too few people yet to tell whether any approach leads to more people who ${phrase}.`
            : `No sign so far that any approach leads to more people who ${phrase}.`;
      return {
        key: metric.key,
        label: metric.label,
        total: shownTotal(arms.map((a) => a.count), metric.arms.map((a) => a.successes ?? 0)),
        arms,
        concern: worse.length > 0,
        tooFew: worse.length === 0 && tooFew,
        sentence,
      };
    });
}

function journeyFor(report: ExperimentReport): MinisterJourney {
  const steps = journeyStepsFor(report.experiment.journeyPhase).filter((key) => report.funnel.stages.some((s) => s.key === key));
  const stageIndex = steps.map((key) => report.funnel.stages.findIndex((s) => s.key === key));
  const lastWeek = report.weekly.at(-1);
  const previousWeek = report.weekly.at(-2);
  const armRows = report.funnel.arms.map((arm) => {
    const exact = [arm.assigned, ...stageIndex.map((i) => arm.counts[i])];
    const joined = (lastWeek?.arms.find((a) => a.arm === arm.arm)?.n ?? 0) - (previousWeek?.arms.find((a) => a.arm === arm.arm)?.n ?? 0);
    return { arm, exact, joined, shown: exact.map(shownCount), joinedShown: shownCount(joined) };
  });
  const isControl = (key: string) => report.experiment.arms.find((a) => a.key === key)?.isControl ?? false;
  const totals = [0, ...steps].map((_, column) => shownTotal(armRows.map((r) => r.shown[column]), armRows.map((r) => r.exact[column])));
  const nonMonotone = armRows.some((r) => r.exact.some((count, i) => i > 0 && count > r.exact[i - 1]));
  const quiet = (column: number) => totals[column].text === FEWER_THAN && armRows.every((r) => r.shown[column].text === FEWER_THAN);
  let quietFrom: number | null = null;
  for (let column = totals.length - 1; column > 1 && quiet(column); column--) quietFrom = column;
  return {
    steps: [{ key: 'assigned', label: 'Taking part' }, ...steps.map((key) => ({ key, label: stepLabel(key) }))],
    arms: armRows.map((r) => ({ armName: r.arm.name, isControl: isControl(r.arm.arm), joinedThisWeek: r.joinedShown, counts: r.shown })),
    total: { joinedThisWeek: shownTotal(armRows.map((r) => r.joinedShown), armRows.map((r) => r.joined)), counts: totals },
    quietFrom,
    note: nonMonotone ? 'Some people reached a later step without the earlier one being recorded (for example a meeting arranged by phone on first contact), so a later step can show more people.' : null,
  };
}

const STEP_LABELS: Record<string, string> = {
  outreach_attempted: 'Contacted',
  responded: 'Replied',
  meeting_agreed: 'Agreed to meet',
  meeting_attended: 'Came to a first meeting',
  wants_to_continue: 'Wanted to carry on',
  engaged_8w: 'Still engaged after 8 weeks',
  started_work: 'Started work',
  in_work_13w: 'In work 13 weeks later',
  in_work_26w: 'In work 26 weeks later',
};
const stepLabel = (key: string) => STEP_LABELS[key] ?? stageByKey.get(key)?.label ?? key;

/**
 * What the report cannot yet tell, and when it might: how far the experiment is
 * towards its planned size and, at the pace of recent weeks, when it gets there.
 * Only rounded figures, like everything else ministers see.
 */
function outlookFor(report: ExperimentReport, reading: Reading, concluded: boolean, takingPart: ShownCount): string {
  const planned = report.experiment.plannedSampleSize;
  const assigned = report.assigned;
  const complete = report.weekly.filter((w) => w.complete);
  const recent = complete.slice(-5);
  const totalAt = (w: (typeof complete)[number] | undefined) => (w ? w.arms.reduce((sum, a) => sum + a.n, 0) : 0);
  const weeksOfPace = Math.max(0, recent.length - 1);
  const pace = weeksOfPace > 0 ? (totalAt(recent.at(-1)) - totalAt(recent[0])) / weeksOfPace : 0;
  const decided = reading === 'more' || reading === 'fewer';
  const lateOutcomes = 'Job starts and work at 13 and 26 weeks take months to show, so those figures stay small for a long time.';
  if (concluded) return `This experiment has ended. ${decided ? '' : 'It did not show a clear difference on its main measure. '}${lateOutcomes}`;
  if (!planned) return `No planned size was set for this experiment, so the report cannot say when a result is likely. ${lateOutcomes}`;
  // The same rounded total as the journey table, so the report never disagrees with itself.
  const shownAssigned = takingPart.value === null ? 'Fewer than 10' : takingPart.text;
  const progress = `${shownAssigned} of the planned ${planned.toLocaleString('en-GB')} people are taking part.`;
  if (assigned >= planned) return `${progress} The planned size has been reached${decided ? '' : ': the final result is due once their outcomes are recorded'}. ${lateOutcomes}`;
  if (pace < 1 || isSmall(pace * 4)) return `${progress} Too few people are joining each week to say when the planned size will be reached. ${lateOutcomes}`;
  const weeksLeft = Math.ceil((planned - assigned) / pace);
  const lastSunday = utcDayOf(new Date(report.asOf));
  const byWeek = isoDateOfDay(weekEndingAfter(lastSunday, weeksLeft));
  const shownPace = roundToBase(pace).toLocaleString('en-GB');
  return `${progress} At about ${shownPace} a week, the planned size should be reached in the week ending ${formatLongDate(byWeek)}${decided ? '' : ', when the result will be clearer'}. ${lateOutcomes}`;
}

const weekEndingAfter = (sunday: number, weeks: number) => sunday + 7 * weeks;
const formatLongDate = (iso: string) => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function experimentView(input: WeeklyReportInput['experiments'][number], weekEnd: string): MinisterExperiment {
  const { report } = input;
  const primary = report.metrics.find((m) => m.role === 'primary');
  const arms = primary
    ? primary.arms.map((arm) => {
        const shown = shownProportion(arm.n, arm.successes ?? 0);
        return { armName: arm.name, isControl: arm.isControl, people: shown.people, reached: shown.reached, rateText: shown.rateText };
      })
    : [];
  const comparisons = primary ? comparisonsFor(primary) : [];
  const best = [...comparisons].sort((a, b) => READING_ORDER[a.reading] - READING_ORDER[b.reading] || (b.interval?.[0] ?? -Infinity) - (a.interval?.[0] ?? -Infinity))[0];
  let headline: string;
  let headlineReading: Reading = 'too_early';
  if (!primary || comparisons.length === 0) headline = 'Too early to tell: there are no results yet.';
  else if (best.reading === 'more' || best.reading === 'fewer') {
    headline = best.sentence;
    headlineReading = best.reading;
  } else if (comparisons.every((c) => c.reading === 'too_early')) headline = 'Too early to tell: the numbers are still too small to report.';
  else {
    headline = `No clear difference yet between the approaches in how many people ${metricPhrase(primary.key, primary.label)}.`;
    headlineReading = 'no_clear_difference';
  }
  const shownComparisons = comparisons.filter((c) => c.difference !== null && c.interval !== null);
  const journey = journeyFor(report);
  const concluded = input.concludedAt !== null && input.concludedAt < weekEnd;
  const status = concluded ? 'concluded' : report.experiment.status === 'concluded' ? 'running' : report.experiment.status;
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
    outlook: outlookFor(report, headlineReading, concluded, journey.total.counts[0]),
    comparisons,
    arms,
    journey,
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
  const unit = Object.fromEntries(UNIT_FIGURES.map(({ key }) => [key, shownCount(input.unit[key])])) as Record<keyof UnitTotals, ShownCount>;
  return {
    weekEnding: input.weekEnding,
    weekStart: input.weekStart,
    weekEnd: input.weekEnd,
    generatedAt: input.generatedAt,
    unit,
    experiments: input.experiments.map((e) => experimentView(e, input.weekEnd)),
    learning: input.learning,
  };
}
