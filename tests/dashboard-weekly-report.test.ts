import { describe, expect, it } from 'vitest';
import type { ExperimentReport, MetricReport } from '../analysis/report-types.ts';
import { buildWeeklyReport, type WeeklyReportInput } from '../dashboard/report/weekly-report-builder.ts';
import { comparisonSentence, readInterval } from '../dashboard/report/plain-english.ts';
import { shownCount, shownProportion, shownTotal } from '../dashboard/report/suppression.ts';
import { latestCompletedWeek, weekContaining, weekEndingOn } from '../dashboard/report/report-week.ts';

function metric(overrides: Partial<MetricReport> & { counts: [number, number][]; intervals?: ([number, number] | null)[] }): MetricReport {
  const names = ['Standard letter', 'Warm text', 'Warm letter'];
  const keys = ['letter-standard', 'text-warm', 'letter-warm'];
  const arms = overrides.counts.map(([n, successes], i) => ({ arm: keys[i], name: names[i], isControl: i === 0, n, successes, estimate: n ? successes / n : null, ci: null }));
  const control = arms[0];
  return {
    key: 'meeting_agreed',
    label: 'Meeting agreed',
    role: 'primary',
    kind: 'binary',
    higherIsBetter: true,
    windowDays: null,
    arms,
    comparisons: arms.slice(1).map((arm, i) => ({
      arm: arm.arm,
      name: arm.name,
      difference: arm.estimate! - control.estimate!,
      differenceCi: overrides.intervals?.[i] ?? null,
      relativeUplift: null,
      relativeUpliftCi: null,
      pValue: null,
      test: null,
      pValueHolm: null,
      pValueBh: null,
      probabilityBeatsControl: null,
      sequentialCi: overrides.intervals?.[i] ?? null,
      alwaysValidPValue: null,
      verdict: 'not_enough_evidence' as const,
    })),
    omnibus: null,
    readings: [],
    ...overrides,
  } as MetricReport;
}

function input(metrics: MetricReport[]): WeeklyReportInput {
  const report = {
    experiment: { key: 'channel-tone', name: 'First contact', hypothesis: '', status: 'running', journeyPhase: 1, launchedAt: '2026-10-01T09:00:00Z', plannedSampleSize: 800, arms: [] },
    asOf: '2026-11-22T23:59:59Z',
    daysRunning: 52,
    assigned: 300,
    metrics,
    funnel: { stages: [], arms: [] },
    weekly: [],
    consort: [],
    screening: { screened: 300, notEligible: 0, optedOut: 0, outsideCoverage: 0, eligible: 300, assigned: 300 },
    srm: null,
    subgroups: [],
    coaches: null,
    factorial: null,
    warnings: [],
  } as ExperimentReport;
  return {
    weekEnding: '2026-11-22',
    weekStart: '2026-11-16T00:00:00.000Z',
    weekEnd: '2026-11-23T00:00:00.000Z',
    provisional: false,
    generatedAt: '2026-11-23T09:00:00.000Z',
    experiments: [{ report, people: { assignedThisWeek: 7, assignedTotal: 300, contactedThisWeek: 12, contactedTotal: 290 }, concludedAt: null }],
    unit: { people: 300, attended: 40, engaged8w: 3, inWork13w: 0, inWork26w: 0, optedOut: 11, complaints: 2 },
    learning: { text: 'People sent texts in the evening replied sooner.', approvedAt: '2026-11-23T10:00:00.000Z' },
  };
}

describe('small-number suppression', () => {
  it('shows any count below 10 as "fewer than 10"', () => {
    expect(shownCount(9)).toEqual({ value: null, text: 'fewer than 10' });
    expect(shownCount(0)).toEqual({ value: null, text: 'fewer than 10' });
    expect(shownCount(10)).toEqual({ value: 10, text: '10' });
    expect(shownCount(1234)).toEqual({ value: 1234, text: '1,234' });
  });

  it('withholds a rate that would reveal a small count, including the people who did not reach the stage', () => {
    expect(shownProportion(100, 4)).toMatchObject({ reached: { value: null, text: 'fewer than 10' }, rate: null, withheld: true });
    expect(shownProportion(100, 95)).toMatchObject({ reached: { value: null }, rate: null, withheld: true });
    expect(shownProportion(8, 4)).toMatchObject({ people: { value: null, text: 'fewer than 10' }, rate: null, withheld: true });
    expect(shownProportion(100, 30)).toMatchObject({ reached: { value: 30 }, rate: 0.3, rateText: '30%', withheld: false });
  });

  it('withholds a total that, minus the parts shown, would reveal a suppressed part', () => {
    expect(shownTotal(15, [shownCount(12), shownCount(3)], [12, 3]).value).toBeNull();
    expect(shownTotal(40, [shownCount(30), shownCount(5), shownCount(5)], [30, 5, 5]).value).toBe(40);
    expect(shownTotal(40, [shownCount(20), shownCount(20)], [20, 20]).value).toBe(40);
  });
});

describe('plain-English readings', () => {
  it('claims an effect only when the interval excludes zero', () => {
    expect(readInterval([0.04, 0.14])).toBe('more');
    expect(readInterval([-0.1, -0.01])).toBe('fewer');
    expect(readInterval([-0.02, 0.14])).toBe('no_clear_difference');
    expect(readInterval(null)).toBe('too_early');
  });

  it('writes the headline the way ministers read it', () => {
    const { sentence } = comparisonSentence({ armName: 'Warm, voluntary-framed texts', controlName: 'The standard letter', phrase: 'agreed to a meeting', difference: 0.09, interval: [0.04, 0.14], withheld: false });
    expect(sentence).toBe('Warm, voluntary-framed texts: 9 more people in every 100 agreed to a meeting than with the standard letter (between 4 and 14 more).');
  });

  it('says "no clear difference yet" when the interval includes zero, however big the estimate', () => {
    const { reading, sentence } = comparisonSentence({ armName: 'Warm text', controlName: 'Standard letter', phrase: 'agreed to a meeting', difference: 0.12, interval: [-0.01, 0.25], withheld: false });
    expect(reading).toBe('no_clear_difference');
    expect(sentence).toBe('Warm text: no clear difference yet from standard letter. 12 more in every 100 so far, but the true difference could be anywhere between 1 fewer and 25 more.');
    expect(sentence).not.toMatch(/agreed to a meeting than/);
  });

  it('says "too early to tell" when the figures are withheld', () => {
    expect(comparisonSentence({ armName: 'Warm text', controlName: 'Standard letter', phrase: 'agreed', difference: 0.3, interval: [0.1, 0.5], withheld: true }).sentence).toBe(
      'Warm text: too early to tell. The numbers are still too small to report.',
    );
  });
});

describe('the weekly report builder', () => {
  it('leads with the clearest effect and withholds comparisons that involve a small count', () => {
    const report = buildWeeklyReport(input([metric({ counts: [[100, 20], [100, 35], [100, 5]], intervals: [[0.02, 0.28], [-0.2, 0.05]] })]));
    const experiment = report.experiments[0];
    expect(experiment.headline).toBe('Warm text: 15 more people in every 100 agreed to a meeting than with standard letter (between 2 and 28 more).');
    expect(experiment.headlineReading).toBe('more');
    const warmLetter = experiment.comparisons.find((c) => c.armName === 'Warm letter')!;
    expect(warmLetter).toMatchObject({ reading: 'too_early', difference: null, interval: null, differenceText: 'withheld' });
    expect(experiment.arms.find((a) => a.armName === 'Warm letter')).toMatchObject({ reached: { value: null, text: 'fewer than 10' }, rateText: 'withheld (small numbers)' });
    expect(experiment.chart?.labels).toEqual(['Warm text']);
  });

  it('withholds every comparison when the control arm is small', () => {
    const report = buildWeeklyReport(input([metric({ counts: [[100, 6], [100, 35]], intervals: [[0.2, 0.38]] })]));
    expect(report.experiments[0].headline).toBe('Too early to tell: the numbers are still too small to report.');
    expect(report.experiments[0].comparisons[0].difference).toBeNull();
    expect(report.experiments[0].chart).toBeNull();
  });

  it('says "no clear difference yet" when no interval excludes zero', () => {
    const report = buildWeeklyReport(input([metric({ counts: [[100, 20], [100, 24]], intervals: [[-0.08, 0.16]] })]));
    expect(report.experiments[0].headline).toBe('No clear difference yet between the arms in how many people agreed to a meeting.');
  });

  it('suppresses people counts and unit totals, and carries only the approved learning summary', () => {
    const report = buildWeeklyReport(input([metric({ counts: [[150, 20], [150, 35]], intervals: [[0.02, 0.18]] })]));
    expect(report.experiments[0].people.assignedThisWeek.text).toBe('fewer than 10');
    expect(report.experiments[0].people.contactedThisWeek.text).toBe('12');
    expect(report.unit.engaged8w.text).toBe('fewer than 10');
    expect(report.unit.optedOut.text).toBe('11');
    expect(report.learning).toEqual({ text: 'People sent texts in the evening replied sooner.', approvedAt: '2026-11-23T10:00:00.000Z' });
    expect(JSON.stringify(report)).not.toMatch(/"value":[0-9](?![0-9])/);
    expect(buildWeeklyReport({ ...input([]), learning: null }).learning).toBeNull();
  });

  it('flags a guardrail that is worse in an arm', () => {
    const harm = metric({ key: 'opted_out', label: 'Opted out (do not contact again)', role: 'guardrail', higherIsBetter: false, counts: [[150, 10], [150, 25]], intervals: [[0.01, 0.19]] });
    harm.comparisons[0].verdict = 'worse';
    const report = buildWeeklyReport(input([metric({ counts: [[150, 20], [150, 35]], intervals: [[0.02, 0.18]] }), harm]));
    const guardrail = report.experiments[0].guardrails[0];
    expect(guardrail.concern).toBe(true);
    expect(guardrail.sentence).toBe('Watch: more people asked not to be contacted again with Warm text than with the control. The unit is looking into why.');
    expect(guardrail.total.text).toBe('35');
  });
});

describe('report weeks', () => {
  it('runs Monday to Sunday and is named by the Sunday', () => {
    expect(weekContaining(new Date('2026-11-23T09:00:00Z')).weekEnding).toBe('2026-11-29');
    expect(latestCompletedWeek(new Date('2026-11-23T09:00:00Z'))).toEqual({
      weekEnding: '2026-11-22',
      start: new Date('2026-11-16T00:00:00Z'),
      end: new Date('2026-11-23T00:00:00Z'),
    });
    expect(latestCompletedWeek(new Date('2026-11-22T23:00:00Z')).weekEnding).toBe('2026-11-15');
    expect(weekEndingOn('2026-11-21')).toBeNull();
    expect(weekEndingOn('not-a-date')).toBeNull();
  });
});
