import { describe, expect, it } from 'vitest';
import { expectClose } from '../expect-close.ts';
import { exactSampleSizePerArm } from '../two-proportion-power.ts';
import { groupSequentialBoundaries } from './group-sequential-boundaries.ts';
import {
  groupSequentialInflation,
  groupSequentialPower,
  groupSequentialSampleSize,
  lookFractions,
} from './group-sequential-sample-size.ts';

describe('groupSequentialInflation', () => {
  // R: design <- getDesignGroupSequential(typeOfDesign = ..., kMax = K, alpha = 0.05, beta = 0.2, sided = 2)
  //    getDesignCharacteristics(design)$inflationFactor
  const cases: Array<[number, 'obf' | 'pocock', number]> = [
    [4, 'obf', 1.01963733045673],
    [4, 'pocock', 1.19631005080838],
    [20, 'obf', 1.04629528480708],
    [20, 'pocock', 1.26646796668304],
  ];
  for (const [looks, spending, expected] of cases) {
    it(`matches rpact’s inflation factor for ${looks} equal looks with ${spending} spending`, () => {
      expectClose(groupSequentialInflation({ looks, spending }).inflation, expected, 1e-6);
    });
  }

  it('matches rpact for unequal looks and for α = 0.01 with 90% power', () => {
    // R: getDesignCharacteristics(getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.13, 0.4, 0.55, 1), alpha = 0.05, beta = 0.2, sided = 2))$inflationFactor
    expectClose(groupSequentialInflation({ looks: [0.13, 0.4, 0.55, 1] }).inflation, 1.00608925294865, 1e-6);
    // R: getDesignCharacteristics(getDesignGroupSequential(typeOfDesign = "asP", kMax = 6, alpha = 0.01, beta = 0.1, sided = 2))$inflationFactor
    expectClose(groupSequentialInflation({ looks: 6, spending: 'pocock', alpha: 0.01, power: 0.9 }).inflation, 1.18214210188331, 1e-6);
  });

  it('finds a drift at which the design has exactly the power asked for', () => {
    const { drift, looks } = groupSequentialInflation({ looks: 5, power: 0.9 });
    expectClose(groupSequentialPower(looks, drift), 0.9, 1e-9);
    expect(groupSequentialPower(looks, 0)).toBeLessThan(0.026);
  });

  it('is 1 for a single look', () => {
    expectClose(groupSequentialInflation({ looks: 1 }).inflation, 1, 1e-9);
  });

  it('gives the remembered answer unchanged when a caller has altered its own copy', () => {
    const first = groupSequentialInflation({ looks: 7, spending: 'pocock' });
    const original = first.looks.map((look) => ({ ...look }));
    first.looks[0].zBoundary = 0;
    const again = groupSequentialInflation({ looks: 7, spending: 'pocock' });
    expect(again.looks).toEqual(original);
    expect(again.inflation).toBe(first.inflation);
    expect(groupSequentialInflation({ looks: 7 }).inflation).not.toBe(first.inflation);
  });
});

describe('groupSequentialSampleSize', () => {
  it('matches rpact’s maximum sample size for 10% → 16% with twenty weekly looks', () => {
    const size = groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 20 });
    // R: ceiling(getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asOF", kMax = 20, alpha = 0.05, beta = 0.2, sided = 2),
    //            pi1 = 0.16, pi2 = 0.10)$maxNumberOfSubjects / 2)   # 514.767541711395 -> 515
    expect(size.perArm).toBe(515);
    // R: ceiling(power.prop.test(p1 = 0.10, p2 = 0.16, power = 0.8)$n) = 492
    expect(size.fixedPerArm).toBe(492);
    expectClose(exactSampleSizePerArm({ baseline: 0.1, target: 0.16 }) * size.inflation, 514.767541711395, 1e-6);
    expect(size.looks).toHaveLength(20);
    expect(size.looks[19].informationFraction).toBe(1);
  });

  it('matches rpact for Pocock spending, four looks, and unequal looks', () => {
    // R: getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asP", kMax = 20, alpha = 0.05, beta = 0.2, sided = 2), pi1 = 0.16, pi2 = 0.10)$maxNumberOfSubjects / 2  # 623.090451932856
    expect(groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 20, spending: 'pocock' }).perArm).toBe(624);
    // R: ... typeOfDesign = "asOF", kMax = 4 ... # 501.652076290453
    expect(groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 4 }).perArm).toBe(502);
    // R: getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.13, 0.4, 0.55, 1), alpha = 0.05, beta = 0.2, sided = 2), pi1 = 0.15, pi2 = 0.10)$maxNumberOfSubjects / 2  # 689.771631016506
    const unequal = groupSequentialSampleSize({ baseline: 0.1, target: 0.15, looks: [0.13, 0.4, 0.55, 1] });
    expect(unequal.perArm).toBe(690);
    expect(unequal.fixedPerArm).toBe(686);
    // R: getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asP", kMax = 6, alpha = 0.01, beta = 0.1, sided = 2), pi1 = 0.12, pi2 = 0.08)$maxNumberOfSubjects / 2  # 1975.90028496186
    expect(groupSequentialSampleSize({ baseline: 0.08, target: 0.12, looks: 6, spending: 'pocock', alpha: 0.01, power: 0.9 }).perArm).toBe(1976);
  });

  it('plans the same for a fall as for a rise of the same size around the same rates', () => {
    const rise = groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 8 });
    const fall = groupSequentialSampleSize({ baseline: 0.16, target: 0.1, looks: 8 });
    expect(fall.perArm).toBe(rise.perArm);
  });

  it('throws a RangeError for a bad look schedule', () => {
    expect(() => lookFractions(0)).toThrow(/whole number/);
    expect(() => lookFractions([0.5, 0.9])).toThrow(/last planned look/);
    expect(() => groupSequentialSampleSize({ baseline: 0.1, target: 0.1, looks: 4 })).toThrow(/differ/);
  });

  it('keeps the boundaries of the design it sized', () => {
    const size = groupSequentialSampleSize({ baseline: 0.1, target: 0.16, looks: 4, spending: 'pocock' });
    expect(size.looks).toEqual(groupSequentialBoundaries([0.25, 0.5, 0.75, 1], { spending: 'pocock' }));
  });
});
