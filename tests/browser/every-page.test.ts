import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from './support/fixtures.ts';
import { axeViolations, BEST_PRACTICE_TAGS, describeViolations, launchBrowser, signIn, type TestBrowser } from './support/browser.ts';

/**
 * axe-core on every page of the dashboard, for every role, including error
 * states (validation errors, 403 and 404 pages). The journeys check the pages
 * along the way; this makes sure none is missed.
 */
let server: TestServer;
let browser: TestBrowser;
let enrolmentPath = '';

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
  // A draft, so the edit form and launch confirmation exist.
  await server.services.experiments.create(
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
  // A running experiment with nobody in it yet (the results' empty state), and a finished enrolment.
  const analystId = (await server.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!.id;
  await server.services.experiments.create(
    { key: 'empty-running', name: 'Nobody yet', hypothesis: 'Something', journeyPhase: 3, factors: [{ key: 'format', levels: ['standard', 'extended'] }], coverage: 1, eligibility: {}, primaryMetric: 'engaged_8w', secondaryMetrics: [], guardrailMetrics: [], randomisation: 'hash', strata: [] },
    analystId,
  );
  await server.services.experiments.transition('empty-running', 'launch');
  const hub = (await server.services.staff.sites()).find((s) => s.code === 'CV1')!;
  const batch = await server.services.enrolments.prepare(TRIAL_KEY, { siteIds: [hub.id], coachIds: [], references: [] }, 'Test Community Hub', analystId, 0);
  await server.services.enrolments.start(batch, { id: analystId, username: 'analyst', displayName: 'Test analyst', role: 'analyst', coachId: null });
  enrolmentPath = `/experiments/${TRIAL_KEY}/enrolments/${batch}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page, or a page after filling in some fields and pressing a button (by default it expects an error summary). */
type Step =
  | string
  | (() => string)
  | { path: string; submit: string; check?: string[]; fill?: [string, string][]; select?: [string, string][]; waitFor?: string };

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
    `/experiments/${TRIAL_KEY}/results?metric=engaged_8w`,
    '/experiments/empty-running/results',
    `/experiments/${TRIAL_KEY}/enrol`,
    { path: `/experiments/${TRIAL_KEY}/enrol`, submit: 'Preview enrolment' },
    { path: `/experiments/${TRIAL_KEY}/enrol`, submit: 'Preview enrolment from the file' },
    { path: `/experiments/${TRIAL_KEY}/enrol`, check: ['Test Jobcentre'], submit: 'Preview enrolment', waitFor: 'form[action$="/confirm"]' },
    { path: `/experiments/${TRIAL_KEY}/enrol`, check: ['Test Community Hub'], submit: 'Preview enrolment', waitFor: 'text=Nobody in this selection' },
    () => enrolmentPath,
    `/experiments/${TRIAL_KEY}/allocation`,
    { path: `/experiments/${TRIAL_KEY}/allocation`, submit: 'Review the change' },
    { path: `/experiments/${TRIAL_KEY}/allocation`, fill: [['Why is the allocation changing?', 'More texts']], submit: 'Review the change', waitFor: 'text=Confirm the change' },
    `/experiments/${TRIAL_KEY}/instructions`,
    { path: `/experiments/${TRIAL_KEY}/instructions`, submit: 'Save new versions' },
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
    '/admin/moves',
    { path: '/admin/moves', submit: 'Continue' },
    { path: '/admin/moves', check: ['One person'], fill: [['Reference of the person', 'N-0001'], ['Reason', 'Closer to home']], select: [['Move to', 'WC02']], submit: 'Continue', waitFor: 'text=Move this person?' },
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
        const path = typeof step === 'string' ? step : typeof step === 'function' ? step() : step.path;
        await page.goto(`${server.baseUrl}${path}`);
        if (typeof step === 'object') {
          for (const label of step.check ?? []) await page.getByLabel(label, { exact: true }).check();
          for (const [label, value] of step.fill ?? []) await page.getByLabel(label).fill(value);
          for (const [label, value] of step.select ?? []) await page.getByLabel(label, { exact: true }).selectOption(value);
          await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: step.submit, exact: true }).click()]);
          await page.locator(step.waitFor ?? '.govuk-error-summary').first().waitFor();
        }
        const violations = await axeViolations(page, BEST_PRACTICE_TAGS);
        if (violations.length) problems.push(describeViolations(`${path}${typeof step === 'object' ? ` after "${step.submit}"` : ''}`, violations));
      }
      expect(problems.join('\n\n')).toBe('');
      expect(browser.errors).toEqual([]);
    });
  }
});
