import { describe, expect, it } from 'vitest';
import { intraclassCorrelation } from './intraclass-correlation.ts';

// Reference values: Rscript (R 4.2.2), options(digits = 17), one row per person:
//   d <- data.frame(y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)), g = factor(rep(g, n)))
//   a <- anova(aov(y ~ g, d)); msb <- a$`Mean Sq`[1]; msw <- a$`Mean Sq`[2]
//   sizes <- table(d$g); N <- sum(sizes); k <- length(sizes); n0 <- (N - sum(sizes^2) / N) / (k - 1)
//   icc <- (msb - msw) / (msb + (n0 - 1) * msw)

describe('intraclassCorrelation', () => {
  it('returns the ANOVA pieces behind the estimate', () => {
    // R: g <- c("A","B","C","D"); n <- c(10,12,9,11); s <- c(0,12,1,10): MSB, MSW, n0
    const result = intraclassCorrelation([
      { cluster: 'A', n: 10, successes: 0 },
      { cluster: 'B', n: 12, successes: 12 },
      { cluster: 'C', n: 9, successes: 1 },
      { cluster: 'D', n: 11, successes: 10 },
    ]);
    expect(result.meanSquareBetween).toBeCloseTo(2.8689273689273693, 12);
    expect(result.meanSquareWithin).toBeCloseTo(0.047315257841573637, 12);
    expect(result.adjustedClusterSize).toBeCloseTo(10.46031746031746, 12);
    expect(result.icc).toBeCloseTo(0.85076859858455223, 12);
  });

  it('keeps the negative estimate before truncating it', () => {
    // R: g <- c("A","B"); cluster totals n = (20, 23), s = (7, 8) from the two-coach data: icc = -0.049019871576554887
    const result = intraclassCorrelation([
      { cluster: 'A', n: 20, successes: 7 },
      { cluster: 'B', n: 23, successes: 8 },
    ]);
    expect(result.untruncated).toBeCloseTo(-0.049019871576554887, 12);
    expect(result.icc).toBe(0);
  });

  it('needs two clusters', () => {
    expect(() => intraclassCorrelation([{ cluster: 'A', n: 10, successes: 3 }])).toThrow(RangeError);
  });
});
