import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { normalCdf, normalQuantile, normalSurvival } from './normal-distribution.ts';

describe('normalCdf', () => {
  it('matches R pnorm in the centre and far into both tails', () => {
    expectClose(normalCdf(-1.96), 0.024997895148220428, 1e-12); // R: pnorm(-1.96)
    expectClose(normalCdf(-10), 7.6198530241605269e-24, 1e-12); // R: pnorm(-10)
    expectClose(normalCdf(-37), 5.7255712225245771e-300, 1e-12); // R: pnorm(-37)
    expectClose(normalCdf(0.3), 0.61791142218895267, 1e-12); // R: pnorm(0.3)
    expectClose(normalCdf(8), 0.99999999999999933, 1e-14); // R: pnorm(8)
  });

  it('gives the upper tail without cancellation', () => {
    expectClose(normalSurvival(10), 7.6198530241605269e-24, 1e-12); // R: pnorm(10, lower.tail = FALSE)
  });

  it('returns exact limits at infinity and rejects NaN', () => {
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(() => normalCdf(Number.NaN)).toThrow(RangeError);
  });
});

describe('normalQuantile', () => {
  it('matches R qnorm to about 1e-15', () => {
    expectClose(normalQuantile(0.975), 1.9599639845400536, 1e-14); // R: qnorm(0.975)
    expectClose(normalQuantile(0.995), 2.5758293035488999, 1e-14); // R: qnorm(0.995)
    expectClose(normalQuantile(0.8), 0.84162123357291441, 1e-14); // R: qnorm(0.8)
    expectClose(normalQuantile(1e-10), -6.3613409024040557, 1e-14); // R: qnorm(1e-10)
    expectClose(normalQuantile(1e-300), -37.047096299361201, 1e-14); // R: qnorm(1e-300)
    expectClose(normalQuantile(0.5 - 1e-12), -2.5065728237018611e-12, 1e-9); // R: qnorm(0.5 - 1e-12)
  });

  it('gives exact values at 0, ½ and 1 and rejects probabilities outside [0, 1]', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.2)).toThrow(RangeError);
    expect(() => normalQuantile(-0.1)).toThrow(RangeError);
  });
});
