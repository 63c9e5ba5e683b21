import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../seed/mulberry32.ts';
import { subgroupEffects, subgroupNumericEffects } from './subgroups.ts';
import type { BinaryArmStats, NumericArmStats } from './types.ts';

// Reference values:
//   binary: /usr/bin/python3, statsmodels 0.13.5, from statsmodels.stats.proportion import
//     proportion_confint, confint_proportions_2indep; from statsmodels.stats.meta_analysis import combine_effects
//     - proportion_confint(s, n, method='wilson')
//     - confint_proportions_2indep(s1, n1, s0, n0, method='newcomb', compare='diff')
//     - r = combine_effects(np.array(effects), np.array(variances)); r.q, r.df, r.test_homogeneity().pvalue, r.i2
//       with effects p1 - p0 and variances p1*(1-p1)/n1 + p0*(1-p0)/n0 per subgroup; when that variance is 0,
//       p = (s + .5)/(n + 1) in both arms and variance p*(1-p)/(n + 1) summed over the arms.
//   numeric: Rscript (R 4.2.2), options(digits = 17), vectors per subgroup (warm = x, standard = y):
//     carer:        y <- c(3,2,4,3,3,4,2,3,5,3,4,2);         x <- c(4,5,3,4,4,5,3,4,5,4,3)
//     not a carer:  y <- c(3,4,2,3,3,4,3,2,4,3,5,3,3,4,3); x <- c(4,4,5,3,4,4,5,4,3,4,5,4,3,4)
//     no variation: y <- rep(3, 10);                       x <- rep(4, 10)
//     small:        y <- c(3,4,3,2,4,3,3,4,5,3);           x <- c(4,5,3,4,4)
//     length(), sum(), sum(^2) give the test input; mean(y); sd(y); t.test(y)$conf.int;
//     r <- t.test(x, y, var.equal = FALSE): r$conf.int, r$p.value, r$stderr^2;
//     Cochran's Q over carer and not a carer: eff <- diffs; w <- 1 / stderr^2;
//     Q <- sum(w * (eff - sum(w * eff) / sum(w))^2); pchisq(Q, 1, lower.tail = FALSE)
//     (statsmodels combine_effects(eff, stderr^2).q gives the same, 0.049192143672289745).

const arms = (counts: Record<string, [number, number]>): BinaryArmStats[] =>
  Object.entries(counts).map(([arm, [n, successes]]) => ({ arm, n, successes }));

const healthGroups = [
  { subgroup: 'mental health', arms: arms({ letter: [45, 9], text: [48, 16], phone: [44, 13] }) },
  { subgroup: 'musculoskeletal', arms: arms({ letter: [30, 5], text: [32, 6], phone: [29, 10] }) },
  { subgroup: 'neurological', arms: arms({ letter: [22, 4], text: [20, 9], phone: [21, 3] }) },
  { subgroup: 'other', arms: arms({ letter: [12, 2], text: [8, 3], phone: [11, 1] }) },
  // Two small subgroups together have at least 10 people in every arm, so no other needs withholding.
  { subgroup: 'sensory', arms: arms({ letter: [4, 0], text: [5, 1], phone: [3, 0] }) },
];

describe('subgroupEffects', () => {
  it('reports rates with Wilson intervals and differences with Newcombe intervals', () => {
    const result = subgroupEffects(healthGroups, { control: 'letter' });
    const mental = result.subgroups[0];
    expect(mental.tooSmall).toBe(false);
    expect(mental.arms?.map((a) => a.arm)).toEqual(['letter', 'text', 'phone']);
    // statsmodels: proportion_confint(9, 45, method='wilson'); proportion_confint(16, 48, method='wilson')
    expect(mental.arms?.[0].rate).toBeCloseTo(0.2, 15);
    expect(mental.arms?.[0].ci[0]).toBeCloseTo(0.10896126807831281, 10);
    expect(mental.arms?.[0].ci[1]).toBeCloseTo(0.3382296911614202, 10);
    expect(mental.arms?.[1].ci[0]).toBeCloseTo(0.21676780694818562, 10);
    expect(mental.arms?.[1].ci[1]).toBeCloseTo(0.4745989029405201, 10);
    // statsmodels: confint_proportions_2indep(16, 48, 9, 45, method='newcomb', compare='diff')
    const [text, phone] = mental.comparisons ?? [];
    expect(text.arm).toBe('text');
    expect(text.difference).toBeCloseTo(0.1333333333333333, 12);
    expect(text.differenceCi[0]).toBeCloseTo(-0.047484169857116065, 10);
    expect(text.differenceCi[1]).toBeCloseTo(0.3013928819057121, 10);
    // statsmodels: confint_proportions_2indep(13, 44, 9, 45, method='newcomb', compare='diff')
    expect(phone.differenceCi[0]).toBeCloseTo(-0.08365572125769258, 10);
    expect(phone.differenceCi[1]).toBeCloseTo(0.26814752879710324, 10);
  });

  it('suppresses every number for a subgroup with an arm below minPerArm', () => {
    const result = subgroupEffects(healthGroups, { control: 'letter' });
    expect(result.subgroups[3]).toEqual({ subgroup: 'other', tooSmall: true, withheldReason: 'small' });
    expect(result.subgroups[4]).toEqual({ subgroup: 'sensory', tooSmall: true, withheldReason: 'small' });
    expect(result.subgroups.slice(0, 3).every((group) => !group.tooSmall && group.withheldReason === undefined)).toBe(true);
    // With a lower threshold the same subgroups are reported.
    const lenient = subgroupEffects(healthGroups, { control: 'letter', minPerArm: 3 });
    expect(lenient.subgroups[3].tooSmall).toBe(false);
    expect(lenient.subgroups[3].arms).toHaveLength(3);
    expect(lenient.subgroups[4].tooSmall).toBe(false);
  });

  it('treats an arm missing from a subgroup as having nobody, so the subgroup is too small', () => {
    const missing = [
      ...healthGroups.slice(0, 2),
      { subgroup: 'sensory', arms: arms({ letter: [25, 5], text: [24, 6] }) },
    ];
    const result = subgroupEffects(missing, { control: 'letter' });
    expect(result.subgroups[2]).toEqual({ subgroup: 'sensory', tooSmall: true, withheldReason: 'small' });
  });

  it('also withholds the next-smallest subgroup when one alone is withheld, so it cannot be worked out from the totals', () => {
    const oneSmall = healthGroups.slice(0, 4);
    const result = subgroupEffects(oneSmall, { control: 'letter' });
    expect(result.subgroups[3]).toEqual({ subgroup: 'other', tooSmall: true, withheldReason: 'small' });
    // neurological (63 people) is the smallest shown subgroup, so it goes with "other".
    expect(result.subgroups[2]).toEqual({ subgroup: 'neurological', tooSmall: true, withheldReason: 'secondary' });
    expect(result.subgroups.slice(0, 2).map((group) => group.tooSmall)).toEqual([false, false]);
    expect(result.heterogeneity[0].subgroupsUsed).toEqual(['mental health', 'musculoskeletal']);
  });

  it('withholds another subgroup when the small ones together are still below the threshold in an arm', () => {
    const twoTiny = [
      ...healthGroups.slice(0, 3),
      { subgroup: 'sensory', arms: arms({ letter: [4, 1], text: [3, 0], phone: [12, 2] }) },
      { subgroup: 'skin', arms: arms({ letter: [5, 0], text: [4, 1], phone: [11, 3] }) },
    ];
    // Together letter 9, text 7: total minus the shown subgroups would still be a small cell.
    const result = subgroupEffects(twoTiny, { control: 'letter' });
    expect(result.subgroups.map((group) => group.withheldReason)).toEqual([undefined, undefined, 'secondary', 'small', 'small']);
  });

  it('withholds everything when the only other subgroup would give the small one away', () => {
    const result = subgroupEffects(
      [
        { subgroup: 'carer', arms: arms({ letter: [8, 1], text: [9, 2] }) },
        { subgroup: 'not a carer', arms: arms({ letter: [80, 11], text: [82, 20] }) },
      ],
      { control: 'letter' },
    );
    expect(result.subgroups).toEqual([
      { subgroup: 'carer', tooSmall: true, withheldReason: 'small' },
      { subgroup: 'not a carer', tooSmall: true, withheldReason: 'secondary' },
    ]);
    expect(result.heterogeneity[0]).toMatchObject({ df: 0, pValue: null, subgroupsUsed: [] });
  });

  it('never lets a withheld subgroup be recovered as the total minus the shown subgroups (random splits)', () => {
    const random = mulberry32(26);
    const whole = (max: number) => Math.floor(random() * (max + 1));
    let splitsWithSecondary = 0;
    let splitsWithHiddenRemainder = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const minPerArm = 1 + whole(14);
      const armNames = ['control', 'a', 'b', 'c'].slice(0, 2 + whole(2));
      const groups = Array.from({ length: 1 + whole(6) }, (_, g) => ({
        subgroup: `group ${g}`,
        arms: armNames.map((arm) => {
          // Mostly small cells, some large, so every kind of split turns up.
          const n = random() < 0.5 ? whole(2 * minPerArm) : whole(120);
          return { arm, n, successes: whole(n) };
        }),
      }));
      if (!groups.some((group) => group.arms.some((stats) => stats.arm === 'control'))) continue;
      const result = subgroupEffects(groups, { control: 'control', minPerArm });
      const shown = result.subgroups.filter((group) => !group.tooSmall);
      const withheld = result.subgroups.filter((group) => group.tooSmall);
      for (const group of withheld) {
        expect(group.arms).toBeUndefined();
        expect(group.comparisons).toBeUndefined();
        expect(['small', 'secondary']).toContain(group.withheldReason);
      }
      if (withheld.some((group) => group.withheldReason === 'secondary')) splitsWithSecondary += 1;
      if (withheld.length === groups.length) continue; // nothing shown: the remainder is just the arm total
      if (withheld.length > 0) splitsWithHiddenRemainder += 1;
      for (const arm of armNames) {
        const total = groups.reduce((sum, group) => sum + (group.arms.find((stats) => stats.arm === arm)?.n ?? 0), 0);
        const shownTotal = shown.reduce((sum, group) => sum + (group.arms?.find((stats) => stats.arm === arm)?.n ?? 0), 0);
        const remainder = total - shownTotal;
        if (remainder !== 0) expect(remainder).toBeGreaterThanOrEqual(minPerArm);
      }
      expect(withheld.length === 0 || withheld.length >= 2).toBe(true);
    }
    // The splits must actually exercise the rule, not pass by showing everything or nothing.
    expect(splitsWithSecondary).toBeGreaterThan(200);
    expect(splitsWithHiddenRemainder).toBeGreaterThan(200);
  });

  it("tests heterogeneity with Cochran's Q over the reported subgroups", () => {
    const result = subgroupEffects(healthGroups, { control: 'letter' });
    const [text, phone] = result.heterogeneity;
    // statsmodels: combine_effects over mental health, musculoskeletal, neurological (other is too small)
    expect(text.arm).toBe('text');
    expect(text.statistic).toBeCloseTo(2.211352370875445, 10);
    expect(text.df).toBe(2);
    expect(text.pValue).toBeCloseTo(0.3309869979687669, 10);
    expect(text.iSquared).toBeCloseTo(0.09557607085105713, 10);
    expect(text.subgroupsUsed).toEqual(['mental health', 'musculoskeletal', 'neurological']);
    expect(phone.statistic).toBeCloseTo(1.928064093558038, 10);
    expect(phone.pValue).toBeCloseTo(0.3813521521902142, 10);
    // statsmodels' I² here is −0.0373; we truncate at 0.
    expect(phone.iSquared).toBe(0);
  });

  it('adds ½ to every cell of a subgroup whose arms are all at 0% before weighting it', () => {
    const withZeros = [
      ...healthGroups,
      { subgroup: 'learning disability', arms: arms({ letter: [12, 0], text: [11, 0], phone: [12, 3] }) },
    ];
    const result = subgroupEffects(withZeros, { control: 'letter' });
    const learning = result.subgroups[5];
    // statsmodels: confint_proportions_2indep(0, 11, 0, 12, method='newcomb', compare='diff')
    expect(learning.comparisons?.[0].difference).toBe(0);
    expect(learning.comparisons?.[0].differenceCi[0]).toBeCloseTo(-0.24249400665524096, 10);
    expect(learning.comparisons?.[0].differenceCi[1]).toBeCloseTo(0.2588329669680318, 10);
    // statsmodels: proportion_confint(0, 12, method='wilson') = (0.0, 0.24249400665524096)
    expect(learning.arms?.[0].ci[0]).toBe(0);
    const [text, phone] = result.heterogeneity;
    // statsmodels: combine_effects with the corrected effect 0.0032051282051282007 and variance 0.006172334644043223
    expect(text.statistic).toBeCloseTo(3.513325416044064, 10);
    expect(text.df).toBe(3);
    expect(text.pValue).toBeCloseTo(0.31903796706608756, 10);
    expect(text.continuityCorrected).toEqual(['learning disability']);
    // Phone's variance in that subgroup is not 0 (3 of 12), so no correction.
    expect(phone.statistic).toBeCloseTo(3.4139126049581385, 10);
    expect(phone.pValue).toBeCloseTo(0.33210019717058425, 10);
    expect(phone.continuityCorrected).toEqual([]);
  });

  it('gives no heterogeneity p-value with fewer than two usable subgroups', () => {
    const result = subgroupEffects(healthGroups.slice(2), { control: 'letter' });
    expect(result.heterogeneity[0]).toMatchObject({ arm: 'text', statistic: 0, df: 0, pValue: null });
    expect(result.heterogeneity[0].subgroupsUsed).toEqual(['neurological']);
  });

  it('handles a subgroup where everyone in both arms succeeded', () => {
    const result = subgroupEffects(
      [{ subgroup: 'all', arms: arms({ letter: [10, 10], text: [11, 11] }) }],
      { control: 'letter' },
    );
    expect(result.subgroups[0].comparisons?.[0].difference).toBe(0);
    expect(result.subgroups[0].arms?.[0].ci[1]).toBe(1);
  });

  it('returns empty results for no subgroups', () => {
    expect(subgroupEffects([], { control: 'letter' })).toEqual({ subgroups: [], heterogeneity: [] });
  });

  it('refuses a control arm that is in no subgroup (a likely typo)', () => {
    expect(() => subgroupEffects(healthGroups, { control: 'Letter' })).toThrow(/control arm "Letter"/);
  });

  it('rejects duplicates, bad thresholds and impossible counts', () => {
    expect(() => subgroupEffects([healthGroups[0], healthGroups[0]], { control: 'letter' })).toThrow(/more than once/);
    const duplicateArm = [{ subgroup: 'x', arms: arms({ letter: [20, 2] }).concat(arms({ letter: [20, 3] })) }];
    expect(() => subgroupEffects(duplicateArm, { control: 'letter' })).toThrow(/more than once/);
    expect(() => subgroupEffects(healthGroups, { control: 'letter', minPerArm: 0 })).toThrow(RangeError);
    expect(() => subgroupEffects(healthGroups, { control: 'letter', minPerArm: 2.5 })).toThrow(RangeError);
    expect(() => subgroupEffects(healthGroups, { control: 'letter', confidence: 1 })).toThrow(RangeError);
    const impossible = [{ subgroup: 'x', arms: arms({ letter: [10, 11] }) }];
    expect(() => subgroupEffects(impossible, { control: 'letter' })).toThrow(RangeError);
  });
});

describe('subgroupNumericEffects', () => {
  const numeric = (arm: string, n: number, sum: number, sumSquares: number): NumericArmStats => ({ arm, n, sum, sumSquares });
  // R: c(length(y), sum(y), sum(y^2)) and the same for x, per subgroup (vectors above)
  const caring = [
    { subgroup: 'carer', arms: [numeric('standard', 12, 38, 130), numeric('warm', 11, 44, 182)] },
    { subgroup: 'not a carer', arms: [numeric('standard', 15, 49, 169), numeric('warm', 14, 56, 230)] },
    { subgroup: 'no variation', arms: [numeric('standard', 10, 30, 90), numeric('warm', 10, 40, 160)] },
    { subgroup: 'small', arms: [numeric('standard', 10, 34, 122), numeric('warm', 5, 20, 82)] },
    // With "small", enough people (13 and 11) that no other subgroup needs withholding.
    { subgroup: 'tiny', arms: [numeric('standard', 3, 12, 50), numeric('warm', 6, 24, 98)] },
  ];

  it('gives means, t intervals and Welch differences per subgroup', () => {
    const result = subgroupNumericEffects(caring, { control: 'standard' });
    const carer = result.subgroups[0];
    // R: y <- c(3,2,4,3,3,4,2,3,5,3,4,2); mean(y); sd(y); t.test(y)$conf.int
    expect(carer.arms?.[0].mean).toBeCloseTo(3.1666666666666665, 12);
    expect(carer.arms?.[0].sd).toBeCloseTo(0.93743686656109204, 12);
    expect(carer.arms?.[0].ci[0]).toBeCloseTo(2.571047697867531, 10);
    expect(carer.arms?.[0].ci[1]).toBeCloseTo(3.7622856354658021, 10);
    // R: t.test(x, y, var.equal = FALSE) with x <- c(4,5,3,4,4,5,3,4,5,4,3)
    const [warm] = carer.comparisons ?? [];
    expect(warm.difference).toBeCloseTo(0.83333333333333348, 12);
    expect(warm.differenceCi?.[0]).toBeCloseTo(0.089512664108062925, 10);
    expect(warm.differenceCi?.[1]).toBeCloseTo(1.5771540025586037, 10);
    expect(warm.pValue).toBeCloseTo(0.029885116825423729, 10);
    // R: not a carer, t.test(x, y, var.equal = FALSE)
    const other = result.subgroups[1].comparisons?.[0];
    expect(other?.differenceCi?.[0]).toBeCloseTo(0.16930855382755175, 10);
    expect(other?.differenceCi?.[1]).toBeCloseTo(1.297358112839115, 10);
    expect(other?.pValue).toBeCloseTo(0.012767374951984685, 10);
  });

  it('suppresses small subgroups and leaves subgroups without variation out of the Q test', () => {
    const result = subgroupNumericEffects(caring, { control: 'standard' });
    expect(result.subgroups[3]).toEqual({ subgroup: 'small', tooSmall: true, withheldReason: 'small' });
    expect(result.subgroups[4]).toEqual({ subgroup: 'tiny', tooSmall: true, withheldReason: 'small' });
    const flat = result.subgroups[2];
    expect(flat.comparisons?.[0]).toEqual({ arm: 'warm', difference: 1, differenceCi: null, pValue: null });
    expect(flat.arms?.[0].ci).toEqual([3, 3]);
    const [warm] = result.heterogeneity;
    // R: Q over carer and not a carer
    expect(warm.subgroupsUsed).toEqual(['carer', 'not a carer']);
    expect(warm.statistic).toBeCloseTo(0.049192143672292722, 10);
    expect(warm.df).toBe(1);
    expect(warm.pValue).toBeCloseTo(0.82447501346351659, 10);
  });

  it('reports a small subgroup when the threshold allows it', () => {
    const result = subgroupNumericEffects(caring.slice(0, 4), { control: 'standard', minPerArm: 5 });
    // R: small subgroup, t.test(x, y, var.equal = FALSE)
    const small = result.subgroups[3].comparisons?.[0];
    expect(small?.differenceCi?.[0]).toBeCloseTo(-0.32743086086558587, 10);
    expect(small?.differenceCi?.[1]).toBeCloseTo(1.527430860865586, 10);
    expect(small?.pValue).toBeCloseTo(0.17892143980186792, 10);
  });

  it('withholds the next-smallest subgroup as for binary metrics', () => {
    const result = subgroupNumericEffects(caring.slice(0, 4), { control: 'standard' });
    expect(result.subgroups[3].withheldReason).toBe('small');
    expect(result.subgroups[2]).toEqual({ subgroup: 'no variation', tooSmall: true, withheldReason: 'secondary' });
  });

  it('needs at least two people per arm to report a numeric subgroup', () => {
    expect(() => subgroupNumericEffects(caring, { control: 'standard', minPerArm: 1 })).toThrow(RangeError);
    const inconsistent = [{ subgroup: 'x', arms: [numeric('standard', 10, 30, 10)] }];
    expect(() => subgroupNumericEffects(inconsistent, { control: 'standard' })).toThrow(RangeError);
  });
});
