import type { ExperimentReport, MetricReport } from '../../analysis/report-types.ts';
import { formatDate, formatInterval, formatNumber, formatPercent, formatPercentagePoints, formatPValue } from '../format.ts';
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
  return `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(2)}`;
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? null : Number((value * 100).toFixed(2)));

export function resultsView(report: ExperimentReport) {
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
      omnibus: metric.omnibus ? `χ² = ${metric.omnibus.statistic.toFixed(2)} on ${metric.omnibus.df} df, p = ${formatPValue(metric.omnibus.pValue)}` : null,
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
        intervals: primary.comparisons.map((c) => (c.differenceCi ? c.differenceCi.map((v) => v * scale) : null)),
        sequential: primary.comparisons.map((c) => (c.sequentialCi ? c.sequentialCi.map((v) => v * scale) : null)),
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
      low: report.weekly.map((w) => w.comparisons.find((x) => x.arm === arm)?.sequentialCi?.[0] ?? null).map((v) => (v === null ? null : v * scale)),
      high: report.weekly.map((w) => w.comparisons.find((x) => x.arm === arm)?.sequentialCi?.[1] ?? null).map((v) => (v === null ? null : v * scale)),
    })),
  };
  const weeklyTable = {
    head: ['Week ending', ...weeklyArms.map((arm) => `${armName(arm)}: difference (always-valid interval)`)],
    rows: report.weekly.map((w) => [
      formatDate(w.weekEnding),
      ...weeklyArms.map((arm) => {
        const c = w.comparisons.find((x) => x.arm === arm);
        if (!c || c.difference === null) return 'not available';
        return `${formatPercentagePoints(c.difference)} (${formatInterval(c.sequentialCi, 'points')})`;
      }),
    ]),
  };

  const subgroups = subgroupsView(report);

  const coaches = report.coaches
    ? {
        icc: report.coaches.icc === null ? 'not available' : report.coaches.icc.toFixed(3),
        designEffect: report.coaches.designEffect === null ? 'not available' : `${report.coaches.designEffect.toFixed(2)} (largest over the comparisons)`,
        explanation: report.coaches.explanation,
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

  return {
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
  };
}
