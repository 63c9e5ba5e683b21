import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import { differenceScoreStatistic, scoreDifferenceInterval, scoreDifferenceTest } from './score-difference-interval.ts';

const arm = (successes: number, n: number, name = 'text') => ({ arm: name, n, successes });

// Reference values from this R code. The restricted MLE is found by uniroot on
// the likelihood equation, not from the closed-form cubic the TypeScript uses,
// so the two are independent. (statsmodels' score interval for a difference is
// not used as a reference: its cubic has a wrong coefficient, statsmodels issue #10269.)
//
// rmle <- function(x1, n1, x2, n2, d) {
//   lo <- max(0, -d); hi <- min(1, 1 - d); t <- function(x, p) if (x == 0) 0 else x / p
//   g <- function(p) t(x1, p + d) - t(n1 - x1, (1 - d) - p) + t(x2, p) - t(n2 - x2, 1 - p)
//   if (lo == hi || g(lo) <= 0) return(lo); if (g(hi) >= 0) return(hi)
//   uniroot(g, c(lo + 1e-13, hi - 1e-13), tol = 1e-15, maxiter = 1e4)$root
// }
// mnz <- function(x1, n1, x2, n2, d, cc = 0.5 / min(n1, n2)) {
//   s <- x1 / n1 - x2 / n2 - d; s <- sign(s) * max(0, abs(s) - cc); if (s == 0) return(0)
//   p2 <- rmle(x1, n1, x2, n2, d); p1 <- p2 + d; N <- n1 + n2
//   s / sqrt((p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * N / (N - 1))
// }
// mnci <- function(x1, n1, x2, n2, conf = 0.95) {
//   z <- qnorm((1 + conf) / 2); est <- x1 / n1 - x2 / n2; f <- function(d) mnz(x1, n1, x2, n2, d)
//   c(if (f(-1) <= z) -1 else uniroot(function(d) f(d) - z, c(-1, est), tol = 1e-15)$root,
//     if (f(1) >= -z) 1 else uniroot(function(d) f(d) + z, c(est, 1), tol = 1e-15)$root)
// }
// p-values: 2 * pnorm(-abs(mnz(...)))

describe('scoreDifferenceTest', () => {
  it('matches the R score statistic and p-value at no difference', () => {
    const small = scoreDifferenceTest(arm(4, 10), arm(0, 10, 'letter'));
    expectClose(small.statistic, 1.9070182877990447); // R: mnz(4, 10, 0, 10, 0)
    expectClose(small.pValue, 0.056518219361909858);
    expectClose(scoreDifferenceTest(arm(0, 30), arm(4, 30)).pValue, 0.072452622616006823); // R: 2 * pnorm(-abs(mnz(0, 30, 4, 30, 0)))
    expectClose(scoreDifferenceTest(arm(21, 118), arm(12, 120)).pValue, 0.10056180488914221); // R: 2 * pnorm(-abs(mnz(21, 118, 12, 120, 0)))
    expectClose(scoreDifferenceTest(arm(30, 200), arm(18, 210)).pValue, 0.052055808772803122); // R: 2 * pnorm(-abs(mnz(30, 200, 18, 210, 0)))
  });

  it('matches R at a non-zero null difference', () => {
    expectClose(scoreDifferenceTest(arm(30, 200), arm(18, 210), 0.1).statistic, -1.0243511020843141); // R: mnz(30, 200, 18, 210, 0.1)
    expectClose(scoreDifferenceTest(arm(30, 200), arm(18, 210), -0.02).pValue, 0.010809461369869464); // R: 2 * pnorm(-abs(mnz(30, 200, 18, 210, -0.02)))
    expectClose(scoreDifferenceTest(arm(5, 2000), arm(11, 2000), 0.001).statistic, -1.8259045744033995, 1e-8); // R: mnz(5, 2000, 11, 2000, 0.001)
  });

  it('without the continuity correction is the statsmodels score test', () => {
    // python: score_test_proportions_2indep(21, 118, 12, 120, compare='diff').statistic (issue #10269 does not affect value 0)
    expectClose(differenceScoreStatistic(21, 118, 12, 120, 0, 0), 1.7365117218943837);
    // python: score_test_proportions_2indep(4, 10, 0, 10, compare='diff').statistic
    expectClose(differenceScoreStatistic(4, 10, 0, 10, 0, 0), 2.1794494717703365);
  });

  it('gives p = 1 when nobody, or everybody, reached the stage in both arms', () => {
    expect(scoreDifferenceTest(arm(0, 30), arm(0, 30))).toEqual({ statistic: 0, pValue: 1 });
    expect(scoreDifferenceTest(arm(9, 9), arm(11, 11))).toEqual({ statistic: 0, pValue: 1 });
  });

  it('throws a RangeError for an empty arm or a null difference outside (−1, 1)', () => {
    expect(() => scoreDifferenceTest(arm(0, 0), arm(3, 20))).toThrow(/arm "text" has no people/);
    expect(() => scoreDifferenceTest(arm(1, 10), arm(3, 20), 1)).toThrow(/nullDifference/);
  });
});

describe('scoreDifferenceInterval', () => {
  it('matches the R inversion of the score test', () => {
    const result = scoreDifferenceInterval(arm(4, 10), arm(0, 10, 'letter'));
    expectClose(result.difference, 0.4);
    expectIntervalClose(result.interval, [-0.012882244363696149, 0.7317371454696]); // R: mnci(4, 10, 0, 10)
    expectIntervalClose(scoreDifferenceInterval(arm(0, 30), arm(4, 30)).interval, [-0.31806015034880297, 0.017499397408463461]); // R: mnci(0, 30, 4, 30)
    expectIntervalClose(scoreDifferenceInterval(arm(21, 118), arm(12, 120)).interval, [-0.014756143670724697, 0.17338212056944172]); // R: mnci(21, 118, 12, 120)
    expectIntervalClose(scoreDifferenceInterval(arm(30, 200), arm(18, 210)).interval, [-0.00056235207435407141, 0.1317561895088393], 1e-7); // R: mnci(30, 200, 18, 210)
    expectIntervalClose(scoreDifferenceInterval(arm(5, 2000), arm(11, 2000)).interval, [-0.0079095348190719866, 0.0013187719698899575], 1e-8); // R: mnci(5, 2000, 11, 2000)
    expectIntervalClose(scoreDifferenceInterval(arm(1, 8), arm(6, 8)).interval, [-0.90361512302727864, -0.062028952141729959]); // R: mnci(1, 8, 6, 8)
  });

  it('works at any confidence level, including look-adjusted ones such as 0.9995', () => {
    expectIntervalClose(scoreDifferenceInterval(arm(30, 200), arm(18, 210), 0.9).interval, [0.0096229230005510941, 0.12088206632182537]); // R: mnci(30, 200, 18, 210, 0.9)
    expectIntervalClose(scoreDifferenceInterval(arm(30, 200), arm(18, 210), 0.9995).interval, [-0.052182544600469609, 0.1869579120997748]); // R: mnci(30, 200, 18, 210, 0.9995)
  });

  it('stays inside [−1, 1] and is never of zero width at 0% and 100%', () => {
    expectIntervalClose(scoreDifferenceInterval(arm(0, 20), arm(3, 20)).interval, [-0.39164884544224959, 0.066742552100976835]); // R: mnci(0, 20, 3, 20)
    expectIntervalClose(scoreDifferenceInterval(arm(20, 20), arm(15, 20)).interval, [0.025706470382273409, 0.49691800476165554]); // R: mnci(20, 20, 15, 20)
    expectIntervalClose(scoreDifferenceInterval(arm(0, 30), arm(0, 30)).interval, [-0.14298967038967475, 0.14298967038967478]); // R: mnci(0, 30, 0, 30)
    expectIntervalClose(scoreDifferenceInterval(arm(9, 9), arm(11, 11)).interval, [-0.38108606547582213, 0.34346849632387977]); // R: mnci(9, 9, 11, 11)
    expectIntervalClose(scoreDifferenceInterval(arm(10, 10), arm(0, 10)).interval, [0.58547619936303641, 1]); // R: mnci(10, 10, 0, 10)
    expectIntervalClose(scoreDifferenceInterval(arm(0, 10), arm(10, 10)).interval, [-1, -0.58547619936303641]); // R: mnci(0, 10, 10, 10)
    expectIntervalClose(scoreDifferenceInterval(arm(1, 1), arm(0, 1)).interval, [-0.76418082400098097, 1]); // R: mnci(1, 1, 0, 1)
  });

  it('excludes the null difference exactly when the score test rejects it, for every table up to 12 per arm', () => {
    for (const confidence of [0.8, 0.95, 0.9995]) {
      for (const nullDifference of [0, 0.15, -0.3]) {
        for (let n1 = 1; n1 <= 12; n1 += 1) {
          for (let n2 = 1; n2 <= 12; n2 += 3) {
            for (let x1 = 0; x1 <= n1; x1++) {
              for (let x2 = 0; x2 <= n2; x2++) {
                const [lower, upper] = scoreDifferenceInterval(arm(x1, n1), arm(x2, n2), confidence).interval;
                const { pValue } = scoreDifferenceTest(arm(x1, n1), arm(x2, n2), nullDifference);
                const excludes = nullDifference < lower || nullDifference > upper;
                // Only a p-value within rounding of α itself could honestly go either way.
                if (Math.abs(pValue - (1 - confidence)) > 1e-9) expect(excludes).toBe(pValue < 1 - confidence);
              }
            }
          }
        }
      }
    }
  });

  it('throws a RangeError for an empty arm, impossible counts or a bad confidence level', () => {
    expect(() => scoreDifferenceInterval(arm(1, 10), arm(0, 0, 'letter'))).toThrow(/control arm "letter"/);
    expect(() => scoreDifferenceInterval(arm(11, 10), arm(1, 10))).toThrow(RangeError);
    expect(() => scoreDifferenceInterval(arm(1, 10), arm(1, 10), 1)).toThrow(/confidence/);
  });
});
