import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';

const context = useSeededTrialInBrowser();

describe('a work coach corrects a mistaken entry and records an opt-out with care', () => {
  it('corrects and withdraws entries through accessible forms and check pages, then opts a person out and back in', { timeout: 120_000 }, async () => {
    const { page } = context.browser;
    const base = context.server.baseUrl;
    await signIn(page, base, 'coach', TEST_PASSWORD);

    // Record something, then correct its date.
    await page.goto(`${base}/contacts/P-0004?all=1`);
    await page.getByRole('group', { name: 'What happened?' }).getByLabel('Complaint', { exact: true }).check();
    await Promise.all([page.waitForURL(/recorded=\d+/), page.getByRole('button', { name: 'Record', exact: true }).click()]);
    await Promise.all([page.waitForURL(/\/outcomes\/\d+\/correct$/), page.getByRole('link', { name: /^Correct Complaint/ }).click()]);
    expect(await page.locator('h1').textContent()).toContain('Correct this entry');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    // Nothing chosen: the error summary links to the reasons.
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Select what was wrong');
    await expectAccessible(page);
    await page.getByLabel('Day').first().fill('21');
    await page.getByLabel('The date was wrong').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('h1').textContent()).toContain('Check your correction');
    expect(await page.locator('main').textContent()).toContain('21 November 2026');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/corrected=\d+/), page.getByRole('button', { name: 'Confirm correction' }).click()]);
    expect(await page.locator('.govuk-notification-banner--success').textContent()).toContain('Complaint corrected');
    expect(await page.locator('main').textContent()).toMatch(/First recorded as 23 November 2026/);
    await expectAccessible(page);

    // Withdraw it.
    await Promise.all([page.waitForURL(/\/outcomes\/\d+\/withdraw$/), page.getByRole('link', { name: /^Withdraw Complaint/ }).click()]);
    await expectAccessible(page);
    await page.getByLabel('Recorded twice').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('h1').textContent()).toContain('Withdraw this entry?');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/withdrawn=\d+/), page.getByRole('button', { name: 'Withdraw entry' }).click()]);
    expect(await page.locator('.govuk-notification-banner--success').textContent()).toContain('Complaint withdrawn');
    expect(await page.getByRole('link', { name: /^Correct Complaint/ }).count()).toBe(0);
    await expectAccessible(page);

    // Opting out: what it means first, then recorded.
    await Promise.all([page.waitForURL('**/contacts/P-0004/opt-out'), page.getByRole('button', { name: 'Record that they do not want to be contacted' }).click()]);
    const explanation = await page.locator('main').textContent();
    expect(explanation).toContain('no experiment will contact them again, by any channel');
    expect(explanation).toContain('what they have already done stays in the analysis');
    expect(explanation).toContain('it does not affect their benefits in any way');
    await expectAccessible(page);
    await Promise.all([page.waitForURL('**/contacts/P-0004?optedOut=1'), page.getByRole('button', { name: 'Confirm they do not want to be contacted' }).click()]);
    expect(await page.locator('main').textContent()).toContain('Do not contact this person.');

    // Back in, only at their own request.
    await Promise.all([page.waitForURL('**/contacts/P-0004/opt-in'), page.getByRole('link', { name: 'record that they want to be contacted again' }).click()]);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Record that they want to be contacted again' }).click();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Confirm that they asked you themselves');
    await expectAccessible(page);
    await page.getByLabel('They asked me themselves to be contacted again').check();
    await page.getByLabel('Why they want to be contacted again').fill('Would like help with a CV after all');
    await Promise.all([page.waitForURL('**/contacts/P-0004?optedIn=1'), page.getByRole('button', { name: 'Record that they want to be contacted again' }).click()]);
    expect(await page.getByRole('group', { name: 'What happened?' }).count()).toBe(1);
    await expectAccessible(page);
    expect(context.browser.errors).toEqual([]);
  });
});
