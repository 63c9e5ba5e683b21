import { describe, expect, it } from 'vitest';
import { expectClose } from '../expect-close.ts';
import { informationFractionFromCounts } from './information-fraction.ts';

describe('informationFractionFromCounts', () => {
  it('is people so far over people planned when the arms are equal', () => {
    expectClose(informationFractionFromCounts({ armN: 100, controlN: 100, plannedArmN: 400, plannedControlN: 400 }), 0.25, 1e-12);
  });

  it('weighs unequal arms by the harmonic form of the variance', () => {
    // (1/515 + 1/515) / (1/120 + 1/130)
    expectClose(informationFractionFromCounts({ armN: 120, controlN: 130, plannedArmN: 515, plannedControlN: 515 }), 0.24233009708737865, 1e-12);
  });

  it('goes past 1 when a trial overruns its plan', () => {
    expect(informationFractionFromCounts({ armN: 600, controlN: 600, plannedArmN: 515, plannedControlN: 515 })).toBeGreaterThan(1);
  });

  it('throws a RangeError for an empty arm or a fractional count', () => {
    expect(() => informationFractionFromCounts({ armN: 0, controlN: 10, plannedArmN: 100, plannedControlN: 100 })).toThrow(/armN/);
    expect(() => informationFractionFromCounts({ armN: 10, controlN: 10.5, plannedArmN: 100, plannedControlN: 100 })).toThrow(/controlN/);
  });
});
