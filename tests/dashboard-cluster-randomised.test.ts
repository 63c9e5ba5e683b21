import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD } from './browser/support/fixtures.ts';
import { pageClient, pageText } from './browser/support/page-client.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { scalar } from './support/sql.ts';

/**
 * Cluster-randomised designs on the pages (decision 0037): one question on the
 * design form, the plan shown and warned about on the design page, the
 * calculator's design effect, and the results page's headline.
 */

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  // Two coaches with people (WC01, WC02): too few to share out between two arms.
  await seedTrial(server);
});
afterAll(() => server.close());

async function signedIn() {
  const client = pageClient(server.baseUrl);
  expect((await client.signIn('analyst', TEST_PASSWORD)).status).toBe(303);
  return client;
}

function designFields(overrides: Record<string, string | string[]> = {}) {
  return {
    action: 'save',
    name: 'Warm letters by coach',
    hypothesis: 'Coaches who send warm letters get more replies',
    journeyPhase: '1',
    factor1Key: 'tone',
    factor1Levels: 'standard, warm',
    primaryMetric: 'responded',
    decisionRule: 'group_sequential',
    plannedSampleSize: '400',
    ...overrides,
  };
}

describe('choosing to randomise whole coaches or sites', () => {
  it('saves the unit from the form and shows it, with a warning about too few coaches, on the design page', async () => {
    const analyst = await signedIn();
    const form = await analyst.get('/experiments/new');
    expect(pageText(form.html)).toContain('when people of one coach would otherwise hear about each other’s arm, or a whole site changes how it works');
    const saved = await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'coach-letters', randomisationUnit: 'coach' }));
    expect(saved.status).toBe(303);
    expect((await server.services.experiments.get('coach-letters')).randomisationUnit).toBe('coach');
    const page = pageText((await analyst.get('/experiments/coach-letters')).html);
    expect(page).toContain('What is randomised Whole work coaches’ caseloads');
    expect(page).toContain('Only 2 coaches to randomise: the smallest arm can expect 1, fewer than 6.');
  });

  it('says next to the question that whole coaches cannot be randomised by permuted blocks', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', designFields({ key: 'coach-blocks', randomisationUnit: 'coach', randomisation: 'blocks' }));
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#randomisationUnit"');
    expect(pageText(response.html)).toContain('Randomising whole coaches or sites uses hashing');
  });

  it('multiplies the people the calculator needs by the design effect 1 + (m − 1) × ICC', async () => {
    const analyst = await signedIn();
    const response = await analyst.submit('/experiments/new', '/experiments/new', {
      action: 'calculate',
      factor1Key: 'channel',
      factor1Levels: 'letter, text',
      randomisationUnit: 'coach',
      decisionRule: 'confidence_sequence',
      powerBaseline: '20',
      powerUplift: '5',
      powerIntake: '100',
      powerIcc: '0.05',
      powerClusterSize: '41',
    });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    // R: power.prop.test(p1 = 0.20, p2 = 0.25, power = 0.8)$n = 1093.7 → 1,094 per arm; × (1 + 40 × 0.05) = 3,282
    expect(text).toContain('People per arm with a single final look 3,282');
    expect(text).toContain('Design effect of randomising whole coaches 3.00 = 1 + (41 − 1) × 0.05');
    expect(text).toContain('People in all if people were randomised one by one 2,188');
    // ceil(3,282 / 41) = 81 coaches of 41 people.
    expect(text).toContain('Coaches needed in the smallest arm 81 of 41 people each');
  });
});

describe('the results of a coach-randomised experiment', () => {
  it('says the primary metric was analysed with coaches as the unit, and how many', async () => {
    const { services } = server;
    const analystId = (await scalar<number>(services.db, "SELECT id FROM users WHERE username = 'analyst'"))!;
    const analystUser: CurrentUser = { id: analystId, username: 'analyst', displayName: 'Test analyst', role: 'analyst', coachId: null };
    await services.experiments.create(
      {
        key: 'coach-results',
        name: 'Tone by coach',
        hypothesis: 'Warm letters from a whole caseload get more replies',
        journeyPhase: 1,
        factors: [{ key: 'tone', levels: ['standard', 'warm'] }],
        coverage: 1,
        eligibility: {},
        primaryMetric: 'responded',
        secondaryMetrics: [],
        guardrailMetrics: [],
        plannedSampleSize: 400,
        randomisation: 'hash',
        randomisationUnit: 'coach',
        strata: [],
      },
      analystId,
    );
    await services.experiments.transition('coach-results', 'launch');
    for (const i of [1, 2, 3, 10, 20, 30]) await services.assignments.assign(analystUser, 'coach-results', `P-${String(i).padStart(4, '0')}`);
    const analyst = await signedIn();
    const text = pageText((await analyst.get('/experiments/coach-results/results')).html);
    expect(text).toContain('Randomised by coach: analysed with coaches as the unit (2 coaches)');
  });
});
