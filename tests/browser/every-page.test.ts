import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from './support/fixtures.ts';
import { axeViolations, describeViolations, launchBrowser, signIn, type TestBrowser } from './support/browser.ts';

/**
 * axe-core on every page of the dashboard, for every role, including error
 * states (validation errors, 403 and 404 pages). The journeys check the pages
 * along the way; this makes sure none is missed.
 */
let server: TestServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
  // A draft, so the edit form and launch confirmation exist.
  server.services.experiments.create(
    {
      key: 'draft-messenger',
      name: 'Messenger',
      hypothesis: 'A charity gets more replies',
      journeyPhase: 1,
      factors: [{ key: 'messenger', levels: ['dwp', 'third_sector'] }],
      coverage: 1,
      eligibility: { ageBand: { $in: ['25-34'] } },
      primaryMetric: 'responded',
      secondaryMetrics: [],
      guardrailMetrics: [],
      randomisation: 'hash',
      strata: [],
    },
    null,
  );
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Step = string | { path: string; submit: string };

const PAGES: Record<string, Step[]> = {
  public: ['/sign-in', '/accessibility', '/privacy', { path: '/sign-in', submit: 'Sign in' }],
  analyst: [
    '/experiments',
    '/experiments/new',
    { path: '/experiments/new', submit: 'Save as draft' },
    { path: '/experiments/new', submit: 'Calculate' },
    '/experiments/draft-messenger',
    '/experiments/draft-messenger/edit',
    '/experiments/draft-messenger/launch',
    `/experiments/${TRIAL_KEY}`,
    `/experiments/${TRIAL_KEY}/results`,
    `/experiments/${TRIAL_KEY}/pause`,
    `/experiments/${TRIAL_KEY}/conclude`,
    '/data',
    { path: '/data', submit: 'Import people' },
    '/learning-log',
    { path: '/learning-log', submit: 'Add note' },
    '/report',
    '/report/current',
    '/report/weeks',
    '/report/weeks/2026-11-22',
    '/account',
    '/account/password',
    { path: '/account/password', submit: 'Change password' },
    '/no-such-page',
  ],
  coach: [
    '/today',
    `/today?experiment=${TRIAL_KEY}&stage=not_contacted`,
    '/caseload',
    '/caseload?search=P-00',
    '/caseload?page=2',
    '/contacts/P-0001',
    '/contacts/P-0001?all=1',
    { path: '/contacts/P-0001', submit: 'Record' },
    '/contacts/P-0002',
    '/contacts/P-0001/preferences',
    '/contacts/P-0001/opt-out',
    '/contacts/P-0002/opt-in',
    { path: '/contacts/P-0002/opt-in', submit: 'Record that they want to be contacted again' },
    '/learning-log',
    '/experiments',
  ],
  minister: ['/report', '/report/weeks', '/report/current', '/caseload'],
  admin: [
    '/admin',
    { path: '/admin', submit: 'Add user' },
    '/admin/erasure',
    { path: '/admin/erasure', submit: 'Continue' },
    '/admin/users/coach',
    '/admin/users/coach/disable',
    '/admin/users/coach/reset-password',
    '/admin/users/analyst/role',
    { path: '/admin/users/analyst/role', submit: 'Continue' },
    { path: '/admin/users/admin/disable', submit: 'Disable user' },
    '/admin/audit',
    '/admin/audit?reference=P-0001&page=2',
    '/admin/audit?fromDay=31&fromMonth=2&fromYear=2026',
  ],
};

describe('every page passes axe (WCAG 2.2 AA)', () => {
  for (const [role, steps] of Object.entries(PAGES)) {
    it(`for the ${role}`, { timeout: 120_000 }, async () => {
      const { page, context } = browser;
      await context.clearCookies();
      if (role !== 'public') await signIn(page, server.baseUrl, role, TEST_PASSWORD);
      const problems: string[] = [];
      for (const step of steps) {
        const path = typeof step === 'string' ? step : step.path;
        await page.goto(`${server.baseUrl}${path}`);
        if (typeof step !== 'string') {
          await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: step.submit, exact: true }).click()]);
          await page.locator('.govuk-error-summary').waitFor();
        }
        const violations = await axeViolations(page);
        if (violations.length) problems.push(describeViolations(`${path}${typeof step === 'string' ? '' : ` after "${step.submit}"`}`, violations));
      }
      expect(problems.join('\n\n')).toBe('');
      expect(browser.errors).toEqual([]);
    });
  }
});
