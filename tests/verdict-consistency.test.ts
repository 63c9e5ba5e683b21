import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { openTestDatabase } from './support/test-database.ts';
import { seedDemoData } from '../seed/demo.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import type { ComparisonResult, ExperimentReport } from '../analysis/report-types.ts';
import { decideComparison, type DecisionPlan } from '../analysis/decision-rule.ts';
import { scoreDifferenceInterval, scoreDifferenceTest } from '../analysis/score-difference-interval.ts';
import { confidenceSequenceDifference, alwaysValidPValue } from '../analysis/confidence-sequence.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

/**
 * A verdict never disagrees with the interval and p-value it names: "better"
 * or "worse" exactly when the deciding interval excludes zero on that side,
 * and exactly when the p-value shown is below the look's threshold. Checked on
 * every comparison of every demo experiment and on a grid of cases.
 */
function expectConsistent(c: Pick<ComparisonResult, 'verdict' | 'verdictInterval' | 'verdictPValue' | 'verdictThreshold'>, higherIsBetter: boolean, where: string) {
  if (c.verdict === 'too_early') {
    expect(c.verdictInterval, where).toBeNull();
    return;
  }
  const interval = c.verdictInterval;
  const above = interval !== null && interval[0] > 0;
  const below = interval !== null && interval[1] < 0;
  if (c.verdict === 'better') expect(higherIsBetter ? above : below, where).toBe(true);
  else if (c.verdict === 'worse') expect(higherIsBetter ? below : above, where).toBe(true);
  else expect(above || below, where).toBe(false);
  if (c.verdictPValue !== null && c.verdictThreshold !== null) {
    const decided = c.verdict === 'better' || c.verdict === 'worse';
    // The interval inverts the test: excluding zero and p below the threshold are the same statement.
    expect(c.verdictPValue < c.verdictThreshold, `${where}: p ${c.verdictPValue} vs ${c.verdictThreshold}`).toBe(decided);
  }
}

describe('the verdicts of every demo experiment', () => {
  let db: Db;
  const reports: ExperimentReport[] = [];
  beforeAll(async () => {
    db = await openTestDatabase();
    const now = new Date('2026-11-25T10:00:00.000Z');
    await seedDemoData(db, { contacts: 3000, seed: 1, now });
    for (const key of ['channel-tone', 'meeting-place', 'first-meeting-format'])
      for (const asOf of ['2026-10-26T12:00:00Z', '2026-11-09T12:00:00Z', now.toISOString()]) reports.push(await buildExperimentReport(db, key, { asOf: new Date(asOf) }));
  }, 120_000);
  afterAll(() => db?.close());

  it('agree with the interval and p-value they name, on every metric, arm and week', () => {
    let decided = 0;
    let checked = 0;
    for (const report of reports) {
      expect(report.experiment.plannedSampleSize).not.toBeNull();
      for (const metric of report.metrics)
        for (const c of metric.comparisons) {
          expect(c.verdictRule).toBe('group_sequential');
          expectConsistent(c, metric.higherIsBetter, `${report.experiment.key} ${report.asOf} ${metric.key} ${c.arm}`);
          if (c.verdict === 'better' || c.verdict === 'worse') decided++;
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(60);
    // The demo has real effects: some comparisons are decided, most are not yet.
    expect(decided).toBeGreaterThan(0);
    expect(decided).toBeLessThan(checked);
  });

  it('reads the plain-English sentence from the same verdict', () => {
    for (const report of reports)
      for (const metric of report.metrics)
        metric.comparisons.forEach((c, i) => {
          const reading = metric.readings[i];
          if (c.verdict === 'better' || c.verdict === 'worse') expect(reading).not.toMatch(/not enough evidence|too early/);
          else expect(reading).toMatch(/not enough evidence|too early/);
        });
  });
});

describe('the verdict rule on a grid of cases', () => {
  const plans: DecisionPlan[] = [
    { rule: 'group_sequential', spending: 'obf', planned: { armN: 200, controlN: 200 } },
    { rule: 'group_sequential', spending: 'pocock', planned: { armN: 400, controlN: 400 } },
  ];

  it('says better or worse exactly when the repeated interval excludes zero and the score test is below the look’s threshold', () => {
    const random = mulberry32(11);
    let decided = 0;
    for (const plan of plans)
      for (const perArm of [10, 20, 50, 100, 400])
        for (const controlRate of [0.02, 0.1, 0.3, 0.5, 0.9]) {
          for (let repeat = 0; repeat < 4; repeat++) {
            const armSuccesses = Math.round(perArm * Math.min(1, Math.max(0, controlRate + (random() - 0.3) * 0.4)));
            const controlSuccesses = Math.round(perArm * controlRate);
            const arm = { arm: 'text', n: perArm, successes: armSuccesses };
            const control = { arm: 'letter', n: perArm, successes: controlSuccesses };
            const weeks = 1 + Math.floor(random() * 6);
            const looks = Array.from({ length: weeks }, (_, w) => ({ armN: Math.round((perArm * (w + 1)) / weeks), controlN: Math.round((perArm * (w + 1)) / weeks) }));
            for (const higherIsBetter of [true, false]) {
              const decision = decideComparison({
                plan,
                looks,
                higherIsBetter,
                estimate: armSuccesses / perArm - controlSuccesses / perArm,
                intervalAt: (confidence) => scoreDifferenceInterval(arm, control, confidence).interval,
                pValue: scoreDifferenceTest(arm, control).pValue,
              });
              const where = `${plan.spending} n=${perArm} ${armSuccesses}/${controlSuccesses} looks=${weeks}`;
              expectConsistent({ verdict: decision.verdict, verdictInterval: decision.interval && decision.interval.every(Number.isFinite) ? decision.interval : null, verdictPValue: decision.pValue, verdictThreshold: decision.threshold }, higherIsBetter, where);
              if (decision.verdict === 'better' || decision.verdict === 'worse') decided++;
            }
          }
        }
    expect(decided).toBeGreaterThan(10);
  });

  it('says better only with 4 of 10 against 0 of 10 when the test agrees (it does not: p = 0.087 by Fisher, and the score test agrees)', () => {
    const arm = { arm: 'text', n: 10, successes: 4 };
    const control = { arm: 'letter', n: 10, successes: 0 };
    const decision = decideComparison({
      plan: plans[0],
      looks: [{ armN: 10, controlN: 10 }],
      higherIsBetter: true,
      estimate: 0.4,
      intervalAt: (confidence) => scoreDifferenceInterval(arm, control, confidence).interval,
      pValue: scoreDifferenceTest(arm, control).pValue,
    });
    expectConsistent({ verdict: decision.verdict, verdictInterval: decision.interval, verdictPValue: decision.pValue, verdictThreshold: decision.threshold }, true, '4/10 vs 0/10');
    expect(decision.verdict).toBe('not_enough_evidence');
  });

  it('reads open-ended monitoring from the always-valid interval and its p-value', () => {
    for (const [a, b] of [[40, 20], [25, 24], [5, 30]]) {
      const arm = { arm: 'text', n: 200, successes: a };
      const control = { arm: 'letter', n: 200, successes: b };
      const interval = confidenceSequenceDifference(arm, control, { alpha: 0.05, plannedTotal: 1000 });
      const decision = decideComparison({
        plan: { rule: 'confidence_sequence', spending: 'obf', planned: null },
        looks: [{ armN: 200, controlN: 200 }],
        higherIsBetter: true,
        estimate: (a - b) / 200,
        intervalAt: null,
        pValue: null,
        alwaysValid: { interval, pValue: alwaysValidPValue(arm, control, { plannedTotal: 1000 }) },
      });
      expect(decision.interval).toEqual(interval);
      expectConsistent({ verdict: decision.verdict, verdictInterval: decision.interval, verdictPValue: decision.pValue, verdictThreshold: decision.threshold }, true, `${a}/${b}`);
    }
  });

  it('still decides when recruitment runs past the planned size: looks past the plan merge into one final look', () => {
    const arm = { arm: 'text', n: 240, successes: 60 };
    const control = { arm: 'letter', n: 240, successes: 30 };
    const decision = decideComparison({
      plan: plans[0],
      looks: [{ armN: 100, controlN: 100 }, { armN: 210, controlN: 210 }, { armN: 240, controlN: 240 }],
      higherIsBetter: true,
      estimate: 0.125,
      intervalAt: (confidence) => scoreDifferenceInterval(arm, control, confidence).interval,
      pValue: scoreDifferenceTest(arm, control).pValue,
    });
    expect(decision.look?.number).toBe(2);
    expect(Number.isFinite(decision.look!.zBoundary)).toBe(true);
    expect(decision.verdict).toBe('better');
    expectConsistent({ verdict: decision.verdict, verdictInterval: decision.interval, verdictPValue: decision.pValue, verdictThreshold: decision.threshold }, true, 'overrun');
  });

  it('is too early until both arms have 10 people', () => {
    const decision = decideComparison({
      plan: plans[0],
      looks: [{ armN: 9, controlN: 30 }],
      higherIsBetter: true,
      estimate: 0.5,
      intervalAt: () => [0.2, 0.8],
      pValue: 0.001,
    });
    expect(decision).toMatchObject({ verdict: 'too_early', interval: null });
  });
});
