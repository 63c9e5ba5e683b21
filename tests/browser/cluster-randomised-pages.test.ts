import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, contactFixture, type TestServer } from '../support/test-server.ts';
import { seedTrial, TEST_PASSWORD } from './support/fixtures.ts';
import { axeViolations, describeViolations, launchBrowser, signIn, type TestBrowser } from './support/browser.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { ExperimentInput } from '../../experiments/experiment/experiment-schema.ts';
import { scalar } from '../support/sql.ts';

/**
 * The pages of a coach-randomised design (decision 0037) in Chromium, with axe:
 * the design page's warning, the form's unit question and the calculator's
 * cluster inputs, and the results page analysed with coaches as the unit.
 */
let server: TestServer;
let browser: TestBrowser;

const design = (key: string): ExperimentInput => ({
  key,
  name: `Tone by coach (${key})`,
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
});

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
  const { services } = server;
  const coaches = ['WC03', 'WC04', 'WC05', 'WC06', 'WC07', 'WC08'];
  for (const code of coaches) await services.staff.addCoach({ code, name: code, siteCode: 'JC1' });
  await services.contacts.createMany(coaches.flatMap((coach, c) => Array.from({ length: 12 }, (_, p) => ({ ...contactFixture(`K-${c}-${p}`, { coach }), adjustments: [], preferredChannel: null }))) as never);
  const analystId = (await scalar<number>(services.db, "SELECT id FROM users WHERE username = 'analyst'"))!;
  const analyst: CurrentUser = { id: analystId, username: 'analyst', displayName: 'Test analyst', role: 'analyst', coachId: null };
  await services.experiments.create(design('coach-draft'), analystId);
  await services.experiments.create({ ...design('coach-running'), seed: 'coach-running-browser' }, analystId);
  await services.experiments.transition('coach-running', 'launch');
  for (let c = 0; c < coaches.length; c++) {
    for (let p = 0; p < 12; p++) {
      await services.assignments.assign(analyst, 'coach-running', `K-${c}-${p}`);
      if ((p + c) % 3 === 0) await services.outcomes.record(analyst, { contact: `K-${c}-${p}`, stage: 'responded', idempotencyKey: `reply-${c}-${p}`, occurredAt: server.clock.now().toISOString() });
    }
  }
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('pages of a coach-randomised design', () => {
  it('pass axe and say what was randomised', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await signIn(page, server.baseUrl, 'analyst', TEST_PASSWORD);
    const problems: string[] = [];
    const check = async (label: string) => {
      const violations = await axeViolations(page);
      if (violations.length) problems.push(describeViolations(label, violations));
    };

    await page.goto(`${server.baseUrl}/experiments/coach-draft`);
    expect(await page.locator('main').innerText()).toContain('Whole work coaches’ caseloads: everyone of a coach gets the same arm');
    await check('design page');

    await page.goto(`${server.baseUrl}/experiments/coach-draft/edit`);
    expect(await page.getByLabel('Whole work coaches’ caseloads').isChecked()).toBe(true);
    await page.getByLabel('Control rate you expect (the baseline)').fill('20');
    await page.getByLabel('Uplift you hope to detect').fill('5');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Calculate', exact: true }).click()]);
    await page.locator('#power-result').waitFor();
    expect(await page.getByLabel('Intra-class correlation (ICC)').inputValue()).toBe('0.05');
    expect(await page.locator('#power-result').innerText()).toContain('Design effect of randomising whole coaches');
    await check('design form after Calculate');

    await page.goto(`${server.baseUrl}/experiments/coach-running/results`);
    expect(await page.locator('#cluster-randomised').innerText()).toMatch(/Randomised by coach: analysed with coaches as the unit \(6 coaches\)/);
    await check('results page');

    expect(problems.join('\n\n')).toBe('');
    expect(browser.errors).toEqual([]);
  });
});
