import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../server/db/database.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { createApp } from '../../server/app.ts';
import { fixedClock } from '../../server/clock.ts';
import { seedDemoData } from '../../seed/demo.ts';
import { expectAccessible, launchBrowser, signIn, type TestBrowser } from './support/browser.ts';

/**
 * The demo week's report, printed to PDF in Chromium as a minister would, fits
 * on three A4 pages with nothing wider than the page; pages counted by
 * poppler's pdfinfo.
 */
const NOW = '2026-11-23T09:30:00.000Z';
let server: Server;
let db: Db;
let baseUrl: string;
let browser: TestBrowser;
let password: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const { credentials } = await seedDemoData(db, { contacts: 3000, seed: 1, now: new Date(NOW) });
  password = credentials.find((c) => c.username === 'minister')!.password;
  const app = await createApp({ db, clock: fixedClock(NOW) });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.close();
});

describe('printing the weekly report', () => {
  it('prints the demo week on at most three A4 pages, with the headlines on page 1 and nothing wider than the page', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await signIn(page, baseUrl, 'minister', password);
    await page.goto(`${baseUrl}/report`);
    expect(await page.locator('.eiu-report-experiment').count()).toBe(3);
    await expectAccessible(page);

    await page.emulateMedia({ media: 'print' });
    const pageWidth = 210 - 24; // A4 less the 12 mm margins, in mm
    const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right)));
    const cssPixelsPerMm = 96 / 25.4;
    await page.setViewportSize({ width: Math.round(pageWidth * cssPixelsPerMm), height: 900 });
    const widestOnPaper = await page.evaluate(() => Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right)));
    expect(widestOnPaper).toBeLessThanOrEqual(pageWidth * cssPixelsPerMm + 1);
    expect(widest).toBeGreaterThan(0);

    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const folder = mkdtempSync(join(tmpdir(), 'eiu-print-'));
    try {
      const file = join(folder, 'report.pdf');
      writeFileSync(file, pdf);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      const pages = Number(/^Pages:\s+(\d+)/m.exec(info)![1]);
      expect(pages).toBeGreaterThanOrEqual(1);
      expect(pages).toBeLessThanOrEqual(3);
      expect(info).toMatch(/Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)/);
      const firstPage = execFileSync('pdftotext', ['-f', '1', '-l', '1', '-layout', file, '-'], { encoding: 'utf8' });
      expect(firstPage).toContain('Weekly uplift report: week ending 22 November 2026');
      expect(firstPage).toContain('Headlines');
      for (const name of ['First contact: channel and tone', 'Where the first meeting is offered', 'Format of the first meeting']) expect(firstPage).toContain(name);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(text).not.toContain('Download as CSV');
      expect(text).toContain('How to read this report');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    await page.emulateMedia({ media: 'screen' });
  });
});
