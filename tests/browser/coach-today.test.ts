import { beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { TEST_PASSWORD } from './support/fixtures.ts';
import { expectAccessible, signIn, useSeededTrialInBrowser } from './support/browser.ts';
import { contactFixture, TEST_NOW } from '../support/test-server.ts';
import type { ContactInput } from '../../experiments/contacts/contact-schema.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';

/**
 * A work coach's day, from Today: a first meeting this morning, a 4-week
 * follow-up, and one person taken from first contact to a plan, counting
 * every click. TEST_NOW is Monday 23 November 2026, 9am.
 */
const context = useSeededTrialInBrowser();
const DAY = 86_400_000;
const now = new Date(TEST_NOW).getTime();
const at = (days: number, hours = 0) => new Date(now + days * DAY + hours * 3_600_000).toISOString();
const analyst: CurrentUser = { id: 0, username: 'test', displayName: 'test', role: 'analyst', coachId: null };
const stagesOf = async (reference: string) => (await context.server.services.outcomes.forContact(analyst, reference)).map((o) => o.stage);

beforeAll(async () => {
  const { services, clock } = context.server;
  analyst.id = (await services.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!.id;
  clock.set(at(-60));
  await services.contacts.createMany(['D-0001', 'D-0002'].map((reference) => ({ preferredChannel: null, adjustments: [], ...contactFixture(reference) }) as ContactInput));
  let key = 0;
  // As the coach would have recorded each, a minute after it happened.
  const record = async (reference: string, stage: string, occurredAt: string, extra: object = {}) => {
    clock.set(new Date(new Date(occurredAt).getTime() + 60_000).toISOString());
    await services.outcomes.record(analyst, { contact: reference, stage: stage as never, occurredAt, idempotencyKey: `day-${++key}`, ...extra });
  };
  for (const [reference, agreedDaysAgo, meetingAt] of [['D-0001', 3, '2026-11-23T10:30:00.000Z'], ['D-0002', 33, at(-29)]] as const) {
    await record(reference, 'outreach_attempted', at(-agreedDaysAgo - 2), { detail: { channel: 'phone' } });
    await record(reference, 'responded', at(-agreedDaysAgo, -1));
    await record(reference, 'meeting_agreed', at(-agreedDaysAgo), { detail: { place: 'jobcentre', time: meetingAt } });
  }
  await record('D-0002', 'meeting_attended', at(-29));
  clock.set(TEST_NOW);
});

/** Clicks, counted: each step of the journey is asserted to take at most two. */
function clickCounter() {
  let clicks = 0;
  return {
    async click(locator: Locator) {
      clicks++;
      await locator.click();
    },
    /** The clicks since the last call. */
    take() {
      const taken = clicks;
      clicks = 0;
      return taken;
    },
  };
}

async function duplicateIds(page: Page) {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].map((element) => element.id);
    return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  });
}

async function checkPage(page: Page) {
  expect(await duplicateIds(page)).toEqual([]);
  await expectAccessible(page, { bestPractice: true });
}

const banner = (page: Page) => page.locator('.govuk-notification-banner--success').textContent();

describe('a work coach’s day from Today', () => {
  it('starts on Today, records the morning’s meeting and a follow-up, and takes someone from first contact to a plan in at most two clicks a step', { timeout: 180_000 }, async () => {
    const { page } = context.browser;
    const { server } = context;
    const counter = clickCounter();
    const clicks: Record<string, number> = {};

    await signIn(page, server.baseUrl, 'coach', TEST_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/today');
    expect(await page.locator('h1').textContent()).toBe('Today');
    const meetings = page.getByRole('table', { name: 'Meetings today and tomorrow' });
    expect(await meetings.getByRole('row', { name: /D-0001/ }).textContent()).toMatch(/First meeting today.*Today at 10:30am/s);
    // Before the meeting starts there is nothing to record about it.
    expect(await page.getByRole('button', { name: 'Attended today for D-0001' }).count()).toBe(0);
    await checkPage(page);

    // 10:45: the meeting has started, and they came.
    server.clock.set('2026-11-23T10:45:00.000Z');
    // Sessions idle out after 30 minutes, so after the morning goes by the coach signs in again (and lands on Today).
    await signIn(page, server.baseUrl, 'coach', TEST_PASSWORD);
    await Promise.all([page.waitForURL(/\/today\?recorded=\d+/), counter.click(page.getByRole('button', { name: 'Attended today for D-0001' }))]);
    clicks.meetingToday = counter.take();
    expect(await banner(page)).toContain('First meeting attended recorded for D-0001');
    expect((await stagesOf('D-0001')).at(-1)).toBe('meeting_attended');
    await checkPage(page);

    // Phase 1, outreach: straight from the "Not contacted yet" list, by the arm's channel.
    const arm = (await server.services.assignments.forContact(analyst, 'P-0395'))[0].arm;
    const outreach = page.getByRole('table', { name: 'Not contacted yet' }).getByRole('button', { name: `Outreach attempted by ${arm.levels.channel} today for P-0395` });
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(outreach)]);
    clicks.outreach = counter.take();
    expect(await banner(page)).toContain('Outreach attempted recorded for P-0395');

    // Responded: open the person; the button is at the top of their page.
    await Promise.all([page.waitForURL('**/contacts/P-0395'), counter.click(page.getByRole('link', { name: 'Open P-0395' }))]);
    await checkPage(page);
    // Above the fold at 1280 × 900: the one-click button, and the record form with its first choice.
    for (const control of [page.getByRole('button', { name: 'Responded today' }), page.getByRole('group', { name: 'What happened?' }).getByLabel('Responded', { exact: true })]) {
      const box = await control.boundingBox();
      expect(box!.y + box!.height).toBeLessThan(900);
    }
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('button', { name: 'Responded today' }))]);
    clicks.responded = counter.take();
    expect(await banner(page)).toContain('Responded recorded');

    // Meeting agreed: the only outcome possible, so already chosen; the form is at the top.
    const main = page.locator('main');
    expect(await main.textContent()).toContain('Due next: Agree a first meeting');
    expect(await page.getByRole('group', { name: 'What happened?' }).getByLabel('Meeting agreed', { exact: true }).isChecked()).toBe(true);
    // The form is above the fold at 1280 × 900: its heading and the outcome to choose.
    const choice = await page.getByRole('group', { name: 'What happened?' }).getByLabel('Meeting agreed', { exact: true }).boundingBox();
    expect(choice!.y + choice!.height).toBeLessThan(900);
    await checkPage(page);
    await counter.click(page.getByRole('group', { name: 'Where' }).getByLabel('Community venue', { exact: true }));
    const date = page.getByRole('group', { name: 'Date of the meeting (optional)' });
    await date.getByLabel('Day').fill('23');
    await date.getByLabel('Month').fill('11');
    await date.getByLabel('Year').fill('2026');
    await page.getByLabel('Time (optional)').fill('14:00');
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('button', { name: 'Record', exact: true }))]);
    clicks.meetingAgreed = counter.take();
    expect(await main.textContent()).toContain('Due next: First meeting on 23 November 2026 at 2pm');
    expect(await main.textContent()).toContain('You can record whether they came once the meeting has started.');

    // Attended: at 2:10pm the meeting is on Today's list, with its button.
    server.clock.set('2026-11-23T14:10:00.000Z');
    await signIn(page, server.baseUrl, 'coach', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/today'), counter.click(page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Today' }))]);
    expect(await meetings.getByRole('row', { name: /P-0395/ }).textContent()).toContain('Today at 2pm');
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('button', { name: 'Attended today for P-0395' }))]);
    clicks.attended = counter.take();
    expect(await banner(page)).toContain('First meeting attended recorded for P-0395');
    await checkPage(page);

    // Phase 2: wants to continue, then the plan, each a button at the top of their page.
    await Promise.all([page.waitForURL('**/contacts/P-0395'), counter.click(page.getByRole('link', { name: 'Open P-0395' }))]);
    expect(await main.textContent()).toContain('Due next: Record how the first meeting went');
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('button', { name: 'Wants to continue' }))]);
    clicks.wantsToContinue = counter.take();
    expect(await banner(page)).toContain('Wants to continue recorded');
    await checkPage(page);
    await Promise.all([page.waitForURL(/recorded=\d+/), counter.click(page.getByRole('group', { name: 'Plan agreed:' }).getByRole('button', { name: 'Written plan' }))]);
    clicks.planAgreed = counter.take();
    expect(await banner(page)).toContain('Plan agreed recorded');
    expect(await page.getByRole('table', { name: 'Recorded outcomes, newest first' }).textContent()).toMatch(/Plan agreed.*written plan.*Wants to continue.*First meeting attended.*Meeting agreed.*at community venue; on 23 November 2026 at 2pm/s);

    // Later, the follow-ups: the stage filter narrows Today to people who have met (a GET form).
    await page.goto(`${server.baseUrl}/today`);
    await page.getByLabel('Where they are').selectOption('meeting_attended');
    await Promise.all([page.waitForURL(/\/today\?.*stage=meeting_attended/), counter.click(page.getByRole('button', { name: 'Filter' }))]);
    const due = page.getByRole('table', { name: 'Due or overdue' });
    expect(await due.getByRole('row', { name: /D-0002/ }).textContent()).toContain('4-week follow-up');
    await checkPage(page);
    await Promise.all([page.waitForURL(/\/today\?stage=meeting_attended&recorded=\d+/), counter.click(page.getByRole('button', { name: 'Still engaged at 4 weeks for D-0002' }))]);
    clicks.followUp = counter.take();
    expect(await banner(page)).toContain('Still engaged at 4 weeks recorded for D-0002');
    expect(await page.getByRole('row', { name: /D-0002/ }).count()).toBe(0);

    expect(await stagesOf('P-0395')).toEqual(['outreach_attempted', 'responded', 'meeting_agreed', 'meeting_attended', 'wants_to_continue', 'plan_agreed']);
    expect(clicks).toEqual({ meetingToday: 1, followUp: 2, outreach: 1, responded: 2, meetingAgreed: 2, attended: 2, wantsToContinue: 2, planAgreed: 1 });
    expect(Math.max(...Object.values(clicks))).toBeLessThanOrEqual(2);
    expect(context.browser.errors).toEqual([]);
  });

  it('asks before recording a stage that skips the one before it', { timeout: 60_000 }, async () => {
    const { page } = context.browser;
    await page.goto(`${context.server.baseUrl}/contacts/N-0005?stage=meeting_attended`);
    expect(await page.getByRole('group', { name: 'What happened?' }).getByLabel('First meeting attended', { exact: true }).isChecked()).toBe(true);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Record', exact: true }).click()]);
    expect(await page.locator('h1').textContent()).toBe('Check before you record');
    expect(await page.locator('main').textContent()).toContain("You are recording 'First meeting attended' but no meeting was agreed. Continue?");
    await checkPage(page);
    await Promise.all([page.waitForURL('**/contacts/N-0005?all=1#record'), page.getByRole('link', { name: 'No, go back' }).click()]);
    expect(await stagesOf('N-0005')).toEqual([]);
    expect(context.browser.errors).toEqual([]);
  });
});
