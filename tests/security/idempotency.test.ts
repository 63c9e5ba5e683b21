import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, contactFixture, createPeople, startTestServer, TEST_NOW, TEST_PASSWORD, type TestServer } from '../support/test-server.ts';
import { hiddenField, pageClient, pageText } from '../browser/support/page-client.ts';
import { isUniqueViolation } from '../../server/db/database.ts';

/**
 * An idempotency key promises that a retry is the same request again. The same
 * key with the same outcome returns the first event (200); the same key with a
 * different outcome is refused with a 409 that says so, and stores nothing.
 */

let server: TestServer;
let coach: ReturnType<typeof apiClient>;
let tokens: Awaited<ReturnType<typeof createPeople>>;

beforeEach(async () => {
  server = await startTestServer();
  tokens = await createPeople(server.services);
  coach = apiClient(server.baseUrl, tokens.coach);
  await apiClient(server.baseUrl, tokens.analyst).post('/api/contacts', {
    contacts: [contactFixture('ID-0001'), contactFixture('ID-0002'), contactFixture('THEIRS-01', { coach: 'WC02' })],
  });
});
afterEach(() => server.close());

const eventCount = async () => (await server.db.get<{ n: number }>('SELECT count(*) AS n FROM outcome_events'))!.n;
const first = { contact: 'ID-0001', stage: 'meeting_agreed', detail: { place: 'jobcentre' }, occurredAt: '2026-11-20T10:00:00.000Z', idempotencyKey: 'same-key-0001' };
const scored = { contact: 'ID-0001', stage: 'found_useful', value: 4, occurredAt: '2026-11-20T10:00:00.000Z', idempotencyKey: 'same-key-0002' };

describe('the same idempotency key with a different outcome', () => {
  it.each([
    ['contact', first, { contact: 'ID-0002' }, 'contact differs'],
    ['stage', first, { stage: 'responded', detail: undefined }, 'stage, detail differ'],
    ['occurredAt', first, { occurredAt: '2026-11-21T10:00:00.000Z' }, 'occurredAt differs'],
    ['detail', first, { detail: { place: 'phone' } }, 'detail differs'],
    ['value', scored, { value: 5 }, 'value differs'],
  ] as const)('is refused with a 409 naming the %s, and stores nothing', async (_field, original, change, differences) => {
    expect((await coach.post('/api/outcomes', original)).status).toBe(201);
    const reused = await coach.post('/api/outcomes', { ...original, ...change });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatch(/^This idempotency key was already used for a different outcome/);
    expect(reused.body.error).toContain(`(${differences})`);
    expect(reused.body.errors).toEqual([{ field: 'idempotencyKey', message: 'Use a new idempotency key for a different outcome' }]);
    expect(await eventCount()).toBe(1);
  });

  it('is refused when the first request left the time to the server and the retry gives one', async () => {
    const { occurredAt: _omitted, ...withoutTime } = first;
    expect((await coach.post('/api/outcomes', withoutTime)).status).toBe(201);
    const reused = await coach.post('/api/outcomes', { ...withoutTime, occurredAt: TEST_NOW });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toContain('(occurredAt differs)');
    expect(await eventCount()).toBe(1);
  });

  it('does not say what the first outcome was when it is about someone on another caseload', async () => {
    const other = apiClient(server.baseUrl, tokens.coach2);
    expect((await other.post('/api/outcomes', { ...first, contact: 'THEIRS-01' })).status).toBe(201);
    const reused = await coach.post('/api/outcomes', first);
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatch(/^This idempotency key was already used for a different outcome\. Nothing was recorded/);
    expect(JSON.stringify(reused.body)).not.toContain('THEIRS-01');
    expect(await eventCount()).toBe(1);
  });

  it('is refused on the opt-out endpoint too, when the key recorded another stage', async () => {
    expect((await coach.post('/api/outcomes', first)).status).toBe(201);
    const optOut = await coach.post('/api/contacts/ID-0001/opt-out', { idempotencyKey: first.idempotencyKey });
    expect(optOut.status).toBe(409);
    expect(optOut.body.error).toMatch(/already used for a different outcome \(stage, detail differ\)/);
    expect((await coach.get('/api/contacts/ID-0001')).body.optedOutAt).toBeNull();
  });
});

describe('the same idempotency key with the same outcome', () => {
  it('returns the first event with a 200, even when a retry that leaves the time to the server comes later', async () => {
    const { occurredAt: _omitted, ...withoutTime } = first;
    const created = await coach.post('/api/outcomes', withoutTime);
    server.clock.set('2026-11-23T09:05:00.000Z');
    const retried = await coach.post('/api/outcomes', { ...withoutTime, detail: { place: 'jobcentre' } });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ created: false, event: created.body.event });
    expect(await eventCount()).toBe(1);
  });

  it('returns the first opt-out with a 200 when the opt-out is sent again', async () => {
    const once = await coach.post('/api/contacts/ID-0002/opt-out', { idempotencyKey: 'optout-id-0002' });
    const again = await coach.post('/api/contacts/ID-0002/opt-out', { idempotencyKey: 'optout-id-0002' });
    expect([once.status, again.status]).toEqual([201, 200]);
    expect(again.body.event).toEqual(once.body.event);
    expect(await eventCount()).toBe(1);
  });

  it('is backed by a unique index: the database refuses a second event with the key', async () => {
    await coach.post('/api/outcomes', first);
    const row = (await server.db.get<{ contact_id: number; recorded_by: number }>('SELECT contact_id, recorded_by FROM outcome_events'))!;
    const refused = await server.db
      .run("INSERT INTO outcome_events (contact_id, stage, occurred_at, recorded_at, recorded_by, idempotency_key) VALUES (?, 'responded', ?, ?, ?, ?)", [
        row.contact_id,
        TEST_NOW,
        TEST_NOW,
        row.recorded_by,
        first.idempotencyKey,
      ])
      .then(() => null, (error: unknown) => error);
    // Either engine's words: SQLite names outcome_events.idempotency_key, PostgreSQL the key in its detail.
    expect(isUniqueViolation(refused)).toBe(true);
    const { message, detail } = refused as { message: string; detail?: string };
    expect(`${message} ${detail ?? ''}`).toMatch(/outcome_events\.idempotency_key|Key \(idempotency_key\)=/);
  });
});

describe('the coach’s outcome form and its form token', () => {
  async function signedInCoach() {
    const pages = pageClient(server.baseUrl);
    await pages.signIn('coach', TEST_PASSWORD);
    return pages;
  }

  it('records a form sent twice once, even when "yesterday" is sent again a little later', async () => {
    const pages = await signedInCoach();
    const page = await pages.get('/contacts/ID-0001');
    const form = { _csrf: hiddenField(page.html, '_csrf')!, idempotencyKey: hiddenField(page.html, 'idempotencyKey')!, stage: 'responded', when: 'yesterday', confirmSkip: '1' };
    const once = await pages.post('/contacts/ID-0001/outcomes', form);
    server.clock.set('2026-11-23T09:00:02.000Z');
    const twice = await pages.post('/contacts/ID-0001/outcomes', form);
    expect([once.status, twice.status]).toEqual([303, 303]);
    expect(twice.location).toBe(once.location);
    expect(await eventCount()).toBe(1);
    // Noon UK time yesterday, as if the date had been typed.
    expect((await server.db.get<{ occurred_at: string }>('SELECT occurred_at FROM outcome_events'))!.occurred_at).toBe('2026-11-22T12:00:00.000Z');
  });

  it('says so when a form is sent again changed, records nothing, and gives the form a new token', async () => {
    const pages = await signedInCoach();
    const page = await pages.get('/contacts/ID-0001');
    const form = { _csrf: hiddenField(page.html, '_csrf')!, idempotencyKey: hiddenField(page.html, 'idempotencyKey')!, stage: 'responded', when: 'today', confirmSkip: '1' };
    expect((await pages.post('/contacts/ID-0001/outcomes', form)).status).toBe(303);
    // Back, change the answer, send again: the same token with a different outcome.
    const changed = await pages.post('/contacts/ID-0001/outcomes', { ...form, stage: 'complaint' });
    expect(changed.status).toBe(409);
    expect(pageText(changed.html)).toContain('This form was already used to record a different outcome, so nothing new was recorded');
    const newToken = hiddenField(changed.html, 'idempotencyKey')!;
    expect(newToken).not.toBe(form.idempotencyKey);
    expect(await eventCount()).toBe(1);
    // With the new token, the complaint is a new outcome.
    expect((await pages.post('/contacts/ID-0001/outcomes', { ...form, stage: 'complaint', idempotencyKey: newToken })).status).toBe(303);
    expect(await eventCount()).toBe(2);
  });
});
