import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';

const context = useSeededTrialInBrowser();

describe('a minister opens the weekly report', () => {
  it('reads the headline, the chart and its table, guardrails and learning; prints it and downloads the CSV', { timeout: 120_000 }, async () => {
    const { page } = context.browser;
    await signIn(page, context.server.baseUrl, 'minister', TEST_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/report');
    expect(await page.locator('h1').textContent()).toContain('Weekly uplift report: week ending 22 November 2026');
    const main = page.locator('main');
    const text = (await main.textContent())!.replace(/\s+/g, ' ');
    expect(text).toMatch(/Text, warm voluntary: \d+ more people in every 100 agreed to a meeting than with letter, standard \(between \d+ and \d+ more\)\./);
    expect(text).toContain('Too few people yet to tell whether any approach leads to more people who asked not to be contacted again.');
    expect(text).toContain('counts below 10 are withheld and every other count is rounded to the nearest 5');
    expect(text).toContain('What we cannot tell yet:');
    expect(text).toContain('What the unit learned this week');
    expect(text).not.toMatch(/P-\d{4}/);

    // The chart is drawn, and its figures are in the table after it.
    await page.waitForFunction(() => (window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart('chart-uplift-channel-tone') !== undefined);
    expect(await page.locator('#chart-uplift-channel-tone').getAttribute('aria-label')).toContain('The table after the chart gives the same figures.');
    expect(await page.getByRole('table', { name: /Difference from the control in meeting agreed/ }).textContent()).toMatch(/Text, warm voluntary\s*\+\d+ in every 100\s*between \d+ and \d+ more/);
    await expectAccessible(page);

    // Printing: the print stylesheet hides navigation and buttons, on A4.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.govuk-service-navigation').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Download as CSV' }).isVisible()).toBe(false);
    expect(await page.locator('h1').isVisible()).toBe(true);
    const pdf = await page.pdf({ preferCSSPageSize: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 59[45]\.\d+ 841\.\d+\]/);
    await page.emulateMedia({ media: 'screen' });

    // The CSV of the same suppressed figures.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('eiu-weekly-report-2026-11-22.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toBe('week_ending,experiment,section,arm,measure,value,interval');
    expect(csv).toContain('fewer than 10');

    // Earlier weeks stay readable, with the week-by-week chart; ministers never see a week in progress.
    await page.getByRole('link', { name: 'Earlier weeks', exact: true }).click();
    await page.waitForURL('**/report/weeks');
    expect(await page.getByRole('link', { name: 'Week ending 22 November 2026', exact: true }).count()).toBe(1);
    await page.waitForFunction(() => (window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart('chart-history') !== undefined);
    expect(await page.getByRole('table', { name: /Across the unit at the end of each week/ }).textContent()).toContain('22 November 2026');
    await expectAccessible(page);
    expect((await page.goto(`${context.server.baseUrl}/report/current`))?.status()).toBe(403);

    // Ministers never see person-level records.
    const response = await page.goto(`${context.server.baseUrl}/contacts/P-0001`);
    expect(response?.status()).toBe(403);
    await expectAccessible(page);
    expect(context.browser.errors).toEqual([]);
  });
});
