import type { ExperimentView } from '../experiments/experiment/experiment-service.ts';
import { metricByKey, type MetricDefinition } from '../experiments/metrics.ts';
import { FUNNEL_PATH, stageByKey } from '../experiments/vocabulary.ts';
import { ASSIGNED, DIMENSIONS, OVERALL } from '../experiments/progress/read-model-names.ts';
import { isoDateOfDay, utcDayOf, weekContainingDay } from '../experiments/calendar/reporting-calendar.ts';
import { analyseBinaryMetric, type BinaryMetricResult } from './analyse-binary-metric.ts';
import { describeNumeric, welchTTest } from './welch.ts';
import { benjaminiHochbergAdjust, holmAdjust as holmFor } from './p-value-adjustment.ts';
import { newcombeDifferenceInterval } from './newcombe-difference-interval.ts';
import { alwaysValidPValue, confidenceSequenceDifference } from './confidence-sequence.ts';
import { decideComparison, MINIMUM_COACHES_FOR_ROBUST, verdictFields, type ComparisonDecision } from './decision-rule.ts';
import { scoreDifferenceInterval } from './score-difference-interval.ts';
import { robustIntervalAt } from './clustering.ts';
import { criticalValue } from './distributions.ts';
import type { DecisionRule, SpendingFunction } from '../experiments/vocabulary.ts';
import { sampleRatioMismatch } from './sample-ratio-mismatch.ts';
import { subgroupEffects } from './subgroups.ts';
import { clusteredComparison } from './clustering.ts';
import { clusterRandomisedComparison, type ClusterRandomisedComparisonResult } from './cluster-randomised-comparison.ts';
import { clusterRandomisedCells, type ClusterProgress } from './cluster-randomised-cells.ts';
import { factorialSummary } from './factorial-summary.ts';
import { describeComparison } from './plain-english.ts';
import type { BinaryArmStats, Interval, NumericArmStats } from './types.ts';
import type {
  ComparisonResult,
  ConsortRow,
  ExperimentReport,
  FunnelReport,
  MetricReport,
  MetricRole,
  SubgroupBreakdown,
  Verdict,
  WeeklyPoint,
} from './report-types.ts';

export interface ReportOptions {
  /**
   * Report as things stood at the end of the UTC day containing this moment
   * (default: today). Reports count whole UTC days (experiments/calendar).
   */
  asOf?: Date;
  /** Extra metrics to report, e.g. a later phase's stage for an earlier experiment's arms. */
  extraMetrics?: string[];
  /** Days after assignment within which a stage counts, per metric key. */
  windows?: Record<string, number>;
  /**
   * Add the looks-adjusted final inference (stage-wise p-value, median-unbiased
   * estimate) once a trial has stopped or reached its planned size (default
   * true). The weekly ministers' report does not show it and leaves it out.
   */
  finalInference?: boolean;
  /** Smallest number per arm for a subgroup to be reported with numbers (default 10). */
  minSubgroupSize?: number;
}

/** Below this many people in an arm the verdict is "too early", whatever the interval says. */
const TOO_EARLY_PER_ARM = 10;

interface ArmInfo {
  id: number;
  key: string;
  name: string;
  isControl: boolean;
}

/** The tallies of an experiment up to the report day, summed over days, by dimension, subgroup, stage and arm. */
export interface TallyTotalRow {
  dimension: string;
  dimensionValue: string;
  stage: string;
  armId: number;
  people: number;
  valueSum: number;
  valueSumSquares: number;
}

/** The overall tallies by day of the stages the weekly looks need (ASSIGNED and the primary metric). */
export interface TallyDailyRow {
  stage: string;
  armId: number;
  day: number;
  people: number;
}

/**
 * Everything the report counts, read from the database in one go by the read
 * model (experiments/progress/report-read-model.ts): the report is a pure function of it.
 */
export interface ExperimentReportData {
  experiment: ExperimentView;
  /** The moment the report is as of (it counts whole UTC days up to the day of this moment). */
  asOf: Date;
  tallies: { totals: TallyTotalRow[]; daily: TallyDailyRow[] };
  /**
   * For each metric with a window: per arm, people assigned at least `window`
   * days before the report day, and those of them who reached the stage within the window.
   */
  windowed: { stage: string; armId: number; n: number; successes: number }[];
  /** Work coaches' codes by id, for the coach breakdown. */
  coachCodes: { id: number; code: string }[];
  /** Screened people not assigned by the end of the report day, by reason. */
  screenings: { reason: string; n: number }[];
  /** People (clusters, for a cluster-randomised design) assigned to each arm in the current phase. */
  phaseAssignments: { armId: number; n: number }[];
  /**
   * Cluster-randomised designs only: clusters randomised so far and, when the
   * primary metric is binary, its counts by cluster.
   */
  clusters: { count: number; progress: ClusterProgress | null } | null;
}

/** The metrics a report covers, in order (primary, secondary, extra, guardrails; each once), with their windows. */
export function reportMetrics(experiment: Pick<ExperimentView, 'primaryMetric' | 'secondaryMetrics' | 'guardrailMetrics'>, options: ReportOptions = {}) {
  const metricRoles: [string, MetricRole][] = [
    [experiment.primaryMetric, 'primary'],
    ...experiment.secondaryMetrics.map((m) => [m, 'secondary'] as [string, MetricRole]),
    ...(options.extraMetrics ?? []).map((m) => [m, 'secondary'] as [string, MetricRole]),
    ...experiment.guardrailMetrics.map((m) => [m, 'guardrail'] as [string, MetricRole]),
  ];
  const seen = new Set<string>();
  return metricRoles
    .filter(([key]) => (seen.has(key) ? false : (seen.add(key), true)))
    .map(([key, role]) => {
      const definition = metricByKey.get(key);
      if (!definition) throw new RangeError(`Unknown metric ${key}`);
      return { definition, role, windowDays: options.windows?.[key] ?? null };
    });
}

/**
 * The full report for one experiment, by assigned arm (intention to treat):
 * every metric with intervals, tests and adjusted p-values; the funnel; the
 * effect week by week; CONSORT-style flow; subgroup and work-coach breakdowns;
 * the sample-ratio check; and guardrail warnings. A pure function of what the
 * read model counted over `assignment_progress` and its day tallies (`data`;
 * `buildExperimentReport` in experiments/progress/report-read-model.ts reads
 * and builds in one call); the statistics are the pure functions in analysis/.
 */
export function composeExperimentReport(data: ExperimentReportData, options: ReportOptions = {}): ExperimentReport {
  const { experiment, asOf } = data;
  const asOfDay = utcDayOf(asOf);
  const arms: ArmInfo[] = experiment.arms.map((a) => ({ id: a.id, key: a.key, name: a.name, isControl: a.isControl }));
  const control = arms.find((a) => a.isControl)!;
  const metrics = reportMetrics(experiment, options);

  const tallies = talliesFrom(data.tallies);
  const windowed = (stage: string, armId: number) => {
    const row = data.windowed.find((r) => r.stage === stage && r.armId === armId);
    return { n: row?.n ?? 0, successes: row?.successes ?? 0 };
  };

  const plannedTotal = experiment.plannedSampleSize ?? undefined;
  const weights = experiment.arms.map((a) => a.weight);
  const primaryIsBinary = metrics[0].definition.kind === 'binary';
  const breakdowns = primaryIsBinary ? breakdownsFor(data.coachCodes, tallies, experiment.primaryMetric, arms, control, options.minSubgroupSize ?? 10) : { subgroups: [], coaches: null };
  // Whole coaches or sites randomised (decision 0037): the primary metric is analysed with them as the unit.
  const clusterAt = experiment.randomisationUnit !== 'person' && primaryIsBinary ? clusterRandomisedAnalysis(clusterProgressOf(data), arms, control) : null;
  const clusterNow = clusterAt ? clusterAt(asOfDay) : null;
  const launchDay = experiment.launchedAt ? utcDayOf(new Date(experiment.launchedAt)) : null;
  const lastLookDay = experiment.concludedAt ? Math.min(asOfDay, utcDayOf(new Date(experiment.concludedAt))) : asOfDay;
  const decisions = decisionContext({
    rule: experiment.decisionRule,
    spending: experiment.alphaSpending,
    plannedTotal,
    weights,
    arms,
    control,
    weeklyAssigned: (arm) => weeklyCumulative(tallies.daily(ASSIGNED, arm.id), launchDay, lastLookDay),
    coaches: breakdowns.coaches,
    clusterRandomised: clusterAt ? clusterNow : undefined,
  });
  const withFinal = options.finalInference ?? true;
  const metricReports = metrics.map((m, index) =>
    m.definition.kind === 'binary'
      ? binaryMetricReport(m.definition, m.role, m.windowDays, arms, control, (arm) =>
          m.windowDays === null
            ? { n: tallies.total(ASSIGNED, arm.id).people, successes: tallies.total(m.definition.key, arm.id).people }
            : windowed(m.definition.key, arm.id),
        plannedTotal, weights, decisions, index === 0, withFinal)
      : numericMetricReport(m.definition, m.role, m.windowDays, arms, control, (arm) => {
          const total = tallies.total(m.definition.key, arm.id);
          return { n: total.people, sum: total.valueSum, sumSquares: total.valueSumSquares };
        }, decisions),
  );
  adjustAcrossMetrics(metricReports);

  const assignedByArm = arms.map((arm) => tallies.total(ASSIGNED, arm.id).people);
  const stageCount = (arm: ArmInfo, stage: string) => tallies.total(stage, arm.id).people;
  const primary = metricReports[0];
  const funnel = funnelReport(arms, assignedByArm, stageCount);
  const consort: ConsortRow[] = arms.map((arm, i) => ({
    arm: arm.key,
    name: arm.name,
    assigned: assignedByArm[i],
    contacted: stageCount(arm, 'outreach_attempted'),
    responded: stageCount(arm, 'responded'),
    attended: stageCount(arm, 'meeting_attended'),
    optedOut: stageCount(arm, 'opted_out'),
    analysed: primary.arms[i].n,
  }));

  const screening = screeningCounts(data.screenings, assignedByArm.reduce((a, b) => a + b, 0));
  const srm = sampleRatioCheck(data.phaseAssignments, experiment, arms);
  const weekly = launchDay === null || primary.kind !== 'binary' ? [] : weeklySeries(tallies, experiment.primaryMetric, arms, control, launchDay, asOfDay, decisions, primary.higherIsBetter, clusterAt);

  const warnings: string[] = [];
  if (srm?.flagged)
    warnings.push(`Sample ratio mismatch: the arms' sizes differ from the planned weights more than chance explains (p = ${srm.pValue.toExponential(1)}). Check how people are being assigned before trusting the results.`);
  for (const metric of metricReports.filter((m) => m.role === 'guardrail')) {
    for (const c of metric.comparisons.filter((c) => c.verdict === 'worse'))
      warnings.push(`Guardrail breached: ${metric.label.toLowerCase()} is higher in "${c.name}" than in the control.`);
  }

  return {
    experiment: {
      key: experiment.key,
      name: experiment.name,
      hypothesis: experiment.hypothesis,
      status: experiment.status,
      journeyPhase: experiment.journeyPhase,
      launchedAt: experiment.launchedAt,
      plannedSampleSize: experiment.plannedSampleSize,
      arms: experiment.arms.map((a) => ({ key: a.key, name: a.name, isControl: a.isControl, weight: a.weight })),
      randomisationUnit: experiment.randomisationUnit,
    },
    asOf: asOf.toISOString(),
    daysRunning: launchDay === null ? 0 : Math.max(0, asOfDay - launchDay),
    assigned: assignedByArm.reduce((a, b) => a + b, 0),
    metrics: metricReports,
    funnel,
    weekly,
    consort,
    screening,
    srm,
    subgroups: breakdowns.subgroups,
    coaches: breakdowns.coaches,
    factorial: factorialFor(experiment, arms, primary),
    ...(experiment.randomisationUnit !== 'person'
      ? { clusterRandomised: { unit: experiment.randomisationUnit, clusters: data.clusters?.count ?? 0, analysis: clusterNow } }
      : {}),
    warnings,
  };
}

function clusterProgressOf(data: ExperimentReportData): ClusterProgress {
  const progress = data.clusters?.progress;
  if (!progress || progress.stage !== data.experiment.primaryMetric) throw new RangeError('A cluster-randomised report needs its primary metric counted by cluster');
  return progress;
}

/**
 * For a cluster-randomised experiment, the cluster-level comparison of the
 * primary metric as things stood at the end of any day (null while it cannot
 * be computed yet, for example with one cluster in an arm).
 */
function clusterRandomisedAnalysis(progress: ClusterProgress, arms: ArmInfo[], control: ArmInfo) {
  const armKeyById = new Map(arms.map((arm) => [arm.id, arm.key]));
  return (lastDay: number): ClusterRandomisedComparisonResult | null => {
    const cells = clusterRandomisedCells(progress, { lastDay, armKeyById });
    try {
      return clusterRandomisedComparison(cells, { control: control.key });
    } catch {
      // Too few clusters or an arm with nobody yet: no verdict, rather than a person-level one.
      return null;
    }
  };
}

/** Open-ended monitoring with no planned size: the confidence sequence is tuned to this many people per comparison. */
const OPEN_ENDED_TUNING = 1000;

interface DecisionRequest {
  arm: ArmInfo;
  armN: number;
  controlN: number;
  higherIsBetter: boolean;
  estimate: number | null;
  intervalAt: ((confidence: number) => Interval) | null;
  pValue: number | null;
  standardError: number | null;
  alwaysValid: { interval: Interval | null; pValue: number | null };
  stats: [BinaryArmStats, BinaryArmStats] | [NumericArmStats, NumericArmStats];
  /** The earlier looks, when not the weeks before the report day (the week-by-week history). */
  earlierLooks?: { armN: number; controlN: number }[];
}

type DecisionContext = ReturnType<typeof decisionContext>;

/**
 * What every comparison needs to reach its verdict under the locked plan:
 * the weekly looks so far (people per arm at the end of each reporting week),
 * the planned people per arm, and for the primary metric the cluster-robust
 * comparison when people are nested in several coaches.
 */
function decisionContext(options: {
  rule: DecisionRule;
  spending: SpendingFunction;
  plannedTotal: number | undefined;
  weights: number[];
  arms: ArmInfo[];
  control: ArmInfo;
  weeklyAssigned: (arm: ArmInfo) => number[];
  coaches: ExperimentReport['coaches'];
  /** Cluster-randomised designs only: the cluster-level analysis now (null while it cannot be computed). */
  clusterRandomised?: ClusterRandomisedComparisonResult | null;
}) {
  const { arms, control, weights, plannedTotal } = options;
  // Every metric of an arm shares its weekly looks: work them out once per arm.
  const weeksByArm = new Map<number, number[]>();
  const weeklyAssigned = (arm: ArmInfo) => {
    let weeks = weeksByArm.get(arm.id);
    if (!weeks) weeksByArm.set(arm.id, (weeks = options.weeklyAssigned(arm)));
    return weeks;
  };
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  const controlIndex = arms.indexOf(control);
  const controlWeeks = weeklyAssigned(control);
  const rule: DecisionRule = options.rule === 'group_sequential' && plannedTotal ? 'group_sequential' : 'confidence_sequence';
  const useCoaches = options.coaches !== null && options.coaches.clusters >= MINIMUM_COACHES_FOR_ROBUST;
  const clusterDesign = options.clusterRandomised !== undefined;
  return {
    rule,
    /** True when the primary metric may only be decided at the level that was randomised (decision 0037). */
    clusterDesign,
    robustFor: (armKey: string) =>
      clusterDesign
        ? (options.clusterRandomised?.comparisons.find((c) => c.arm === armKey) ?? null)
        : useCoaches ? (options.coaches!.comparisons.find((c) => c.arm === armKey) ?? null) : null,
    decide(request: DecisionRequest): ComparisonDecision {
      const index = arms.indexOf(request.arm);
      const planned =
        plannedTotal && weightTotal > 0 && weights[index] > 0 && weights[controlIndex] > 0
          ? { armN: Math.max(1, Math.round((plannedTotal * weights[index]) / weightTotal)), controlN: Math.max(1, Math.round((plannedTotal * weights[controlIndex]) / weightTotal)) }
          : null;
      const looks = request.earlierLooks ? [...request.earlierLooks] : weeklyAssigned(request.arm).map((armN, week) => ({ armN, controlN: controlWeeks[week] ?? 0 }));
      looks.push({ armN: request.armN, controlN: request.controlN });
      let alwaysValid = request.alwaysValid;
      if (rule === 'confidence_sequence' && !alwaysValid.interval && request.armN > 0 && request.controlN > 0) {
        // No planned size: tune the sequence to a fixed size, never to the data seen so far.
        const [arm, ctrl] = request.stats as [BinaryArmStats, BinaryArmStats];
        alwaysValid = {
          interval: confidenceSequenceDifference(arm, ctrl, { alpha: 0.05, plannedTotal: OPEN_ENDED_TUNING }),
          pValue: alwaysValidPValue(arm, ctrl, { plannedTotal: OPEN_ENDED_TUNING }),
        };
      }
      return decideComparison({
        plan: { rule, spending: options.spending, planned },
        looks,
        higherIsBetter: request.higherIsBetter,
        estimate: request.estimate,
        intervalAt: request.intervalAt,
        pValue: request.pValue,
        standardError: request.standardError,
        alwaysValid,
      });
    },
  };
}


/** People assigned by the end of each complete reporting week before the last look day (cumulative). */
function weeklyCumulative(daily: { day: number; people: number }[], launchDay: number | null, lastLookDay: number): number[] {
  if (launchDay === null) return [];
  const totals: number[] = [];
  for (let sunday = weekContainingDay(launchDay).lastDay; sunday < lastLookDay; sunday += 7) totals.push(daily.reduce((sum, r) => (r.day <= sunday ? sum + r.people : sum), 0));
  return totals;
}

function binaryMetricReport(
  definition: MetricDefinition,
  role: MetricRole,
  windowDays: number | null,
  arms: ArmInfo[],
  control: ArmInfo,
  counts: (arm: ArmInfo) => { n: number; successes: number },
  plannedTotal: number | undefined,
  weights: number[],
  decisions: DecisionContext,
  isPrimary: boolean,
  withFinal: boolean,
): MetricReport {
  const stats: BinaryArmStats[] = arms.map((arm) => ({ arm: arm.key, ...counts(arm) }));
  const result: BinaryMetricResult = analyseBinaryMetric({ arms: stats, control: control.key, plannedTotal, plannedWeights: weights.some((w) => w === 0) ? undefined : weights });
  const controlStats = stats.find((s) => s.arm === control.key)!;
  const comparisons: ComparisonResult[] = result.comparisons.map((c) => {
    const arm = arms.find((a) => a.key === c.arm)!;
    const armStats = stats.find((s) => s.arm === c.arm)!;
    const sequentialCi = c.sequential?.ci ?? null;
    const robust = isPrimary ? decisions.robustFor(c.arm) : null;
    // A cluster-randomised primary metric is never decided person by person: no cluster analysis yet means too early.
    const personLevel = !(isPrimary && decisions.clusterDesign);
    const rate = (x: BinaryArmStats) => x.successes / x.n;
    const decision = decisions.decide({
      arm,
      armN: armStats.n,
      controlN: controlStats.n,
      higherIsBetter: definition.higherIsBetter,
      estimate: c.difference,
      // The interval inverts the test whose p-value is shown beside it: CR2 t-test when coaches are allowed for, else the score test.
      intervalAt: robust ? (confidence) => robustIntervalAt(robust, confidence) : personLevel && armStats.n > 0 && controlStats.n > 0 ? (confidence) => scoreDifferenceInterval(armStats, controlStats, confidence).interval : null,
      pValue: robust ? robust.pValue : personLevel ? c.pValue : null,
      // The looks-adjusted final estimate is for the primary metric, where the decision is made.
      standardError: !isPrimary || !withFinal ? null : robust ? robust.robustSe : personLevel && armStats.n > 0 && controlStats.n > 0 ? Math.sqrt((rate(armStats) * (1 - rate(armStats))) / armStats.n + (rate(controlStats) * (1 - rate(controlStats))) / controlStats.n) : null,
      alwaysValid: { interval: sequentialCi, pValue: c.sequential?.pValue ?? null },
      stats: [armStats, controlStats],
    });
    return {
      arm: c.arm,
      name: arm.name,
      difference: c.difference,
      differenceCi: c.differenceCi,
      relativeUplift: c.relativeUplift,
      relativeUpliftCi: c.relativeUpliftCi,
      pValue: c.pValue,
      test: c.test,
      pValueHolm: c.pValueHolm,
      pValueBh: null,
      probabilityBeatsControl: c.probabilityBeatsControl,
      sequentialCi,
      alwaysValidPValue: c.sequential?.pValue ?? null,
      ...verdictFields(decision, robust !== null),
    };
  });
  return {
    key: definition.key,
    label: definition.label,
    role,
    kind: 'binary',
    higherIsBetter: definition.higherIsBetter,
    windowDays,
    arms: result.arms.map((a) => {
      const arm = arms.find((x) => x.key === a.arm)!;
      return { arm: a.arm, name: arm.name, isControl: arm.isControl, n: a.n, successes: a.successes, estimate: a.rate, ci: a.ci };
    }),
    comparisons,
    omnibus: result.omnibus ? { statistic: result.omnibus.statistic, df: result.omnibus.df, pValue: result.omnibus.pValue, test: result.omnibus.test } : null,
    readings: comparisons.map((c) => describeComparison({ metric: definition.label, kind: 'binary', controlName: control.name, comparison: c })),
  };
}

function numericMetricReport(
  definition: MetricDefinition,
  role: MetricRole,
  windowDays: number | null,
  arms: ArmInfo[],
  control: ArmInfo,
  sums: (arm: ArmInfo) => { n: number; sum: number; sumSquares: number },
  decisions: DecisionContext,
): MetricReport {
  const stats = arms.map((arm) => ({ arm: arm.key, ...sums(arm) }));
  const controlStats = stats.find((s) => s.arm === control.key)!;
  const comparisons: ComparisonResult[] = stats
    .filter((s) => s.arm !== control.key)
    .map((s) => {
      const arm = arms.find((a) => a.key === s.arm)!;
      const welch = welchTTest(s, controlStats);
      const decision = decisions.decide({
        arm,
        armN: s.n,
        controlN: controlStats.n,
        higherIsBetter: definition.higherIsBetter,
        estimate: welch.difference,
        // Welch's t interval at the look's level, inverting the Welch test shown beside it.
        intervalAt: welch.difference !== null && welch.standardError !== null && welch.df !== null && welch.standardError > 0
          ? (confidence) => {
              const half = criticalValue(confidence, welch.df!) * welch.standardError!;
              return [welch.difference! - half, welch.difference! + half];
            }
          : null,
        pValue: welch.pValue,
        standardError: welch.standardError,
        alwaysValid: { interval: null, pValue: null },
        stats: [s, controlStats],
      });
      return {
        arm: s.arm,
        name: arm.name,
        difference: welch.difference,
        differenceCi: welch.interval,
        relativeUplift: null,
        relativeUpliftCi: null,
        pValue: welch.pValue,
        test: welch.pValue === null ? null : 'welch',
        pValueHolm: null,
        pValueBh: null,
        probabilityBeatsControl: null,
        sequentialCi: null,
        alwaysValidPValue: null,
        ...verdictFields(decision, false),
      };
    });
  const holm = holmFor(comparisons.map((c) => c.pValue));
  comparisons.forEach((c, i) => (c.pValueHolm = holm[i]));
  return {
    key: definition.key,
    label: definition.label,
    role,
    kind: 'numeric',
    higherIsBetter: definition.higherIsBetter,
    windowDays,
    arms: stats.map((s) => {
      const arm = arms.find((a) => a.key === s.arm)!;
      const summary = describeNumeric(s);
      return { arm: s.arm, name: arm.name, isControl: arm.isControl, n: s.n, estimate: summary.mean, ci: summary.interval };
    }),
    comparisons,
    omnibus: null,
    readings: comparisons.map((c) => describeComparison({ metric: definition.label, kind: 'numeric', controlName: control.name, comparison: c })),
  };
}


/** Benjamini–Hochberg across every comparison of the primary and secondary metrics. */
function adjustAcrossMetrics(reports: MetricReport[]): void {
  const family = reports.filter((r) => r.role !== 'guardrail').flatMap((r) => r.comparisons);
  const adjusted = benjaminiHochbergAdjust(family.map((c) => c.pValue));
  family.forEach((c, i) => (c.pValueBh = adjusted[i]));
}

function funnelReport(arms: ArmInfo[], assigned: number[], count: (arm: ArmInfo, stage: string) => number): FunnelReport {
  return {
    stages: FUNNEL_PATH.map((key) => ({ key, label: stageByKey.get(key)!.label })),
    arms: arms.map((arm, i) => {
      const counts = FUNNEL_PATH.map((stage) => count(arm, stage));
      const conversion = counts.map((c, j) => {
        const previous = j === 0 ? assigned[i] : counts[j - 1];
        return previous > 0 ? c / previous : null;
      });
      return { arm: arm.key, name: arm.name, assigned: assigned[i], counts, conversion };
    }),
  };
}

/** People put forward but not assigned, by reason, up to the end of the report day. */
function screeningCounts(rows: ExperimentReportData['screenings'], assigned: number): ExperimentReport['screening'] {
  const count = (reason: string) => rows.find((r) => r.reason === reason)?.n ?? 0;
  const notEligible = count('not_eligible');
  const optedOut = count('opted_out');
  const outsideCoverage = count('outside_coverage');
  const screened = assigned + notEligible + optedOut + outsideCoverage;
  return { screened, notEligible, optedOut, outsideCoverage, eligible: screened - notEligible - optedOut, assigned };
}

/**
 * Sample-ratio check on the current phase only: earlier phases had other weights.
 * Cluster-randomised, the weights share out clusters, not people (whose numbers
 * follow the clusters' sizes), and the read model counts clusters.
 */
function sampleRatioCheck(rows: ExperimentReportData['phaseAssignments'], experiment: ExperimentView, arms: ArmInfo[]) {
  const open = experiment.phase.armKeys.map((key, i) => ({ key, weight: experiment.phase.weights[i], id: arms.find((a) => a.key === key)!.id }));
  const observed = open.map((a) => rows.find((r) => r.armId === a.id)?.n ?? 0);
  const total = observed.reduce((a, b) => a + b, 0);
  if (total === 0 || open.length < 2) return null;
  const result = sampleRatioMismatch(observed, open.map((a) => a.weight));
  return { observed, expected: open.map((a) => a.weight * total), statistic: result.statistic, pValue: result.pValue, flagged: result.flagged };
}

interface Tally {
  people: number;
  valueSum: number;
  valueSumSquares: number;
}
type Tallies = ReturnType<typeof talliesFrom>;

/**
 * An experiment's day-level tallies up to the report day: a few thousand
 * rows however many people, which is what keeps the report fast at a million.
 */
function talliesFrom(rows: ExperimentReportData['tallies']) {
  const { totals, daily } = rows;
  const key = (...parts: (string | number)[]) => parts.join('\u0000');
  const byKey = new Map(totals.map((row) => [key(row.dimension, row.dimensionValue, row.stage, row.armId), row]));
  const dimensionValues = new Map<string, Set<string>>();
  for (const row of totals)
    if (row.dimension !== OVERALL && row.people > 0) dimensionValues.set(row.dimension, (dimensionValues.get(row.dimension) ?? new Set()).add(row.dimensionValue));
  const empty: Tally = { people: 0, valueSum: 0, valueSumSquares: 0 };
  return {
    /** Everyone who reached `stage` (or was assigned, for ASSIGNED) by the report day. */
    total: (stage: string, armId: number): Tally => byKey.get(key(OVERALL, OVERALL, stage, armId)) ?? empty,
    /** The same within one subgroup of a breakdown. */
    within: (dimension: string, value: string, stage: string, armId: number): Tally => byKey.get(key(dimension, value, stage, armId)) ?? empty,
    values: (dimension: string) => [...(dimensionValues.get(dimension) ?? [])].sort(),
    /** Overall counts by day of ASSIGNED or the primary metric, for the weekly series. */
    daily: (stage: string, armId: number) => daily.filter((r) => r.stage === stage && r.armId === armId),
  };
}

/**
 * Cumulative primary-metric counts at the end of each reporting week (Monday to
 * Sunday, UTC) from the week of launch to the week of the report; the last week
 * is cut at the report day and marked incomplete.
 */
function weeklySeries(
  tallies: Tallies,
  primaryMetric: string,
  arms: ArmInfo[],
  control: ArmInfo,
  launchDay: number,
  asOfDay: number,
  decisions: DecisionContext,
  higherIsBetter: boolean,
  clusterAt: ((lastDay: number) => ClusterRandomisedComparisonResult | null) | null = null,
): WeeklyPoint[] {
  const controlIndex = arms.indexOf(control);
  const assignedDaily = arms.map((arm) => tallies.daily(ASSIGNED, arm.id));
  const reachedDaily = arms.map((arm) => tallies.daily(primaryMetric, arm.id));
  const upTo = (rows: { day: number; people: number }[], lastDay: number) => rows.reduce((sum, r) => (r.day <= lastDay ? sum + r.people : sum), 0);
  const points: WeeklyPoint[] = [];
  const earlier = arms.map(() => [] as { armN: number; controlN: number }[]);
  for (let sunday = weekContainingDay(launchDay).lastDay; sunday - 6 <= asOfDay; sunday += 7) {
    const lastDay = Math.min(sunday, asOfDay);
    const counts = arms.map((arm, i) => ({ arm: arm.key, n: upTo(assignedDaily[i], lastDay), successes: upTo(reachedDaily[i], lastDay) }));
    const controlCounts = counts[controlIndex];
    const clusterWeek = clusterAt ? clusterAt(lastDay) : null;
    points.push({
      weekEnding: isoDateOfDay(sunday),
      complete: lastDay === sunday,
      arms: counts,
      comparisons: counts
        .map((c, index) => ({ c, index }))
        .filter(({ index }) => index !== controlIndex)
        .map(({ c, index }) => {
          const looksBefore = [...earlier[index]];
          earlier[index].push({ armN: c.n, controlN: controlCounts.n });
          if (c.n === 0 || controlCounts.n === 0) return { arm: c.arm, difference: null, differenceCi: null, decidingCi: null, verdict: 'too_early' as const };
          const { difference, interval } = scoreDifferenceInterval(c, controlCounts);
          // Cluster-randomised: each week is decided, like the headline, with the clusters as the unit.
          const clustered = clusterWeek?.comparisons.find((x) => x.arm === c.arm) ?? null;
          const decision = decisions.decide({
            arm: arms[index],
            armN: c.n,
            controlN: controlCounts.n,
            higherIsBetter,
            estimate: difference,
            intervalAt: clustered ? (confidence) => robustIntervalAt(clustered, confidence) : clusterAt ? null : (confidence) => scoreDifferenceInterval(c, controlCounts, confidence).interval,
            pValue: null,
            standardError: null,
            alwaysValid: { interval: null, pValue: null },
            stats: [c, controlCounts],
            earlierLooks: looksBefore,
          });
          const decidingCi = decision.interval && decision.interval.every(Number.isFinite) ? decision.interval : null;
          return { arm: c.arm, difference, differenceCi: interval, decidingCi, verdict: decision.verdict };
        }),
    });
  }
  return points;
}

/** Subgroup effects by each characteristic and the work-coach (cluster) analysis, primary metric. */
function breakdownsFor(coachList: ExperimentReportData['coachCodes'], tallies: Tallies, primaryMetric: string, arms: ArmInfo[], control: ArmInfo, minPerArm: number) {
  const groupsOf = (dimension: string) =>
    tallies.values(dimension).map((value) => ({
      subgroup: value,
      arms: arms.map((arm) => ({
        arm: arm.key,
        n: tallies.within(dimension, value, ASSIGNED, arm.id).people,
        successes: tallies.within(dimension, value, primaryMetric, arm.id).people,
      })),
    }));

  const subgroups: SubgroupBreakdown[] = [];
  for (const characteristic of Object.keys(DIMENSIONS).filter((d) => d !== 'coach')) {
    const groups = groupsOf(characteristic);
    if (groups.length === 0) continue;
    const result = subgroupEffects(groups, { control: control.key, minPerArm });
    subgroups.push({ characteristic, subgroups: result.subgroups, heterogeneity: result.heterogeneity.map((h) => ({ arm: h.arm, statistic: h.statistic, df: h.df, pValue: h.pValue })) });
  }

  const coachCodes = new Map(coachList.map((c) => [String(c.id), c.code]));
  const perCoach = groupsOf('coach')
    .map((g) => ({ coach: coachCodes.get(g.subgroup) ?? g.subgroup, arms: g.arms }))
    .sort((a, b) => a.coach.localeCompare(b.coach));
  let coaches: ExperimentReport['coaches'] = null;
  if (perCoach.length > 0) {
    const cells = perCoach.flatMap((c) => c.arms.filter((a) => a.n > 0).map((a) => ({ cluster: c.coach, ...a })));
    let clustered: ReturnType<typeof clusteredComparison> | null = null;
    try {
      clustered = clusteredComparison(cells, { control: control.key });
    } catch {
      // Too few coaches, or an arm with nobody yet: no cluster-robust figures.
      clustered = null;
    }
    coaches = {
      icc: clustered?.icc ?? null,
      designEffect: clustered?.designEffect ?? null,
      explanation: clustered?.explanation ?? null,
      clusters: perCoach.length,
      comparisons:
        clustered?.comparisons.map((c) => ({
          arm: c.arm,
          difference: c.difference,
          robustSe: c.robustSe,
          robustCi: c.robustCi,
          pValue: c.pValue,
          degreesOfFreedom: c.degreesOfFreedom,
          naiveSe: c.naiveSe,
          varianceInflation: c.varianceInflation,
        })) ?? [],
      perCoach,
    };
  }
  return { subgroups, coaches };
}

/** The primary metric read interaction first (cells, interaction, main effects), for designs with two or more factors. */
function factorialFor(experiment: ExperimentView, arms: ArmInfo[], primary: MetricReport): ExperimentReport['factorial'] {
  if (experiment.factors.length < 2 || primary.kind !== 'binary') return null;
  const controlLevels = experiment.arms.find((a) => a.isControl)!.levels;
  const cells = experiment.arms.map((a, i) => ({ arm: a.key, levels: a.levels, n: primary.arms[i].n, successes: primary.arms[i].successes ?? 0 }));
  const levelCount = experiment.factors.reduce((product, f) => product * f.levels.length, 1);
  if (cells.length !== levelCount || cells.some((c) => c.n === 0)) return null;
  try {
    // Factor labels read mid-sentence ("depends on the message channel"); acronyms keep their capitals.
    const midSentence = (text: string) => (/^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text);
    const factorLabels = new Map(experiment.factors.map((f) => [f.key, midSentence(f.label ?? f.key)]));
    const label = (code: string) => (factorLabels.get(code) ?? code).replace(/_/g, ' ');
    return factorialSummary(cells, { reference: controlLevels, factors: experiment.factors.map((f) => f.key), label });
  } catch {
    return null;
  }
}
