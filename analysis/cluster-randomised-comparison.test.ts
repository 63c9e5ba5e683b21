import { describe, expect, it } from 'vitest';
import { clusterRandomisedComparison } from './cluster-randomised-comparison.ts';
import { intraclassCorrelationWithinArms } from './intraclass-correlation.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import type { ClusterArmStats } from './types.ts';

// Reference values: Rscript (R 4.2.2, clubSandwich 0.5.8), options(digits = 17), g, a, n, s the cells below in order:
//   d <- data.frame(site = factor(rep(g, n)), arm = factor(rep(a, n)),
//                   y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)))
//   d$arm <- relevel(d$arm, "letter"); fit <- lm(y ~ arm, d)
//   ct <- coef_test(fit, vcov = "CR2", cluster = d$site, test = "Satterthwaite")     # "R: coef_test"
//   ci <- conf_int(fit, vcov = "CR2", cluster = d$site, test = "Satterthwaite")      # "R: conf_int"
//   coef_test(fit, vcov = vcovCR(fit, cluster = seq_len(nrow(d)), type = "CR2"), test = "z")$SE   # "R: naive"
//   p <- s / n; t.test(p[a == "text"], p[a == "letter"], var.equal = TRUE)          # "R: t.test"
//   av <- anova(aov(y ~ arm + site, d)); msb <- av["site", "Mean Sq"]; msw <- av["Residuals", "Mean Sq"]
//   N <- nrow(d); k <- nlevels(d$site); A <- nlevels(d$arm)
//   n0 <- (N - sum(tapply(n, a, function(x) sum(x^2) / sum(x)))) / (k - A)
//   icc <- (msb - msw) / (msb + (n0 - 1) * msw); 1 + (N / k - 1) * max(0, icc)           # "R: nested ANOVA"

const cells = (rows: Array<[string, string, number, number]>): ClusterArmStats[] =>
  rows.map(([cluster, arm, n, successes]) => ({ cluster, arm, n, successes }));

/** Ten sites of unequal size, five randomised to each arm. */
const tenSites = cells([
  ['s1', 'letter', 30, 3], ['s2', 'letter', 25, 12], ['s3', 'letter', 42, 6], ['s4', 'letter', 18, 1], ['s5', 'letter', 36, 14],
  ['s6', 'text', 28, 14], ['s7', 'text', 35, 20], ['s8', 'text', 20, 5], ['s9', 'text', 40, 22], ['s10', 'text', 33, 9],
]);

describe('clusterRandomisedComparison', () => {
  it('analyses at the cluster level: CR2 with df from the number of sites, and a t-test on site proportions', () => {
    const result = clusterRandomisedComparison(tenSites, { control: 'letter' });
    expect(result.clusters).toBe(10);
    expect(result.people).toBe(307);
    const [text] = result.comparisons;
    expect(text.clusters).toBe(5);
    expectClose(text.difference, 0.21030735269145723, 1e-12); // R: coef_test beta
    expectClose(text.robustSe, 0.102755601784319556); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 7.4406587962763764); // R: coef_test df_Satt
    expectClose(text.pValue, 0.077537842716940031); // R: coef_test p_Satt
    expectIntervalClose(text.robustCi, [-0.029784144896392695, 0.45039885027930715]); // R: conf_int
    expectClose(text.naiveSe, 0.05297555742338679); // R: naive
    expect(text.degreesOfFreedom).toBeLessThan(result.clusters);

    const summary = text.clusterSummary;
    expectClose(summary.armMeanProportion, 0.428831168831168841, 1e-12); // R: t.test estimate
    expectClose(summary.controlMeanProportion, 0.233460317460317451, 1e-12);
    expectClose(summary.standardError, 0.109325310999989406); // R: t.test stderr
    expectIntervalClose(summary.ci, [-0.056733767877605659, 0.44747547061930848]); // R: t.test conf.int
    expectClose(summary.pValue, 0.111740054663636734); // R: t.test p.value
    expect(summary.degreesOfFreedom).toBe(8);
  });

  it('gives 1 + (m − 1)·ICC as the design effect, with the ICC taken within arms', () => {
    const result = clusterRandomisedComparison(tenSites, { control: 'letter' });
    expectClose(result.icc, 0.094765780396577903, 1e-10); // R: nested ANOVA icc
    expectClose(result.meanClusterSize, 30.7, 1e-14);
    expectClose(result.designEffect, 3.814543677778363673, 1e-10); // R: nested ANOVA 1 + (N / k - 1) * icc
    // The variance inflation seen in the data is of the same size. R: (0.102755601784319556 / 0.05297555742338679)^2
    expectClose(result.comparisons[0].varianceInflation, 3.7623564930868283, 1e-10);
  });

  it('handles three arms, each compared with the control sites', () => {
    const nine = cells([
      ['s1', 'letter', 22, 5], ['s2', 'letter', 31, 9], ['s3', 'letter', 15, 2],
      ['s4', 'text', 27, 10], ['s5', 'text', 19, 6], ['s6', 'text', 24, 8],
      ['s7', 'phone', 30, 12], ['s8', 'phone', 16, 7], ['s9', 'phone', 21, 5],
    ]);
    const result = clusterRandomisedComparison(nine, { control: 'letter' });
    const [text, phone] = result.comparisons;
    // R: g <- paste0("s", 1:9); a <- rep(c("letter","text","phone"), each = 3)
    //    n <- c(22,31,15,27,19,24,30,16,21); s <- c(5,9,2,10,6,8,12,7,5)
    expectClose(text.difference, 0.10756302521008318, 1e-12); // R: coef_test, armtext
    expectClose(text.robustSe, 0.045708234320763125);
    expectClose(text.degreesOfFreedom, 3.7757145123698543);
    expectClose(text.pValue, 0.082108819029036301);
    expectClose(phone.difference, 0.12291483757682108, 1e-12); // R: coef_test, armphone
    expectClose(phone.robustSe, 0.070605034303501193);
    expectClose(phone.degreesOfFreedom, 3.6976627086381089);
    expectClose(phone.pValue, 0.162506658521459207);
    expectIntervalClose(phone.robustCi, [-0.079602156912259761, 0.32543183206590193]); // R: conf_int
    // R: t.test(p[a == "text"], p[a == "letter"], var.equal = TRUE) and the same for "phone"
    expectClose(text.clusterSummary.standardError, 0.048364427310011289);
    expectClose(text.clusterSummary.pValue, 0.063967982017632832);
    expectIntervalClose(text.clusterSummary.ci, [-0.011426332091677904, 0.257136022849472734]);
    expectClose(phone.clusterSummary.standardError, 0.076313381130868232);
    expectClose(phone.clusterSummary.pValue, 0.137204547075192029);
    expect(phone.clusterSummary.degreesOfFreedom).toBe(4);
    // R: nested ANOVA icc = -0.019838905955494996, truncated to 0
    expect(result.icc).toBe(0);
    expect(result.designEffect).toBe(1);
  });

  it('refuses a cluster with people in two arms, which is the within-cluster design', () => {
    const mixed = [...tenSites, { cluster: 's1', arm: 'text', n: 5, successes: 1 }];
    expect(() => clusterRandomisedComparison(mixed, { control: 'letter' })).toThrow(/one arm per cluster/);
  });

  it('refuses one site per arm, where the cluster-level test has no degrees of freedom', () => {
    const two = cells([['s1', 'letter', 20, 4], ['s2', 'text', 22, 9]]);
    expect(() => clusterRandomisedComparison(two, { control: 'letter' })).toThrow(RangeError);
  });
});

describe('intraclassCorrelationWithinArms', () => {
  it('returns the nested ANOVA pieces, so an arm difference is not read as clustering', () => {
    const result = intraclassCorrelationWithinArms(tenSites);
    expectClose(result.meanSquareBetween, 0.832152734131205496, 1e-11); // R: av["site", "Mean Sq"]
    expectClose(result.meanSquareWithin, 0.199830775285320894, 1e-11); // R: av["Residuals", "Mean Sq"]
    expectClose(result.adjustedClusterSize, 30.226322380709795823, 1e-12); // R: n0
  });

  it('needs more clusters than arms', () => {
    expect(() => intraclassCorrelationWithinArms(cells([['s1', 'letter', 20, 4], ['s2', 'text', 22, 9]]))).toThrow(
      /more clusters than arms/,
    );
  });
});
