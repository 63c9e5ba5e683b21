import { describe, expect, it } from 'vitest';
import { clusteredComparison, intraclassCorrelation } from './clustering.ts';
import type { ClusterArmStats } from './types.ts';

// Reference values.
// Cluster-robust comparisons: /usr/bin/python3, statsmodels 0.13.5, counts expanded to one row per person:
//   recs = []; for g, a, n, s in rows: recs += [(g, a, 1)] * s + [(g, a, 0)] * (n - s)
//   d = pd.DataFrame(recs, columns=['g', 'arm', 'y'])
//   f = smf.ols('y ~ C(arm, Treatment("letter"))', d).fit(cov_type='cluster',
//         cov_kwds={'groups': pd.factorize(d.g)[0]}, use_t=True)      # use_t=False for the normal case
//   f.params, f.bse, f.pvalues, f.conf_int() (f.conf_int(alpha=0.1) for 90%)
// statsmodels' default cluster correction is CR1, G/(G−1)·(N−1)/(N−K); with use_t=True it uses t with G − 1 df.
// Its t quantile comes from scipy 1.10's t.ppf, which is off by about 1e-9 (t.ppf(0.975, 6) = 2.4469118487916806
// against R qt(0.975, 6) = 2.4469118511449688, which we match), so t-based interval ends are compared to 8 decimals.
// ICC: Rscript (R 4.2.2), options(digits = 17):
//   d <- data.frame(y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)), g = factor(rep(g, n)))
//   a <- anova(aov(y ~ g, d)); msb <- a$`Mean Sq`[1]; msw <- a$`Mean Sq`[2]
//   sizes <- table(d$g); N <- sum(sizes); k <- length(sizes); n0 <- (N - sum(sizes^2) / N) / (k - 1)
//   icc <- (msb - msw) / (msb + (n0 - 1) * msw); 1 + (N / k - 1) * max(0, icc)
// with g, n, s the cells' cluster, n and successes listed below.

const cells = (rows: Array<[string, string, number, number]>): ClusterArmStats[] =>
  rows.map(([cluster, arm, n, successes]) => ({ cluster, arm, n, successes }));

/** Seven coaches, two arms; coach F only has text, coach G only letter. */
const sevenCoaches = cells([
  ['A', 'letter', 8, 2], ['A', 'text', 9, 4],
  ['B', 'letter', 10, 1], ['B', 'text', 10, 3],
  ['C', 'letter', 7, 3], ['C', 'text', 6, 4],
  ['D', 'letter', 12, 2], ['D', 'text', 11, 5],
  ['E', 'letter', 9, 5], ['E', 'text', 8, 6],
  ['F', 'text', 7, 2],
  ['G', 'letter', 5, 0],
]);

describe('clusteredComparison', () => {
  it('matches statsmodels CR1 with t on G − 1 df, including coaches with one arm', () => {
    const result = clusteredComparison(sevenCoaches, { control: 'letter' });
    expect(result.clusters).toBe(7);
    expect(result.people).toBe(102);
    expect(result.degreesOfFreedom).toBe(6);
    const [text] = result.comparisons;
    // statsmodels: use_t=True, coefficient C(arm, Treatment("letter"))[T.text]
    expect(text.arm).toBe('text');
    expect(text.difference).toBeCloseTo(0.21568627450980374, 12);
    expect(text.robustSe).toBeCloseTo(0.04446227293298882, 12);
    expect(text.pValue).toBeCloseTo(0.0028487704307002463, 10);
    expect(text.robustCi[0]).toBeCloseTo(0.10689101204586376, 8);
    expect(text.robustCi[1]).toBeCloseTo(0.3244815369737437, 8);
    // R: 0.21568627450980374 + c(-1, 1) * 0.04446227293298882 * qt(0.975, 6) (statsmodels estimate and SE, R's quantile)
    expect(text.robustCi[0]).toBeCloseTo(0.10689101194123121, 12);
    expect(text.robustCi[1]).toBeCloseTo(0.32448153707837624, 12);
  });

  it('matches statsmodels default normal inference when asked', () => {
    const [text] = clusteredComparison(sevenCoaches, { control: 'letter', distribution: 'normal' }).comparisons;
    // statsmodels: use_t=False
    expect(text.robustSe).toBeCloseTo(0.04446227293298882, 12);
    expect(text.pValue).toBeCloseTo(1.228434927245252e-6, 14);
    expect(text.robustCi[0]).toBeCloseTo(0.12854182089035557, 10);
    expect(text.robustCi[1]).toBeCloseTo(0.30283072812925194, 10);
  });

  it('gives the ICC and design effect of R one-way ANOVA on the same people', () => {
    const result = clusteredComparison(sevenCoaches, { control: 'letter' });
    // R: g <- c("A","A","B","B","C","C","D","D","E","E","F","G"); n <- c(8,9,10,10,7,6,12,11,9,8,7,5)
    //    s <- c(2,4,1,3,3,4,2,5,5,6,2,0)
    expect(result.icc).toBeCloseTo(0.089109786923990852, 12);
    expect(result.meanClusterSize).toBeCloseTo(14.571428571428571, 12);
    expect(result.designEffect).toBeCloseTo(2.2093471082541614, 11);
  });

  it('handles three arms, where K = 3 enters the small-sample factor', () => {
    const threeArms = cells([
      ['A', 'letter', 8, 2], ['A', 'text', 9, 4], ['A', 'phone', 8, 3],
      ['B', 'letter', 10, 1], ['B', 'text', 10, 3], ['B', 'phone', 9, 5],
      ['C', 'letter', 7, 3], ['C', 'text', 6, 4], ['C', 'phone', 7, 2],
      ['D', 'letter', 12, 2], ['D', 'text', 11, 5], ['D', 'phone', 12, 6],
    ]);
    const result = clusteredComparison(threeArms, { control: 'letter' });
    const [text, phone] = result.comparisons;
    // statsmodels: use_t=True, [T.text] and [T.phone]
    expect(text.difference).toBeCloseTo(0.2282282282282288, 12);
    expect(text.robustSe).toBeCloseTo(0.026221018463875992, 12);
    expect(text.pValue).toBeCloseTo(0.003191904999731938, 10);
    expect(text.robustCi[0]).toBeCloseTo(0.14478124489707622, 8);
    expect(text.robustCi[1]).toBeCloseTo(0.3116752115593814, 8);
    expect(phone.difference).toBeCloseTo(0.22822822822822908, 12);
    expect(phone.robustSe).toBeCloseTo(0.11807768645148056, 12);
    expect(phone.pValue).toBeCloseTo(0.148747857210405, 10);
    expect(phone.robustCi[0]).toBeCloseTo(-0.1475476687557989, 8);
    expect(phone.robustCi[1]).toBeCloseTo(0.604004125212257, 8);
    // statsmodels: conf_int(alpha=0.1)
    const ninety = clusteredComparison(threeArms, { control: 'letter', confidence: 0.9 }).comparisons;
    expect(ninety[0].robustCi[0]).toBeCloseTo(0.16652064215207948, 8);
    expect(ninety[0].robustCi[1]).toBeCloseTo(0.2899358143043781, 8);
    expect(ninety[1].robustCi[0]).toBeCloseTo(-0.049651481532680286, 8);
    expect(ninety[1].robustCi[1]).toBeCloseTo(0.5061079379891384, 8);
    // R: g <- rep(c("A","B","C","D"), each = 3); n <- c(8,9,8,10,10,9,7,6,7,12,11,12)
    //    s <- c(2,4,3,1,3,5,3,4,2,2,5,6): icc = -0.025767945428053395, truncated to 0
    expect(result.icc).toBe(0);
    expect(result.designEffect).toBe(1);
  });

  it('works with only two coaches, where t has one degree of freedom', () => {
    const two = cells([['A', 'letter', 10, 2], ['A', 'text', 10, 5], ['B', 'letter', 12, 4], ['B', 'text', 11, 4]]);
    const result = clusteredComparison(two, { control: 'letter' });
    const [text] = result.comparisons;
    // statsmodels: use_t=True (df_resid_inference = 1)
    expect(text.difference).toBeCloseTo(0.15584415584415579, 12);
    expect(text.robustSe).toBeCloseTo(0.13576894743926154, 12);
    expect(text.pValue).toBeCloseTo(0.4562429047124716, 10);
    expect(text.robustCi[0]).toBeCloseTo(-1.5692638871689897, 8);
    expect(text.robustCi[1]).toBeCloseTo(1.880952198857301, 8);
    // statsmodels: conf_int(alpha=0.1) with use_t=True
    const [ninety] = clusteredComparison(two, { control: 'letter', confidence: 0.9 }).comparisons;
    expect(ninety.robustCi[0]).toBeCloseTo(-0.7013672417134099, 8);
    expect(ninety.robustCi[1]).toBeCloseTo(1.0130555534017214, 8);
    // R: g <- c("A","A","B","B"); n <- c(10,10,12,11); s <- c(2,5,4,4): icc = -0.049019871576554887 → 0
    expect(result.icc).toBe(0);
  });

  it('shows a large design effect when coaches differ a lot', () => {
    const strong = cells([
      ['A', 'letter', 5, 0], ['A', 'text', 5, 0],
      ['B', 'letter', 6, 6], ['B', 'text', 6, 6],
      ['C', 'letter', 4, 0], ['C', 'text', 5, 1],
      ['D', 'letter', 6, 5], ['D', 'text', 5, 5],
    ]);
    const result = clusteredComparison(strong, { control: 'letter' });
    // R: g <- c("A","B","C","D"); n <- c(10,12,9,11); s <- c(0,12,1,10)
    expect(result.icc).toBeCloseTo(0.85076859858455223, 12);
    expect(result.designEffect).toBeCloseTo(9.0823016865532455, 11);
    // statsmodels: use_t=True
    const [text] = result.comparisons;
    expect(text.difference).toBeCloseTo(0.04761904761904767, 12);
    expect(text.robustSe).toBeCloseTo(0.02928010480296499, 12);
    expect(text.pValue).toBeCloseTo(0.2023548047503772, 10);
    expect(text.robustCi[0]).toBeCloseTo(-0.04556331372948426, 8);
    expect(text.robustCi[1]).toBeCloseTo(0.1408014089675796, 8);
  });

  it('reports a zero difference with zero robust error when nobody succeeded', () => {
    const none = cells([['A', 'letter', 5, 0], ['A', 'text', 6, 0], ['B', 'letter', 4, 0], ['B', 'text', 5, 0]]);
    const result = clusteredComparison(none, { control: 'letter' });
    expect(result.icc).toBe(0);
    expect(result.comparisons[0]).toMatchObject({ difference: 0, robustSe: 0, robustCi: [0, 0], pValue: 1 });
  });

  it('ignores a coach with nobody on the caseload', () => {
    const withEmpty = [...sevenCoaches, { cluster: 'H', arm: 'letter', n: 0, successes: 0 }];
    const result = clusteredComparison(withEmpty, { control: 'letter' });
    expect(result.clusters).toBe(7);
    expect(result.comparisons[0].robustSe).toBeCloseTo(0.04446227293298882, 12);
  });

  it('refuses a single coach, because a robust variance needs at least two clusters', () => {
    const one = cells([['A', 'letter', 10, 2], ['A', 'text', 10, 5]]);
    expect(() => clusteredComparison(one, { control: 'letter' })).toThrow(/at least 2 clusters/);
  });

  it('refuses a control or arm with nobody, duplicates and impossible counts', () => {
    expect(() => clusteredComparison(sevenCoaches, { control: 'phone' })).toThrow(/arm "phone" has no people/);
    expect(() => clusteredComparison([...sevenCoaches, sevenCoaches[0]], { control: 'letter' })).toThrow(/more than once/);
    expect(() => clusteredComparison(cells([['A', 'letter', 3, 4], ['B', 'letter', 3, 1]]), { control: 'letter' })).toThrow(
      RangeError,
    );
    expect(() => clusteredComparison(sevenCoaches, { control: 'letter', confidence: 0 })).toThrow(RangeError);
    expect(() =>
      clusteredComparison(sevenCoaches, { control: 'letter', distribution: 'z' as unknown as 't' }),
    ).toThrow(RangeError);
  });

  it('refuses data where every coach has one person, as the ICC cannot be estimated', () => {
    const singletons = cells([['A', 'letter', 1, 0], ['B', 'text', 1, 1], ['C', 'letter', 1, 1], ['D', 'text', 1, 0]]);
    expect(() => clusteredComparison(singletons, { control: 'letter' })).toThrow(/more than one person/);
  });
});

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
