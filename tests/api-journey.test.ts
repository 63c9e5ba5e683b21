import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, type TestServer } from './support/test-server.ts';
import { scalar } from './support/sql.ts';

let server: TestServer;
let tokens: Awaited<ReturnType<typeof createPeople>>;

beforeEach(async () => {
  server = await startTestServer();
  tokens = await createPeople(server.services);
});
afterEach(() => server.close());

describe('the API journey: define, launch, assign, record, export', () => {
  it('takes an experiment from definition to exported outcomes', async () => {
    const analyst = apiClient(server.baseUrl, tokens.analyst);
    const coach = apiClient(server.baseUrl, tokens.coach);

    const created = await analyst.post('/api/experiments', channelToneDesign());
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('draft');
    expect(created.body.arms.map((a: { key: string }) => a.key)).toEqual(['letter-standard', 'letter-warm', 'text-standard', 'text-warm']);
    expect(created.body.arms.filter((a: { isControl: boolean }) => a.isControl).map((a: { key: string }) => a.key)).toEqual(['letter-standard']);
    expect(created.body.guardrailMetrics).toEqual(['opted_out', 'complaint']);

    const contacts = Array.from({ length: 40 }, (_, i) => contactFixture(`P-${String(i).padStart(4, '0')}`));
    expect((await analyst.post('/api/contacts', { contacts })).status).toBe(201);

    const notYet = await coach.post('/api/experiments/channel-tone/assignments', { contact: 'P-0001' });
    expect(notYet.status).toBe(409);
    expect(notYet.body.error).toMatch(/draft/);

    expect((await analyst.post('/api/experiments/channel-tone/launch')).body.status).toBe('running');

    const first = await coach.post('/api/experiments/channel-tone/assignments', { contact: 'P-0001' });
    expect(first.status).toBe(201);
    expect(first.body.assigned).toBe(true);
    const again = await coach.post('/api/experiments/channel-tone/assignments', { contact: 'P-0001' });
    expect(again.status).toBe(200);
    expect(again.body.assignment.arm.key).toBe(first.body.assignment.arm.key);

    const recorded = await coach.post('/api/outcomes', {
      contact: 'P-0001',
      stage: 'outreach_attempted',
      detail: { channel: 'text' },
      occurredAt: '2026-11-23T08:30:00Z',
      idempotencyKey: 'rec-0001-outreach',
    });
    expect(recorded.status).toBe(201);
    const retried = await coach.post('/api/outcomes', {
      contact: 'P-0001',
      stage: 'outreach_attempted',
      detail: { channel: 'text' },
      occurredAt: '2026-11-23T08:30:00Z',
      idempotencyKey: 'rec-0001-outreach',
    });
    expect(retried.status).toBe(200);
    expect(retried.body.event.id).toBe(recorded.body.event.id);

    const assignmentsCsv = await analyst.get('/api/experiments/channel-tone/export/assignments.csv');
    expect(assignmentsCsv.status).toBe(200);
    const assignmentRows = parse(assignmentsCsv.body as string, { columns: true });
    expect(assignmentRows).toHaveLength(1);
    expect(assignmentRows[0]).toMatchObject({ contact: 'P-0001', arm: first.body.assignment.arm.key, method: 'hash', phase: '1' });

    const outcomesCsv = await analyst.get('/api/experiments/channel-tone/export/outcomes.csv');
    const outcomeRows = parse(outcomesCsv.body as string, { columns: true });
    expect(outcomeRows).toHaveLength(1);
    expect(outcomeRows[0]).toMatchObject({ contact: 'P-0001', stage: 'outreach_attempted', arm: first.body.assignment.arm.key });
  });

  it('serves an OpenAPI document describing the routes', async () => {
    const response = await apiClient(server.baseUrl).get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths)).toContain('/api/experiments/{key}/assignments');
    expect(response.body.paths['/api/outcomes'].post.requestBody.content['application/json'].schema.required).toContain('idempotencyKey');
  });
});

describe('the experiment report over the API', () => {
  it('gives analysts the report and keeps running results from coaches and ministers', async () => {
    const analyst = apiClient(server.baseUrl, tokens.analyst);
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/contacts', { contacts: [contactFixture('RP-0001')] });
    await analyst.post('/api/experiments/channel-tone/launch');
    await analyst.post('/api/experiments/channel-tone/assignments', { contact: 'RP-0001' });

    const report = await analyst.get('/api/experiments/channel-tone/report?metrics=engaged_8w');
    expect(report.status).toBe(200);
    expect(report.body.assigned).toBe(1);
    expect(report.body.metrics.map((m: { key: string }) => m.key)).toContain('engaged_8w');
    expect(report.body.metrics[0].comparisons.every((c: { verdict: string }) => c.verdict === 'too_early')).toBe(true);

    expect((await apiClient(server.baseUrl, tokens.coach).get('/api/experiments/channel-tone/report')).status).toBe(403);
    expect((await apiClient(server.baseUrl, tokens.minister).get('/api/experiments/channel-tone/report')).status).toBe(403);
    const bad = await analyst.get('/api/experiments/channel-tone/report?metrics=clicks');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toMatch(/^metrics/);
  });
});

describe('API authentication', () => {
  it('accepts only API tokens, never the browser session cookie', async () => {
    const user = await server.services.auth.authenticate('analyst', 'wrong-password');
    expect(user).toBeNull();
    const analystId = (await scalar<number>(server.db, "SELECT id FROM users WHERE username = 'analyst'"))!;
    const { cookieValue } = await server.services.auth.createSession(analystId);
    const withCookie = await fetch(`${server.baseUrl}/api/experiments`, { headers: { cookie: `eiu_session=${cookieValue}` } });
    expect(withCookie.status).toBe(401);
    const page = await fetch(`${server.baseUrl}/experiments`, { headers: { cookie: `eiu_session=${cookieValue}` }, redirect: 'manual' });
    expect(page.status).toBe(200);
  });
});
