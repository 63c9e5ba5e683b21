import { describe, expect, it } from 'vitest';
import {
  criticalValue,
  normalTwoSided,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
} from './distributions.ts';

/** Relative closeness: |a − b| ≤ tol · max(|b|, tiny). */
function expectClose(actual: number, expected: number, relativeTolerance = 1e-10): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected) / scale).toBeLessThanOrEqual(relativeTolerance);
}

describe('regularized incomplete beta', () => {
  it('matches R pbeta across shapes and both tails of x', () => {
    // R: options(digits=17); pbeta(0.3, 2, 5); pbeta(0.9, 0.5, 0.5); pbeta(0.01, 30, 2)
    expectClose(regularizedIncompleteBeta(0.3, 2, 5), 0.57982500000000015);
    expectClose(regularizedIncompleteBeta(0.9, 0.5, 0.5), 0.79516723530086664);
    expectClose(regularizedIncompleteBeta(0.01, 30, 2), 3.0700000000000305e-59, 1e-9);
    // R: pbeta(0.999, 2, 200) prints 1
    expectClose(regularizedIncompleteBeta(0.999, 2, 200), 1);
  });

  it('returns the exact ends of the unit interval', () => {
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it('rejects shape parameters that are not positive', () => {
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError);
  });
});

describe('normal two-sided p-value', () => {
  it('gives the two-sided normal p-value of R', () => {
    // R: options(digits=17); 2 * pnorm(-1.96)
    expectClose(normalTwoSided(1.96), 0.049995790296440856);
    expectClose(normalTwoSided(-1.96), 0.049995790296440856);
    expect(normalTwoSided(0)).toBe(1);
  });
});

describe('Student t distribution', () => {
  it('matches R pt for integer and fractional degrees of freedom', () => {
    // R: options(digits=17); pt(0.5, 1); pt(-3, 1); pt(2.1, 7.3); pt(-40, 3)
    expectClose(studentTCdf(0.5, 1), 0.64758361765043326);
    expectClose(studentTCdf(-3, 1), 0.10241638234956672);
    expectClose(studentTCdf(2.1, 7.3), 0.96387664328757339);
    expectClose(studentTCdf(-40, 3), 1.719034039457927e-5);
    // R: pt(1.3, 1000); pt(6, 2.5); pt(-1e-8, 5); pt(12, 30)
    expectClose(studentTCdf(1.3, 1000), 0.90304973579227132);
    expectClose(studentTCdf(6, 2.5), 0.9923591350572385);
    expectClose(studentTCdf(-1e-8, 5), 0.49999999620393309);
    expectClose(studentTCdf(12, 30), 0.999999999999721);
  });

  it('keeps tiny two-sided p-values precise', () => {
    // R: options(digits=17); 2 * pt(-8, 4); 2 * pt(-25, 60); 2 * pt(0, 3)
    expectClose(studentTTwoSided(8, 4), 0.0013238969092171677);
    expectClose(studentTTwoSided(-25, 60), 2.0142373057952435e-33, 1e-8);
    expect(studentTTwoSided(0, 3)).toBe(1);
  });

  it('matches R qt including one degree of freedom and extreme tails', () => {
    // R: options(digits=17); qt(0.975, 1); qt(0.975, 2); qt(0.975, 9); qt(0.025, 9.7)
    expectClose(studentTQuantile(0.975, 1), 12.706204736174694, 1e-11);
    expectClose(studentTQuantile(0.975, 2), 4.3026527297494619, 1e-11);
    expectClose(studentTQuantile(0.975, 9), 2.2621571627982049, 1e-11);
    expectClose(studentTQuantile(0.025, 9.7), -2.237515123700105, 1e-11);
    // R: qt(0.995, 3.3); qt(0.9995, 1); qt(0.95, 150); qt(1e-10, 4); qt(0.6, 12)
    expectClose(studentTQuantile(0.995, 3.3), 5.3443060697210774, 1e-11);
    expectClose(studentTQuantile(0.9995, 1), 636.6192487687897, 1e-10);
    expectClose(studentTQuantile(0.95, 150), 1.6550755001871724, 1e-11);
    expectClose(studentTQuantile(1e-10, 4), -416.17514032960423, 1e-10);
    expectClose(studentTQuantile(0.6, 12), 0.259032745676887, 1e-11);
  });

  it('falls back to the normal when degrees of freedom are infinite', () => {
    // R: options(digits=17); qnorm(0.975)
    expectClose(studentTQuantile(0.975, Infinity), 1.959963984540053605, 1e-12);
    expect(studentTCdf(0, Infinity)).toBe(0.5);
  });

  it('rejects non-positive degrees of freedom', () => {
    expect(() => studentTCdf(1, 0)).toThrow(RangeError);
    expect(() => studentTQuantile(0.5, -2)).toThrow(RangeError);
    expect(() => studentTQuantile(1.2, 3)).toThrow(RangeError);
  });
});

describe('critical values', () => {
  it('gives the z and t multipliers for a two-sided interval', () => {
    // R: options(digits=17); qnorm(0.975); qt(0.975, 10); qnorm(0.95)
    expectClose(criticalValue(0.95), 1.959963984540053605, 1e-12);
    expectClose(criticalValue(0.95, 10), 2.228138851986273927, 1e-12);
    expectClose(criticalValue(0.9), 1.6448536269514715, 1e-12);
  });

  it('rejects confidence levels outside (0, 1)', () => {
    expect(() => criticalValue(0)).toThrow(RangeError);
    expect(() => criticalValue(1)).toThrow(RangeError);
    expect(() => criticalValue(95)).toThrow(RangeError);
  });
});
