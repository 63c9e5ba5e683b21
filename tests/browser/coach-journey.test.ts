import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TEST_PASSWORD, TRIAL_KEY } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';

const context = useSeededTrialInBrowser();

const analystView = { id: 0, username: 'test', displayName: 'test', role: 'analyst' as const, coachId: null };
const stagesOf = async (reference: string) => (await context.server.services.outcomes.forContact(analystView, reference)).map((o) => o.stage);

/** Clicks, counting them: recording an outcome must take at most three. */
function clickCounter(page: Page) {
  let clicks = 0;
  return {
    async click(locator: ReturnType<Page['getByRole']>) {
      clicks++;
      await locator.click();
    },
    async check(locator: ReturnType<Page['getByLabel']>) {
      clicks++;
      await locator.check();
    },
    get count() {
      return clicks;
    },
  };
}

async function recordOutcome(page: Page, stage: string, detail?: { group: string; option: string }) {
  const counter = clickCounter(page);
  await counter.check(page.getByRole('group', { name: 'What happened?' }).getByLabel(stage, { exact: true }));
  if (detail) await counter.check(page.getByRole('group', { name: detail.group }).getByLabel(detail.option, { exact: true }));
  await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('button', { name: 'Record', exact: true }))]);
  expect(counter.count).toBeLessThanOrEqual(3);
  expect(await page.locator('.govuk-notification-banner--success').textContent()).toContain(`${stage} recorded`);
}

describe('a work coach records a contact’s outcomes through phase 1', () => {
  it('finds the person, sees what to do for their arm, and records each step in a few clicks', { timeout: 120_000 }, async () => {
    const { page } = context.browser;
    await signIn(page, context.server.baseUrl, 'coach', TEST_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/today');
    expect(await page.locator('main').textContent()).toContain('Nothing you record here affects anyone’s benefits.');
    await expectAccessible(page);
    // The whole caseload, searchable, is a page of its own.
    await Promise.all([page.waitForURL('**/caseload'), page.getByRole('link', { name: 'My caseload' }).click()]);
    expect(await page.getByRole('row', { name: /P-0001/ }).count()).toBe(1);
    await expectAccessible(page);

    // Search by reference: an exact match goes straight to the person.
    await page.getByLabel('Find a person by reference').fill('N-0002');
    await Promise.all([page.waitForURL('**/contacts/N-0002'), page.getByRole('button', { name: 'Search' }).click()]);
    expect(await page.locator('h1').textContent()).toContain('Contact N-0002');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Add to experiment: First contact: channel and tone' }).click();
    await page.waitForURL(`**/contacts/N-0002?assigned=${TRIAL_KEY}`);
    const assignment = (await context.server.services.assignments.forContact(analystView, 'N-0002'))[0];
    const arm = assignment.arm;
    const main = page.locator('main');
    expect(await main.textContent()).toContain(`What to do: ${arm.name}`);
    expect(await main.textContent()).toContain('Due next: Make first contact');
    expect(await page.locator('.eiu-script').textContent()).toMatch(arm.levels.tone === 'warm_voluntary' ? /will not affect your benefits/ : /DWP|Department for Work and Pensions/);
    await expectAccessible(page);

    // Outreach: the channel for their arm is already chosen, so two clicks.
    await page.getByRole('group', { name: 'What happened?' }).getByLabel('Outreach attempted', { exact: true }).check();
    expect(await page.getByRole('group', { name: 'Channel used' }).getByLabel(arm.levels.channel === 'text' ? 'Text' : 'Letter', { exact: true }).isChecked()).toBe(true);
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/recorded=\d+/), page.getByRole('button', { name: 'Record', exact: true }).click()]);
    expect(await page.locator('.govuk-notification-banner--success').textContent()).toContain('Outreach attempted recorded');
    await expectAccessible(page);

    // A refresh after recording does not record it again (Post/Redirect/Get).
    await page.reload();
    expect(await stagesOf('N-0002')).toEqual(['outreach_attempted']);

    // A double-click on "Record" records once.
    await page.getByRole('group', { name: 'What happened?' }).getByLabel('Responded', { exact: true }).check();
    await Promise.all([page.waitForURL(/recorded=\d+/), page.getByRole('button', { name: 'Record', exact: true }).dblclick()]);
    await page.waitForLoadState('networkidle');
    expect(await stagesOf('N-0002')).toEqual(['outreach_attempted', 'responded']);

    expect(await main.textContent()).toContain('Due next: Agree a first meeting');
    await recordOutcome(page, 'Meeting agreed', { group: 'Where', option: 'Community venue' });
    expect(await main.textContent()).toContain('Due next: First meeting agreed');
    await recordOutcome(page, 'First meeting attended');
    expect(await main.textContent()).toContain('Due next: Record how the first meeting went');
    expect(await stagesOf('N-0002')).toEqual(['outreach_attempted', 'responded', 'meeting_agreed', 'meeting_attended']);
    expect(await page.getByRole('table', { name: 'Recorded outcomes, newest first' }).textContent()).toMatch(/First meeting attended.*Meeting agreed.*at community venue/s);
    await expectAccessible(page);

    // Preferences and adjustments, with their history.
    await page.getByRole('link', { name: 'Change preferences and adjustments' }).click();
    await page.waitForURL('**/contacts/N-0002/preferences');
    await expectAccessible(page);
    await page.getByLabel('Phone', { exact: true }).check();
    await page.getByLabel('Private room').check();
    await Promise.all([page.waitForURL('**/contacts/N-0002'), page.getByRole('button', { name: 'Save' }).click()]);
    expect(await page.getByRole('table', { name: 'Changes' }).textContent()).toMatch(/Preferred channel.*phone/s);

    // The team's learning log.
    await page.getByRole('link', { name: 'Learning log' }).click();
    await expectAccessible(page);
    await page.getByLabel('Your note').fill('Offering the community venue in the first text seemed to reassure people.');
    await page.getByLabel('Experiment and arm (optional)').selectOption(`${TRIAL_KEY}/${arm.key}`);
    await Promise.all([page.waitForURL('**/learning-log?added=1'), page.getByRole('button', { name: 'Add note' }).click()]);
    expect(await page.locator('main').textContent()).toContain('Offering the community venue in the first text seemed to reassure people.');
    await expectAccessible(page);

    // Opting out: a page says what it means, one more click records it, and then no contact is offered.
    await page.goto(`${context.server.baseUrl}/contacts/N-0003`);
    await Promise.all([page.waitForURL('**/contacts/N-0003/opt-out'), page.getByRole('button', { name: 'Record that they do not want to be contacted' }).click()]);
    expect(await page.locator('main').textContent()).toContain('it does not affect their benefits in any way');
    await expectAccessible(page);
    await Promise.all([page.waitForURL('**/contacts/N-0003?optedOut=1'), page.getByRole('button', { name: 'Confirm they do not want to be contacted' }).click()]);
    expect(await page.locator('main').textContent()).toContain('Do not contact this person.');
    expect(await page.getByRole('group', { name: 'What happened?' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Add to experiment/ }).count()).toBe(0);
    await expectAccessible(page);

    // Coaches never see results.
    const response = await page.goto(`${context.server.baseUrl}/experiments/${TRIAL_KEY}/results`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toContain('You do not have permission to see this page');
    await expectAccessible(page);
    expect(context.browser.errors).toEqual([]);
  });
});
