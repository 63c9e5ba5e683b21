import { describe, expect, it } from 'vitest';
import { clusterRobustLinearFit } from './cluster-robust-linear-model.ts';
import { expectClose } from './expect-close.ts';

// R (clubSandwich 0.5.8), options(digits = 17):
//   g <- c("A","A","A","B","B","C","C","C"); x <- c(0,1,2,0,2,0,1,2); n <- c(6,7,5,8,6,5,6,7); s <- c(1,3,4,2,4,0,2,5)
//   d <- data.frame(g = factor(rep(g, n)), x = rep(x, n), y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)))
//   fit <- lm(y ~ x, d); ct <- coef_test(fit, vcov = "CR2", cluster = d$g, test = "Satterthwaite")
const g = ['A', 'A', 'A', 'B', 'B', 'C', 'C', 'C'];
const x = [0, 1, 2, 0, 2, 0, 1, 2];
const n = [6, 7, 5, 8, 6, 5, 6, 7];
const s = [1, 3, 4, 2, 4, 0, 2, 5];
const dose = g.map((cluster, i) => ({ cluster, row: [1, x[i]], n: n[i], successes: s[i] }));

describe('clusterRobustLinearFit', () => {
  it('fits any grouped design, here a dose as well as an intercept, as clubSandwich CR2 does', () => {
    const fit = clusterRobustLinearFit(dose, { tested: [0, 1] });
    expect(fit.clusters).toBe(3);
    expect(fit.people).toBe(50);
    const [intercept, slope] = fit.tested;
    expectClose(intercept.estimate, 0.143861546782044658, 1e-12); // R: ct$beta
    expectClose(slope.estimate, 0.281773931855056725, 1e-12);
    expectClose(intercept.robustSe, 0.074029612560096117); // R: ct$SE
    expectClose(slope.robustSe, 0.045402317116441479);
    expectClose(intercept.degreesOfFreedom, 1.975925746744487288); // R: ct$df_Satt
    expectClose(slope.degreesOfFreedom, 1.981222393297227491);
    // R: coef_test(fit, vcov = vcovCR(fit, cluster = seq_len(nrow(d)), type = "CR2"), test = "z")$SE
    expectClose(intercept.naiveSe, 0.083611389770913216);
    expectClose(slope.naiveSe, 0.068940384716542152);
  });

  it('gives CR1 with G − 1 df when asked', () => {
    const [intercept, slope] = clusterRobustLinearFit(dose, { tested: [0, 1], adjustment: 'CR1' }).tested;
    // R: coef_test(fit, vcov = "CR1S", cluster = d$g, test = "naive-t")$SE
    expectClose(intercept.robustSe, 0.0745056757142879);
    expectClose(slope.robustSe, 0.045342929331597052);
    expect(slope.degreesOfFreedom).toBe(2);
  });

  it('refuses a design whose coefficients the data cannot separate', () => {
    const aliased = dose.map((cell) => ({ ...cell, row: [1, cell.row[1], 2 * cell.row[1]] }));
    expect(() => clusterRobustLinearFit(aliased, { tested: [1] })).toThrow(/singular/);
  });
});
