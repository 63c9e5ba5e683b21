import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import {
  exactSampleSizePerArm,
  minimumDetectableEffect,
  sampleSizePerArm,
  twoProportionPower,
} from './two-proportion-power.ts';

// R's power.prop.test finds roots with uniroot at tol = .Machine$double.eps^0.25 (≈1.2e-4),
// so exact values are pinned to runs with tol = 1e-12; the rounded-up n is checked against
// R's default run as well (they agree in every case below).
describe('sampleSizePerArm', () => {
  const cases: Array<{ baseline: number; target: number; alpha?: number; power?: number; exact: number; rounded: number }> = [
    // R: power.prop.test(p1 = 0.10, p2 = 0.15, power = 0.8, tol = 1e-12)$n; ceiling(power.prop.test(p1 = 0.10, p2 = 0.15, power = 0.8)$n) = 686
    { baseline: 0.1, target: 0.15, exact: 685.59685832536127, rounded: 686 },
    // R: power.prop.test(p1 = 0.02, p2 = 0.04, power = 0.8, tol = 1e-12)$n; default run ceiling = 1141
    { baseline: 0.02, target: 0.04, exact: 1140.8323547556547, rounded: 1141 },
    // R: power.prop.test(p1 = 0.05, p2 = 0.08, power = 0.8, tol = 1e-12)$n; default run ceiling = 1059
    { baseline: 0.05, target: 0.08, exact: 1058.8551114261411, rounded: 1059 },
    // R: power.prop.test(p1 = 0.2, p2 = 0.25, power = 0.8, tol = 1e-12)$n; default run ceiling = 1094
    { baseline: 0.2, target: 0.25, exact: 1093.7390457661654, rounded: 1094 },
    // R: power.prop.test(p1 = 0.3, p2 = 0.4, power = 0.8, tol = 1e-12)$n; default run ceiling = 356
    { baseline: 0.3, target: 0.4, exact: 355.94281271162498, rounded: 356 },
    // R: power.prop.test(p1 = 0.5, p2 = 0.6, power = 0.8, tol = 1e-12)$n; default run ceiling = 388
    { baseline: 0.5, target: 0.6, exact: 387.33851669903589, rounded: 388 },
    // R: power.prop.test(p1 = 0.5, p2 = 0.4, power = 0.8, tol = 1e-12)$n (a decrease); default run ceiling = 388
    { baseline: 0.5, target: 0.4, exact: 387.33851669903589, rounded: 388 },
    // R: power.prop.test(p1 = 0.08, p2 = 0.12, sig.level = 0.01, power = 0.9, tol = 1e-12)$n; default run ceiling = 1672
    { baseline: 0.08, target: 0.12, alpha: 0.01, power: 0.9, exact: 1671.4575022867259, rounded: 1672 },
    // R: power.prop.test(p1 = 0.02, p2 = 0.5, power = 0.8, tol = 1e-12)$n; default run ceiling = 12
    { baseline: 0.02, target: 0.5, exact: 11.85661493852505, rounded: 12 },
  ];

  for (const { exact, rounded, ...options } of cases) {
    it(`needs ${rounded} per arm to detect ${options.baseline} → ${options.target} (α ${options.alpha ?? 0.05}, power ${options.power ?? 0.8}) as R does`, () => {
      expectClose(exactSampleSizePerArm(options), exact, 1e-9);
      expect(sampleSizePerArm(options)).toBe(rounded);
    });
  }

  it('throws a RangeError for rates outside (0, 1), equal rates or a bad α or power', () => {
    expect(() => sampleSizePerArm({ baseline: 0, target: 0.1 })).toThrow(/baseline/);
    expect(() => sampleSizePerArm({ baseline: 0.1, target: 1 })).toThrow(/target/);
    expect(() => sampleSizePerArm({ baseline: 0.1, target: 0.1 })).toThrow(/differ/);
    expect(() => sampleSizePerArm({ baseline: 0.1, target: 0.2, alpha: 1.5 })).toThrow(/alpha/);
    expect(() => sampleSizePerArm({ baseline: 0.1, target: 0.2, power: 0 })).toThrow(/power/);
    expect(() => sampleSizePerArm({ baseline: Number.NaN, target: 0.2 })).toThrow(RangeError);
  });
});

describe('twoProportionPower', () => {
  it('matches R power.prop.test power', () => {
    // R: power.prop.test(n = 686, p1 = 0.1, p2 = 0.15)$power
    expectClose(twoProportionPower({ baseline: 0.1, target: 0.15, nPerArm: 686 }), 0.80023094998845457, 1e-12);
    // R: power.prop.test(n = 50, p1 = 0.3, p2 = 0.5, sig.level = 0.1)$power
    expectClose(twoProportionPower({ baseline: 0.3, target: 0.5, nPerArm: 50, alpha: 0.1 }), 0.65722936813843247, 1e-12);
  });
});

describe('minimumDetectableEffect', () => {
  // R: power.prop.test(n = N, p1 = P, power = 0.8, tol = 1e-12)$p2 - P
  const cases: Array<{ baseline: number; nPerArm: number; alpha?: number; power?: number; effect: number }> = [
    { baseline: 0.1, nPerArm: 200, effect: 0.099701115000458196 }, // R: power.prop.test(n = 200, p1 = 0.1, power = 0.8, tol = 1e-12)$p2 - 0.1
    { baseline: 0.02, nPerArm: 1000, effect: 0.021641446177093324 }, // R: power.prop.test(n = 1000, p1 = 0.02, power = 0.8, tol = 1e-12)$p2 - 0.02
    { baseline: 0.05, nPerArm: 500, effect: 0.046045272309358926 }, // R: power.prop.test(n = 500, p1 = 0.05, power = 0.8, tol = 1e-12)$p2 - 0.05
    { baseline: 0.2, nPerArm: 300, effect: 0.098775678526044741 }, // R: power.prop.test(n = 300, p1 = 0.2, power = 0.8, tol = 1e-12)$p2 - 0.2
    { baseline: 0.3, nPerArm: 100, effect: 0.19265675508328539 }, // R: power.prop.test(n = 100, p1 = 0.3, power = 0.8, tol = 1e-12)$p2 - 0.3
    { baseline: 0.5, nPerArm: 50, effect: 0.26683017895248262 }, // R: power.prop.test(n = 50, p1 = 0.5, power = 0.8, tol = 1e-12)$p2 - 0.5
    // R: power.prop.test(n = 150, p1 = 0.08, sig.level = 0.1, power = 0.9, tol = 1e-12)$p2 - 0.08
    { baseline: 0.08, nPerArm: 150, alpha: 0.1, power: 0.9, effect: 0.11578306753703659 },
  ];

  for (const { effect, ...options } of cases) {
    it(`detects ${effect.toFixed(4)} above ${options.baseline} with ${options.nPerArm} per arm as R does`, () => {
      expectClose(minimumDetectableEffect(options), effect, 1e-8);
    });
  }

  it('throws a RangeError when no rate up to 1 reaches the power', () => {
    // R: power.prop.test(n = 5, p1 = 0.5, power = 0.99) warns "No p2 in [p1, 1] can be found"
    expect(() => minimumDetectableEffect({ baseline: 0.5, nPerArm: 5, power: 0.99 })).toThrow(/more people/);
  });

  it('throws a RangeError for a non-positive sample size', () => {
    expect(() => minimumDetectableEffect({ baseline: 0.1, nPerArm: 0 })).toThrow(/nPerArm/);
  });
});
