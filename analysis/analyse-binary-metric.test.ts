import { describe, expect, it } from 'vitest';
import { adjustAcrossMetrics, analyseBinaryMetric } from './analyse-binary-metric.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';

const threeArms = [
  { arm: 'letter', n: 120, successes: 12 },
  { arm: 'text', n: 118, successes: 21 },
  { arm: 'phone', n: 122, successes: 27 },
];

describe('analyseBinaryMetric', () => {
  it('reports each arm with its rate and Wilson interval, in input order', () => {
    const result = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    expect(result.arms.map((arm) => arm.arm)).toEqual(['letter', 'text', 'phone']);
    expectClose(result.arms[0].rate, 0.1);
    expectIntervalClose(result.arms[0].ci, [0.058133592026010802, 0.16668174110895201]); // R: prop.test(12, 120, correct = FALSE)$conf.int
    expectIntervalClose(result.arms[1].ci, [0.11944980105584078, 0.25678879017898604]); // R: prop.test(21, 118, correct = FALSE)$conf.int
    expectIntervalClose(result.arms[2].ci, [0.15679115287881554, 0.30284638917407686]); // R: prop.test(27, 122, correct = FALSE)$conf.int
  });

  it('compares each non-control arm with control using the reference methods', () => {
    const result = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    expect(result.comparisons.map((comparison) => comparison.arm)).toEqual(['text', 'phone']);
    const [text, phone] = result.comparisons;

    expectClose(text.difference, 21 / 118 - 0.1);
    // python: confint_proportions_2indep(21, 118, 12, 120, method='newcomb', compare='diff')
    expectIntervalClose(text.differenceCi, [-0.01075036824051362, 0.16721750132820606]);
    expectClose(text.relativeUplift, 21 / 118 / 0.1 - 1);
    // python: confint_proportions_2indep(21, 118, 12, 120, compare='ratio', method='log') minus 1
    expectIntervalClose(text.relativeUpliftCi, [0.9178178865101482 - 1, 3.4507862418014357 - 1]);
    expect(text.test).toBe('z');
    expectClose(text.pValue, 0.08182892728888537); // R: prop.test(c(21, 12), c(118, 120), correct = FALSE)$p.value
    // R: integrate(function(x) dbeta(x, 22, 98) * pbeta(x, 13, 109), 0, 1, rel.tol = 1e-12)$value
    expectClose(text.probabilityBeatsControl, 0.95763454584793073, 1e-9);
    expect(text.expectedLoss!.chooseArm).toBeLessThan(text.expectedLoss!.chooseControl);

    // python: confint_proportions_2indep(27, 122, 12, 120, method='newcomb', compare='diff')
    expectIntervalClose(phone.differenceCi, [0.02852501833323344, 0.21296701686362215]);
    // python: confint_proportions_2indep(27, 122, 12, 120, compare='ratio', method='log') minus 1
    expectIntervalClose(phone.relativeUpliftCi, [1.176821259482765 - 1, 4.161954821380908 - 1]);
    expectClose(phone.pValue, 0.01028032646225681); // R: prop.test(c(27, 12), c(122, 120), correct = FALSE)$p.value
    // R: integrate(function(x) dbeta(x, 28, 96) * pbeta(x, 13, 109), 0, 1, rel.tol = 1e-12)$value
    expectClose(phone.probabilityBeatsControl, 0.99477028401814915, 1e-9);
  });

  it('adjusts p-values across the non-control arms with Holm', () => {
    const [text, phone] = analyseBinaryMetric({ arms: threeArms, control: 'letter' }).comparisons;
    // R: p.adjust(c(0.08182892728888537, 0.01028032646225681), 'holm')
    expectClose(text.pValueHolm, 0.08182892728888537);
    expectClose(phone.pValueHolm, 0.020560652924513621);
  });

  it('includes the omnibus chi-square, and the sample-ratio check only when weights are given', () => {
    const without = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    // R: chisq.test(matrix(c(12, 21, 27, 108, 97, 95), ncol = 2), correct = FALSE)
    expectClose(without.omnibus!.statistic, 6.5714253959433186);
    expect(without.omnibus!.df).toBe(2);
    expectClose(without.omnibus!.pValue, 0.037413910770850385);
    expect(without.srm).toBeUndefined();

    const withWeights = analyseBinaryMetric({ arms: threeArms, control: 'letter', plannedWeights: [1, 1, 1] });
    expectClose(withWeights.srm!.pValue, 0.9672161004820059); // R: chisq.test(x = c(120, 118, 122), p = c(1, 1, 1) / 3)$p.value
    expect(withWeights.srm!.flagged).toBe(false);
  });

  it('adds always-valid intervals tuned to each pair’s share of the planned total', () => {
    const equal = analyseBinaryMetric({ arms: threeArms, control: 'letter', plannedTotal: 600 });
    const [text, phone] = equal.comparisons;
    expect(text.sequential!.plannedTotal).toBeCloseTo(400, 10);
    // R: csb(21, 118, 12, 120, T = 400) — formula in confidence-sequence.test.ts
    expectIntervalClose(text.sequential!.ci, [-0.058607161052131429, 0.21453936444196192]);
    expectClose(text.sequential!.pValue, 0.6809022724917716, 1e-8);
    // R: csb(27, 122, 12, 120, T = 400)
    expectIntervalClose(phone.sequential!.ci, [-0.020988744081454236, 0.26361169490112635]);
    expectClose(phone.sequential!.pValue, 0.15323150386216008, 1e-8);

    // weights 2:1:1 with letter as control → phone's pair is planned as 600 × 3/4 = 450; R: csb(27, 122, 12, 120, T = 450)
    const weighted = analyseBinaryMetric({ arms: threeArms, control: 'letter', plannedTotal: 600, plannedWeights: [2, 1, 1] });
    expectIntervalClose(weighted.comparisons[1].sequential!.ci, [-0.02161565944831273, 0.26423861026798484]);
  });

  it('uses Fisher for small counts and gives a null relative uplift when control has no successes', () => {
    const result = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 15, successes: 0 },
        { arm: 'text', n: 14, successes: 4 },
      ],
      control: 'letter',
    });
    const [text] = result.comparisons;
    expect(text.test).toBe('fisher');
    expect(text.relativeUplift).toBeNull();
    expect(text.relativeUpliftCi).toBeNull();
    expect(text.difference).toBeCloseTo(4 / 14, 12);
    expect(result.arms[0].ci![0]).toBe(0);
  });

  it('gives null fields, not an error, for an arm nobody has been assigned to yet', () => {
    const result = analyseBinaryMetric({
      arms: [...threeArms, { arm: 'visit', n: 0, successes: 0 }],
      control: 'letter',
      plannedWeights: [1, 1, 1, 1],
    });
    const visit = result.arms[3];
    expect(visit.rate).toBeNull();
    expect(visit.ci).toBeNull();
    const comparison = result.comparisons[2];
    expect(comparison).toMatchObject({ arm: 'visit', difference: null, pValue: null, pValueHolm: null, probabilityBeatsControl: null });
    // the empty arm is left out of the Holm family and the omnibus test …
    expectClose(result.comparisons[1].pValueHolm, 0.020560652924513621);
    expect(result.omnibus!.df).toBe(2);
    // … but it is exactly what the sample-ratio check should flag
    expect(result.srm!.flagged).toBe(true);
  });

  it('gives null comparisons and no omnibus when the control arm is empty', () => {
    const result = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 0, successes: 0 },
        { arm: 'text', n: 3, successes: 1 },
      ],
      control: 'letter',
    });
    expect(result.comparisons[0].difference).toBeNull();
    expect(result.omnibus).toBeNull();
  });

  it('handles a single person per arm', () => {
    const result = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 1, successes: 0 },
        { arm: 'text', n: 1, successes: 1 },
      ],
      control: 'letter',
      plannedTotal: 100,
    });
    expect(result.comparisons[0]).toMatchObject({ difference: 1, test: 'fisher', pValue: 1 });
    expect(result.comparisons[0].sequential!.ci).toBeNull(); // zero variance with one person each
  });

  it('throws a RangeError for an unknown control, duplicate arms, one arm, or mismatched weights', () => {
    expect(() => analyseBinaryMetric({ arms: threeArms, control: 'email' })).toThrow(/control arm "email" is not one of the arms: letter, text, phone/);
    expect(() => analyseBinaryMetric({ arms: [threeArms[0], threeArms[0]], control: 'letter' })).toThrow(/appears more than once/);
    expect(() => analyseBinaryMetric({ arms: [threeArms[0]], control: 'letter' })).toThrow(/at least two arms/);
    expect(() => analyseBinaryMetric({ arms: threeArms, control: 'letter', plannedWeights: [1, 1] })).toThrow(/3 arms but 2 planned weights/);
    expect(() => analyseBinaryMetric({ arms: threeArms, control: 'letter', confidence: 95 })).toThrow(/confidence/);
    expect(() => analyseBinaryMetric({ arms: threeArms, control: 'letter', plannedTotal: -5 })).toThrow(/plannedTotal/);
  });
});

describe('adjustAcrossMetrics', () => {
  it('applies Benjamini–Hochberg to every comparison of every metric together', () => {
    const attended = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    const responded = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 120, successes: 30 },
        { arm: 'text', n: 118, successes: 41 },
        { arm: 'phone', n: 122, successes: 52 },
      ],
      control: 'letter',
    });
    const [adjustedAttended, adjustedResponded] = adjustAcrossMetrics([attended, responded]);
    // R: p.adjust(c(0.08182892728888537, 0.01028032646225681, 0.10037435083325479, 0.0037802166983080315), 'BH')
    expectClose(adjustedAttended.comparisons[0].pValueAcrossMetrics, 0.10037435083325479);
    expectClose(adjustedAttended.comparisons[1].pValueAcrossMetrics, 0.020560652924513621);
    expectClose(adjustedResponded.comparisons[0].pValueAcrossMetrics, 0.10037435083325479);
    expectClose(adjustedResponded.comparisons[1].pValueAcrossMetrics, 0.015120866793232126);
    // the inputs are not modified
    expect(attended.comparisons[0].pValueAcrossMetrics).toBeUndefined();
  });
});
