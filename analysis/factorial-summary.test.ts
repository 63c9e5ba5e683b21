import { describe, expect, it } from 'vitest';
import { expectClose, expectIntervalClose } from './expect-close.ts';
import type { FactorialArmStats } from './factorial.ts';
import { factorialSummary } from './factorial-summary.ts';

// Reference: Rscript (R 4.2.2), options(digits = 17):
//   2 × 2: estimatr::lm_robust(y ~ a * b, se_type = "HC2") on the counts expanded to one row per person,
//          coefficient a:b; cell intervals prop.test(s, n, correct = FALSE)$conf.int (Wilson).
//   larger: m0 <- glm(cbind(s, n - s) ~ A + B, binomial, d); m1 <- glm(cbind(s, n - s) ~ A * B, binomial, d);
//           a <- anova(m0, m1, test = "LRT"); a$Deviance[2]; a$`Pr(>Chi)`[2]

const arm = (channel: string, tone: string, n: number, successes: number): FactorialArmStats => ({
  arm: `${channel}-${tone}`,
  levels: { channel, tone },
  n,
  successes,
});
const reference = { channel: 'letter', tone: 'standard' };

/** Warm wording helps by text and not by letter: a clear interaction. */
const warmHelpsByText = [arm('letter', 'standard', 120, 24), arm('letter', 'warm', 118, 22), arm('text', 'standard', 121, 25), arm('text', 'warm', 119, 46)];

describe('factorialSummary', () => {
  it('puts the 2 × 2 interaction first, on the rate scale, and flags the main effects as misleading', () => {
    const summary = factorialSummary(warmHelpsByText, { reference });
    const interaction = summary.interaction!;
    expect(interaction.test).toBe('hc2-t');
    expect(interaction.factors).toEqual(['channel', 'tone']);
    // R: lm_robust(y ~ a * b, se_type = "HC2"), n = 120, 121, 118, 119, s = 24, 25, 22, 46 (a = text, b = warm)
    expectClose(interaction.estimate, 0.193502373634703934);
    expectIntervalClose(interaction.ci, [0.041085706495055163, 0.345919040774352704], 1e-8);
    expectClose(interaction.pValue, 0.012946962599391388, 1e-8);
    expectClose(interaction.statistic, 2.494665215889743326);
    expect(interaction.df).toBe(474);
    expect(interaction.clear).toBe(true);
    expect(interaction.reading).toBe(
      'The effect of tone depends on the channel: warm rather than standard changed the rate by +18.0 points when the channel was text and by −1.4 points when it was letter.',
    );
    expect(summary.factors.map((f) => [f.factor, f.misleading])).toEqual([
      ['channel', true],
      ['tone', true],
    ]);
  });

  it('lists every cell with its Wilson interval', () => {
    const { cells } = factorialSummary(warmHelpsByText, { reference });
    expect(cells.map((c) => c.arm)).toEqual(['letter-standard', 'letter-warm', 'text-standard', 'text-warm']);
    expect(cells[3]).toMatchObject({ levels: { channel: 'text', tone: 'warm' }, n: 119, successes: 46 });
    // R: prop.test(24, 120, correct = FALSE)$conf.int; prop.test(46, 119, correct = FALSE)$conf.int
    expectIntervalClose(cells[0].ci, [0.13824476478840259, 0.28036673506281956], 1e-12);
    expectIntervalClose(cells[3].ci, [0.30391614981482562, 0.47628834906359774], 1e-12);
  });

  it('says the main effects average over the other factor when the interaction is unclear', () => {
    const summary = factorialSummary(
      [arm('letter', 'standard', 40, 6), arm('letter', 'warm', 38, 9), arm('text', 'standard', 42, 11), arm('text', 'warm', 41, 17)],
      { reference },
    );
    // R: lm_robust(y ~ a * b, se_type = "HC2"), n = 40, 42, 38, 41, s = 6, 11, 9, 17
    expectClose(summary.interaction!.pValue, 0.632753635059188357, 1e-8);
    expect(summary.interaction!.clear).toBe(false);
    expect(summary.interaction!.reading).toBe(
      'No clear sign that the effect of tone depends on the channel; the main effects below average over the other factor.',
    );
    expect(summary.factors.every((f) => !f.misleading)).toBe(true);
  });

  it('uses the likelihood-ratio test for a 3 × 2 design and reads the effect at every level', () => {
    const summary = factorialSummary(
      [
        arm('letter', 'standard', 80, 16),
        arm('letter', 'warm', 82, 12),
        arm('text', 'standard', 79, 17),
        arm('text', 'warm', 81, 35),
        arm('phone', 'standard', 80, 18),
        arm('phone', 'warm', 78, 30),
      ],
      { reference },
    );
    const interaction = summary.interaction!;
    expect(interaction).toMatchObject({ test: 'likelihood-ratio', estimate: null, ci: null, df: 2, clear: true });
    // R: A levels letter, text, phone; n = c(80,82,79,81,80,78), s = c(16,12,17,35,18,30); anova(m0, m1, test = "LRT")
    expectClose(interaction.statistic, 7.12906796641105966, 1e-7);
    expectClose(interaction.pValue, 0.02831017542778427, 1e-7);
    expect(interaction.reading).toBe(
      'The effect of tone depends on the channel: warm rather than standard changed the rate by +21.7 points when the channel was text, by +16.0 points when it was phone and by −5.4 points when it was letter.',
    );
    expect(summary.factors.every((f) => f.misleading)).toBe(true);
  });

  it('tests all interactions together in a design with three factors', () => {
    const levels = [
      ['letter', 'standard', 'dwp', 25, 4],
      ['letter', 'standard', 'charity', 24, 6],
      ['letter', 'warm', 'dwp', 26, 7],
      ['letter', 'warm', 'charity', 23, 9],
      ['text', 'standard', 'dwp', 25, 8],
      ['text', 'standard', 'charity', 27, 7],
      ['text', 'warm', 'dwp', 24, 22],
      ['text', 'warm', 'charity', 26, 3],
    ] as const;
    const arms = levels.map(([channel, tone, messenger, n, successes]) => ({ arm: `${channel}-${tone}-${messenger}`, levels: { channel, tone, messenger }, n, successes }));
    const summary = factorialSummary(arms, { reference: { ...reference, messenger: 'dwp' }, label: (code) => (code === 'messenger' ? 'sender' : code) });
    // R: anova(glm(cbind(s, n - s) ~ A + B + C, binomial), glm(cbind(s, n - s) ~ A * B * C, binomial), test = "LRT")
    expectClose(summary.interaction!.pValue, 1.6216315453317877e-6, 1e-6);
    expect(summary.interaction!.df).toBe(4);
    expect(summary.interaction!.reading).toBe(
      'The effects of the channel, tone and sender depend on one another: the combinations do not simply add up, so read the cell rates above rather than the main effects on their own.',
    );
    expect(summary.factors.map((f) => f.factor)).toEqual(['channel', 'tone', 'messenger']);
  });

  it('says it cannot yet tell when a cell has a single person', () => {
    const summary = factorialSummary([...warmHelpsByText.slice(0, 3), arm('text', 'warm', 1, 1)], { reference });
    expect(summary.interaction!.pValue).toBeNull();
    expect(summary.interaction!.clear).toBe(false);
    expect(summary.interaction!.reading).toMatch(/^Cannot yet tell whether the effect of tone depends on the channel/);
    expect(summary.factors.every((f) => !f.misleading)).toBe(true);
  });

  it('follows the design order of factors and has no interaction with one varying factor', () => {
    const summary = factorialSummary(warmHelpsByText, { reference, factors: ['tone', 'channel'] });
    expect(summary.factors.map((f) => f.factor)).toEqual(['tone', 'channel']);
    expect(summary.interaction!.reading).toMatch(/^The effect of channel depends on the tone: text rather than letter/);
    const single = factorialSummary([arm('letter', 'standard', 30, 5), arm('text', 'standard', 30, 9)], { reference });
    expect(single.interaction).toBeNull();
  });
});
