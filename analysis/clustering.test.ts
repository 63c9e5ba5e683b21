import { describe, expect, it } from 'vitest';
import { clusteredComparison, robustIntervalAt, WITHIN_CLUSTER_EXPLANATION } from './clustering.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import type { ClusterArmStats } from './types.ts';

// Reference values: Rscript (R 4.2.2, clubSandwich 0.5.8), options(digits = 17), counts expanded to one row per person:
//   library(clubSandwich)
//   expand <- function(g, a, n, s) data.frame(coach = factor(rep(g, n)), arm = factor(rep(a, n)),
//     y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)))
//   d <- expand(g, a, n, s); d$arm <- relevel(d$arm, "letter")
//   fit <- lm(y ~ arm, d)                       # or lm(y ~ arm + coach, d) for model 'arm-and-cluster'
//   ct <- coef_test(fit, vcov = "CR2", cluster = d$coach, test = "Satterthwaite")   # beta, SE, df_Satt, p_Satt
//   ci <- conf_int(fit, vcov = "CR2", cluster = d$coach, test = "Satterthwaite", level = 0.95)   # CI_L, CI_U
//   naive <- coef_test(fit, vcov = vcovCR(fit, cluster = seq_len(nrow(d)), type = "CR2"), test = "z")$SE  # HC2
// "R: coef_test" below means ct, "R: conf_int(level)" means ci at that level, "R: naive" the HC2 SE,
// each for the coefficient arm<name>; g, a, n, s are each data set's cells in the order listed.

const cells = (rows: Array<[string, string, number, number]>): ClusterArmStats[] =>
  rows.map(([cluster, arm, n, successes]) => ({ cluster, arm, n, successes }));

/** Seven coaches of unequal size, two arms; coach F only has text, coach G only letter. */
const sevenCoaches = cells([
  ['A', 'letter', 8, 2], ['A', 'text', 9, 4],
  ['B', 'letter', 10, 1], ['B', 'text', 10, 3],
  ['C', 'letter', 7, 3], ['C', 'text', 6, 4],
  ['D', 'letter', 12, 2], ['D', 'text', 11, 5],
  ['E', 'letter', 9, 5], ['E', 'text', 8, 6],
  ['F', 'text', 7, 2],
  ['G', 'letter', 5, 0],
]);

/** Four coaches, three arms; coach D has nobody in phone. */
const threeArms = cells([
  ['A', 'letter', 8, 2], ['A', 'text', 9, 4], ['A', 'phone', 8, 3],
  ['B', 'letter', 10, 1], ['B', 'text', 10, 3], ['B', 'phone', 9, 5],
  ['C', 'letter', 7, 3], ['C', 'text', 6, 4], ['C', 'phone', 7, 2],
  ['D', 'letter', 12, 2], ['D', 'text', 11, 5],
]);

describe('clusteredComparison with people randomised within coaches (y ~ arm, CR2)', () => {
  it('matches clubSandwich CR2 with Satterthwaite df for unequal coaches, some with one arm', () => {
    const result = clusteredComparison(sevenCoaches, { control: 'letter' });
    expect(result.clusters).toBe(7);
    expect(result.people).toBe(102);
    expect(result.model).toBe('arm');
    expect(result.adjustment).toBe('CR2');
    const [text] = result.comparisons;
    expect(text.arm).toBe('text');
    expectClose(text.difference, 0.21568627450980388); // R: coef_test beta
    expectClose(text.robustSe, 0.044478478246680789); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 4.9562200890634909); // R: coef_test df_Satt
    expectClose(text.pValue, 0.0047876661796301305); // R: coef_test p_Satt
    expectIntervalClose(text.robustCi, [0.10104626339406224, 0.3303262856255455]); // R: conf_int(0.95)
    expectClose(text.naiveSe, 0.093708259963517754); // R: naive
    // R: (0.044478478246680789 / 0.093708259963517754)^2
    expectClose(text.varianceInflation, 0.22529112984204608, 1e-12);
    expectClose(result.designEffect, text.varianceInflation, 1e-15);
  });

  it('shows an adjusted interval narrower than the unadjusted one, and says why', () => {
    const [text] = clusteredComparison(sevenCoaches, { control: 'letter' }).comparisons;
    expect(text.robustSe).toBeLessThan(text.naiveSe);
    expect(text.varianceInflation).toBeLessThan(1);
    expect(clusteredComparison(sevenCoaches, { control: 'letter' }).explanation).toBe(WITHIN_CLUSTER_EXPLANATION);
    expect(WITHIN_CLUSTER_EXPLANATION).toMatch(/randomised within each coach/);
    expect(WITHIN_CLUSTER_EXPLANATION).toMatch(/narrower/);
  });

  it('keeps the ICC and gives 1 + (m − 1)·ICC only as the cluster-randomised design effect', () => {
    const result = clusteredComparison(sevenCoaches, { control: 'letter' });
    // R: g <- c("A","A","B","B","C","C","D","D","E","E","F","G"); n <- c(8,9,10,10,7,6,12,11,9,8,7,5)
    //    s <- c(2,4,1,3,3,4,2,5,5,6,2,0); one-way ANOVA ICC as in intraclass-correlation.test.ts, 1 + (N / k - 1) * icc
    expectClose(result.icc, 0.089109786923990852, 1e-12);
    expectClose(result.meanClusterSize, 14.571428571428571, 1e-12);
    expectClose(result.clusterRandomisedDesignEffect, 2.2093471082541614, 1e-12);
    expect(result.designEffect).not.toBeCloseTo(result.clusterRandomisedDesignEffect, 1);
  });

  it('handles three arms with an arm missing from one coach', () => {
    const result = clusteredComparison(threeArms, { control: 'letter' });
    const [text, phone] = result.comparisons;
    expect([text.arm, phone.arm]).toEqual(['text', 'phone']);
    // R: g <- c("A","A","A","B","B","B","C","C","C","D","D")
    //    a <- c("letter","text","phone","letter","text","phone","letter","text","phone","letter","text")
    //    n <- c(8,9,8,10,10,9,7,6,7,12,11); s <- c(2,4,3,1,3,5,3,4,2,2,5)
    expectClose(text.difference, 0.22822822822822791); // R: coef_test beta, armtext
    expectClose(text.robustSe, 0.027097147384952735); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 2.8572970647058042); // R: coef_test df_Satt
    expectClose(text.pValue, 0.0042101686491190721); // R: coef_test p_Satt
    expectIntervalClose(text.robustCi, [0.13950457384319959, 0.31695188261325624]); // R: conf_int(0.95)
    expectClose(text.naiveSe, 0.10845314119081971); // R: naive
    expectClose(phone.difference, 0.20045045045044996); // R: coef_test beta, armphone
    expectClose(phone.robustSe, 0.14020382607203696);
    expectClose(phone.degreesOfFreedom, 2.6239789042370116);
    expectClose(phone.pValue, 0.26032320243761514);
    expectIntervalClose(phone.robustCi, [-0.28418725516859233, 0.68508815606949225]);
    expectClose(phone.naiveSe, 0.12359224475288491);
    // The design effect is the larger of the two inflations. R: (0.14020382607203696 / 0.12359224475288491)^2
    expectClose(result.designEffect, 1.2868777451414772, 1e-12);
    // R: one-way ANOVA ICC on coach totals: -0.024604495801157627, truncated to 0
    expect(result.icc).toBe(0);
    expect(result.clusterRandomisedDesignEffect).toBe(1);
  });

  it('uses the pseudo-inverse when one coach holds everyone in an arm, as clubSandwich does', () => {
    const phoneInOneCoach = cells([
      ['A', 'letter', 9, 3], ['A', 'text', 8, 4], ['A', 'phone', 7, 2],
      ['B', 'letter', 10, 2], ['B', 'text', 11, 5],
      ['C', 'letter', 8, 1], ['C', 'text', 9, 4],
    ]);
    const [text, phone] = clusteredComparison(phoneInOneCoach, { control: 'letter' }).comparisons;
    // R: g <- c("A","A","A","B","B","C","C"); a <- c("letter","text","phone","letter","text","letter","text")
    //    n <- c(9,8,7,10,11,8,9); s <- c(3,4,2,2,5,1,4)
    expectClose(phone.difference, 0.063492063492063933, 1e-12); // R: coef_test, armphone
    expectClose(phone.robustSe, 0.057830940586358077);
    expectClose(phone.degreesOfFreedom, 1.9815950920245387);
    expectClose(phone.pValue, 0.38767815305511832);
    expectClose(phone.naiveSe, 0.20164642014307316); // R: naive
    expectClose(text.robustSe, 0.04295705452930032); // R: coef_test, armtext
    expectClose(text.degreesOfFreedom, 1.9784758224251655);
    expectClose(text.pValue, 0.030818189862073658);
  });

  it('works with only two coaches, where the Satterthwaite df is about 1', () => {
    const two = cells([['A', 'letter', 10, 2], ['A', 'text', 10, 5], ['B', 'letter', 12, 4], ['B', 'text', 11, 4]]);
    const [text] = clusteredComparison(two, { control: 'letter' }).comparisons;
    // R: g <- c("A","A","B","B"); a <- c("letter","text","letter","text"); n <- c(10,10,12,11); s <- c(2,5,4,4)
    expectClose(text.difference, 0.15584415584415576, 1e-12); // R: coef_test beta
    expectClose(text.robustSe, 0.13448716933905766); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 1.0002353113221336); // R: coef_test df_Satt
    expectClose(text.pValue, 0.45321903371474126); // R: coef_test p_Satt
    expectIntervalClose(text.robustCi, [-1.5520276520910115, 1.8637159637793228]); // R: conf_int(0.95)
    expectClose(text.naiveSe, 0.14727524677750478); // R: naive
  });

  it('takes coach differences out of the comparison when coaches differ a lot', () => {
    const strong = cells([
      ['A', 'letter', 5, 0], ['A', 'text', 5, 0],
      ['B', 'letter', 6, 6], ['B', 'text', 6, 6],
      ['C', 'letter', 4, 0], ['C', 'text', 5, 1],
      ['D', 'letter', 6, 5], ['D', 'text', 5, 5],
    ]);
    const result = clusteredComparison(strong, { control: 'letter' });
    // R: ICC on coach totals g <- c("A","B","C","D"); n <- c(10,12,9,11); s <- c(0,12,1,10)
    expectClose(result.icc, 0.85076859858455223, 1e-12);
    expectClose(result.clusterRandomisedDesignEffect, 9.0823016865532455, 1e-12);
    const [text] = result.comparisons;
    // R: g <- rep(c("A","B","C","D"), each = 2); a <- rep(c("letter","text"), 4); n <- c(5,5,6,6,4,5,6,5)
    //    s <- c(0,0,6,6,0,1,5,5)
    expectClose(text.difference, 0.047619047619047714, 1e-12); // R: coef_test beta
    expectClose(text.robustSe, 0.025884130662558739); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 2.9599668820620013); // R: coef_test df_Satt
    expectClose(text.pValue, 0.16432937231126069); // R: coef_test p_Satt
    expectClose(text.naiveSe, 0.1572149906592302); // R: naive
    // Randomised within coach: the huge ICC does not inflate the variance, it shrinks it.
    expect(text.varianceInflation).toBeLessThan(0.05);
  });

  it('gives the interval at any confidence level, including look-adjusted ones', () => {
    const result = clusteredComparison(sevenCoaches, { control: 'letter' });
    const [text] = result.comparisons;
    expectIntervalClose(robustIntervalAt(text, 0.9), [0.12588480785711828, 0.30548774116248945]); // R: conf_int(0.9)
    expectIntervalClose(robustIntervalAt(text, 0.9995), [-0.14218332122703081, 0.57355587024663857]); // R: conf_int(0.9995)
    expectIntervalClose(robustIntervalAt(text, 0.95), text.robustCi, 1e-14);
    const [ninety] = clusteredComparison(sevenCoaches, { control: 'letter', confidence: 0.9 }).comparisons;
    expectIntervalClose(ninety.robustCi, [0.12588480785711828, 0.30548774116248945]);
    // R: 0.2 + c(-1, 1) * qt(1 - 0.0005 / 2, 8.5) * 0.05
    expectIntervalClose(robustIntervalAt({ difference: 0.2, robustSe: 0.05, degreesOfFreedom: 8.5 }, 0.9995), [
      -0.072043808118248787, 0.472043808118248809,
    ]);
    expect(robustIntervalAt({ difference: 0.1, robustSe: 0, degreesOfFreedom: 3 }, 0.99)).toEqual([0.1, 0.1]);
    expect(() => robustIntervalAt(text, 1)).toThrow(RangeError);
  });

  it('stays exact at fifty coaches and thousands of people', () => {
    const arms = ['letter', 'text', 'phone'];
    const many: ClusterArmStats[] = [];
    for (let coach = 1; coach <= 50; coach++) {
      for (let a = 0; a < 3; a++) {
        const n = 15 + ((7 * coach + 3 * a) % 20);
        many.push({ cluster: `coach${coach}`, arm: arms[a], n, successes: Math.floor((n * (2 + a + (coach % 5))) / 10) });
      }
    }
    // R: grid <- expand.grid(a = 0:2, g = 1:50); grid$n <- 15 + (7 * grid$g + 3 * grid$a) %% 20
    //    grid$s <- (grid$n * (2 + grid$a + grid$g %% 5)) %/% 10
    //    d <- expand(paste0("coach", grid$g), c("letter","text","phone")[grid$a + 1], grid$n, grid$s), then coef_test
    const result = clusteredComparison(many, { control: 'letter' });
    expect(result.people).toBe(3675);
    const [text, phone] = result.comparisons;
    expectClose(text.difference, 0.099152164212402125, 1e-12);
    expectClose(text.robustSe, 0.0058877595640990333);
    expectClose(text.degreesOfFreedom, 47.26929358287132);
    expectClose(text.pValue, 1.3222285402177473e-21, 1e-8);
    expectClose(phone.difference, 0.205761316872433681, 1e-12);
    expectClose(phone.robustSe, 0.0082054950632703405);
    expectClose(phone.degreesOfFreedom, 48.035039771812833);
    expectClose(phone.pValue, 3.0184529296882373e-29, 1e-8);
    // R: lm(y ~ arm + coach, d), coef_test as above
    const [fixedText, fixedPhone] = clusteredComparison(many, { control: 'letter', model: 'arm-and-cluster' }).comparisons;
    expectClose(fixedText.difference, 0.1024797505214634, 1e-12);
    expectClose(fixedText.robustSe, 0.0026644700776717726);
    expectClose(fixedText.degreesOfFreedom, 47.1827078658741);
    expectClose(fixedPhone.difference, 0.2040846966957742, 1e-12);
    expectClose(fixedPhone.robustSe, 0.0031266895071376719);
    expectClose(fixedPhone.degreesOfFreedom, 47.948534806978941);
  });
});

describe('clusteredComparison with a fixed effect per coach (y ~ arm + coach, CR2)', () => {
  it('matches clubSandwich on unequal coaches, some with one arm', () => {
    const [text] = clusteredComparison(sevenCoaches, { control: 'letter', model: 'arm-and-cluster' }).comparisons;
    // R: fit <- lm(y ~ arm + coach, d) on the seven-coach data
    expectClose(text.difference, 0.22586244685047996, 1e-12); // R: coef_test beta
    expectClose(text.robustSe, 0.021703303717126178); // R: coef_test SE
    expectClose(text.degreesOfFreedom, 3.8408256927381923); // R: coef_test df_Satt
    expectClose(text.pValue, 0.00059243945774459282); // R: coef_test p_Satt
    expectIntervalClose(text.robustCi, [0.16460665324516704, 0.28711824045579287]); // R: conf_int(0.95)
    expectClose(text.naiveSe, 0.097464783745958489); // R: naive (HC2 of the same model)
    expectIntervalClose(robustIntervalAt(text, 0.9995), [-0.010491289751451915, 0.462216183452411833]); // R: conf_int(0.9995)
    expect(text.rate).toBeCloseTo(24 / 51, 14);
  });

  it('matches clubSandwich with three arms and an arm missing from one coach', () => {
    const [text, phone] = clusteredComparison(threeArms, { control: 'letter', model: 'arm-and-cluster' }).comparisons;
    // R: fit <- lm(y ~ arm + coach, d) on the three-arm data
    expectClose(text.difference, 0.23034376198551071, 1e-12);
    expectClose(text.robustSe, 0.02578989057476332);
    expectClose(text.degreesOfFreedom, 2.8561243346925438);
    expectClose(text.pValue, 0.003583410182350063);
    expectClose(text.naiveSe, 0.10804139841074549);
    expectClose(phone.difference, 0.18762041405259247, 1e-12);
    expectClose(phone.robustSe, 0.17578712927335152);
    expectClose(phone.degreesOfFreedom, 2.2668308562463926);
    expectClose(phone.pValue, 0.3861727849744932);
    expectIntervalClose(phone.robustCi, [-0.48950423438108592, 0.86474506248627081]);
    expectClose(phone.naiveSe, 0.13423141809130204);
  });

  it('refuses an arm that never shares a coach with another arm', () => {
    const apart = cells([['A', 'letter', 5, 1], ['B', 'letter', 6, 2], ['C', 'text', 7, 3], ['D', 'text', 5, 1]]);
    expect(() => clusteredComparison(apart, { control: 'letter', model: 'arm-and-cluster' })).toThrow(/never alongside/);
  });
});

describe('clusteredComparison with the older CR1 variance', () => {
  it('matches clubSandwich CR1S with t on G − 1 df, kept to show what CR2 replaced', () => {
    const [text] = clusteredComparison(sevenCoaches, { control: 'letter', adjustment: 'CR1' }).comparisons;
    // R: coef_test(fit, vcov = "CR1S", cluster = d$coach, test = "naive-t") (also statsmodels' cluster default)
    expectClose(text.robustSe, 0.044462272932988642);
    expect(text.degreesOfFreedom).toBe(6);
    expectClose(text.pValue, 0.0028487704307001787);
  });
});

describe('clusteredComparison input rules', () => {
  it('reports a zero difference with zero robust error when nobody succeeded', () => {
    const none = cells([['A', 'letter', 5, 0], ['A', 'text', 6, 0], ['B', 'letter', 4, 0], ['B', 'text', 5, 0]]);
    const result = clusteredComparison(none, { control: 'letter' });
    expect(result.icc).toBe(0);
    expect(result.comparisons[0]).toMatchObject({ difference: 0, robustSe: 0, robustCi: [0, 0], pValue: 1, varianceInflation: 1 });
  });

  it('ignores a coach with nobody on the caseload', () => {
    const withEmpty = [...sevenCoaches, { cluster: 'H', arm: 'letter', n: 0, successes: 0 }];
    const result = clusteredComparison(withEmpty, { control: 'letter' });
    expect(result.clusters).toBe(7);
    expectClose(result.comparisons[0].robustSe, 0.044478478246680789);
  });

  it('refuses a single coach, because a robust variance needs at least two clusters', () => {
    const one = cells([['A', 'letter', 10, 2], ['A', 'text', 10, 5]]);
    expect(() => clusteredComparison(one, { control: 'letter' })).toThrow(/at least 2 clusters/);
  });

  it('refuses a comparison whose arms each sit wholly in one coach', () => {
    const separate = cells([['A', 'letter', 10, 2], ['B', 'text', 10, 5], ['A', 'phone', 3, 1], ['B', 'phone', 4, 2]]);
    expect(() => clusteredComparison(separate, { control: 'letter' })).toThrow(/no cluster-robust information/);
  });

  it('refuses a control or arm with nobody, duplicates, impossible counts and unknown options', () => {
    expect(() => clusteredComparison(sevenCoaches, { control: 'phone' })).toThrow(/arm "phone" has no people/);
    expect(() => clusteredComparison([...sevenCoaches, sevenCoaches[0]], { control: 'letter' })).toThrow(/more than once/);
    expect(() => clusteredComparison(cells([['A', 'letter', 3, 4], ['B', 'letter', 3, 1]]), { control: 'letter' })).toThrow(
      RangeError,
    );
    expect(() => clusteredComparison(sevenCoaches, { control: 'letter', confidence: 0 })).toThrow(RangeError);
    expect(() => clusteredComparison(sevenCoaches, { control: 'letter', model: 'mixed' as unknown as 'arm' })).toThrow(RangeError);
    expect(() => clusteredComparison(sevenCoaches, { control: 'letter', adjustment: 'CR3' as unknown as 'CR2' })).toThrow(
      RangeError,
    );
  });

  it('refuses data where every coach has one person, as the ICC cannot be estimated', () => {
    const singletons = cells([['A', 'letter', 1, 0], ['B', 'text', 1, 1], ['C', 'letter', 1, 1], ['D', 'text', 1, 0]]);
    expect(() => clusteredComparison(singletons, { control: 'letter' })).toThrow(/more than one person/);
  });
});
