import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD } from './browser/support/fixtures.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server, { people: 40 });
});
afterAll(() => server.close());

async function signedIn(username: string) {
  const client = pageClient(server.baseUrl);
  expect((await client.signIn(username, TEST_PASSWORD)).status).toBe(303);
  return client;
}
const rows = (sql: string, ...params: unknown[]) => server.db.all<Record<string, unknown>>(sql, params);

/** Records an outcome through the contact page, as the coach; returns its id. */
async function recordOnPage(coach: ReturnType<typeof pageClient>, reference: string, fields: Record<string, string>) {
  const page = await coach.get(`/contacts/${reference}?all=1`);
  const response = await coach.post(`/contacts/${reference}/outcomes`, { _csrf: hiddenField(page.html, '_csrf')!, idempotencyKey: hiddenField(page.html, 'idempotencyKey')!, when: 'today', showAll: '1', ...fields });
  expect(response.status).toBe(303);
  return Number(/recorded=(\d+)/.exec(response.location!)![1]);
}

describe('correcting an entry from the contact page', () => {
  it('offers Correct and Withdraw only beside the coach’s own recent entries', async () => {
    const coach = await signedIn('coach');
    const id = await recordOnPage(coach, 'P-0005', { stage: 'complaint' });
    const html = (await coach.get('/contacts/P-0005')).html;
    expect(html).toContain(`/contacts/P-0005/outcomes/${id}/correct`);
    expect(html).toContain(`/contacts/P-0005/outcomes/${id}/withdraw`);
    // The fixture's entries were recorded by the analyst.
    expect(html.match(/\/outcomes\/\d+\/correct"/g)).toHaveLength(1);
    const analystEntry = (await rows("SELECT o.id AS id FROM outcome_events o JOIN contacts c ON c.id = o.contact_id WHERE c.reference = 'P-0005' AND o.id <> ? ORDER BY o.id LIMIT 1", id))[0].id;
    const refused = await coach.get(`/contacts/P-0005/outcomes/${analystEntry}/correct`);
    expect(refused.status).toBe(403);
    expect(pageText(refused.html)).toContain('You can only correct entries you recorded yourself. Ask an analyst to correct this one.');
  });

  it('corrects the date through a form, a check page and a confirmation, keeping the original', async () => {
    const coach = await signedIn('coach');
    const id = await recordOnPage(coach, 'P-0006', { stage: 'complaint' });
    const path = `/contacts/P-0006/outcomes/${id}/correct`;
    const form = await coach.get(path);
    expect(form.status).toBe(200);
    expect(form.html).toMatch(/name="whenDay"[^>]*value="23"/);
    const fields = { _csrf: hiddenField(form.html, '_csrf')!, idempotencyKey: hiddenField(form.html, 'idempotencyKey')!, whenDay: '20', whenMonth: '11', whenYear: '2026', reason: 'wrong_date', action: 'check' };

    const missing = await coach.post(path, { ...fields, reason: '' });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('href="#reason"');
    expect(pageText(missing.html)).toContain('Select what was wrong');

    const check = await coach.post(path, fields);
    expect(check.status).toBe(200);
    const checkText = pageText(check.html);
    expect(checkText).toContain('Check your correction');
    expect(checkText).toContain('When, corrected 20 November 2026 at midday');
    expect(await rows('SELECT * FROM outcome_corrections')).toEqual([]);

    const confirmed = await coach.post(path, { ...Object.fromEntries([...check.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]])), action: 'confirm' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location).toBe(`/contacts/P-0006?corrected=${id}`);
    const page = pageText((await coach.get(confirmed.location!)).html);
    expect(page).toContain('Complaint corrected');
    expect(page).toMatch(/Corrected .* by Test coach: The date was wrong\. First recorded as 23 November 2026 at 9am\./);
    expect(await rows('SELECT occurred_at AS at FROM outcome_events WHERE id = ?', id)).toEqual([{ at: '2026-11-23T09:00:00.000Z' }]);
    expect(await rows('SELECT kind, occurred_at AS at FROM outcome_corrections WHERE event_id = ?', id)).toEqual([{ kind: 'correct', at: '2026-11-20T12:00:00.000Z' }]);
  });

  it('withdraws an entry after a check, and undoes one just recorded straight away', async () => {
    const coach = await signedIn('coach');
    const id = await recordOnPage(coach, 'P-0007', { stage: 'complaint' });
    const path = `/contacts/P-0007/outcomes/${id}/withdraw`;
    const form = await coach.get(path);
    const check = await coach.post(path, { _csrf: hiddenField(form.html, '_csrf')!, idempotencyKey: hiddenField(form.html, 'idempotencyKey')!, reason: 'other', reasonNote: 'Meant for another person', action: 'check' });
    expect(pageText(check.html)).toContain('Withdraw this entry? ');
    expect(pageText(check.html)).toContain('Another reason: Meant for another person');
    const done = await coach.post(path, { _csrf: hiddenField(check.html, '_csrf')!, idempotencyKey: hiddenField(check.html, 'idempotencyKey')!, reason: 'other', reasonNote: 'Meant for another person', action: 'confirm' });
    expect(done.location).toBe(`/contacts/P-0007?withdrawn=${id}`);
    const page = (await coach.get(done.location!)).html;
    expect(pageText(page)).toContain('Complaint withdrawn');
    expect(page).toContain('<s>Complaint</s>');

    const undone = await recordOnPage(coach, 'P-0008', { stage: 'complaint' });
    const contact = await coach.get('/contacts/P-0008');
    const undo = await coach.post(`/contacts/P-0008/outcomes/${undone}/withdraw`, { _csrf: hiddenField(contact.html, '_csrf')! });
    expect(undo.location).toBe(`/contacts/P-0008?withdrawn=${undone}`);
    expect(await rows('SELECT kind, reason FROM outcome_corrections WHERE event_id = ?', undone)).toEqual([{ kind: 'withdraw', reason: 'recorded_by_mistake' }]);
    // A second undo changes nothing.
    await coach.post(`/contacts/P-0008/outcomes/${undone}/withdraw`, { _csrf: hiddenField(contact.html, '_csrf')! });
    expect(await rows('SELECT COUNT(*) AS n FROM outcome_corrections WHERE event_id = ?', undone)).toEqual([{ n: 1 }]);
  });

  it('asks for a reason when an undo comes long after recording', async () => {
    const coach = await signedIn('coach');
    const id = await recordOnPage(coach, 'P-0011', { stage: 'complaint' });
    // Twenty minutes on: past the ten-minute undo, within the thirty-minute idle limit of the session.
    server.clock.set('2026-11-23T09:20:00.000Z');
    try {
      const contact = await coach.get('/contacts/P-0011');
      const late = await coach.post(`/contacts/P-0011/outcomes/${id}/withdraw`, { _csrf: hiddenField(contact.html, '_csrf')! });
      expect(late.status).toBe(400);
      expect(pageText(late.html)).toContain('Select why you are withdrawing this entry');
      expect(await rows('SELECT COUNT(*) AS n FROM outcome_corrections WHERE event_id = ?', id)).toEqual([{ n: 0 }]);
    } finally {
      server.clock.set('2026-11-23T09:00:00.000Z');
    }
  });
});

describe('opting out and back in from the contact page', () => {
  it('explains what opting out means before recording it, and records it once', async () => {
    const coach = await signedIn('coach');
    const contact = await coach.get('/contacts/P-0012');
    expect(contact.html).toContain('href="/contacts/P-0012/opt-out"');
    const confirm = await coach.get('/contacts/P-0012/opt-out');
    const text = pageText(confirm.html);
    expect(text).toContain('no experiment will contact them again, by any channel');
    expect(text).toContain('what they have already done stays in the analysis');
    expect(text).toContain('it does not affect their benefits in any way');
    expect(await rows("SELECT COUNT(*) AS n FROM outcome_events o JOIN contacts c ON c.id = o.contact_id WHERE c.reference = 'P-0012' AND stage = 'opted_out'")).toEqual([{ n: 0 }]);
    const first = await coach.post('/contacts/P-0012/opt-out', { _csrf: hiddenField(confirm.html, '_csrf')!, idempotencyKey: hiddenField(confirm.html, 'idempotencyKey')! });
    expect(first.location).toBe('/contacts/P-0012?optedOut=1');
    await coach.post('/contacts/P-0012/opt-out', { _csrf: hiddenField(confirm.html, '_csrf')!, idempotencyKey: 'another-key-for-opt-out' });
    expect(await rows("SELECT COUNT(*) AS n FROM outcome_events o JOIN contacts c ON c.id = o.contact_id WHERE c.reference = 'P-0012' AND stage = 'opted_out'")).toEqual([{ n: 1 }]);
    // The opt-out itself cannot be corrected away.
    expect((await coach.get('/contacts/P-0012')).html).not.toMatch(/\/outcomes\/\d+\/withdraw/);
  });

  it('opts back in only when the coach confirms the person asked, with a reason', async () => {
    const coach = await signedIn('coach');
    const contact = await coach.get('/contacts/P-0002');
    expect(pageText(contact.html)).toContain('Do not contact this person.');
    expect(contact.html).toContain('href="/contacts/P-0002/opt-in"');
    const form = await coach.get('/contacts/P-0002/opt-in');
    expect(pageText(form.html)).toContain('Only do this if they have asked you themselves.');
    const missing = await coach.post('/contacts/P-0002/opt-in', { _csrf: hiddenField(form.html, '_csrf')!, reason: 'Wants help with a CV' });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('href="#personAsked"');
    const done = await coach.post('/contacts/P-0002/opt-in', { _csrf: hiddenField(form.html, '_csrf')!, personAsked: 'yes', reason: 'Wants help with a CV' });
    expect(done.location).toBe('/contacts/P-0002?optedIn=1');
    const page = await coach.get(done.location!);
    expect(pageText(page.html)).toContain('Recorded that they want to be contacted again');
    expect(page.html).toContain('name="stage"');
    expect(await rows("SELECT reason FROM opt_ins")).toEqual([{ reason: 'Wants help with a CV' }]);
    expect(await rows("SELECT action FROM audit_log WHERE action = 'opt-in'")).toHaveLength(1);
  });
});
