import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, channelToneDesign, startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD } from './browser/support/fixtures.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';
import { groupSequentialSampleSize, simulateGroupSequentialTrials } from '../analysis/group-sequential/index.ts';
import { SIMULATED_TRIALS, SIMULATION_SEED } from '../dashboard/experiments/design-simulation.ts';
import { formatPercent } from '../dashboard/format.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

/**
 * The design page plans the trial for the rule it will be judged by: the
 * decision rule and spending are saved with the analysis plan, and the power
 * calculator sizes and simulates weekly looks.
 */

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
});
afterAll(() => server.close());

async function signedIn() {
  const client = pageClient(server.baseUrl);
  expect((await client.signIn('analyst', TEST_PASSWORD)).status).toBe(303);
  return client;
}

/** A complete design as the form sends it, two arms. */
function designFields(overrides: Record<string, string | string[]> = {}) {
  return {
    action: 'save',
    name: 'Text reminders',
    hypothesis: 'A text the day before gets more people to the first meeting',
    journeyPhase: '1',
    factor1Key: 'reminder',
    factor1Levels: 'none, text',
    primaryMetric: 'meeting_attended',
    ...overrides,
  };
}

/** The radio input with this name and value, to see whether it is checked. */
function radio(html: string, name: string, value: string): string {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="${value}"[^>]*>`).exec(html);
  expect(match, `radio ${name}=${value}`).not.toBeNull();
  return match![0];
}

describe('choosing the decision rule on the design page', () => {
  it('saves weekly looks with Pocock-like spending, says so in plain words, and keeps the choice when the design is changed', async () => {
    const analyst = await signedIn();
    const saved = await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'reminders-a', decisionRule: 'group_sequential', alphaSpending: 'pocock', plannedSampleSize: '600' }));
    expect(saved.status).toBe(303);
    const design = await server.services.experiments.get('reminders-a');
    expect(design.decisionRule).toBe('group_sequential');
    expect(design.alphaSpending).toBe('pocock');

    const page = await analyst.get('/experiments/reminders-a');
    expect(pageText(page.html)).toContain('Decision rule Weekly looks to a planned size of 600 people (group-sequential), Pocock-like');

    const edit = await analyst.get('/experiments/reminders-a/edit');
    expect(radio(edit.html, 'decisionRule', 'group_sequential')).toContain('checked');
    expect(radio(edit.html, 'alphaSpending', 'pocock')).toContain('checked');
    expect(radio(edit.html, 'alphaSpending', 'obf')).not.toContain('checked');

    const changed = await analyst.post('/experiments/reminders-a/edit', {
      _csrf: hiddenField(edit.html, '_csrf')!,
      ...designFields({ decisionRule: 'confidence_sequence', plannedSampleSize: '' }),
    });
    expect(changed.status).toBe(303);
    const after = await server.services.experiments.get('reminders-a');
    expect(after.decisionRule).toBe('confidence_sequence');
    expect(after.plannedSampleSize).toBeNull();
    const afterPage = await analyst.get('/experiments/reminders-a');
    expect(pageText(afterPage.html)).toContain('Decision rule Open-ended monitoring with no planned end (always-valid confidence sequence)');
  });

  it('asks for a planned size when weekly looks are chosen without one, next to the field', async () => {
    const analyst = await signedIn();
    const before = (await server.services.experiments.list()).length;
    const response = await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'reminders-b', decisionRule: 'group_sequential', alphaSpending: 'obf' }));
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#plannedSampleSize"');
    expect(response.html).toMatch(/id="plannedSampleSize-error"[\s\S]*?Enter a planned sample size, or choose open-ended monitoring/);
    expect(radio(response.html, 'decisionRule', 'group_sequential')).toContain('checked');
    expect((await server.services.experiments.list()).length).toBe(before);
  });

  it('refuses a rule that is not one of the choices with a message on the question', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'reminders-c', decisionRule: 'bayesian', plannedSampleSize: '600' }));
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#decisionRule"');
    expect(response.html).toContain('Select how the experiment will be decided');
  });

  it('plans weekly looks with O’Brien–Fleming-like spending when only a planned size is entered, and open-ended monitoring when none is', async () => {
    const analyst = await signedIn();
    expect((await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'reminders-d', plannedSampleSize: '800' }))).status).toBe(303);
    expect(await server.services.experiments.get('reminders-d')).toMatchObject({ decisionRule: 'group_sequential', alphaSpending: 'obf' });
    expect((await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'reminders-e' }))).status).toBe(303);
    expect((await server.services.experiments.get('reminders-e')).decisionRule).toBe('confidence_sequence');
  });

  it('shows a rule set through the API on the design form and keeps it when saved from there', async () => {
    const analystId = (await server.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!.id;
    const api = apiClient(server.baseUrl, await server.services.auth.createApiToken(analystId, 'design plan test'));
    const created = await api.post('/api/experiments', channelToneDesign({ key: 'api-rule', decisionRule: 'group_sequential', alphaSpending: 'pocock', plannedSampleSize: 900 }));
    expect(created.status).toBe(201);
    const analyst = await signedIn();
    const edit = await analyst.get('/experiments/api-rule/edit');
    expect(radio(edit.html, 'decisionRule', 'group_sequential')).toContain('checked');
    expect(radio(edit.html, 'alphaSpending', 'pocock')).toContain('checked');
    const resaved = await analyst.post('/experiments/api-rule/edit', {
      _csrf: hiddenField(edit.html, '_csrf')!,
      ...designFields({ decisionRule: 'group_sequential', alphaSpending: 'pocock', plannedSampleSize: '900' }),
    });
    expect(resaved.status).toBe(303);
    const fetched = await api.get('/api/experiments/api-rule');
    expect(fetched.body).toMatchObject({ decisionRule: 'group_sequential', alphaSpending: 'pocock', plannedSampleSize: 900 });
  });
});

describe('the power calculator plans for the rule', () => {
  const calculatorFields = {
    action: 'calculate',
    factor1Key: 'channel',
    factor1Levels: 'letter, text',
    powerBaseline: '20',
    powerUplift: '5',
    powerIntake: '100',
  };

  it('sizes weekly looks with the group-sequential maximum beside the single-final-look size, with the looks the intake gives', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', { ...calculatorFields, decisionRule: 'group_sequential', alphaSpending: 'obf' });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    const [, perArmText, looksText] = /People per arm with weekly looks ([\d,]+) at most \((\d+) weekly looks, O’Brien–Fleming-like\)/.exec(text) ?? [];
    const looks = Number(looksText);
    const perArm = Number(perArmText?.replace(/,/g, ''));
    const plan = groupSequentialSampleSize({ baseline: 0.2, target: 0.25, looks, spending: 'obf' });
    expect(perArm).toBe(plan.perArm);
    // 100 a week in two equal arms is 50 a week in each: the looks are the weeks to the maximum.
    expect(looks).toBe(Math.ceil(plan.perArm / 50));
    // R: power.prop.test(p1 = 0.20, p2 = 0.25, power = 0.8)$n = 1093.7 → 1,094 per arm
    expect(text).toContain('People per arm with a single final look 1,094');
    expect(text).toContain(`about ${Math.round((plan.inflation - 1) * 100)}% more people than a single final look`);
    expect(text).toContain(`People needed in all ${(2 * plan.perArm).toLocaleString('en-GB')} across 2 arms`);
    // With no planned size, the calculator fills in the one it found.
    expect(response.html).toMatch(new RegExp(`id="plannedSampleSize" name="plannedSampleSize" type="text" [^>]*value="${2 * plan.perArm}"`));
    expect(text).toContain('Thresholds at the weekly looks');
    expect(text).toContain(`Looks 4 to ${looks - 2} are left out`);
  });

  it('warns when the planned size is short of what is needed, and simulates the plan as it stands', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', {
      ...calculatorFields,
      decisionRule: 'group_sequential',
      alphaSpending: 'obf',
      plannedSampleSize: '1200',
    });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    const needed = /People needed in all ([\d,]+) across 2 arms/.exec(text)![1];
    expect(Number(needed.replace(/,/g, ''))).toBeGreaterThan(1200);
    expect(response.html).toContain('govuk-warning-text');
    expect(text).toContain(`Your planned size of 1,200 is short of the ${needed} people needed for 80% power`);

    // 1,200 in two arms is 600 each; at 50 a week in each arm that is 12 weekly looks.
    // The page simulates an arm with the uplift and one without against the same control.
    const [withUplift, withoutDifference] = simulateGroupSequentialTrials({
      baseline: 0.2,
      armRates: [0.25, 0.2],
      perWeek: 50,
      weeks: 12,
      plannedPerArm: 600,
      trials: SIMULATED_TRIALS,
      random: mulberry32(SIMULATION_SEED),
    }).arms;
    expect(text).toContain('Expected weeks to a decision');
    expect(text).toContain(`Chance of finding the uplift if it is real (power) ${formatPercent(withUplift.power, 0)}`);
    expect(text).toContain(`Chance of a false finding if there is no difference ${formatPercent(withoutDifference.falsePositiveRate, 1)}`);
    expect(text).toContain(`Expected weeks to a decision ${withUplift.expectedWeeksToDecision.toFixed(1)} weeks if the uplift is real`);
    expect(text).toContain('600 people in each arm (your planned size), 50 joining each arm a week');
    // Short of the size needed for 80%, the plan has less power than that.
    expect(withUplift.power).toBeLessThan(0.8);
  });

  it('sizes open-ended monitoring with the single-final-look figure and says it needs more', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', { ...calculatorFields, decisionRule: 'confidence_sequence' });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    // R: power.prop.test(p1 = 0.20, p2 = 0.25, power = 0.8)$n = 1093.7 → 1,094 per arm
    expect(text).toContain('People per arm with a single final look 1,094');
    expect(text).toContain('a verdict usually takes more people than this');
    expect(text).not.toContain('Expected weeks to a decision');
    expect(radio(response.html, 'decisionRule', 'confidence_sequence')).toContain('checked');
  });

  it('says how to enter the weekly intake rather than guessing the weeks to a decision', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', { ...calculatorFields, powerIntake: '' });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    expect(text).toContain('(20 weekly looks, O’Brien–Fleming-like; 20 looks assumed');
    // R rpact: getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asOF", kMax = 20, alpha = 0.05, beta = 0.2, sided = 2),
    //   pi1 = 0.25, pi2 = 0.2)$maxNumberOfSubjects / 2 = 1144.374 → 1,145 per arm
    expect(groupSequentialSampleSize({ baseline: 0.2, target: 0.25, looks: 20 }).perArm).toBe(1145);
    expect(text).toContain('People per arm with weekly looks 1,145 at most');
    expect(text).toContain('Enter the people joining each week to see how many weeks a decision takes.');
  });

  it('answers a baseline too small for the maths with a field error, not a server error', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', { ...calculatorFields, powerBaseline: '5e-324' });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#powerBaseline"');
    expect(response.html).toMatch(/id="powerBaseline-error"[\s\S]*?Enter a baseline rate between 0.1% and 99.9%/);
  });

  it.each([
    ['powerBaseline', '0.05'],
    ['powerBaseline', 'Infinity'],
    ['powerBaseline', '100'],
    ['powerUplift', '1e308'],
    ['powerUplift', '0.0001'],
    ['powerUplift', '85'],
    ['powerIntake', '0.5'],
    ['powerIntake', '99999999999'],
  ])('answers %s = %s with a message on that field', async (name, value) => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', { ...calculatorFields, [name]: value });
    expect(response.status).toBe(400);
    expect(response.html).toContain(`href="#${name}"`);
  });

  it('copes with weights that are not numbers when calculating, leaving the message to saving', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', {
      ...calculatorFields,
      armsShown: 'letter text',
      arms: ['letter', 'text'],
      controlArm: 'letter',
      'weight-letter': 'Infinity',
      'weight-text': '1',
    });
    expect(response.status).toBe(200);
    expect(pageText(response.html)).toContain('People per arm with a single final look 1,094');
  });
});
