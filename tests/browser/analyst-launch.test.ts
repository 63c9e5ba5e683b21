import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';

const context = useSeededTrialInBrowser();

const SCRIPT = 'Hello, this is Riverside Mind, working with your jobcentre. Would a chat over tea help? Reply YES.';

describe('an analyst launches an experiment and gets people into it', () => {
  it('writes the arms’ scripts, launches, enrols a site after a preview, and a coach then sees the script', { timeout: 120_000 }, async () => {
    const { page } = context.browser;
    const base = context.server.baseUrl;
    await signIn(page, base, 'analyst', TEST_PASSWORD);

    await page.goto(`${base}/experiments/new`);
    await page.getByLabel('Name', { exact: true }).fill('Who the invitation comes from');
    await page.getByLabel('Hypothesis').fill('An invitation from a local charity gets more replies than one from DWP.');
    await page.getByLabel('Phase 1: getting through the door').check();
    await page.locator('#factor1Key').fill('messenger');
    await page.locator('#factor1Levels').fill('dwp, third_sector');
    await page.getByRole('button', { name: 'Update arms' }).click();
    await page.locator('#instructions-third_sector').waitFor();
    // Prefilled from the arm's levels, for the analyst to rewrite.
    expect(await page.locator('#instructions-third_sector').inputValue()).toContain('partner charity');
    await expectAccessible(page);
    await page.getByLabel('What to do for Third sector').fill('Send the invitation through Riverside Mind, in their name.\nIf they reply, book a chat at the hub.');
    await page.getByLabel('Message script for Third sector').fill(SCRIPT);
    await page.getByLabel('Primary metric').selectOption('responded');
    // The decision rule's weekly looks need a planned end.
    await page.getByLabel('Planned sample size (people in all arms)').fill('2000');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL('**/experiments/who-the-invitation-comes-from?saved=1');
    expect((await page.locator('#instructions ~ .eiu-script').allTextContents()).map((t) => t.trim())).toContain(SCRIPT);
    await expectAccessible(page);
    // New seeds are random; fix this draft's so which arm each person gets is the same on every run.
    await context.server.db.run("UPDATE experiment_phases SET seed = ? WHERE experiment_id = (SELECT id FROM experiments WHERE key = 'who-the-invitation-comes-from')", [
      'launch-test-seed-1',
    ]);

    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForURL('**/launch');
    await page.getByRole('button', { name: 'Launch experiment' }).click();
    await page.waitForURL('**/experiments/who-the-invitation-comes-from?changed=launch');

    await page.getByRole('button', { name: 'Enrol people' }).click();
    await page.waitForURL('**/enrol');
    await expectAccessible(page);
    await page.getByLabel('Test Jobcentre').check();
    await page.getByRole('button', { name: 'Preview enrolment', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Enrol 5 people?' }).waitFor();
    const byArm = page.getByRole('table', { name: 'By arm' });
    const counts = (await byArm.locator('tbody td').allTextContents()).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    // The 400 people already in the channel × tone trial are left out, and said to be.
    expect(await page.locator('main').textContent()).toMatch(/Already in another experiment of the same journey phase\s*399/);
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Enrol 5 people' }).click();
    await page.getByText('Enrolment finished').waitFor();
    expect(await page.locator('.govuk-panel').textContent()).toContain('5 people enrolled');
    await expectAccessible(page);

    await page.getByRole('link', { name: 'See the experiment and its arms' }).click();
    const armsTable = page.getByRole('table', { name: 'Arms' });
    const assigned = (await armsTable.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.lastElementChild!.textContent)))).reduce((a, b) => a + b, 0);
    expect(assigned).toBe(5);

    const row = await context.server.db.get<{ reference: string }>(
      `SELECT c.reference AS reference FROM assignments a JOIN contacts c ON c.id = a.contact_id JOIN experiment_arms r ON r.id = a.arm_id
         JOIN experiments e ON e.id = a.experiment_id WHERE e.key = 'who-the-invitation-comes-from' AND r.key = 'third_sector' AND c.coach_id = (SELECT id FROM work_coaches WHERE code = 'WC01')
         ORDER BY a.id LIMIT 1`,
    );
    expect(row, 'someone on coach WC01’s caseload in the charity arm').toBeDefined();

    await page.context().clearCookies();
    await signIn(page, base, 'coach', TEST_PASSWORD);
    await page.goto(`${base}/contacts/${row!.reference}`);
    expect(await page.getByRole('heading', { name: 'What to do: Third sector' }).count()).toBe(1);
    expect(await page.locator('main').textContent()).toContain('Send the invitation through Riverside Mind, in their name.');
    expect(await page.locator('.eiu-script').first().textContent()).toContain(SCRIPT);
    await expectAccessible(page);
  });
});
