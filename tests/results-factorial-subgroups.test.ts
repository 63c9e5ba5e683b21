import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factorialSummary } from '../analysis/factorial-summary.ts';
import type { ExperimentReport } from '../analysis/report-types.ts';
import { subgroupEffects } from '../analysis/subgroups.ts';
import type { BinaryArmStats } from '../analysis/types.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { factorialView } from '../dashboard/experiments/factorial-view.ts';
import { subgroupsView } from '../dashboard/experiments/subgroups-view.ts';
import { createNunjucksEnvironment } from '../dashboard/nunjucks-environment.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from './browser/support/fixtures.ts';
import { pageClient, pageText } from './browser/support/page-client.ts';

const env = createNunjucksEnvironment();

const arms = [
  { key: 'letter-standard', name: 'Letter, standard', isControl: true, weight: 1 },
  { key: 'letter-warm', name: 'Letter, warm', isControl: false, weight: 1 },
  { key: 'text-standard', name: 'Text, standard', isControl: false, weight: 1 },
  { key: 'text-warm', name: 'Text, warm', isControl: false, weight: 1 },
];
const cell = (key: string, n: number, successes: number) => {
  const [channel, tone] = key.split('-');
  return { arm: key, levels: { channel, tone }, n, successes };
};

/** Just enough of a report for the factorial and subgroup sections. */
function reportWith(parts: Partial<ExperimentReport>): ExperimentReport {
  return {
    experiment: { key: 'channel-tone', name: 'Channel and tone', hypothesis: '', status: 'running', journeyPhase: 1, launchedAt: null, plannedSampleSize: null, arms },
    metrics: [{ key: 'meeting_agreed', label: 'Meeting agreed', role: 'primary', kind: 'binary', higherIsBetter: true, windowDays: null, arms: [], comparisons: [], omnibus: null, readings: [] }],
    subgroups: [],
    factorial: null,
    ...parts,
  } as unknown as ExperimentReport;
}

/** Every table header names its scope and has text in it. */
function expectAccessibleHeaders(html: string) {
  const headers = [...html.matchAll(/<th\b([^>]*)>([\s\S]*?)<\/th>/g)];
  expect(headers.length).toBeGreaterThan(0);
  for (const [, attributes, content] of headers) {
    expect(attributes).toMatch(/scope="(col|row)"/);
    expect(content.replace(/<[^>]+>/g, '').trim()).not.toBe('');
  }
}

describe('the factorial section of the results page', () => {
  const clear = [cell('letter-standard', 120, 24), cell('letter-warm', 118, 22), cell('text-standard', 121, 25), cell('text-warm', 119, 46)];
  const unclear = [cell('letter-standard', 40, 6), cell('letter-warm', 38, 9), cell('text-standard', 42, 11), cell('text-warm', 41, 17)];
  const render = (factorial: ExperimentReport['factorial']) =>
    env.render('experiments/partials/factorial.njk', { view: { factorial: factorialView(reportWith({ factorial })) } });

  it('shows the cell rates, then the interaction, then main effects marked as misleading when the interaction is clear', () => {
    const factorial = factorialSummary(clear, { reference: { channel: 'letter', tone: 'standard' } });
    const html = render(factorial);
    const text = pageText(html);
    expect(text).toContain('Meeting agreed: rate in each combination of channel and tone');
    expect(text).toContain('Text, warm text warm 119 46 38.7%');
    expect(text).toContain(factorial.interaction!.reading);
    expect(text).toContain('Interaction (difference of differences) +19.4 points');
    expect(text).toContain('p-value 0.013');
    expect(text).toContain('Misleading on its own: the interaction is clear');
    const order = ['rate in each combination', 'Does the effect of one factor depend on another?', 'Main effect of channel', 'Main effect of tone'].map((s) => text.indexOf(s));
    expect(order.every((position, i) => position >= 0 && (i === 0 || position > order[i - 1]))).toBe(true);
    expect((html.match(/<caption/g) ?? []).length).toBe(3);
    expectAccessibleHeaders(html);
  });

  it('says the main effects average over the other factor, unmarked, when the interaction is unclear', () => {
    const html = render(factorialSummary(unclear, { reference: { channel: 'letter', tone: 'standard' } }));
    const text = pageText(html);
    expect(text).toContain('No clear sign that the effect of tone depends on the channel; the main effects below average over the other factor.');
    expect(text).not.toContain('Misleading on its own');
    expectAccessibleHeaders(html);
  });
});

describe('the subgroups section of the results page', () => {
  const counts = (c: Record<string, [number, number]>): BinaryArmStats[] => Object.entries(c).map(([arm, [n, successes]]) => ({ arm, n, successes }));

  it('shows no figure for a withheld subgroup and says why each is withheld', () => {
    const result = subgroupEffects(
      [
        { subgroup: 'mental_health', arms: counts({ 'letter-standard': [45, 9], 'text-warm': [48, 16] }) },
        { subgroup: 'musculoskeletal', arms: counts({ 'letter-standard': [30, 5], 'text-warm': [32, 6] }) },
        { subgroup: 'neurological', arms: counts({ 'letter-standard': [22, 4], 'text-warm': [21, 9] }) },
        { subgroup: 'sensory', arms: counts({ 'letter-standard': [7, 2], 'text-warm': [6, 3] }) },
      ],
      { control: 'letter-standard' },
    );
    const report = reportWith({ subgroups: [{ characteristic: 'healthGroup', subgroups: result.subgroups, heterogeneity: result.heterogeneity }] });
    const html = env.render('experiments/partials/subgroups.njk', { view: { subgroups: subgroupsView(report) } });
    const text = pageText(html);
    expect(text).toContain('Sensory Too few people to show');
    expect(text).toContain('Neurological Withheld so that a smaller group cannot be worked out from the totals');
    expect(text).toContain('Letter, standard: 9 of 45');
    // Neither withheld subgroup's counts appear anywhere.
    for (const figure of ['of 22', 'of 21', 'of 7 ', 'of 6 ']) expect(text).not.toContain(figure);
    expectAccessibleHeaders(html);
  });
});

describe('the results page of a running channel × tone trial', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await seedTrial(server);
  });
  afterAll(() => server.close());

  it('leads the factorial section with the interaction the report found', async () => {
    const report = await buildExperimentReport(server.db, TRIAL_KEY, { asOf: server.clock.now() });
    expect(report.factorial!.cells).toHaveLength(4);
    const interaction = report.factorial!.interaction!;
    expect(interaction.test).toBe('hc2-t');
    const client = pageClient(server.baseUrl);
    await client.signIn('analyst', TEST_PASSWORD);
    const page = await client.get(`/experiments/${TRIAL_KEY}/results`);
    expect(page.status).toBe(200);
    const text = pageText(page.html);
    expect(text).toContain('Factors: interaction first');
    // The page says the level as its tables do.
    const reading = interaction.reading.replace('warm voluntary', 'warm, voluntary-framed');
    expect(reading).toMatch(/^(The effect of tone depends on the channel: warm, voluntary-framed rather than standard|No clear sign)/);
    expect(text).toContain(reading);
    expect(text.includes('Misleading on its own: the interaction is clear')).toBe(interaction.clear);
    expect(text.indexOf(reading)).toBeLessThan(text.indexOf('Main effect of channel'));
  });
});
