import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import { ratioScoreLimits, relativeUpliftScoreInterval, riskRatioScoreInterval } from './risk-ratio-score-interval.ts';
import { scoreDifferenceInterval } from './score-difference-interval.ts';

const arm = (successes: number, n: number, name = 'text') => ({ arm: name, n, successes });

// Reference values from this R code (restricted MLE by uniroot on the
// likelihood equation, independent of the quadratic the TypeScript solves):
//
// rrmle <- function(x1, n1, x2, n2, r) {
//   hi <- min(1, 1 / r); t <- function(x, p) if (x == 0) 0 else x / p
//   g <- function(p) t(x1 + x2, p) - r * t(n1 - x1, 1 - r * p) - t(n2 - x2, 1 - p)
//   if (g(hi) >= 0) return(hi)
//   uniroot(g, c(1e-300, hi * (1 - 1e-15)), tol = 1e-300, maxiter = 1e4)$root
// }
// rrz <- function(x1, n1, x2, n2, r, corrected = TRUE) {
//   s <- x1 / n1 - r * x2 / n2; s <- sign(s) * max(0, abs(s) - corrected * 0.5 * max(1 / n1, r / n2)); if (s == 0) return(0)
//   p2 <- rrmle(x1, n1, x2, n2, r); p1 <- r * p2; N <- n1 + n2
//   s / sqrt((p1 * (1 - p1) / n1 + r^2 * p2 * (1 - p2) / n2) * N / (N - 1))
// }
// rrci <- function(x1, n1, x2, n2, conf = 0.95) {
//   z <- qnorm((1 + conf) / 2); f <- function(l) rrz(x1, n1, x2, n2, exp(l))
//   c(if (x1 == 0) 0 else exp(uniroot(function(l) f(l) - z, c(-30, 30), tol = 1e-14)$root),
//     if (x2 == 0) Inf else exp(uniroot(function(l) f(l) + z, c(-30, 30), tol = 1e-14)$root))
// }

describe('riskRatioScoreInterval', () => {
  it('matches the R inversion of the continuity-corrected score test', () => {
    const result = riskRatioScoreInterval(arm(15, 50), arm(8, 50, 'letter'));
    expectClose(result.riskRatio, 1.875);
    expectIntervalClose(result.interval, [0.85593277538892254, 4.3970515021048087]); // R: rrci(15, 50, 8, 50)
    expectIntervalClose(riskRatioScoreInterval(arm(21, 118), arm(12, 120)).interval, [0.90217747690644956, 3.630742186023598]); // R: rrci(21, 118, 12, 120)
    expectIntervalClose(riskRatioScoreInterval(arm(30, 200), arm(18, 210)).interval, [0.99531182932049733, 3.1363134391806526]); // R: rrci(30, 200, 18, 210)
    expectIntervalClose(riskRatioScoreInterval(arm(5, 2000), arm(11, 2000)).interval, [0.1414199474910941, 1.3382121909758213]); // R: rrci(5, 2000, 11, 2000)
  });

  it('works at any confidence level', () => {
    expectIntervalClose(riskRatioScoreInterval(arm(30, 200), arm(18, 210), 0.9).interval, [1.0840859146302153, 2.8725665175616948]); // R: rrci(30, 200, 18, 210, 0.9)
    expectIntervalClose(riskRatioScoreInterval(arm(30, 200), arm(18, 210), 0.9995).interval, [0.66771005477908207, 4.7192846721196231]); // R: rrci(30, 200, 18, 210, 0.9995)
  });

  it('without the correction is the statsmodels Miettinen–Nurminen interval', () => {
    const z = 1.959963984540054; // R: qnorm(0.975)
    // python: confint_proportions_2indep(15, 50, 8, 50, compare='ratio', method='score', correction=True)
    expectIntervalClose(ratioScoreLimits(15, 50, 8, 50, z, false), [0.8958238343604648, 4.019857105511019], 1e-9);
    // python: confint_proportions_2indep(4, 14, 0, 15, compare='ratio', method='score', correction=True)
    const [lower, upper] = ratioScoreLimits(4, 14, 0, 15, z, false);
    expectClose(lower, 1.232436906359169, 1e-9);
    expect(upper).toBe(Infinity);
  });

  it('is never of zero width when both arms are at 100%, and handles zero successes', () => {
    expectIntervalClose(riskRatioScoreInterval(arm(9, 9), arm(11, 11)).interval, [0.61891393452417776, 1.494095917192924]); // R: rrci(9, 9, 11, 11)
    expectIntervalClose(riskRatioScoreInterval(arm(20, 20), arm(15, 20)).interval, [1.0314317368067705, 1.9877475430744271]); // R: rrci(20, 20, 15, 20)
    expectIntervalClose(riskRatioScoreInterval(arm(1, 1), arm(1, 3)).interval, [0.089017890858370127, 72.1117819475879], 1e-8); // R: rrci(1, 1, 1, 3)
    const none = riskRatioScoreInterval(arm(0, 20), arm(3, 20));
    expect(none.riskRatio).toBe(0);
    expect(none.interval[0]).toBe(0);
    expectClose(none.interval[1], 1.716608979152594); // R: rrci(0, 20, 3, 20)[2]
  });

  it('gives an honest one-sided bound when the control arm has no successes', () => {
    const result = riskRatioScoreInterval(arm(4, 14), arm(0, 15));
    expect(result.riskRatio).toBeNull();
    expectClose(result.interval[0], 0.9592035240361152); // R: rrci(4, 14, 0, 15)[1]
    expect(result.interval[1]).toBe(Infinity);
    expect(riskRatioScoreInterval(arm(0, 14), arm(0, 15)).interval).toEqual([0, Infinity]);
  });

  it('leaves out 1 exactly when the score difference interval leaves out 0', () => {
    for (const n1 of [5, 12]) {
      for (const n2 of [7, 12]) {
        for (let x1 = 0; x1 <= n1; x1++) {
          for (let x2 = 1; x2 <= n2; x2++) {
            const [lowRatio, highRatio] = riskRatioScoreInterval(arm(x1, n1), arm(x2, n2)).interval;
            const [lowDifference, highDifference] = scoreDifferenceInterval(arm(x1, n1), arm(x2, n2)).interval;
            expect(lowRatio > 1 || highRatio < 1).toBe(lowDifference > 0 || highDifference < 0);
          }
        }
      }
    }
  });

  it('throws a RangeError for an empty arm or a bad confidence level', () => {
    expect(() => riskRatioScoreInterval(arm(0, 0), arm(3, 20))).toThrow(RangeError);
    expect(() => riskRatioScoreInterval(arm(1, 10), arm(3, 20), 0)).toThrow(/confidence/);
  });
});

describe('relativeUpliftScoreInterval', () => {
  it('is the risk ratio interval shifted by −1', () => {
    const result = relativeUpliftScoreInterval(arm(21, 118), arm(12, 120));
    expectClose(result.relativeUplift, 21 / 118 / 0.1 - 1);
    expectIntervalClose(result.interval, [0.90217747690644956 - 1, 3.630742186023598 - 1]); // R: rrci(21, 118, 12, 120) - 1
  });

  it('is −100% at the lower end when the arm has no successes', () => {
    expect(relativeUpliftScoreInterval(arm(0, 20), arm(3, 20)).interval[0]).toBe(-1);
  });

  it('has no estimate but a one-sided bound when the control has no successes', () => {
    const result = relativeUpliftScoreInterval(arm(4, 14), arm(0, 15));
    expect(result.relativeUplift).toBeNull();
    expectClose(result.interval[0], 0.9592035240361152 - 1); // R: rrci(4, 14, 0, 15)[1] - 1
    expect(result.interval[1]).toBe(Infinity);
    expect(relativeUpliftScoreInterval(arm(0, 14), arm(0, 15))).toEqual({ relativeUplift: null, interval: [-1, Infinity] });
  });
});
