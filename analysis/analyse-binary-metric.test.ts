import { describe, expect, it } from 'vitest';
import { adjustAcrossMetrics, analyseBinaryMetric } from './analyse-binary-metric.ts';
import { expectClose, expectIntervalClose } from './expect-close.ts';

const threeArms = [
  { arm: 'letter', n: 120, successes: 12 },
  { arm: 'text', n: 118, successes: 21 },
  { arm: 'phone', n: 122, successes: 27 },
];

describe('analyseBinaryMetric', () => {
  it('reports each arm with its rate and continuity-corrected Wilson interval, in input order', () => {
    const result = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    expect(result.arms.map((arm) => arm.arm)).toEqual(['letter', 'text', 'phone']);
    expectClose(result.arms[0].rate, 0.1);
    expectIntervalClose(result.arms[0].ci, [0.055032047929437562, 0.171629715641382796]); // R: prop.test(12, 120, correct = TRUE)$conf.int
    expectIntervalClose(result.arms[1].ci, [0.11595959534690782, 0.26149262489130148]); // R: prop.test(21, 118, correct = TRUE)$conf.int
    expectIntervalClose(result.arms[2].ci, [0.15328566204018185, 0.30727766388381739]); // R: prop.test(27, 122, correct = TRUE)$conf.int
  });

  // R reference functions mnz, mnci (difference) and rrci (ratio) are written out in
  // score-difference-interval.test.ts and risk-ratio-score-interval.test.ts.
  it('compares each non-control arm with control using the reference methods', () => {
    const result = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    expect(result.comparisons.map((comparison) => comparison.arm)).toEqual(['text', 'phone']);
    const [text, phone] = result.comparisons;

    expectClose(text.difference, 21 / 118 - 0.1);
    expectIntervalClose(text.differenceCi, [-0.014756143670724697, 0.17338212056944172]); // R: mnci(21, 118, 12, 120)
    expectClose(text.relativeUplift, 21 / 118 / 0.1 - 1);
    expectIntervalClose(text.relativeUpliftCi, [0.90217747690644956 - 1, 3.630742186023598 - 1]); // R: rrci(21, 118, 12, 120) - 1
    expect(text.test).toBe('score');
    expectClose(text.pValue, 0.10056180488914221); // R: 2 * pnorm(-abs(mnz(21, 118, 12, 120, 0)))
    // R: integrate(function(x) dbeta(x, 22, 98) * pbeta(x, 13, 109), 0, 1, rel.tol = 1e-12)$value
    expectClose(text.probabilityBeatsControl, 0.95763454584793073, 1e-9);
    expect(text.expectedLoss!.chooseArm).toBeLessThan(text.expectedLoss!.chooseControl);

    expectIntervalClose(phone.differenceCi, [0.025136570833456207, 0.21929763164309299]); // R: mnci(27, 122, 12, 120)
    expectIntervalClose(phone.relativeUpliftCi, [1.1616418013262164 - 1, 4.3905893144998585 - 1]); // R: rrci(27, 122, 12, 120) - 1
    expectClose(phone.pValue, 0.013398912049812587); // R: 2 * pnorm(-abs(mnz(27, 122, 12, 120, 0)))
    // R: integrate(function(x) dbeta(x, 28, 96) * pbeta(x, 13, 109), 0, 1, rel.tol = 1e-12)$value
    expectClose(phone.probabilityBeatsControl, 0.99477028401814915, 1e-9);
  });

  it('adjusts p-values across the non-control arms with Holm', () => {
    const [text, phone] = analyseBinaryMetric({ arms: threeArms, control: 'letter' }).comparisons;
    // R: p.adjust(c(0.10056180488914221, 0.013398912049812587), 'holm')
    expectClose(text.pValueHolm, 0.10056180488914221);
    expectClose(phone.pValueHolm, 0.026797824099625174);
  });

  it('includes the omnibus chi-square, and the sample-ratio check only when weights are given', () => {
    const without = analyseBinaryMetric({ arms: threeArms, control: 'letter' });
    // R: chisq.test(matrix(c(12, 21, 27, 108, 97, 95), ncol = 2), correct = FALSE)
    expectClose(without.omnibus!.statistic, 6.5714253959433186);
    expect(without.omnibus!.df).toBe(2);
    expectClose(without.omnibus!.pValue, 0.037413910770850385);
    expect(without.omnibus!.test).toBe('chi-square');
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

  it('shows the p-value of the test its interval inverts, so the two always agree', () => {
    // 4/10 vs 0/10: Newcombe's interval excluded 0 while Fisher's p was 0.087
    const result = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 10, successes: 0 },
        { arm: 'text', n: 10, successes: 4 },
      ],
      control: 'letter',
    });
    const [text] = result.comparisons;
    expectIntervalClose(text.differenceCi, [-0.012882244363696149, 0.7317371454696]); // R: mnci(4, 10, 0, 10)
    expectClose(text.pValue, 0.056518219361909858); // R: 2 * pnorm(-abs(mnz(4, 10, 0, 10, 0)))
    expect(text.differenceCi![0] > 0).toBe(text.pValue! < 0.05);
  });

  it('gives a relative uplift interval of real width when both arms are at 100%', () => {
    const [comparison] = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 11, successes: 11 },
        { arm: 'text', n: 9, successes: 9 },
      ],
      control: 'letter',
    }).comparisons;
    expectClose(comparison.relativeUplift, 0);
    expectIntervalClose(comparison.relativeUpliftCi, [0.61891393452417776 - 1, 1.494095917192924 - 1]); // R: rrci(9, 9, 11, 11) - 1
  });

  it('uses the exact omnibus test for small counts, and a one-sided uplift bound when control has no successes', () => {
    const result = analyseBinaryMetric({
      arms: [
        { arm: 'letter', n: 15, successes: 0 },
        { arm: 'text', n: 14, successes: 4 },
      ],
      control: 'letter',
    });
    const [text] = result.comparisons;
    expect(text.test).toBe('score');
    expectClose(text.pValue, 0.055234253718063869); // R: 2 * pnorm(-abs(mnz(4, 14, 0, 15, 0)))
    expect(result.omnibus!.test).toBe('fisher-freeman-halton');
    expectClose(result.omnibus!.pValue, 0.042145593869731789); // R: fisher.test(matrix(c(0, 4, 15, 10), ncol = 2))$p.value
    expect(text.relativeUplift).toBeNull();
    expectClose(text.relativeUpliftCi![0], 0.9592035240361152 - 1); // R: rrci(4, 14, 0, 15)[1] - 1
    expect(text.relativeUpliftCi![1]).toBe(Infinity);
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
    expectClose(result.comparisons[1].pValueHolm, 0.026797824099625174);
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
    expect(result.comparisons[0]).toMatchObject({ difference: 1, test: 'score' });
    expectClose(result.comparisons[0].pValue, 0.61707507745197387); // R: 2 * pnorm(-abs(mnz(1, 1, 0, 1, 0)))
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
    // score p-values, R: 2 * pnorm(-abs(mnz(x1, n1, x2, n2, 0))) for each comparison, then
    // R: p.adjust(c(0.1005618048891422089, 0.0133989120498125870, 0.1168111989970714581, 0.0047781072301886739), 'BH')
    expectClose(adjustedAttended.comparisons[0].pValueAcrossMetrics, 0.116811198997071458);
    expectClose(adjustedAttended.comparisons[1].pValueAcrossMetrics, 0.026797824099625174);
    expectClose(adjustedResponded.comparisons[0].pValueAcrossMetrics, 0.116811198997071458);
    expectClose(adjustedResponded.comparisons[1].pValueAcrossMetrics, 0.019112428920754695);
    // the inputs are not modified
    expect(attended.comparisons[0].pValueAcrossMetrics).toBeUndefined();
  });
});
