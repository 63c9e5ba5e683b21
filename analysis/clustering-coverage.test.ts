import { describe, expect, it } from 'vitest';
import { intervalCoverage } from '../seed/clustered-trials.ts';

// Simulated trials with people randomised within each coach's caseload: the CR2
// interval with Bell–McCaffrey df must cover the true effect about 95% of the
// time with only ten coaches. 2000 trials give a Monte Carlo standard error of
// about 0.5 points, so 93.5% is three standard errors below the nominal level.
// `npx tsx seed/clustered-trials.ts` prints the fuller table in docs/decisions/0024.
const tenCoaches = { coaches: 10, minPeople: 30, maxPeople: 60, icc: 0.05, controlRate: 0.3, effect: 0.1 };

describe('coverage of the coach-adjusted interval', () => {
  it('covers the true effect at least 93.5% of the time with ten coaches and ICC 0.05', () => {
    const results = intervalCoverage(20240611, 2000, tenCoaches, { cr2: {} });
    expect(results.cr2.coverage).toBeGreaterThanOrEqual(0.935);
    expect(results.cr2.coverage).toBeLessThanOrEqual(0.965);
  });

  it('still covers when the effect differs between coaches, where ignoring coaches does not', () => {
    const results = intervalCoverage(20240612, 2000, { ...tenCoaches, effectSd: 0.1 }, { cr2: {}, withCoachEffects: { model: 'arm-and-cluster' } });
    expect(results.cr2.coverage).toBeGreaterThanOrEqual(0.935);
    expect(results.withCoachEffects.coverage).toBeGreaterThanOrEqual(0.935);
    expect(results['ignoring coaches'].coverage).toBeLessThan(0.92);
  });
});
