import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, type TestServer } from './support/test-server.ts';
import { scalar } from './support/sql.ts';

let server: TestServer;
let tokens: Awaited<ReturnType<typeof createPeople>>;
let analyst: ReturnType<typeof apiClient>;
let coach: ReturnType<typeof apiClient>;

beforeEach(async () => {
  server = await startTestServer();
  tokens = await createPeople(server.services);
  analyst = apiClient(server.baseUrl, tokens.analyst);
  coach = apiClient(server.baseUrl, tokens.coach);
  await analyst.post('/api/contacts', { contacts: [contactFixture('MINE-0001'), contactFixture('MINE-0002'), contactFixture('OTHER-0001', { coach: 'WC02' })] });
});
afterEach(() => server.close());

const eventCount = () => scalar(server.db, 'SELECT COUNT(*) AS n FROM outcome_events');
let keyCounter = 0;
const event = (overrides: Record<string, unknown>) => ({ contact: 'MINE-0001', stage: 'responded', occurredAt: '2026-11-22T10:00:00Z', idempotencyKey: `key-${++keyCounter}-abcdef`, ...overrides });

describe('recording outcomes', () => {
  const badEvents: [string, Record<string, unknown>, string, RegExp][] = [
    ['an event in the future', { occurredAt: '2026-11-24T10:00:00Z' }, 'occurredAt', /future/],
    ['an unknown contact', { contact: 'NOBODY-1' }, 'contact', /No contact/],
    ['a contact on another caseload', { contact: 'OTHER-0001' }, 'contact', /No contact/],
    ['a usefulness score above 5', { stage: 'found_useful', value: 6 }, 'value', /between 1 and 5/],
    ['a usefulness score that is not whole', { stage: 'found_useful', value: 2.5 }, 'value', /whole number/],
    ['a score missing', { stage: 'working_alliance' }, 'value', /Enter the working alliance/],
    ['a value on a stage without one', { stage: 'responded', value: 1 }, 'value', /does not take a value/],
    ['outreach without its channel', { stage: 'outreach_attempted' }, 'detail.channel', /channel/],
    ['a non-attendance reason not on the list', { stage: 'meeting_not_attended', detail: { reason: 'lazy' } }, 'detail.reason', /Select a reason/],
    ['an unknown stage', { stage: 'teleported' }, 'stage', /funnel stage/],
    ['a short idempotency key', { idempotencyKey: 'x' }, 'idempotencyKey', /at least 8/],
    ['a date that is not a date', { occurredAt: 'last tuesday' }, 'occurredAt', /date and time/],
    ['a meeting agreed today for a day already past', { stage: 'meeting_agreed', occurredAt: '2026-11-23T08:00:00Z', detail: { place: 'jobcentre', time: '2019-12-08T10:00:00Z' } }, 'detail.time', /^The meeting must be today or later$/],
    ['a meeting before the day it was agreed', { stage: 'meeting_agreed', occurredAt: '2026-11-21T10:00:00Z', detail: { place: 'jobcentre', time: '2026-11-20T10:00:00Z' } }, 'detail.time', /on or after the day it was agreed \(21 November 2026\)/],
    ['a late entry for a meeting more than 7 days ago', { stage: 'meeting_agreed', occurredAt: '2026-11-10T10:00:00Z', detail: { place: 'jobcentre', time: '2026-11-12T10:00:00Z' } }, 'detail.time', /no more than 7 days ago/],
    ['a meeting years ahead (a typing slip)', { stage: 'meeting_agreed', detail: { place: 'jobcentre', time: '2062-11-30T10:00:00Z' } }, 'detail.time', /within the next year/],
  ];
  for (const [what, change, field, message] of badEvents) {
    it(`answers ${what} with a 400 naming the field, and records nothing`, async () => {
      const response = await coach.post('/api/outcomes', event(change));
      expect(response.status).toBe(400);
      const error = response.body.errors.find((e: { field: string }) => e.field === field);
      expect(error?.message).toMatch(message);
      expect(await eventCount()).toBe(0);
    });
  }

  it('records a retry with the same idempotency key and payload once, returning the first result', async () => {
    const body = event({ stage: 'meeting_agreed', detail: { place: 'community_venue', time: '2026-11-30T10:00:00Z' } });
    const first = await coach.post('/api/outcomes', body);
    // The same outcome again, its detail keys in another order (tests/security/idempotency.test.ts refuses a different one).
    const second = await coach.post('/api/outcomes', { ...body, detail: { time: '2026-11-30T10:00:00Z', place: 'community_venue' } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ created: false, event: first.body.event });
    expect(await eventCount()).toBe(1);
  });

  it('accepts a meeting agreed late, for a day up to 7 days back', async () => {
    const response = await coach.post('/api/outcomes', event({ stage: 'meeting_agreed', occurredAt: '2026-11-17T10:00:00Z', detail: { place: 'jobcentre', time: '2026-11-18T10:00:00Z' } }));
    expect(response.status).toBe(201);
  });

  it('refuses attendance before the agreed meeting has started, and accepts it once it has', async () => {
    await coach.post('/api/outcomes', event({ stage: 'meeting_agreed', occurredAt: '2026-11-21T10:00:00Z', detail: { place: 'jobcentre', time: '2026-12-03T14:00:00Z' } }));
    const early = await coach.post('/api/outcomes', event({ stage: 'meeting_attended', occurredAt: undefined }));
    expect(early.status).toBe(400);
    expect(early.body.errors).toEqual([{ field: 'occurredAt', message: 'You can only record this once the meeting has started (3 December 2026 at 2pm)' }]);
    const notYet = await coach.post('/api/outcomes', event({ stage: 'meeting_not_attended', occurredAt: undefined, detail: { reason: 'caring_clash' } }));
    expect(notYet.status).toBe(400);
    server.clock.set('2026-12-03T14:20:00Z');
    const attended = await coach.post('/api/outcomes', event({ stage: 'meeting_attended', occurredAt: undefined }));
    expect(attended.status).toBe(201);
    expect(await eventCount()).toBe(2);
  });

  it('records a stage that skips the one before it, and says which was skipped', async () => {
    const response = await coach.post('/api/outcomes', event({ stage: 'meeting_attended' }));
    expect(response.status).toBe(201);
    expect(response.body.warnings).toEqual([{ stage: 'meeting_attended', missing: 'meeting_agreed', message: "You are recording 'First meeting attended' but no meeting was agreed. Continue?" }]);
    const inOrder = await coach.post('/api/outcomes', event({ stage: 'outreach_attempted', contact: 'MINE-0002', detail: { channel: 'text' } }));
    expect(inOrder.body.warnings).toEqual([]);
  });

  it('marks an opted-out person, refuses further contact, and keeps their earlier assignment', async () => {
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/experiments/channel-tone/launch');
    const assigned = await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MINE-0001' });
    const optOut = await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: 'optout-mine-0001' });
    expect(optOut.status).toBe(201);
    expect((await coach.get('/api/contacts/MINE-0001')).body.optedOutAt).toBe('2026-11-23T09:00:00.000Z');

    const outreach = await coach.post('/api/outcomes', event({ stage: 'outreach_attempted', detail: { channel: 'phone' } }));
    expect(outreach.status).toBe(409);
    expect(outreach.body.error).toMatch(/not to be contacted/);
    const stillAssigned = await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MINE-0001' });
    expect(stillAssigned.body.assignment).toEqual(assigned.body.assignment);
  });
});

describe('contacts', () => {
  it('shows a coach only their own caseload', async () => {
    const list = await coach.get('/api/contacts');
    expect(list.body.contacts.map((c: { reference: string }) => c.reference)).toEqual(['MINE-0001', 'MINE-0002']);
    expect(list.body.total).toBe(2);
    expect((await coach.get('/api/contacts/OTHER-0001')).status).toBe(404);
    expect((await analyst.get('/api/contacts')).body.total).toBe(3);
    expect((await apiClient(server.baseUrl, tokens.minister).get('/api/contacts')).status).toBe(403);
  });

  it('refuses a reference that looks like a National Insurance number', async () => {
    const response = await analyst.post('/api/contacts', { contacts: [contactFixture('QQ123456C')] });
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ field: 'contacts.0.reference' });
    expect(response.body.errors[0].message).toMatch(/National Insurance/);
  });

  it('keeps the history of changes to preferences and adjustments', async () => {
    await coach.patch('/api/contacts/MINE-0001', { preferredChannel: 'text', adjustments: ['extra_time', 'private_room'] });
    await coach.patch('/api/contacts/MINE-0001', { preferredChannel: 'phone' });
    const history = await coach.get('/api/contacts/MINE-0001/history');
    expect(history.body.changes.map((c: { field: string; oldValue: string; newValue: string }) => [c.field, c.oldValue, c.newValue])).toEqual([
      ['preferredChannel', null, 'text'],
      ['adjustments', null, 'extra_time;private_room'],
      ['preferredChannel', 'text', 'phone'],
    ]);
    expect((await coach.patch('/api/contacts/MINE-0001', { coach: 'WC02' })).status).toBe(403);
  });

  it('imports a cohort CSV all or none, naming the lines of rejected rows', async () => {
    const header = 'reference,coach,site,health_group,age_band,sex,ethnicity_group,caring,time_on_benefits,previous_work,benefit_type,preferred_channel,adjustments';
    const good = 'NEW-0001,WC01,JC1,mental_health,50-64,male,white,no,over_5y,never,uc_lcwra,text,interpreter;extra_time';
    const badAge = 'NEW-0002,WC01,JC1,mental_health,70-80,male,white,no,over_5y,never,uc_lcwra,,';
    const badCoach = 'NEW-0003,WC99,JC1,mental_health,50-64,male,white,yes,over_5y,never,uc_lcwra,,';
    const before = await scalar(server.db, 'SELECT COUNT(*) AS n FROM contacts');

    const rejected = await analyst.post('/api/contacts/import', [header, good, badAge].join('\n'), { 'content-type': 'text/csv' });
    expect(rejected.status).toBe(400);
    expect(rejected.body.imported).toBe(0);
    expect(rejected.body.rejected).toEqual([{ line: 3, errors: [{ field: 'age_band', message: expect.stringMatching(/age band/) }] }]);

    const unknownCoach = await analyst.post('/api/contacts/import', [header, good, badCoach].join('\n'), { 'content-type': 'text/csv' });
    expect(unknownCoach.body.rejected).toEqual([{ line: 3, errors: [{ field: 'coach', message: 'Unknown work coach code "WC99"' }] }]);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM contacts')).toBe(before);

    const imported = await analyst.post('/api/contacts/import', [header, good].join('\n'), { 'content-type': 'text/csv' });
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual({ rows: 1, imported: 1, rejected: [] });
    expect((await analyst.get('/api/contacts/NEW-0001')).body).toMatchObject({ adjustments: ['interpreter', 'extra_time'], preferredChannel: 'text', caring: false });
  });
});
