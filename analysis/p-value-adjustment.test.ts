import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { benjaminiHochbergAdjust, holmAdjust } from './p-value-adjustment.ts';

function expectAllClose(actual: readonly (number | null)[], expected: readonly (number | null)[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, index) => {
    if (value === null) expect(actual[index]).toBeNull();
    else expectClose(actual[index], value, 1e-12);
  });
}

describe('holmAdjust', () => {
  it('matches R p.adjust(method = "holm") and keeps input order', () => {
    expectAllClose(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]); // R: p.adjust(c(0.01, 0.04, 0.03), 'holm')
    // R: p.adjust(c(0.001, 0.2, 0.04, 0.04, 0.5, 0.011), 'holm')
    expectAllClose(holmAdjust([0.001, 0.2, 0.04, 0.04, 0.5, 0.011]), [0.006, 0.4, 0.16, 0.16, 0.5, 0.055]);
    expectAllClose(holmAdjust([0.5, 0.5, 0.5]), [1, 1, 1]); // R: p.adjust(c(0.5, 0.5, 0.5), 'holm')
    expectAllClose(holmAdjust([0, 1]), [0, 1]); // R: p.adjust(c(0, 1), 'holm')
  });

  it('leaves a single p-value and an empty list unchanged', () => {
    expect(holmAdjust([0.7])).toEqual([0.7]); // R: p.adjust(0.7, 'holm')
    expect(holmAdjust([])).toEqual([]);
  });

  it('leaves missing values out of the family and returns them in place, as R does with NA', () => {
    // R: p.adjust(c(0.02, NA, 0.03, 0.9), 'holm') → 0.06, NA, 0.06, 0.9
    expectAllClose(holmAdjust([0.02, null, 0.03, 0.9]), [0.06, null, 0.06, 0.9]);
    const withNaN = holmAdjust([0.02, Number.NaN, 0.03, 0.9]);
    expect(withNaN[1]).toBeNaN();
    expectClose(withNaN[0], 0.06, 1e-12);
  });

  it('throws a RangeError for a value outside [0, 1]', () => {
    expect(() => holmAdjust([0.2, 1.3])).toThrow(/position 1/);
    expect(() => holmAdjust([-0.1])).toThrow(RangeError);
  });
});

describe('benjaminiHochbergAdjust', () => {
  it('matches R p.adjust(method = "BH") and keeps input order', () => {
    expectAllClose(benjaminiHochbergAdjust([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04]); // R: p.adjust(c(0.01, 0.04, 0.03), 'BH')
    // R: p.adjust(c(0.001, 0.2, 0.04, 0.04, 0.5, 0.011), 'BH')
    expectAllClose(benjaminiHochbergAdjust([0.001, 0.2, 0.04, 0.04, 0.5, 0.011]), [0.006, 0.24, 0.06, 0.06, 0.5, 0.033]);
    expectAllClose(benjaminiHochbergAdjust([0.5, 0.5, 0.5]), [0.5, 0.5, 0.5]); // R: p.adjust(c(0.5, 0.5, 0.5), 'BH')
  });

  it('leaves missing values out of the family and returns them in place, as R does with NA', () => {
    // R: p.adjust(c(0.02, NA, 0.03, 0.9), 'BH') → 0.045, NA, 0.045, 0.9
    expectAllClose(benjaminiHochbergAdjust([0.02, null, 0.03, 0.9]), [0.045, null, 0.045, 0.9]);
  });

  it('throws a RangeError for a value outside [0, 1]', () => {
    expect(() => benjaminiHochbergAdjust([Infinity])).toThrow(RangeError);
  });
});
