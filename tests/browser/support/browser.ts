import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { seedTrial } from './fixtures.ts';

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** WCAG 2.2 AA and everything below it. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
/** WCAG 2.2 AA and axe's best-practice rules (landmarks, heading order, unique names…). */
export const BEST_PRACTICE_TAGS = [...WCAG_TAGS, 'best-practice'];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far (other than expected 4xx responses). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Real Chromium (the Debian package), headless, with a fresh profile per test
 * file and its default context. CSP is bypassed only so axe can be injected
 * with addScriptTag; tests/dashboard-pages.test.ts checks the pages need no
 * inline scripts or styles.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'eiu-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    bypassCSP: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/the server responded with a status of 4\d\d/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core on the current page against WCAG 2.2 AA; returns the violations (none is the goal). */
export async function axeViolations(page: Page, tags: string[] = WCAG_TAGS): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, tags);
}

/** A readable summary of violations for an assertion message. */
export function describeViolations(url: string, violations: AxeViolation[]): string {
  return violations
    .map((v) => `${url}: ${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`)
    .join('\n');
}

/** Signs in through the real form. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Asserts axe finds no WCAG 2.2 AA violations on the page as it is now (and none of its best-practice rules, if asked). */
export async function expectAccessible(page: Page, options: { bestPractice?: boolean } = {}): Promise<void> {
  const violations = await axeViolations(page, options.bestPractice ? BEST_PRACTICE_TAGS : WCAG_TAGS);
  if (violations.length > 0) throw new Error(`axe found ${violations.length} accessibility violation(s):\n${describeViolations(page.url(), violations)}`);
}

/**
 * The hooks every journey file needs: a real server over a seeded trial and one
 * Chromium, started before the file's tests and closed after. Read `server` and
 * `browser` inside tests (they are set by then).
 */
export function useSeededTrialInBrowser(): { server: TestServer; browser: TestBrowser } {
  const context = {} as { server: TestServer; browser: TestBrowser };
  beforeAll(async () => {
    context.server = await startTestServer();
    await seedTrial(context.server);
    context.browser = await launchBrowser();
  });
  afterAll(async () => {
    await context.browser?.close();
    await context.server?.close();
  });
  return context;
}
