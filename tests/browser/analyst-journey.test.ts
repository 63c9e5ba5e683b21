import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TRIAL_KEY } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';

const context = useSeededTrialInBrowser();

describe('an analyst defines and launches an experiment', () => {
  it('signs in, defines a design with validation and the power calculator, launches it, and reads results', { timeout: 120_000 }, async () => {
    const { page } = context.browser;
    await page.goto(`${context.server.baseUrl}/sign-in`);
    await expectAccessible(page);
    await signIn(page, context.server.baseUrl, 'analyst', TEST_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/experiments');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Experiments');
    expect(await page.getByRole('row', { name: /First contact: channel and tone/ }).textContent()).toMatch(/Running.*Journey phase 1.*4.*400/s);
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Define a new experiment' }).click();
    await page.waitForURL('**/experiments/new');
    await expectAccessible(page);

    // Saving an empty form: an error summary that links to each field.
    await page.getByRole('button', { name: 'Save as draft' }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toContain('Enter a name for the experiment');
    expect(await page.title()).toMatch(/^Error: /);
    await expectAccessible(page);
    await summary.getByRole('link', { name: 'Enter a name for the experiment' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('name');

    await page.getByLabel('Name', { exact: true }).fill('Messenger: DWP or a local charity');
    await page.getByLabel('Hypothesis').fill('An invitation from a local charity gets more replies than one from DWP.');
    await page.getByLabel('Phase 1: getting through the door').check();
    await page.locator('#factor1Key').fill('messenger');
    await page.locator('#factor1Levels').fill('dwp, third_sector');
    await page.locator('#factor2Key').fill('tone');
    await page.locator('#factor2Levels').fill('standard, warm_voluntary');
    await page.getByRole('button', { name: 'Update arms' }).click();
    await page.locator('#arms').waitFor();
    await expectAccessible(page);
    // Choose three of the four combinations, with the standard DWP letter as control.
    await page.getByRole('group', { name: 'Which combinations do you want to test?' }).getByLabel('Third sector, standard').uncheck();
    await page.getByRole('group', { name: 'Which arm is the control?' }).getByLabel('Dwp, standard').check();
    await page.getByLabel('Primary metric').selectOption('responded');
    await page.getByLabel('Stratified permuted blocks').check();
    await page.getByRole('group', { name: 'Balance the arms within (up to 3)' }).getByLabel('Health condition group').check();

    // The rule the verdict will follow, with the spending choice revealed under it.
    await page.getByLabel('Weekly looks to a planned size (group-sequential)').check();
    await page.getByLabel('O’Brien–Fleming-like (cautious early, recommended)').waitFor();
    expect(await page.getByLabel('O’Brien–Fleming-like (cautious early, recommended)').isChecked()).toBe(true);

    // The power calculator beside the planned sample size, worked out on the server for weekly looks.
    await page.getByLabel('Control rate you expect').fill('12');
    await page.getByLabel('Uplift you hope to detect').fill('6');
    await page.getByRole('button', { name: 'Calculate' }).click();
    await page.locator('#power-result').waitFor();
    const result = (await page.locator('#power-result').textContent())!.replace(/\s+/g, ' ');
    // R: power.prop.test(p1 = 0.12, p2 = 0.18, power = 0.8)$n = 554.8 → 555 per arm
    expect(result).toContain('People per arm with a single final look 555');
    const total = /People needed in all ([\d,]+) across 3 arms/.exec(result)![1].replace(/,/g, '');
    expect(Number(total)).toBeGreaterThan(1665);
    expect(await page.getByLabel('Planned sample size (people in all arms)').inputValue()).toBe(total);
    expect(await page.getByRole('heading', { name: 'Expected weeks to a decision' }).count()).toBe(1);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Messenger: DWP or a local charity');
    await page.getByText('Thresholds at the weekly looks').click();
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL('**/experiments/messenger-dwp-or-a-local-charity?saved=1');
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Design saved as a draft');
    expect(await page.getByRole('table', { name: 'Arms' }).textContent()).toMatch(/Dwp, standard.*Control/s);
    expect(await page.locator('main').textContent()).toContain('Weekly looks to a planned size of');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForURL('**/launch');
    expect(await page.locator('.govuk-warning-text').textContent()).toContain('the design and analysis plan are locked');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Launch experiment' }).click();
    await page.waitForURL('**?changed=launch');
    expect(await page.locator('h1').textContent()).toContain('Running');
    expect(await page.locator('main').textContent()).toContain('Design locked');
    expect(await page.getByRole('button', { name: 'Change design' }).count()).toBe(0);
    await expectAccessible(page);
    expect((await context.server.services.experiments.get('messenger-dwp-or-a-local-charity')).status).toBe('running');

    // Results of the running trial: tables, charts with their tables, CONSORT flow.
    await page.goto(`${context.server.baseUrl}/experiments/${TRIAL_KEY}/results`);
    await page.locator('#chart-forest').waitFor();
    await page.waitForFunction(() => (window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart('chart-forest') !== undefined);
    const text = await page.locator('main').textContent();
    expect(text).toContain('What the results say');
    expect(text).toContain('Flow of people (CONSORT)');
    expect(await page.getByRole('table', { name: /Uplifts on Meeting agreed/ }).count()).toBe(1);
    expect(await page.getByRole('table', { name: /Meeting agreed: rate in each combination of channel and tone/ }).count()).toBe(1);
    expect(text).toContain('Does the effect of one factor depend on another?');
    await expectAccessible(page);

    await page.goto(`${context.server.baseUrl}/data`);
    await expectAccessible(page);
    expect(context.browser.errors).toEqual([]);
  });
});
