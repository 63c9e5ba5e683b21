import { describe, expect, it } from 'vitest';
import { describeNumeric, numericMoments, welchTTest } from './welch.ts';

// Reference values: R 4.2, script run with Rscript, options(digits = 17).
// Each arm's n, sum and sumSquares were printed by R from the same vectors
// (length(x), sum(x), sum(x^2)), so the test input is exactly R's data.

const close = (actual: number | null | undefined, expected: number, digits = 10) => {
  expect(actual).not.toBeNull();
  expect(actual as number).toBeCloseTo(expected, digits);
};

describe('describeNumeric', () => {
  it('gives the mean, sd and t interval of a usefulness rating like R t.test', () => {
    // R: x <- c(4,5,3,4,4,5,2,4,5,3,4,4); c(length(x), sum(x), sum(x^2), mean(x), sd(x)); t.test(x)$conf.int
    const summary = describeNumeric({ arm: 'warm', n: 12, sum: 47, sumSquares: 193 });
    close(summary.mean, 3.9166666666666665);
    close(summary.sd, 0.90033663737851999);
    expect(summary.df).toBe(11);
    close(summary.interval?.[0], 3.3446200588831569);
    close(summary.interval?.[1], 4.4887132744501761);
    expect(summary.unavailable).toBeNull();
  });

  it('honours another confidence level', () => {
    // R: x <- c(42.5,38,51.25,47,44.5,39.75,50); c(sum(x), sum(x^2), mean(x), sd(x)); t.test(x, conf.level = 0.99)$conf.int
    const summary = describeNumeric({ arm: 'a', n: 7, sum: 313, sumSquares: 14146.125 }, 0.99);
    close(summary.mean, 44.714285714285715);
    close(summary.sd, 5.0092176938881288);
    close(summary.interval?.[0], 37.694988788844874, 9);
    close(summary.interval?.[1], 51.733582639726549, 9);
  });

  it('handles the smallest sample that has a standard deviation', () => {
    // R: x <- c(1, 5); sd(x); t.test(x)$conf.int
    const summary = describeNumeric({ arm: 'a', n: 2, sum: 6, sumSquares: 26 });
    close(summary.sd, 2.8284271247461903);
    close(summary.interval?.[0], -22.412409472349388, 9);
    close(summary.interval?.[1], 28.412409472349388, 9);
  });

  it('gives only the mean for one person', () => {
    const summary = describeNumeric({ arm: 'a', n: 1, sum: 4, sumSquares: 16 });
    expect(summary).toEqual({
      arm: 'a', n: 1, mean: 4, sd: null, standardError: null, df: null, interval: null,
      unavailable: 'fewer-than-two-people',
    });
  });

  it('gives nothing for an empty arm', () => {
    const summary = describeNumeric({ arm: 'a', n: 0, sum: 0, sumSquares: 0 });
    expect(summary.mean).toBeNull();
    expect(summary.unavailable).toBe('no-people');
  });

  it('collapses the interval to the mean when every value is the same', () => {
    const summary = describeNumeric({ arm: 'a', n: 4, sum: 20, sumSquares: 100 });
    expect(summary.sd).toBe(0);
    expect(summary.interval).toEqual([5, 5]);
  });

  it('treats rounding noise in a constant sample as no variation', () => {
    // Ten values of 3.1: the floating-point sum of squares is not exactly 10 × 9.61.
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < 10; i++) {
      sum += 3.1;
      sumSquares += 3.1 * 3.1;
    }
    expect(numericMoments({ arm: 'a', n: 10, sum, sumSquares }).variance).toBe(0);
  });

  it('rejects malformed sufficient statistics with a RangeError', () => {
    expect(() => describeNumeric({ arm: 'a', n: -1, sum: 0, sumSquares: 0 })).toThrow(RangeError);
    expect(() => describeNumeric({ arm: 'a', n: 2.5, sum: 0, sumSquares: 0 })).toThrow(RangeError);
    expect(() => describeNumeric({ arm: 'a', n: 3, sum: Number.NaN, sumSquares: 1 })).toThrow(RangeError);
    expect(() => describeNumeric({ arm: 'a', n: 3, sum: 9, sumSquares: 20 })).toThrow(/too small/);
    expect(() => describeNumeric({ arm: 'a', n: 0, sum: 1, sumSquares: 1 })).toThrow(RangeError);
    expect(() => describeNumeric({ arm: 'a', n: 3, sum: 3, sumSquares: 5 }, 1.5)).toThrow(RangeError);
  });
});

describe('welchTTest', () => {
  it('matches R t.test for usefulness ratings in two arms', () => {
    // R: x <- c(4,5,3,4,4,5,2,4,5,3,4,4); y <- c(3,2,4,3,3,2,4,3,1,3); t.test(x, y, var.equal = FALSE)
    const result = welchTTest(
      { arm: 'warm', n: 12, sum: 47, sumSquares: 193 },
      { arm: 'standard', n: 10, sum: 28, sumSquares: 86 },
    );
    close(result.difference, 1.1166666666666667);
    close(result.standardError, 0.38986529660249258);
    close(result.df, 19.138136429240298);
    close(result.t, 2.8642371516468219);
    close(result.pValue, 0.0098786240222555541, 12);
    close(result.interval?.[0], 0.3010676751294461);
    close(result.interval?.[1], 1.9322656582038875);
    expect(result.unavailable).toBeNull();
  });

  it('matches R t.test for working-alliance scores at 95% and 90%', () => {
    // R: x <- c(42.5,38,51.25,47,44.5,39.75,50); y <- c(36,41.5,33,45.25,38.5,40)
    //    t.test(x, y, var.equal = FALSE); t.test(x, y, var.equal = FALSE, conf.level = 0.9)$conf.int
    const arm = { arm: 'same-coach', n: 7, sum: 313, sumSquares: 14146.125 };
    const control = { arm: 'any-coach', n: 6, sum: 234.25, sumSquares: 9237.0625 };
    const result = welchTTest(arm, control);
    close(result.difference, 5.672619047619051, 9);
    close(result.df, 10.998750829664253, 9);
    close(result.t, 2.2020092689067114, 9);
    close(result.pValue, 0.049913296475677056, 10);
    close(result.interval?.[0], 0.0025596491360392643, 9);
    close(result.interval?.[1], 11.342678446102061, 9);
    const ninety = welchTTest(arm, control, 0.9);
    close(ninety.interval?.[0], 1.0461733497908365, 9);
    close(ninety.interval?.[1], 10.299064745447266, 9);
  });

  it('uses the other arm alone for df when one arm has no variation', () => {
    // R: t.test(c(5,5,5,5), c(3,4,2,5,3), var.equal = FALSE)
    const result = welchTTest(
      { arm: 'a', n: 4, sum: 20, sumSquares: 100 },
      { arm: 'b', n: 5, sum: 17, sumSquares: 63 },
    );
    close(result.df, 4);
    close(result.t, 3.1378581622109443);
    close(result.pValue, 0.034919706674539051, 12);
    close(result.interval?.[0], 0.18428522301772779);
    close(result.interval?.[1], 3.0157147769822719);
  });

  it('works with two people per arm, where the df is close to 1', () => {
    // R: t.test(c(1,5), c(2,2.5), var.equal = FALSE)
    const result = welchTTest(
      { arm: 'a', n: 2, sum: 6, sumSquares: 26 },
      { arm: 'b', n: 2, sum: 4.5, sumSquares: 10.25 },
    );
    close(result.df, 1.0312423724676592);
    close(result.t, 0.37210420376762537);
    close(result.pValue, 0.77174247972299392);
    close(result.interval?.[0], -23.097517932172387, 8);
    close(result.interval?.[1], 24.597517932172387, 8);
  });

  it('matches R on a few hundred simulated ratings', () => {
    // R: set.seed(20240601); x <- sample(1:5, 180, replace=TRUE, prob=c(.1,.15,.25,.3,.2))
    //    y <- sample(1:5, 150, replace=TRUE, prob=c(.15,.2,.25,.25,.15)); c(sum(x), sum(x^2), sum(y), sum(y^2))
    //    t.test(x, y, var.equal = FALSE)
    const result = welchTTest(
      { arm: 'a', n: 180, sum: 583, sumSquares: 2187 },
      { arm: 'b', n: 150, sum: 456, sumSquares: 1632 },
    );
    close(result.difference, 0.19888888888888889);
    close(result.df, 318.00431964894693, 8);
    close(result.t, 1.3970459878928834);
    close(result.pValue, 0.1633738131917383);
    close(result.interval?.[0], -0.08120519171970704);
    close(result.interval?.[1], 0.47898296949748481);
  });

  it('returns only the difference when an arm has one person', () => {
    const result = welchTTest(
      { arm: 'a', n: 1, sum: 4, sumSquares: 16 },
      { arm: 'b', n: 5, sum: 17, sumSquares: 63 },
    );
    expect(result.difference).toBeCloseTo(0.6, 12);
    expect(result.pValue).toBeNull();
    expect(result.interval).toBeNull();
    expect(result.unavailable).toBe('fewer-than-two-people');
  });

  it('returns no difference when an arm is empty', () => {
    const result = welchTTest(
      { arm: 'a', n: 0, sum: 0, sumSquares: 0 },
      { arm: 'b', n: 5, sum: 17, sumSquares: 63 },
    );
    expect(result.difference).toBeNull();
    expect(result.unavailable).toBe('no-people');
  });

  it('returns no test when neither arm varies', () => {
    const result = welchTTest(
      { arm: 'a', n: 3, sum: 12, sumSquares: 48 },
      { arm: 'b', n: 4, sum: 12, sumSquares: 36 },
    );
    expect(result.difference).toBe(1);
    expect(result.t).toBeNull();
    expect(result.unavailable).toBe('no-variation');
  });
});
