import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { fisherExactTest } from './fisher-exact-test.ts';
import { fisherFreemanHaltonTest } from './fisher-freeman-halton-test.ts';

const arms = (successes: number[], sizes: number[]) =>
  successes.map((count, index) => ({ arm: `arm${index}`, n: sizes[index], successes: count }));

// R: f <- function(s, n) fisher.test(matrix(c(s, n - s), ncol = 2))$p.value
describe('fisherFreemanHaltonTest', () => {
  it('matches R fisher.test on r × 2 tables', () => {
    expectClose(fisherFreemanHaltonTest(arms([0, 4, 3], [30, 30, 30]))!.pValue, 0.1542571847372192495); // R: f(c(0, 4, 3), c(30, 30, 30))
    expectClose(fisherFreemanHaltonTest(arms([1, 0, 3, 2], [5, 5, 5, 5]))!.pValue, 0.3808049535603649227); // R: f(c(1, 0, 3, 2), c(5, 5, 5, 5))
    expectClose(fisherFreemanHaltonTest(arms([12, 21, 27], [120, 118, 122]))!.pValue, 0.032377335441472109); // R: f(c(12, 21, 27), c(120, 118, 122))
    expectClose(fisherFreemanHaltonTest(arms([2, 5, 1, 0, 6], [20, 25, 15, 10, 30]))!.pValue, 0.4832704151548131710); // R: f(c(2, 5, 1, 0, 6), c(20, 25, 15, 10, 30))
    expectClose(fisherFreemanHaltonTest(arms([1, 2, 3, 40], [3, 4, 5, 400]))!.pValue, 0.0014531867950576672, 1e-9); // R: f(c(1, 2, 3, 40), c(3, 4, 5, 400))
    // R: fisher.test(matrix(c(2, 100, 110, 95, 3, 100, 90, 105), ncol = 2), workspace = 2e8)$p.value
    expectClose(fisherFreemanHaltonTest(arms([2, 100, 110, 95], [5, 200, 200, 200]))!.pValue, 0.44446547633738376, 1e-9);
  });

  it('is Fisher’s exact test on two arms', () => {
    expectClose(fisherFreemanHaltonTest(arms([0, 4], [30, 30]))!.pValue, fisherExactTest(0, 30, 4, 26).pValue, 1e-12);
    expectClose(fisherFreemanHaltonTest(arms([3, 9], [12, 12]))!.pValue, 0.0391257013278818386); // R: f(c(3, 9), c(12, 12))
  });

  it('counts tables exactly as likely as the observed one (R’s tolerance)', () => {
    expectClose(fisherFreemanHaltonTest(arms([5, 5, 5], [10, 10, 10]))!.pValue, 1, 1e-12); // R: f(c(5, 5, 5), c(10, 10, 10)) = 1
    expectClose(fisherFreemanHaltonTest(arms([7, 7], [20, 20]))!.pValue, 1, 1e-12); // R: f(c(7, 7), c(20, 20)) = 1
  });

  it('gives p = 1 when nobody or everybody reached the stage, and leaves out empty arms', () => {
    expect(fisherFreemanHaltonTest(arms([0, 0, 0], [10, 12, 9]))).toEqual({ pValue: 1 });
    expect(fisherFreemanHaltonTest(arms([10, 12, 9], [10, 12, 9]))).toEqual({ pValue: 1 });
    expectClose(fisherFreemanHaltonTest(arms([0, 4, 3, 0], [30, 30, 30, 0]))!.pValue, 0.1542571847372192495);
  });

  it('throws a RangeError for impossible counts', () => {
    expect(() => fisherFreemanHaltonTest(arms([11, 3], [10, 10]))).toThrow(RangeError);
  });
});
