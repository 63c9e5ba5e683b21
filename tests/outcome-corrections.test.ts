import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let analyst: ReturnType<typeof apiClient>;
let coach: ReturnType<typeof apiClient>;
let coach2: ReturnType<typeof apiClient>;

beforeEach(async () => {
  server = await startTestServer();
  const tokens = await createPeople(server.services);
  analyst = apiClient(server.baseUrl, tokens.analyst);
  coach = apiClient(server.baseUrl, tokens.coach);
  coach2 = apiClient(server.baseUrl, tokens.coach2);
  await analyst.post('/api/contacts', { contacts: [contactFixture('MINE-0001'), contactFixture('MINE-0002'), contactFixture('OTHER-0001', { coach: 'WC02' })] });
});
afterEach(() => server.close());

let keyCounter = 0;
const key = () => `key-${++keyCounter}-abcdef`;
const rows = (sql: string, ...params: unknown[]) => server.db.all<Record<string, unknown>>(sql, params);
const auditActions = async () => (await rows('SELECT action, entity, entity_id AS "entityId" FROM audit_log ORDER BY id')).map((r) => `${r.action} ${r.entity} ${r.entityId}`);

async function recordAs(client: ReturnType<typeof apiClient>, body: Record<string, unknown>): Promise<number> {
  const response = await client.post('/api/outcomes', { contact: 'MINE-0001', stage: 'responded', occurredAt: '2026-11-22T10:00:00Z', idempotencyKey: key(), ...body });
  expect(response.status).toBe(201);
  return response.body.event.id;
}

describe('correcting and withdrawing recorded outcomes', () => {
  it('lets a coach correct their own entry within 14 days, keeping the original and auditing both', async () => {
    const id = await recordAs(coach, { stage: 'meeting_agreed', detail: { place: 'jobcentre' } });
    server.clock.advanceDays(13.9);
    const response = await coach.post(`/api/outcomes/${id}/corrections`, { kind: 'correct', reason: 'wrong_date', occurredAt: '2026-11-20T10:00:00Z', detail: { place: 'community_venue' } });
    expect(response.status).toBe(201);
    expect(response.body.event).toMatchObject({
      id,
      status: 'corrected',
      occurredAt: '2026-11-20T10:00:00.000Z',
      detail: { place: 'community_venue' },
      original: { occurredAt: '2026-11-22T10:00:00.000Z', detail: { place: 'jobcentre' } },
    });
    expect(response.body.correction).toMatchObject({ kind: 'correct', reason: 'wrong_date', reasonLabel: 'The date was wrong', correctedBy: 'Test coach' });

    // The event itself is as first recorded; the correction sits beside it.
    expect(await rows('SELECT occurred_at AS "occurredAt", detail FROM outcome_events WHERE id = ?', id)).toEqual([{ occurredAt: '2026-11-22T10:00:00.000Z', detail: '{"place":"jobcentre"}' }]);
    expect(await rows('SELECT event_id AS "eventId", kind, occurred_at AS "occurredAt" FROM outcome_corrections')).toEqual([{ eventId: id, kind: 'correct', occurredAt: '2026-11-20T10:00:00.000Z' }]);
    expect((await auditActions()).filter((a) => a.startsWith('record-outcome') || a.startsWith('correct-outcome'))).toEqual([`record-outcome contact MINE-0001`, `correct-outcome outcome_event ${id}`]);
    await expect(server.db.run("UPDATE outcome_corrections SET reason = 'other'")).rejects.toThrow(/append-only/);

    const listed = await coach.get('/api/contacts/MINE-0001/outcomes');
    expect(listed.body.outcomes).toEqual([response.body.event]);
  });

  it('refuses a coach 14 days after they recorded the entry, and for an entry someone else recorded', async () => {
    const own = await recordAs(coach, {});
    const byAnalyst = await recordAs(analyst, { stage: 'outreach_attempted', detail: { channel: 'text' }, occurredAt: '2026-11-21T10:00:00Z' });
    const theirs = await recordAs(coach2, { contact: 'OTHER-0001' });

    const other = await coach.post(`/api/outcomes/${byAnalyst}/corrections`, { kind: 'withdraw', reason: 'wrong_person' });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(/only correct entries you recorded yourself/);
    // Another coach's person is not on this coach's caseload at all.
    expect((await coach.post(`/api/outcomes/${theirs}/corrections`, { kind: 'withdraw', reason: 'wrong_person' })).status).toBe(404);

    server.clock.advanceDays(14.01);
    const late = await coach.post(`/api/outcomes/${own}/corrections`, { kind: 'withdraw', reason: 'did_not_happen' });
    expect(late.status).toBe(403);
    expect(late.body.error).toMatch(/14 days after recording them\. Ask an analyst/);
    expect(await rows('SELECT * FROM outcome_corrections')).toEqual([]);
  });

  it('lets an analyst correct any entry at any time', async () => {
    const byCoach = await recordAs(coach, { stage: 'found_useful', value: 2 });
    const byCoach2 = await recordAs(coach2, { contact: 'OTHER-0001' });
    // Long after: past any coach's 14 days (within the 90 days an API token lasts).
    server.clock.advanceDays(80);
    const score = await analyst.post(`/api/outcomes/${byCoach}/corrections`, { kind: 'correct', reason: 'wrong_detail', value: 4, reasonNote: 'Score typed the wrong way round' });
    expect(score.status).toBe(201);
    expect(score.body.event).toMatchObject({ value: 4, original: { value: 2 }, status: 'corrected' });
    const withdrawn = await analyst.post(`/api/outcomes/${byCoach2}/corrections`, { kind: 'withdraw', reason: 'duplicate' });
    expect(withdrawn.status).toBe(201);
    expect(withdrawn.body.event.status).toBe('withdrawn');
  });

  it('leaves a withdrawn entry out of the person’s outcomes but keeps it in their history, and withdraws once', async () => {
    const id = await recordAs(coach, {});
    const first = await coach.post(`/api/outcomes/${id}/corrections`, { kind: 'withdraw', reason: 'recorded_by_mistake' });
    const again = await coach.post(`/api/outcomes/${id}/corrections`, { kind: 'withdraw', reason: 'duplicate' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.correction).toEqual(first.body.correction);
    expect((await coach.get('/api/contacts/MINE-0001/outcomes')).body.outcomes).toEqual([]);
    const history = (await coach.get('/api/contacts/MINE-0001/outcomes?include=withdrawn')).body.outcomes;
    expect(history.map((o: { id: number; status: string }) => [o.id, o.status])).toEqual([[id, 'withdrawn']]);
    const correctWithdrawn = await analyst.post(`/api/outcomes/${id}/corrections`, { kind: 'correct', reason: 'wrong_date', occurredAt: '2026-11-21T10:00:00Z' });
    expect(correctWithdrawn.status).toBe(409);
    expect(await rows('SELECT COUNT(*) AS n FROM outcome_corrections')).toEqual([{ n: 1 }]);
  });

  it('needs a reason from the list, a note for another reason, and no personal details in the note', async () => {
    const id = await recordAs(coach, {});
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ kind: 'withdraw' }, 'reason', /Select a reason/],
      [{ kind: 'withdraw', reason: 'wrong_date' }, 'reason', /recorded_by_mistake, wrong_person/],
      [{ kind: 'withdraw', reason: 'other' }, 'reasonNote', /Say briefly what was wrong/],
      [{ kind: 'withdraw', reason: 'other', reasonNote: 'Meant for MINE 0002 not this person' }, 'reasonNote', /Remove the person’s reference/],
      [{ kind: 'withdraw', reason: 'other', reasonNote: 'x'.repeat(201) }, 'reasonNote', /200 characters/],
      [{ kind: 'correct', reason: 'wrong_date', occurredAt: '2026-11-24T10:00:00Z' }, 'occurredAt', /future/],
      [{ kind: 'correct', reason: 'wrong_date' }, 'occurredAt', /Change the date, detail or score/],
      [{ kind: 'correct', reason: 'wrong_detail', value: 3 }, 'value', /does not take a value/],
      [{ kind: 'withdraw', reason: 'duplicate', occurredAt: '2026-11-21T10:00:00Z' }, 'kind', /correct the entry instead/],
    ];
    for (const [body, field, message] of cases) {
      const response = await coach.post(`/api/outcomes/${id}/corrections`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.errors.find((e: { field: string }) => e.field === field)?.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await rows('SELECT * FROM outcome_corrections')).toEqual([]);
  });

  it('records a correction retried with the same idempotency key once', async () => {
    const id = await recordAs(coach, {});
    const body = { kind: 'correct', reason: 'wrong_date', occurredAt: '2026-11-21T10:00:00Z', idempotencyKey: 'correction-once-1' };
    const first = await coach.post(`/api/outcomes/${id}/corrections`, body);
    const second = await coach.post(`/api/outcomes/${id}/corrections`, body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toEqual({ ...first.body, created: false });
    expect(await rows('SELECT COUNT(*) AS n FROM outcome_corrections')).toEqual([{ n: 1 }]);
  });

  it('does not correct or withdraw an opt-out', async () => {
    const optOut = await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: key() });
    const response = await analyst.post(`/api/outcomes/${optOut.body.event.id}/corrections`, { kind: 'withdraw', reason: 'wrong_person' });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatch(/opted back in/);
  });

  it('counts corrected dates and leaves withdrawn events out of the experiment report and the export', async () => {
    await analyst.post('/api/experiments', channelToneDesign({ plannedSampleSize: 200 }));
    await analyst.post('/api/experiments/channel-tone/launch');
    server.clock.set('2026-11-10T09:00:00.000Z');
    for (const ref of ['MINE-0001', 'MINE-0002']) expect((await coach.post('/api/experiments/channel-tone/assignments', { contact: ref })).status).toBe(201);
    server.clock.set('2026-11-23T09:00:00.000Z');
    const agreed = await recordAs(coach, { stage: 'meeting_agreed', detail: { place: 'phone' }, occurredAt: '2026-11-12T10:00:00Z' });
    const mistaken = await recordAs(coach, { contact: 'MINE-0002', stage: 'meeting_agreed', detail: { place: 'phone' }, occurredAt: '2026-11-12T10:00:00Z' });
    const reached = async (asOf: string) => {
      const report = await analyst.get(`/api/experiments/channel-tone/report?asOf=${asOf}`);
      const primary = report.body.metrics[0];
      return primary.arms.reduce((sum: number, arm: { successes: number }) => sum + arm.successes, 0);
    };
    expect(await reached('2026-11-15T23:00:00Z')).toBe(2);

    await coach.post(`/api/outcomes/${mistaken}/corrections`, { kind: 'withdraw', reason: 'wrong_person' });
    await coach.post(`/api/outcomes/${agreed}/corrections`, { kind: 'correct', reason: 'wrong_date', occurredAt: '2026-11-18T10:00:00Z' });
    expect(await reached('2026-11-15T23:00:00Z')).toBe(0);
    expect(await reached('2026-11-19T23:00:00Z')).toBe(1);

    const csv = await analyst.get('/api/experiments/channel-tone/export/outcomes.csv');
    const [header, ...lines] = String(csv.body).trim().split(/\r?\n/);
    expect(header.split(',').at(-1)).toBe('corrected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('MINE-0001');
    expect(lines[0]).toContain('2026-11-18T10:00:00.000Z');
    expect(lines[0].split(',').at(-1)).toBe('1');
  });
});

describe('opting out carefully', () => {
  it('records an opt-out once for 50 calls with different idempotency keys', async () => {
    const responses = [];
    for (let i = 0; i < 50; i++) responses.push(await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: `opt-out-attempt-${i}` }));
    expect(responses[0].status).toBe(201);
    expect(responses.slice(1).every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.event.id)).size).toBe(1);
    // The outcomes endpoint with the opt-out stage is the same rule.
    const viaOutcomes = await analyst.post('/api/outcomes', { contact: 'MINE-0001', stage: 'opted_out', idempotencyKey: key() });
    expect(viaOutcomes.status).toBe(200);
    expect(viaOutcomes.body.event.id).toBe(responses[0].body.event.id);
    expect(await rows("SELECT COUNT(*) AS n FROM outcome_events WHERE stage = 'opted_out'")).toEqual([{ n: 1 }]);
    expect((await auditActions()).filter((a) => a.startsWith('opt-out'))).toHaveLength(1);
  });

  it('opts back in only when the person asked, with a reason, and lets them be contacted and assigned again', async () => {
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/experiments/channel-tone/launch');
    expect((await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: 'Asked to hear about support' })).status).toBe(409);
    const optOut = await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: key() });
    expect((await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MINE-0001' })).body.assigned).toBe(false);

    const noConfirmation = await coach.post('/api/contacts/MINE-0001/opt-in', { reason: 'Asked to hear about support' });
    expect(noConfirmation.status).toBe(400);
    expect(noConfirmation.body.errors[0]).toMatchObject({ field: 'personAsked', message: expect.stringMatching(/asked, themselves/) });
    expect((await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: '' })).body.errors[0].field).toBe('reason');
    expect((await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: 'MINE-0001 phoned' })).status).toBe(400);

    server.clock.advanceDays(3);
    const optIn = await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: 'Phoned to say they would like support after all' });
    expect(optIn.status).toBe(201);
    expect(optIn.body.optIn).toMatchObject({ contact: 'MINE-0001', optedOutAt: optOut.body.event.occurredAt, reason: 'Phoned to say they would like support after all', recordedBy: 'Test coach' });
    expect((await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: 'Again' })).status).toBe(200);
    expect((await auditActions()).filter((a) => a.startsWith('opt-in '))).toHaveLength(1);
    expect((await coach.get('/api/contacts/MINE-0001')).body.optedOutAt).toBeNull();
    // The opt-out itself stays in their record.
    expect((await coach.get('/api/contacts/MINE-0001/outcomes')).body.outcomes.map((o: { stage: string }) => o.stage)).toEqual(['opted_out']);

    const outreach = await coach.post('/api/outcomes', { contact: 'MINE-0001', stage: 'outreach_attempted', detail: { channel: 'phone' }, idempotencyKey: key() });
    expect(outreach.status).toBe(201);
    expect((await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MINE-0001' })).status).toBe(201);
    // Screened out while opted out, assigned after: in the CONSORT flow once, as assigned.
    const screening = (await analyst.get('/api/experiments/channel-tone/report')).body.screening;
    expect(screening).toMatchObject({ screened: 1, optedOut: 0, assigned: 1 });
    // A new opt-out later is a new fact, recorded once again.
    const second = await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: key() });
    const repeat = await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: key() });
    expect([second.status, repeat.status]).toEqual([201, 200]);
    expect(repeat.body.event.id).toBe(second.body.event.id);
  });

  it('keeps the past records of someone who opted out and back in, in the analysis by assigned arm', async () => {
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/experiments/channel-tone/launch');
    server.clock.set('2026-11-01T09:00:00.000Z');
    await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MINE-0001' });
    const arm = (await coach.get('/api/contacts/MINE-0001/assignments')).body.assignments[0].arm.key;
    server.clock.set('2026-11-05T09:00:00.000Z');
    await recordAs(coach, { occurredAt: '2026-11-03T10:00:00Z' });
    await coach.post('/api/contacts/MINE-0001/opt-out', { idempotencyKey: key() });
    server.clock.set('2026-11-20T09:00:00.000Z');
    await coach.post('/api/contacts/MINE-0001/opt-in', { personAsked: true, reason: 'Asked to take part again' });

    const report = (await analyst.get('/api/experiments/channel-tone/report?asOf=2026-11-21T00:00:00Z')).body;
    const armOf = (metric: { arms: { arm: string; n: number; successes: number }[] }) => metric.arms.find((a) => a.arm === arm)!;
    const metric = (key: string) => report.metrics.find((m: { key: string }) => m.key === key);
    expect(armOf(metric('responded'))).toMatchObject({ n: 1, successes: 1 });
    expect(armOf(metric('opted_out'))).toMatchObject({ n: 1, successes: 1 });
  });
});
