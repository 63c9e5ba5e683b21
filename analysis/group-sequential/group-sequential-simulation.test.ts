import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../seed/mulberry32.ts';
import { analyseBinaryMetric } from '../analyse-binary-metric.ts';
import { groupSequentialSampleSize } from './group-sequential-sample-size.ts';
import { lookDecision } from './look-decision.ts';
import { scoreIntervalAt, simulateGroupSequentialTrials } from './simulate-group-sequential-trials.ts';

// The trial the platform would plan for a 10% → 16% change with 20 weekly looks:
// 515 per arm at most (rpact agrees, see group-sequential-sample-size.test.ts), so 26 a week.
const plan = groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 20 });
const perWeek = Math.ceil(plan.perArm / 20);
const trials = 4000; // Monte Carlo standard error ≈ 0.0035 at 5%, ≈ 0.0063 at 80%

describe('the group-sequential rule with the platform’s score interval, by simulation', () => {
  it('keeps the false-positive rate of an A/A test with 20 weekly looks at or below 5%, without being far below it', () => {
    const result = simulateGroupSequentialTrials({
      baseline: 0.1,
      armRates: [0.1],
      perWeek,
      weeks: 20,
      plannedPerArm: plan.perArm,
      trials,
      random: mulberry32(20240601),
    });
    const [arm] = result.arms;
    // Seed 20240601 gives 0.047 (188 of 4000: 87 'better', 101 'worse').
    expect(arm.falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(arm.falsePositiveRate).toBeGreaterThan(0.035);
    expect(arm.coverage).toBeGreaterThanOrEqual(0.95);
    expect(result.anyFalsePositive).toBe(arm.falsePositiveRate);
  });

  it('gives a trial sized by groupSequentialSampleSize for 80% power at least 78% power', () => {
    const result = simulateGroupSequentialTrials({
      baseline: 0.1,
      armRates: [0.16],
      perWeek,
      weeks: 20,
      plannedPerArm: plan.perArm,
      trials,
      random: mulberry32(20240601),
    });
    const [arm] = result.arms;
    // Seed 20240601 gives 0.8095, stopping on average in week 14.9 of 20.
    expect(arm.power).toBeGreaterThanOrEqual(0.78);
    expect(arm.worse).toBe(0);
    expect(arm.expectedWeeksToDecision).toBeLessThan(17);
    // Stopping when the estimate is high makes the naive estimate at the stop too big on average.
    expect(arm.meanReportedDifference).toBeGreaterThan(0.06);
    expect(arm.coverage).toBeGreaterThanOrEqual(0.95);
  });

  it('uses the same interval a report gets from analyseBinaryMetric at the look’s confidence', () => {
    const arm = { arm: 'text', n: 260, successes: 45 };
    const control = { arm: 'letter', n: 260, successes: 24 };
    const decision = lookDecision({ informationFractions: [0.25, 0.5], intervalAt: (confidence) => scoreIntervalAt(arm, control, confidence) });
    const report = analyseBinaryMetric({ arms: [control, arm], control: 'letter', confidence: decision.confidence });
    expect(report.comparisons[0].differenceCi).toEqual(decision.interval);
  });

  it('is reproducible from its seed', () => {
    const run = () =>
      simulateGroupSequentialTrials({
        baseline: 0.2,
        armRates: [0.2, 0.3],
        perWeek: 30,
        weeks: 6,
        plannedPerArm: 180,
        spending: 'pocock',
        trials: 50,
        random: mulberry32(7),
      });
    expect(run()).toEqual(run());
  });
});
