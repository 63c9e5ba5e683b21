import { describe, expect, it } from 'vitest';
import { factorialInteraction, factorialLikelihoodRatio, factorialMainEffects, type FactorialArmStats } from './factorial.ts';

// Reference scripts (run as written):
//   /usr/bin/python3 with statsmodels 0.13.5: Newcombe intervals from
//     confint_proportions_2indep(s1, n1, s0, n0, method='newcomb', compare='diff'),
//     Wald interaction contrasts from smf.ols('y ~ C(A, Treatment(ref)) * C(B, Treatment(ref))', d)
//     .fit(cov_type='HC0') on the counts expanded to one row per person (HC0 SE = Wald SE);
//   Rscript (R 4.2.2), options(digits = 17): p-values from prop.test(c(s1, s0), c(n1, n0), correct = FALSE)
//     or fisher.test(matrix(c(s1, n1 - s1, s0, n0 - s0), 2, byrow = TRUE)), and likelihood-ratio tests from
//     m0 <- glm(cbind(s, n - s) ~ A + B, binomial, d); m1 <- glm(cbind(s, n - s) ~ A * B, binomial, d)
//     anova(m0, m1, test = "Chisq").

const arm = (channel: string, tone: string, n: number, successes: number): FactorialArmStats => ({
  arm: `${channel}-${tone}`,
  levels: { channel, tone },
  n,
  successes,
});

/** Channel (letter, text, phone) × tone (standard, warm): a 3 × 2 factorial. */
const channelByTone = [
  arm('letter', 'standard', 40, 6),
  arm('letter', 'warm', 38, 9),
  arm('text', 'standard', 42, 11),
  arm('text', 'warm', 41, 17),
  arm('phone', 'standard', 39, 14),
  arm('phone', 'warm', 40, 13),
];
const reference = { channel: 'letter', tone: 'standard' };

describe('factorialMainEffects', () => {
  it('pools each factor over the other and compares with the reference level', () => {
    const { factors } = factorialMainEffects(channelByTone, { reference });
    expect(factors.map((f) => f.factor)).toEqual(['channel', 'tone']);

    const channel = factors[0];
    expect(channel.reference).toEqual({ level: 'letter', n: 78, successes: 15, rate: 15 / 78 });
    const [text, phone] = channel.comparisons;
    // statsmodels: confint_proportions_2indep(28, 83, 15, 78, method='newcomb', compare='diff')
    expect(text).toMatchObject({ level: 'text', n: 83, successes: 28, test: 'z' });
    expect(text.difference).toBeCloseTo(0.1450417052826691, 12);
    expect(text.differenceCi[0]).toBeCloseTo(0.008050485564885301, 10);
    expect(text.differenceCi[1]).toBeCloseTo(0.2740115528241383, 10);
    // R: prop.test(c(28, 15), c(83, 78), correct = FALSE)$p.value
    expect(text.pValue).toBeCloseTo(0.037633869371365654, 10);
    // statsmodels: confint_proportions_2indep(27, 79, 15, 78, method='newcomb', compare='diff')
    expect(phone.level).toBe('phone');
    expect(phone.differenceCi[0]).toBeCloseTo(0.010734386707874244, 10);
    expect(phone.differenceCi[1]).toBeCloseTo(0.28079843028997625, 10);
    // R: prop.test(c(27, 15), c(79, 78), correct = FALSE)$p.value
    expect(phone.pValue).toBeCloseTo(0.034403110942872989, 10);

    const [warm] = factors[1].comparisons;
    // statsmodels: confint_proportions_2indep(39, 119, 31, 121, method='newcomb', compare='diff')
    expect(warm.difference).toBeCloseTo(0.0715327453295368, 12);
    expect(warm.differenceCi[0]).toBeCloseTo(-0.04328183372661164, 10);
    expect(warm.differenceCi[1]).toBeCloseTo(0.18407587665796926, 10);
    // R: prop.test(c(39, 31), c(119, 121), correct = FALSE)$p.value
    expect(warm.pValue).toBeCloseTo(0.22284473219404835, 10);
  });

  it('pools over two other factors in a 2 × 2 × 2 design', () => {
    const arms: FactorialArmStats[] = [
      ['letter', 'standard', 'dwp', 25, 4],
      ['letter', 'standard', 'charity', 24, 6],
      ['letter', 'warm', 'dwp', 26, 7],
      ['letter', 'warm', 'charity', 23, 9],
      ['text', 'standard', 'dwp', 25, 8],
      ['text', 'standard', 'charity', 27, 7],
      ['text', 'warm', 'dwp', 24, 12],
      ['text', 'warm', 'charity', 26, 13],
    ].map(([channel, tone, messenger, n, successes]) => ({
      arm: `${channel}-${tone}-${messenger}`,
      levels: { channel: channel as string, tone: tone as string, messenger: messenger as string },
      n: n as number,
      successes: successes as number,
    }));
    const { factors } = factorialMainEffects(arms, {
      reference: { channel: 'letter', tone: 'standard', messenger: 'dwp' },
    });
    const [channel, tone, messenger] = factors.map((f) => f.comparisons[0]);
    // statsmodels: confint_proportions_2indep(40, 102, 26, 98, method='newcomb', compare='diff')
    // R: prop.test(c(40, 26), c(102, 98), correct = FALSE)$p.value
    expect(channel).toMatchObject({ level: 'text', n: 102, successes: 40 });
    expect(channel.differenceCi[0]).toBeCloseTo(-0.003489851056064003, 10);
    expect(channel.differenceCi[1]).toBeCloseTo(0.2509223715936463, 10);
    expect(channel.pValue).toBeCloseTo(0.056494396408054974, 10);
    // statsmodels: confint_proportions_2indep(41, 99, 25, 101, method='newcomb', compare='diff')
    // R: prop.test(c(41, 25), c(99, 101), correct = FALSE)$p.value
    expect(tone.differenceCi[0]).toBeCloseTo(0.036208668674674704, 10);
    expect(tone.differenceCi[1]).toBeCloseTo(0.2897109434727178, 10);
    expect(tone.pValue).toBeCloseTo(0.012229248890469493, 10);
    // statsmodels: confint_proportions_2indep(35, 100, 31, 100, method='newcomb', compare='diff')
    // R: prop.test(c(35, 31), c(100, 100), correct = FALSE)$p.value
    expect(messenger.differenceCi[0]).toBeCloseTo(-0.08932020612478117, 10);
    expect(messenger.differenceCi[1]).toBeCloseTo(0.16749480513879392, 10);
    expect(messenger.pValue).toBeCloseTo(0.54749318730406571, 10);
  });

  it('uses Fisher exact p-values when pooled cells are small', () => {
    const small = [
      arm('letter', 'standard', 6, 1),
      arm('letter', 'warm', 6, 0),
      arm('text', 'standard', 5, 3),
      arm('text', 'warm', 6, 4),
    ];
    const { factors } = factorialMainEffects(small, { reference });
    const text = factors[0].comparisons[0];
    // statsmodels: confint_proportions_2indep(7, 11, 1, 12, method='newcomb', compare='diff')
    expect(text.differenceCi[0]).toBeCloseTo(0.1618308710093624, 10);
    expect(text.differenceCi[1]).toBeCloseTo(0.7757855078695811, 10);
    // R: fisher.test(matrix(c(7, 4, 1, 11), 2, byrow = TRUE))$p.value
    expect(text.test).toBe('fisher');
    expect(text.pValue).toBeCloseTo(0.0094225333153856467, 10);
    const warm = factors[1].comparisons[0];
    // statsmodels: confint_proportions_2indep(4, 12, 4, 11, method='newcomb', compare='diff')
    expect(warm.differenceCi[0]).toBeCloseTo(-0.37374116854146777, 10);
    expect(warm.differenceCi[1]).toBeCloseTo(0.31773804553490065, 10);
    // R: fisher.test(matrix(c(4, 8, 4, 7), 2, byrow = TRUE))$p.value
    expect(warm.pValue).toBeCloseTo(1, 10);
  });

  it('handles cells with no successes and cells where everyone succeeded, at 90%', () => {
    const extremes = [
      arm('letter', 'formal', 15, 0),
      arm('letter', 'warm', 14, 2),
      arm('email', 'formal', 16, 3),
      arm('email', 'warm', 15, 15),
    ];
    const { factors } = factorialMainEffects(extremes, {
      reference: { channel: 'letter', tone: 'formal' },
      confidence: 0.9,
    });
    const email = factors[0].comparisons[0];
    // statsmodels: confint_proportions_2indep(18, 31, 2, 29, method='newcomb', compare='diff', alpha=0.1)
    expect(email.differenceCi[0]).toBeCloseTo(0.322717518522044, 10);
    expect(email.differenceCi[1]).toBeCloseTo(0.6528242222599616, 10);
    // R: prop.test(c(18, 2), c(31, 29), correct = FALSE)$p.value
    expect(email.pValue).toBeCloseTo(2.6510409008542247e-5, 12);
  });

  it('gives a factor with only its reference level no comparisons', () => {
    const oneTone = [arm('letter', 'standard', 10, 2), arm('text', 'standard', 10, 5)];
    const { factors } = factorialMainEffects(oneTone, { reference });
    expect(factors[1]).toMatchObject({ factor: 'tone', comparisons: [] });
  });

  it('refuses a level whose arms have nobody in them', () => {
    const empty = [arm('letter', 'standard', 10, 2), arm('text', 'standard', 0, 0)];
    expect(() => factorialMainEffects(empty, { reference })).toThrow(RangeError);
  });

  it('rejects missing references, missing levels and impossible counts', () => {
    expect(() => factorialMainEffects(channelByTone, { reference: { channel: 'letter' } })).toThrow(
      /no reference level given for factor "tone"/,
    );
    expect(() => factorialMainEffects(channelByTone, { reference: { channel: 'fax', tone: 'standard' } })).toThrow(
      /not in any arm/,
    );
    const missing = [...channelByTone, { arm: 'odd', levels: { channel: 'text' }, n: 5, successes: 1 }];
    expect(() => factorialMainEffects(missing, { reference })).toThrow(/no level for factor "tone"/);
    expect(() => factorialMainEffects([arm('letter', 'standard', 5, 6)], { reference })).toThrow(RangeError);
    expect(() => factorialMainEffects([], { reference })).toThrow(RangeError);
    expect(() => factorialMainEffects(channelByTone, { reference, confidence: 0 })).toThrow(RangeError);
  });
});

describe('factorialInteraction', () => {
  const factors: [string, string] = ['channel', 'tone'];

  it('gives the risk-difference interaction contrasts and the logistic likelihood-ratio test', () => {
    const result = factorialInteraction(channelByTone, { factors, reference });
    expect(result.cells).toHaveLength(6);
    const [text, phone] = result.contrasts;
    expect(text.levels).toEqual({ channel: 'text', tone: 'warm' });
    // statsmodels: ols HC0 interaction coefficient C(A)[T.text]:C(B)[T.warm]
    expect(text.estimate).toBeCloseTo(0.0658872791735443, 12);
    expect(text.standardError).toBeCloseTo(0.1358914280739029, 12);
    expect(text.z).toBeCloseTo(0.48485235682203814, 10);
    expect(text.pValue).toBeCloseTo(0.6277810801996129, 10);
    expect(text.interval?.[0]).toBeCloseTo(-0.20045502565902057, 10);
    expect(text.interval?.[1]).toBeCloseTo(0.3322295840061092, 10);
    // statsmodels: ols HC0 interaction coefficient C(A)[T.phone]:C(B)[T.warm]
    expect(phone.levels).toEqual({ channel: 'phone', tone: 'warm' });
    expect(phone.estimate).toBeCloseTo(-0.1208164642375158, 12);
    expect(phone.standardError).toBeCloseTo(0.13902769879763285, 12);
    expect(phone.pValue).toBeCloseTo(0.3848416465733291, 10);
    expect(phone.interval?.[0]).toBeCloseTo(-0.39330574673435875, 10);
    expect(phone.interval?.[1]).toBeCloseTo(0.15167281825932716, 10);
    // R: d <- data.frame(A = factor(c("letter","letter","text","text","phone","phone"), levels = c("letter","text","phone")),
    //      B = factor(rep(c("standard","warm"), 3)), n = c(40,38,42,41,39,40), s = c(6,9,11,17,14,13)); anova(m0, m1, test = "Chisq")
    expect(result.likelihoodRatio.statistic).toBeCloseTo(1.7761455055998383, 9);
    expect(result.likelihoodRatio.df).toBe(2);
    expect(result.likelihoodRatio.pValue).toBeCloseTo(0.4114479510377943, 9);
    expect(result.likelihoodRatio.saturatedDeviance).toBe(0);
  });

  it('pools over a third factor before forming the two-way table', () => {
    const arms: FactorialArmStats[] = [
      ['letter', 'standard', 'dwp', 25, 4],
      ['letter', 'standard', 'charity', 24, 6],
      ['letter', 'warm', 'dwp', 26, 7],
      ['letter', 'warm', 'charity', 23, 9],
      ['text', 'standard', 'dwp', 25, 8],
      ['text', 'standard', 'charity', 27, 7],
      ['text', 'warm', 'dwp', 24, 12],
      ['text', 'warm', 'charity', 26, 13],
    ].map(([channel, tone, messenger, n, successes]) => ({
      arm: `${channel}-${tone}-${messenger}`,
      levels: { channel: channel as string, tone: tone as string, messenger: messenger as string },
      n: n as number,
      successes: successes as number,
    }));
    const result = factorialInteraction(arms, { factors, reference, confidence: 0.9 });
    const [contrast] = result.contrasts;
    // statsmodels: ols HC0 on the rows pooled over messenger; conf_int(alpha=0.1)
    expect(contrast.estimate).toBeCloseTo(0.08908948194662412, 12);
    expect(contrast.standardError).toBeCloseTo(0.12942184933435033, 12);
    expect(contrast.pValue).toBeCloseTo(0.49122290689631765, 10);
    expect(contrast.interval?.[0]).toBeCloseTo(-0.123790516337749, 10);
    expect(contrast.interval?.[1]).toBeCloseTo(0.30196948023099723, 10);
    // R: pooled cells n = c(49,49,52,50), s = c(10,16,15,25); anova(m0, m1, test = "Chisq")
    expect(result.likelihoodRatio.statistic).toBeCloseTo(0.17984435582588776, 9);
    expect(result.likelihoodRatio.pValue).toBeCloseTo(0.67150703280165192, 9);
  });

  it('shows the two scales disagreeing when cells sit at 0% and 100%', () => {
    const extremes = [
      arm('letter', 'formal', 15, 0),
      arm('letter', 'warm', 14, 2),
      arm('email', 'formal', 16, 3),
      arm('email', 'warm', 15, 15),
    ];
    const result = factorialInteraction(extremes, { factors, reference: { channel: 'letter', tone: 'formal' } });
    const [contrast] = result.contrasts;
    // statsmodels: ols HC0 interaction coefficient for n = (15,14,16,15), s = (0,2,3,15)
    expect(contrast.estimate).toBeCloseTo(0.6696428571428571, 12);
    expect(contrast.standardError).toBeCloseTo(0.13515857375738763, 12);
    expect(contrast.pValue).toBeCloseTo(7.251733483502466e-7, 14);
    // R: deviance(m0) = 3.73e-10, LR printed as -1.4e-10 with p NA: the main-effects logistic
    // model fits this table perfectly in the limit, so the statistic is 0 and p is 1.
    expect(result.likelihoodRatio.statistic).toBeLessThan(1e-8);
    expect(result.likelihoodRatio.pValue).toBeCloseTo(1, 4);
  });

  it('reaches R\'s deviance when a whole channel has no successes (separation)', () => {
    const separated = [
      arm('letter', 'standard', 20, 3),
      arm('letter', 'warm', 20, 5),
      arm('phone', 'standard', 18, 0),
      arm('phone', 'warm', 19, 0),
      arm('text', 'standard', 25, 10),
      arm('text', 'warm', 22, 4),
    ];
    const result = factorialInteraction(separated, { factors, reference });
    // R: n = c(20,20,18,19,25,22), s = c(3,5,0,0,10,4), A levels letter, phone, text; anova(m0, m1, test = "Chisq")
    // R's glm stops at its default tolerance (1e-8), so agreement is to about 1e-8.
    expect(result.likelihoodRatio.statistic).toBeCloseTo(2.7696464870173947, 7);
    expect(result.likelihoodRatio.df).toBe(2);
    expect(result.likelihoodRatio.pValue).toBeCloseTo(0.25036805005888263, 7);
    // The phone contrast still has a Wald standard error from the letter cells.
    expect(result.contrasts[0].levels).toEqual({ channel: 'phone', tone: 'warm' });
    expect(result.contrasts[0].estimate).toBeCloseTo(-(5 / 20 - 3 / 20), 12);
  });

  it('returns no interval when all four cells are at 0% or 100%', () => {
    const flat = [
      arm('letter', 'standard', 10, 0),
      arm('letter', 'warm', 10, 0),
      arm('text', 'standard', 10, 0),
      arm('text', 'warm', 10, 10),
    ];
    const [contrast] = factorialInteraction(flat, { factors, reference }).contrasts;
    expect(contrast.estimate).toBe(1);
    expect(contrast.standardError).toBe(0);
    expect(contrast.interval).toBeNull();
    expect(contrast.pValue).toBeNull();
  });

  it('needs every combination of the two factors to have people', () => {
    const gap = channelByTone.filter((a) => a.arm !== 'text-warm');
    expect(() => factorialInteraction(gap, { factors, reference })).toThrow(/every combination/);
    const emptyCell = channelByTone.map((a) => (a.arm === 'text-warm' ? { ...a, n: 0, successes: 0 } : a));
    expect(() => factorialInteraction(emptyCell, { factors, reference })).toThrow(RangeError);
    expect(() => factorialInteraction(channelByTone, { factors: ['channel', 'channel'], reference })).toThrow(RangeError);
  });
});

describe('factorialLikelihoodRatio', () => {
  const threeFactors = (successes: number[]): FactorialArmStats[] =>
    [
      ['letter', 'standard', 'dwp', 25],
      ['letter', 'standard', 'charity', 24],
      ['letter', 'warm', 'dwp', 26],
      ['letter', 'warm', 'charity', 23],
      ['text', 'standard', 'dwp', 25],
      ['text', 'standard', 'charity', 27],
      ['text', 'warm', 'dwp', 24],
      ['text', 'warm', 'charity', 26],
    ].map(([channel, tone, messenger, n], i) => ({
      arm: `${channel}-${tone}-${messenger}`,
      levels: { channel: channel as string, tone: tone as string, messenger: messenger as string },
      n: n as number,
      successes: successes[i],
    }));
  const threeReference = { channel: 'letter', tone: 'standard', messenger: 'dwp' };
  const allThree = ['channel', 'tone', 'messenger'];

  it('tests every interaction of three factors at once against the main-effects logistic model', () => {
    const result = factorialLikelihoodRatio(threeFactors([4, 6, 7, 9, 8, 7, 12, 13]), { factors: allThree, reference: threeReference });
    // R: d <- data.frame(A, B, C as factors with reference levels letter, standard, dwp, n = c(25,24,26,23,25,27,24,26),
    //      s = c(4,6,7,9,8,7,12,13)); m0 <- glm(cbind(s, n - s) ~ A + B + C, binomial, d);
    //    m1 <- glm(cbind(s, n - s) ~ A * B * C, binomial, d); a <- anova(m0, m1, test = "LRT"); a$Deviance[2]; a$`Pr(>Chi)`[2]
    expect(result.statistic).toBeCloseTo(1.53840765273155311, 7);
    expect(result.df).toBe(4);
    expect(result.pValue).toBeCloseTo(0.81981694898430968, 7);
  });

  it('finds a three-way interaction when one combination goes against the others', () => {
    const result = factorialLikelihoodRatio(threeFactors([4, 6, 7, 9, 8, 7, 22, 3]), { factors: allThree, reference: threeReference });
    // R: as above with s = c(4,6,7,9,8,7,22,3)
    expect(result.statistic).toBeCloseTo(32.351131110672434, 6);
    expect(result.pValue).toBeCloseTo(1.6216315453317877e-6, 10);
  });

  it('agrees with the two-factor interaction test', () => {
    const pair = factorialLikelihoodRatio(channelByTone, { factors: ['channel', 'tone'], reference });
    const interaction = factorialInteraction(channelByTone, { factors: ['channel', 'tone'], reference });
    expect(pair.df).toBe(2);
    expect(pair.statistic).toBeCloseTo(interaction.likelihoodRatio.statistic, 12);
  });

  it('needs every combination of levels to have people, and two different factors', () => {
    const arms = threeFactors([4, 6, 7, 9, 8, 7, 12, 13]);
    expect(() => factorialLikelihoodRatio(arms.slice(1), { factors: allThree, reference: threeReference })).toThrow(/every combination/);
    expect(() => factorialLikelihoodRatio(arms, { factors: ['channel'], reference: threeReference })).toThrow(RangeError);
    expect(() => factorialLikelihoodRatio(arms, { factors: ['channel', 'channel'], reference: threeReference })).toThrow(RangeError);
  });
});
