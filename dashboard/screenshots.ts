/**
 * Screenshots of the main pages (and the printed weekly report), on the demo data, for the README:
 *
 *   npx tsx dashboard/screenshots.ts [output folder, default docs/screenshots]
 *
 * Builds a fresh in-memory demo database (fixed date, so the pictures are
 * stable), serves the real app on a free port and drives Debian's Chromium
 * through the real sign-in form as each demo user.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openDatabase } from '../server/db/database.ts';
import { createApp } from '../server/app.ts';
import { fixedClock } from '../server/clock.ts';
import { seedDemoData } from '../seed/demo.ts';
import { createScreenshotsReadModel } from './screenshots-read-model.ts';
import { launchBrowser, signIn } from '../tests/browser/support/browser.ts';

const NOW = '2026-11-23T09:30:00.000Z';
const MAX_HEIGHT = 2400;
const output = resolve(process.argv[2] ?? 'docs/screenshots');
mkdirSync(output, { recursive: true });

const db = await openDatabase(':memory:');
console.log('Loading the demo data…');
const { credentials } = await seedDemoData(db, { contacts: 3000, seed: 1, now: new Date(NOW) });
const app = createApp({ db, clock: fixedClock(NOW) });
const server = app.listen(0, '127.0.0.1');
await new Promise((done) => server.once('listening', done));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const password = (username: string) => credentials.find((c) => c.username === username)!.password;

// A person on coach01's caseload well into phase 1 of the channel × tone trial.
const contact = await createScreenshotsReadModel(db).contactInPhaseOne();

async function shoot(page: Page, path: string, file: string) {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600); // let the charts finish drawing
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: resolve(output, file), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.min(height, MAX_HEIGHT) } });
  console.log(`  ${file}  (${path})`);
}

/** Just what a 1280 × 900 screen shows, for pages about what is in view without scrolling. */
async function shootViewport(page: Page, path: string, file: string) {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: resolve(output, file) });
  console.log(`  ${file}  (${path}, 1280 × 900)`);
}

const browser = await launchBrowser();
try {
  const { page, context } = browser;
  await page.setViewportSize({ width: 1280, height: 900 });
  console.log(`Saving screenshots to ${output}:`);
  await signIn(page, baseUrl, 'analyst', password('analyst'));
  await shoot(page, '/experiments/channel-tone/results', 'analyst-results.png');
  await context.clearCookies();
  await signIn(page, baseUrl, 'coach01', password('coach01'));
  await shootViewport(page, '/today', 'coach-today.png');
  await shoot(page, `/contacts/${contact ?? ''}`, 'coach-contact.png');
  await context.clearCookies();
  await signIn(page, baseUrl, 'minister', password('minister'));
  await shoot(page, '/report', 'minister-report.png');
  await shoot(page, '/report/weeks', 'minister-earlier-weeks.png');
  // The printed report, as a minister saves it as PDF, page by page.
  await page.goto(`${baseUrl}/report`);
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: resolve(output, 'minister-report.pdf'), preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  console.log('  minister-report.pdf  (/report, printed)');
} finally {
  await browser.close();
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  await db.close();
}
