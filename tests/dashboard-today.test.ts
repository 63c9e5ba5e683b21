import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, TEST_NOW, TEST_PASSWORD, type TestServer } from './support/test-server.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';
import { createTodayReadModel } from '../dashboard/caseload/today-read-model.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { column } from './support/sql.ts';

/**
 * Today, the coach's start page: what is due on their own caseload, from the
 * read model's SQL, and one-click recording from it. TEST_NOW is Monday
 * 23 November 2026, 09:00 UK time (GMT).
 */
const DAY = 86_400_000;
const now = new Date(TEST_NOW).getTime();
const at = (days: number, hours = 0) => new Date(now + days * DAY + hours * 3_600_000).toISOString();

let server: TestServer;
let analyst: CurrentUser;
let coachId: number;
let key = 0;

beforeEach(async () => {
  server = await startTestServer();
  const tokens = await createPeople(server.services);
  const api = apiClient(server.baseUrl, tokens.analyst);
  server.clock.set(at(-120));
  const people = ['MEET-TODAY', 'MEET-LATER', 'MEET-TOMORROW', 'MEET-FRIDAY', 'MEET-PAST', 'QUIET-6D', 'QUIET-4D', 'QUIET-3X', 'REPLIED', 'WEEK-5', 'WEEK-5-DONE', 'WEEK-9', 'WEEK-9-GONE', 'FRESH', 'NO-EXPERIMENT', 'OPTED-OUT'];
  await api.post('/api/contacts', { contacts: [...people.map((p) => contactFixture(p)), contactFixture('OTHER-FRESH', { coach: 'WC02' })] });
  await api.post('/api/experiments', channelToneDesign());
  await api.post('/api/experiments/channel-tone/launch');
  const row = (await server.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!;
  analyst = { id: row.id, username: 'analyst', displayName: 'Analyst', role: 'analyst', coachId: null };
  coachId = (await server.db.get<{ id: number }>("SELECT id FROM work_coaches WHERE code = 'WC01'"))!.id;
  for (const [reference, day] of [['FRESH', -2], ['OTHER-FRESH', -1], ['OPTED-OUT', -3], ['QUIET-6D', -10]] as const) {
    server.clock.set(at(day));
    await server.services.assignments.assign(analyst, 'channel-tone', reference);
  }
  server.clock.set(TEST_NOW);
});
afterEach(() => server.close());

/** Records as a coach would have, a minute after it happened. */
async function record(reference: string, stage: string, occurredAt: string, extra: object = {}) {
  server.clock.set(new Date(new Date(occurredAt).getTime() + 60_000).toISOString());
  await server.services.outcomes.record(analyst, { contact: reference, stage: stage as never, occurredAt, idempotencyKey: `today-${++key}`, ...extra });
  server.clock.set(TEST_NOW);
}
async function meeting(reference: string, agreedDaysAgo: number, time: string) {
  await record(reference, 'outreach_attempted', at(-agreedDaysAgo - 1), { detail: { channel: 'text' } });
  await record(reference, 'responded', at(-agreedDaysAgo, -1));
  await record(reference, 'meeting_agreed', at(-agreedDaysAgo), { detail: { place: 'jobcentre', time } });
}
async function firstMeeting(reference: string, daysAgo: number) {
  await meeting(reference, daysAgo + 3, at(-daysAgo));
  await record(reference, 'meeting_attended', at(-daysAgo));
}

/** The channel a person's arm says to use. */
const channelOf = async (reference: string) => (await server.services.assignments.forContact(analyst, reference))[0].arm.levels.channel;

async function seedTheDay() {
  await meeting('MEET-TODAY', 4, '2026-11-23T10:30:00.000Z');
  await meeting('MEET-LATER', 4, '2026-11-23T15:00:00.000Z');
  await meeting('MEET-TOMORROW', 2, '2026-11-24T09:15:00.000Z');
  await meeting('MEET-FRIDAY', 2, '2026-11-27T09:15:00.000Z');
  await meeting('MEET-PAST', 9, '2026-11-20T14:00:00.000Z');
  await record('QUIET-6D', 'outreach_attempted', at(-6), { detail: { channel: 'letter' } });
  await record('QUIET-4D', 'outreach_attempted', at(-4), { detail: { channel: 'letter' } });
  for (const days of [-30, -20, -10]) await record('QUIET-3X', 'outreach_attempted', at(days), { detail: { channel: 'letter' } });
  await record('REPLIED', 'outreach_attempted', at(-3), { detail: { channel: 'phone' } });
  await record('REPLIED', 'responded', at(-1));
  await firstMeeting('WEEK-5', 35);
  await firstMeeting('WEEK-5-DONE', 35);
  await record('WEEK-5-DONE', 'engaged_4w', at(-6));
  await firstMeeting('WEEK-9', 63);
  await firstMeeting('WEEK-9-GONE', 63);
  await record('WEEK-9-GONE', 'disengaged', at(-20), { detail: { reason: 'health_worsened' } });
  await server.services.outcomes.record(analyst, { contact: 'OPTED-OUT', stage: 'opted_out', idempotencyKey: 'today-opt-out' });
}

describe('what Today lists for a coach', () => {
  it('lists meetings today and tomorrow, what is due or overdue and who is not yet contacted, each soonest first', async () => {
    await seedTheDay();
    const rows = await createTodayReadModel(server.db).due(coachId, new Date(TEST_NOW));
    expect(rows.map((r) => [r.reference, r.kind, r.dueAt])).toEqual([
      ['WEEK-5', 'follow_up', at(-35 + 28)],
      ['WEEK-9', 'follow_up', at(-63 + 56)],
      ['MEET-PAST', 'meeting_passed', '2026-11-20T14:00:00.000Z'],
      ['FRESH', 'not_contacted', at(-2)],
      ['QUIET-6D', 'try_again', at(-1)],
      ['REPLIED', 'agree_meeting', at(-1)],
      ['MEET-TODAY', 'meeting_today', '2026-11-23T10:30:00.000Z'],
      ['MEET-LATER', 'meeting_today', '2026-11-23T15:00:00.000Z'],
      ['MEET-TOMORROW', 'meeting_tomorrow', '2026-11-24T09:15:00.000Z'],
    ]);
    expect(rows.find((r) => r.reference === 'WEEK-9')?.followUp).toBe('engaged_8w');
    expect(rows.find((r) => r.reference === 'WEEK-5')?.followUp).toBe('engaged_4w');
  });

  it('leaves out a meeting later this week, a reply not yet 5 days overdue, a third unanswered attempt, a follow-up done, someone who stopped, an opt-out and other coaches’ people', async () => {
    await seedTheDay();
    const listed = (await createTodayReadModel(server.db).due(coachId, new Date(TEST_NOW))).map((r) => r.reference);
    for (const reference of ['MEET-FRIDAY', 'QUIET-4D', 'QUIET-3X', 'WEEK-5-DONE', 'WEEK-9-GONE', 'NO-EXPERIMENT', 'OPTED-OUT', 'OTHER-FRESH']) expect(listed, reference).not.toContain(reference);
  });

  it('gives the first few of each list with the size of the whole list, so a long one costs no more than a short one', async () => {
    await seedTheDay();
    const rows = await createTodayReadModel(server.db).due(coachId, new Date(TEST_NOW), {}, 1);
    expect(rows.map((r) => [r.section, r.reference, r.sectionTotal])).toEqual([
      ['due', 'WEEK-5', 5],
      ['not_contacted', 'FRESH', 1],
      ['meetings', 'MEET-TODAY', 3],
    ]);
  });

  it('takes the number of days before trying again as a setting', async () => {
    await seedTheDay();
    const rows = await createTodayReadModel(server.db, { retryAfterDays: 3 }).due(coachId, new Date(TEST_NOW));
    expect(rows.filter((r) => r.kind === 'try_again').map((r) => [r.reference, r.dueAt])).toEqual([
      ['QUIET-6D', at(-3)],
      ['QUIET-4D', at(-1)],
    ]);
  });

  it('filters by experiment, arm and where they are', async () => {
    await seedTheDay();
    const model = createTodayReadModel(server.db);
    const day = new Date(TEST_NOW);
    expect((await model.due(coachId, day, { experiment: 'channel-tone' })).map((r) => r.reference)).toEqual(['FRESH', 'QUIET-6D']);
    const arm = (await server.services.assignments.forContact(analyst, 'FRESH'))[0].arm.key;
    expect((await model.due(coachId, day, { experiment: 'channel-tone', arm })).map((r) => r.reference)).toContain('FRESH');
    const otherArm = ['letter-standard', 'letter-warm', 'text-standard', 'text-warm'].find((a) => a !== arm)!;
    expect((await model.due(coachId, day, { experiment: 'channel-tone', arm: otherArm })).map((r) => r.reference)).not.toContain('FRESH');
    expect((await model.due(coachId, day, { stage: 'meeting_agreed' })).map((r) => r.reference).sort()).toEqual(['MEET-LATER', 'MEET-PAST', 'MEET-TODAY', 'MEET-TOMORROW']);
    expect((await model.due(coachId, day, { stage: 'not_contacted' })).map((r) => r.reference)).toEqual(['FRESH']);
  });

  it('reads the coach’s contacts and their events through indexes, never scanning whole tables', async () => {
    const model = createTodayReadModel(server.db);
    const parameters = model.parameters(coachId, new Date(TEST_NOW), { experiment: 'channel-tone', arm: 'text-warm' });
    if (server.db.dialect === 'sqlite') {
      const plan = await server.db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${model.sql}`, parameters);
      const steps = plan.map((p) => p.detail);
      expect(steps).toContainEqual(expect.stringMatching(/SEARCH contacts USING INDEX contacts_coach_idx \(coach_id=\?\)/));
      expect(steps).toContainEqual(expect.stringMatching(/SEARCH o USING COVERING INDEX outcome_events_contact_stage_idx \(contact_id=\?\)/));
      expect(steps.filter((s) => /^SCAN (contacts|outcome_events|assignments|o|a)\b/.test(s))).toEqual([]);
    } else {
      // The same check in PostgreSQL's words. Its planner scans tables this small whole whatever the
      // indexes, so sequential scans are priced out for this one plan: any left have no index to use.
      const steps = await server.db.withTransaction(async () => {
        await server.db.run('SET LOCAL enable_seqscan = off');
        return column<string>(server.db, `EXPLAIN ${model.sql}`, parameters);
      });
      expect(steps).toContainEqual(expect.stringMatching(/Index (Only )?Scan using contacts_coach_idx on contacts|Bitmap Index Scan on contacts_coach_idx/));
      expect(steps).toContainEqual(expect.stringMatching(/Index (Only )?Scan using outcome_events_contact_stage_idx on outcome_events o|Bitmap Index Scan on outcome_events_contact_stage_idx/));
      expect(steps.filter((s) => /Seq Scan on (contacts|outcome_events|assignments)\b/.test(s))).toEqual([]);
    }
  });
});

describe('the Today page', () => {
  async function coachPage() {
    const client = pageClient(server.baseUrl);
    expect((await client.signIn('coach', TEST_PASSWORD)).location).toBe('/today');
    return client;
  }

  it('shows the day’s meetings and what is due, with the usual next step as one button where it needs no detail', async () => {
    await seedTheDay();
    const client = await coachPage();
    const page = await client.get('/today');
    expect(page.status).toBe(200);
    const text = pageText(page.html);
    expect(text).toMatch(/Meetings today and tomorrow \(3\).*MEET-TODAY First meeting today.*Today at 10:30am.*MEET-LATER.*Today at 3pm.*MEET-TOMORROW First meeting tomorrow.*Tomorrow at 9:15am/);
    expect(text).toMatch(/Due or overdue \(5\)/);
    expect(text).toMatch(/QUIET-6D No reply: try again 1 attempt so far, the last on 17 November 2026\. Overdue since 22 November 2026/);
    expect(text).toContain(`Tried again by ${await channelOf('QUIET-6D')} today for QUIET-6D`);
    expect(text).toContain('Attended on 20 November for MEET-PAST');
    expect(text).toContain('Still engaged at 8 weeks for WEEK-9');
    expect(text).toMatch(/Not contacted yet \(1\).*FRESH Make first contact/);
    // A meeting later today cannot be recorded as attended yet.
    expect(text).not.toContain('Attended today for MEET-TODAY');
    server.clock.set('2026-11-23T10:45:00.000Z');
    // Nearly two hours on, the session has idled out (30 minutes): sign in again.
    const later = await coachPage();
    expect(pageText((await later.get('/today')).html)).toContain('Attended today for MEET-TODAY');
  });

  it('records the usual next step in one click and comes back to Today with a confirmation', async () => {
    await seedTheDay();
    const client = await coachPage();
    const page = await client.get('/today?stage=outreach_attempted');
    const form = /<form method="post" action="\/contacts\/QUIET-6D\/outcomes"[\s\S]*?<\/form>/.exec(page.html)![0];
    const fields = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(fields).toMatchObject({ stage: 'outreach_attempted', channel: await channelOf('QUIET-6D'), when: 'today', returnTo: '/today?stage=outreach_attempted' });
    const response = await client.post('/contacts/QUIET-6D/outcomes', fields);
    expect(response.status).toBe(303);
    expect(response.location).toMatch(/^\/today\?stage=outreach_attempted&recorded=\d+$/);
    const after = pageText((await client.get(response.location!)).html);
    expect(after).toContain('Outreach attempted recorded for QUIET-6D');
    expect(after).not.toMatch(/QUIET-6D No reply/);
    expect((await server.services.outcomes.forContact(analyst, 'QUIET-6D')).map((o) => o.stage)).toEqual(['outreach_attempted', 'outreach_attempted']);
  });

  it('ignores filters it does not know, and keeps the ones it does in the form', async () => {
    await seedTheDay();
    const client = await coachPage();
    const page = await client.get('/today?experiment=nope&arm=../../x&stage=teleported');
    expect(page.status).toBe(200);
    expect(pageText(page.html)).toMatch(/Not contacted yet \(1\)/);
    const filtered = await client.get('/today?experiment=channel-tone&stage=not_contacted');
    expect(filtered.html).toMatch(/<option value="channel-tone" selected>/);
    expect(filtered.html).toMatch(/<option value="not_contacted" selected>/);
    expect(pageText(filtered.html)).toMatch(/Due or overdue \(0\)/);
    expect(hiddenField(filtered.html, 'returnTo')).toBe('/today?experiment=channel-tone&stage=not_contacted');
  });
});
