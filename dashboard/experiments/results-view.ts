import type { ExperimentReport, MetricReport } from '../../analysis/report-types.ts';
import { capitalise, formatDate, formatInterval, formatNumber, formatPercent, formatPercentagePoints, formatPValue } from '../format.ts';
import { factorialView } from './factorial-view.ts';
import { subgroupsView } from './subgroups-view.ts';

/**
 * Turns an ExperimentReport into what the analysts' results page shows:
 * table rows with the figures formatted, and the data for each chart (which the
 * page also shows as a table, its text alternative).
 */

const roleOrder = { primary: 0, secondary: 1, guardrail: 2 } as const;

function estimateText(metric: MetricReport, value: number | null): string {
  if (value === null) return 'not available';
  return metric.kind === 'binary' ? formatPercent(value) : formatNumber(value, 2);
}

function differenceText(metric: MetricReport, value: number | null): string {
  if (value === null) return 'not available';
  if (metric.kind === 'binary') return formatPercentagePoints(value);
  const text = Math.abs(value).toFixed(2);
  return `${Number(text) === 0 ? '' : value > 0 ? '+' : '−'}${text}`;
}

const VERDICT_WORDS: Record<string, string> = { better: 'Better', worse: 'Worse', not_enough_evidence: 'Not enough evidence yet', too_early: 'Too early' };

/** Names the interval a verdict is read from, so nobody has to guess which interval decides. */
export function decidingIntervalName(c: MetricReport['comparisons'][number], randomisedUnit: 'coach' | 'site' | null = null): string {
  if (c.verdictRule === 'confidence_sequence') return 'Always-valid interval (open-ended monitoring, safe at any look)';
  const level = c.verdictConfidence === null ? '' : `${formatConfidence(c.verdictConfidence)} `;
  const look = c.look ? `, week ${c.look.number} of the plan with ${Math.round(c.look.informationFraction * 100)}% of the planned information` : '';
  const clusters = randomisedUnit ? `, with ${randomisedUnit === 'coach' ? 'coaches' : 'sites'} as the unit` : ', allowing for work coaches';
  return `${level}interval adjusted for weekly looks${look}${c.verdictAllowsForClusters ? clusters : ''}`;
}

/** 0.99812 → "99.81%": enough digits to see the look's level. */
function formatConfidence(confidence: number): string {
  const digits = confidence >= 0.9999 ? 4 : confidence >= 0.999 ? 3 : 2;
  return `${(confidence * 100).toFixed(digits).replace(/\.?0+$/, '')}%`;
}

/** "p = 0.004, below this week's threshold of 0.012": the figure the verdict compares. */
function decidingTestText(c: MetricReport['comparisons'][number]): string {
  if (c.verdict === 'too_early' || c.verdictPValue === null) return 'not available';
  if (c.verdictThreshold === 0) return `p = ${formatPValue(c.verdictPValue)}; no difference can be called this early in the plan`;
  const threshold = formatPValue(c.verdictThreshold);
  const test = c.verdictRule === 'confidence_sequence' ? 'always-valid p' : c.verdictAllowsForClusters ? 'p (cluster-robust t-test)' : c.test === 'welch' ? 'p (Welch’s t-test)' : 'p (score test)';
  return `${test} = ${formatPValue(c.verdictPValue)}; ${c.verdictPValue < (c.verdictThreshold ?? 0) ? 'below' : 'not below'} this look’s threshold of ${threshold}`;
}

/** A warning once more people are assigned than the plan's sample size, or null. */
export function plannedSizeWarning(assigned: number, planned: number | null): string | null {
  if (!planned || assigned <= planned) return null;
  return `More people have been assigned (${formatNumber(assigned)}) than the planned ${formatNumber(planned)}. The analysis plan was made for ${formatNumber(planned)}: conclude the experiment, or record why it carries on.`;
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? null : Number((value * 100).toFixed(2)));

export function resultsView(report: ExperimentReport) {
  const randomisedUnit = report.clusterRandomised?.unit ?? null;
  const metrics = [...report.metrics].sort((a, b) => roleOrder[a.role] - roleOrder[b.role]).map((metric) => {
    const controlName = metric.arms.find((a) => a.isControl)?.name ?? 'control';
    return {
      key: metric.key,
      label: metric.label,
      role: metric.role,
      kind: metric.kind,
      higherIsBetter: metric.higherIsBetter,
      windowDays: metric.windowDays,
      readings: metric.readings,
      controlName,
      omnibus: metric.omnibus
        ? metric.omnibus.test === 'fisher-freeman-halton'
          ? `exact test (Fisher–Freeman–Halton, as the counts are small), p = ${formatPValue(metric.omnibus.pValue)}`
          : `χ² = ${metric.omnibus.statistic.toFixed(2)} on ${metric.omnibus.df} df, p = ${formatPValue(metric.omnibus.pValue)}`
        : null,
      arms: metric.arms.map((arm) => ({
        name: arm.name,
        isControl: arm.isControl,
        n: formatNumber(arm.n),
        successes: arm.successes === undefined ? '' : formatNumber(arm.successes),
        estimate: estimateText(metric, arm.estimate),
        ci: arm.ci ? formatInterval(arm.ci, metric.kind === 'binary' ? 'percent' : 'number') : 'not available',
      })),
      comparisons: metric.comparisons.map((c) => ({
        name: c.name,
        difference: differenceText(metric, c.difference),
        differenceCi: formatInterval(c.differenceCi, metric.kind === 'binary' ? 'points' : 'number'),
        relativeUplift: c.relativeUplift === null ? 'not available' : formatPercentagePoints(c.relativeUplift).replace(' points', '%'),
        relativeUpliftCi: formatInterval(c.relativeUpliftCi, 'relative'),
        pValue: formatPValue(c.pValue),
        test: c.test ? { z: 'z-test', fisher: 'Fisher’s exact', score: 'score test', welch: 'Welch’s t' }[c.test] : '',
        pValueHolm: formatPValue(c.pValueHolm),
        pValueBh: formatPValue(c.pValueBh),
        probabilityBeatsControl: c.probabilityBeatsControl === null ? 'not available' : formatPercent(c.probabilityBeatsControl, 0),
        sequentialCi: formatInterval(c.sequentialCi, metric.kind === 'binary' ? 'points' : 'number'),
        alwaysValidPValue: formatPValue(c.alwaysValidPValue),
        verdict: c.verdict,
        verdictWords: VERDICT_WORDS[c.verdict],
        decidingInterval: c.verdictInterval ? formatInterval(c.verdictInterval, metric.kind === 'binary' ? 'points' : 'number') : c.verdict === 'too_early' ? 'not available' : 'cannot exclude any difference yet',
        decidingIntervalName: decidingIntervalName(c, metric.role === 'primary' ? randomisedUnit : null),
        decidingTest: decidingTestText(c),
        final: c.finalInference
          ? `Adjusted for the looks: p = ${formatPValue(c.finalInference.pValue)}, median-unbiased estimate ${differenceText(metric, c.finalInference.medianUnbiasedEstimate)} (${formatInterval(c.finalInference.interval, metric.kind === 'binary' ? 'points' : 'number')})`
          : null,
      })),
    };
  });

  const primary = report.metrics.find((m) => m.role === 'primary') ?? report.metrics[0];
  const scale = primary?.kind === 'binary' ? 100 : 1;
  const forest = primary
    ? {
        type: 'forest',
        title: `Difference from ${primary.arms.find((a) => a.isControl)?.name ?? 'control'}: ${primary.label}`,
        unit: primary.kind === 'binary' ? 'percentage points' : 'difference in mean',
        labels: primary.comparisons.map((c) => c.name),
        estimates: primary.comparisons.map((c) => (c.difference === null ? null : c.difference * scale)),
        // The deciding interval first; the fixed-horizon 95% interval beside it for comparison.
        intervals: primary.comparisons.map((c) => (c.verdictInterval ? c.verdictInterval.map((v) => v * scale) : null)),
        intervalLabel: primary.comparisons[0]?.verdictRule === 'confidence_sequence' ? 'Always-valid interval (decides)' : 'Adjusted for weekly looks (decides)',
        sequential: primary.comparisons.map((c) => (c.differenceCi ? c.differenceCi.map((v) => v * scale) : null)),
        sequentialLabel: '95% interval, not adjusted for looks',
      }
    : null;

  const funnel = {
    type: 'funnel',
    title: 'Share of people assigned who reached each stage',
    labels: report.funnel.stages.map((s) => s.label),
    datasets: report.funnel.arms.map((arm) => ({
      label: arm.name,
      data: arm.counts.map((count) => (arm.assigned > 0 ? percent(count / arm.assigned) : null)),
    })),
  };
  const funnelTable = {
    head: ['Stage', ...report.funnel.arms.map((a) => a.name)],
    rows: [
      ['Assigned', ...report.funnel.arms.map((a) => formatNumber(a.assigned))],
      ...report.funnel.stages.map((stage, i) => [
        stage.label,
        ...report.funnel.arms.map((a) => `${formatNumber(a.counts[i])} (${a.assigned > 0 ? formatPercent(a.counts[i] / a.assigned) : 'not available'})`),
      ]),
    ],
  };

  const weeklyArms = report.weekly[0]?.comparisons.map((c) => c.arm) ?? [];
  const armName = (key: string) => report.experiment.arms.find((a) => a.key === key)?.name ?? key;
  const weekly = {
    type: 'weekly',
    title: `Effect week by week: ${primary?.label ?? 'primary metric'}, difference from control`,
    unit: primary?.kind === 'binary' ? 'percentage points' : 'difference',
    labels: report.weekly.map((w) => formatDate(w.weekEnding).replace(/ \d{4}$/, '')),
    series: weeklyArms.map((arm) => ({
      label: armName(arm),
      difference: report.weekly.map((w) => {
        const c = w.comparisons.find((x) => x.arm === arm);
        return c?.difference === null || c === undefined ? null : c.difference * scale;
      }),
      low: report.weekly.map((w) => w.comparisons.find((x) => x.arm === arm)?.decidingCi?.[0] ?? null).map((v) => (v === null ? null : v * scale)),
      high: report.weekly.map((w) => w.comparisons.find((x) => x.arm === arm)?.decidingCi?.[1] ?? null).map((v) => (v === null ? null : v * scale)),
    })),
  };
  const weeklyTable = {
    head: ['Week ending', ...weeklyArms.map((arm) => `${armName(arm)}: difference (interval that decided that week)`)],
    rows: report.weekly.map((w) => [
      formatDate(w.weekEnding),
      ...weeklyArms.map((arm) => {
        const c = w.comparisons.find((x) => x.arm === arm);
        if (!c || c.difference === null) return 'not available';
        return `${formatPercentagePoints(c.difference)} (${c.decidingCi ? formatInterval(c.decidingCi, 'points') : 'no call possible yet'}): ${VERDICT_WORDS[c.verdict].toLowerCase()}`;
      }),
    ]),
  };

  const subgroups = subgroupsView(report);

  const coaches = report.coaches
    ? {
        icc: report.coaches.icc === null ? 'not available' : report.coaches.icc.toFixed(3),
        designEffect: report.coaches.designEffect === null ? 'not available' : `${report.coaches.designEffect.toFixed(2)} (largest over the comparisons)`,
        // That explanation is for people randomised within caseloads, not for whole coaches or sites randomised.
        explanation: randomisedUnit ? null : report.coaches.explanation,
        clusters: report.coaches.clusters,
        comparisons: report.coaches.comparisons.map((c) => ({
          arm: armName(c.arm),
          difference: formatPercentagePoints(c.difference),
          robustCi: `${formatInterval(c.robustCi, 'points')} (t on ${c.degreesOfFreedom.toFixed(1)} df)`,
          pValue: formatPValue(c.pValue),
          varianceInflation: c.varianceInflation.toFixed(2),
        })),
        head: ['Work coach', ...report.experiment.arms.map((a) => a.name)],
        rows: report.coaches.perCoach.map((coach) => [
          coach.coach,
          ...report.experiment.arms.map((arm) => {
            const cell = coach.arms.find((a) => a.arm === arm.key);
            return cell && cell.n > 0 ? `${formatNumber(cell.successes)} of ${formatNumber(cell.n)} (${formatPercent(cell.successes / cell.n)})` : '0';
          }),
        ]),
      }
    : null;

  const factorial = factorialView(report);

  const rule = primary?.comparisons[0]?.verdictRule ?? (report.experiment.plannedSampleSize ? 'group_sequential' : 'confidence_sequence');
  const ruleSentence =
    rule === 'group_sequential'
      ? 'Verdicts follow the locked plan: a group-sequential design with a look every week to the planned size. Each week’s interval is adjusted for all the looks so far, so it is wider early on; an arm is called better or worse only when that interval excludes zero, which happens exactly when its p-value is below that week’s threshold. Figures not adjusted for looks are in the details under each metric.'
      : 'Verdicts follow the locked plan: open-ended monitoring with an always-valid interval, which stays valid however often it is looked at. An arm is called better or worse only when that interval excludes zero. Figures not adjusted for looks are in the details under each metric.';
  const coachesSentence = !randomisedUnit && primary?.comparisons.some((c) => c.verdictAllowsForClusters) && report.coaches?.explanation
    ? ` The primary metric’s verdicts allow for people being nested in work coaches (CR2 cluster-robust intervals). ${report.coaches.explanation}`
    : '';
  return {
    ruleSentence: ruleSentence + coachesSentence,
    metrics,
    factorial,
    primaryReadings: primary?.readings ?? [],
    primaryLabel: primary?.label ?? '',
    forest,
    funnel,
    funnelTable,
    weekly,
    weeklyTable,
    consort: report.consort.map((row) => ({ ...row })),
    screening: report.screening,
    srm: report.srm
      ? {
          flagged: report.srm.flagged,
          text: `Observed ${report.srm.observed.map((n) => formatNumber(n)).join(' : ')} against expected ${report.srm.expected.map((n) => formatNumber(n, 0)).join(' : ')} (χ² = ${report.srm.statistic.toFixed(2)}, p = ${formatPValue(report.srm.pValue)})`,
        }
      : null,
    subgroups,
    coaches,
    clusterRandomised: clusterRandomisedView(report),
  };
}

/**
 * Designs that randomised whole coaches or sites (decision 0037): the headline
 * that the primary metric was analysed with them as the unit, and the figures.
 */
export function clusterRandomisedView(report: ExperimentReport) {
  const design = report.clusterRandomised;
  if (!design) return null;
  const words = design.unit === 'coach' ? { one: 'coach', many: 'coaches' } : { one: 'site', many: 'sites' };
  const armName = (key: string) => report.experiment.arms.find((a) => a.key === key)?.name ?? key;
  const analysis = design.analysis;
  return {
    heading: `Randomised by ${words.one}: analysed with ${words.many} as the unit (${formatNumber(design.clusters)} ${design.clusters === 1 ? words.one : words.many})`,
    unit: words,
    available: analysis !== null,
    rows: analysis
      ? [
          { key: `${capitalise(words.many)} analysed`, value: `${formatNumber(analysis.clusters)}, with ${formatNumber(analysis.meanClusterSize, 1)} people each on average` },
          { key: 'Intra-class correlation', value: analysis.icc.toFixed(3) },
          { key: `Design effect of randomising whole ${words.many}`, value: `${analysis.designEffect.toFixed(2)} = 1 + (${formatNumber(analysis.meanClusterSize, 1)} − 1) × ${analysis.icc.toFixed(3)}` },
        ]
      : [],
    comparisons: (analysis?.comparisons ?? []).map((c) => ({
      arm: armName(c.arm),
      clusters: formatNumber(c.clusters),
      difference: formatPercentagePoints(c.difference),
      robustCi: `${formatInterval(c.robustCi, 'points')} (t on ${c.degreesOfFreedom.toFixed(1)} df)`,
      pValue: formatPValue(c.pValue),
      clusterSummary: `${formatPercentagePoints(c.clusterSummary.difference)}, p = ${formatPValue(c.clusterSummary.pValue)} (t on ${c.clusterSummary.degreesOfFreedom} df)`,
    })),
    controlClusters: analysis ? formatNumber(analysis.clusters - analysis.comparisons.reduce((sum, c) => sum + c.clusters, 0)) : null,
  };
}
