import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, contactFixture, startTestServer, type TestServer } from '../support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from '../browser/support/fixtures.ts';
import { hiddenField, pageClient } from '../browser/support/page-client.ts';
import { openApiDocument } from '../../server/openapi.ts';
import { PERSON_LEVEL_PAGES } from '../../dashboard/person-level-pages.ts';

/**
 * Every person-level route, through the API (marked `x-person-level` in the
 * OpenAPI document) and the pages (dashboard/person-level-pages.ts), called
 * once as a role allowed to use it: each call must write exactly one audit
 * row, naming the caller, with an entity id that is a reference, a key, a week
 * or a count, never personal data.
 */

let server: TestServer;
const tokens: Record<string, string> = {};
const userIds: Record<string, number> = {};
const sessions: Record<string, ReturnType<typeof pageClient>> = {};
/** The week before TEST_NOW (Monday 23 November 2026): frozen on first request. */
const LAST_WEEK = '2026-11-22';

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
  for (const username of ['analyst', 'coach', 'minister', 'admin']) {
    userIds[username] = (await server.db.get<{ id: number }>('SELECT id FROM users WHERE username = ?', [username]))!.id;
    tokens[username] = await server.services.auth.createApiToken(userIds[username], 'audit test');
    const client = pageClient(server.baseUrl);
    expect((await client.signIn(username, TEST_PASSWORD)).status).toBe(303);
    sessions[username] = client;
  }
});
afterAll(() => server.close());

interface AuditRow {
  id: number;
  user_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  experiment_key: string | null;
}
const lastAuditId = async () => (await server.db.get<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM audit_log'))!.id;
const auditRowsAfter = (id: number) => server.db.all<AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id', [id]);

/** What one call must leave in the audit log. */
interface Expected {
  action: string;
  entity: string;
  entityId: string | null;
  experimentKey?: string | null;
}

/** A call made once, as `as`, answered with a success status. */
interface Call {
  as: 'analyst' | 'coach' | 'minister' | 'admin';
  send: () => Promise<{ status: number }>;
  expected: Expected;
}

const api = (as: Call['as']) => apiClient(server.baseUrl, tokens[as]);
/** The session's CSRF token, read from a page that is not itself audited. */
const csrf = async (as: Call['as']) => hiddenField((await sessions[as].get('/accessibility')).html, '_csrf')!;
const csvHeader = 'reference,coach,site,health_group,age_band,sex,ethnicity_group,caring,time_on_benefits,previous_work,benefit_type,preferred_channel,adjustments';

/** One call for each person-level API operation, keyed "METHOD /path" as in the OpenAPI document. */
const API_CALLS: Record<string, Call> = {
  'GET /api/contacts': { as: 'coach', send: () => api('coach').get('/api/contacts'), expected: { action: 'list', entity: 'contacts', entityId: null } },
  'POST /api/contacts': {
    as: 'analyst',
    send: () => api('analyst').post('/api/contacts', { contacts: [contactFixture('AUD-0001')] }),
    expected: { action: 'create', entity: 'contacts', entityId: '1' },
  },
  'POST /api/contacts/import': {
    as: 'analyst',
    send: () => api('analyst').post('/api/contacts/import', `${csvHeader}\nAUD-0002,WC01,JC1,mental_health,50-64,male,white,no,over_5y,never,uc_lcwra,,`, { 'content-type': 'text/csv' }),
    expected: { action: 'import', entity: 'contacts', entityId: '1' },
  },
  'GET /api/contacts/{reference}': { as: 'coach', send: () => api('coach').get('/api/contacts/P-0001'), expected: { action: 'view', entity: 'contact', entityId: 'P-0001' } },
  'PATCH /api/contacts/{reference}': {
    as: 'coach',
    send: () => api('coach').patch('/api/contacts/P-0001', { preferredChannel: 'email' }),
    expected: { action: 'update', entity: 'contact', entityId: 'P-0001' },
  },
  'GET /api/contacts/{reference}/history': { as: 'coach', send: () => api('coach').get('/api/contacts/P-0001/history'), expected: { action: 'view-history', entity: 'contact', entityId: 'P-0001' } },
  'GET /api/contacts/{reference}/outcomes': { as: 'coach', send: () => api('coach').get('/api/contacts/P-0001/outcomes'), expected: { action: 'view-outcomes', entity: 'contact', entityId: 'P-0001' } },
  'GET /api/contacts/{reference}/assignments': {
    as: 'coach',
    send: () => api('coach').get('/api/contacts/P-0001/assignments'),
    expected: { action: 'view-assignments', entity: 'contact', entityId: 'P-0001' },
  },
  'POST /api/contacts/{reference}/opt-out': {
    as: 'coach',
    send: () => api('coach').post('/api/contacts/P-0003/opt-out', { idempotencyKey: 'audit-api-optout-0003' }),
    expected: { action: 'opt-out', entity: 'contact', entityId: 'P-0003' },
  },
  'POST /api/contacts/{reference}/opt-in': {
    as: 'coach',
    // P-0003 opted out through the API just before (operations run in the document's order).
    send: () => api('coach').post('/api/contacts/P-0003/opt-in', { personAsked: true, reason: 'They rang to say they would like to hear about support again' }),
    expected: { action: 'opt-in', entity: 'contact', entityId: 'P-0003' },
  },
  'POST /api/outcomes/{id}/corrections': {
    as: 'coach',
    send: async () => {
      const recorded = await api('coach').post('/api/outcomes', { contact: 'P-0006', stage: 'responded', idempotencyKey: 'audit-api-correct-0006' });
      correctedEventId = String((recorded.body as { event: { id: number } }).event.id);
      auditBaseline = await lastAuditId();
      return api('coach').post(`/api/outcomes/${correctedEventId}/corrections`, { kind: 'withdraw', reason: 'recorded_by_mistake' });
    },
    expected: { action: 'withdraw-outcome', entity: 'outcome_event', entityId: null },
  },
  'POST /api/outcomes': {
    as: 'coach',
    send: () => api('coach').post('/api/outcomes', { contact: 'P-0004', stage: 'complaint', idempotencyKey: 'audit-api-outcome-0004' }),
    expected: { action: 'record-outcome', entity: 'contact', entityId: 'P-0004' },
  },
  'POST /api/experiments/{key}/assignments': {
    as: 'coach',
    send: () => api('coach').post(`/api/experiments/${TRIAL_KEY}/assignments`, { contact: 'N-0001' }),
    expected: { action: 'assign', entity: 'contact', entityId: 'N-0001', experimentKey: TRIAL_KEY },
  },
  'GET /api/experiments/{key}/export/assignments.csv': {
    as: 'analyst',
    send: () => api('analyst').get(`/api/experiments/${TRIAL_KEY}/export/assignments.csv`),
    expected: { action: 'export-assignments', entity: 'experiment', entityId: TRIAL_KEY },
  },
  'GET /api/experiments/{key}/export/outcomes.csv': {
    as: 'analyst',
    send: () => api('analyst').get(`/api/experiments/${TRIAL_KEY}/export/outcomes.csv`),
    expected: { action: 'export-outcomes', entity: 'experiment', entityId: TRIAL_KEY },
  },
};

const uploadBody = (token: string, csv: string) =>
  `--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
  `--b\r\nContent-Disposition: form-data; name="cohortFile"; filename="cohort.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--b--\r\n`;

/** One call for each person-level page, keyed "method path" as in dashboard/person-level-pages.ts. */
const PAGE_CALLS: Record<string, Call> = {
  'get /caseload': { as: 'coach', send: () => sessions.coach.get('/caseload'), expected: { action: 'list', entity: 'contacts', entityId: null } },
  'get /contacts/:reference': { as: 'coach', send: () => sessions.coach.get('/contacts/P-0005'), expected: { action: 'view', entity: 'contact', entityId: 'P-0005' } },
  'post /contacts/:reference/outcomes': {
    as: 'coach',
    send: async () => sessions.coach.post('/contacts/P-0005/outcomes', { _csrf: await csrf('coach'), idempotencyKey: 'audit-page-outcome-0005', stage: 'complaint', when: 'today' }),
    expected: { action: 'record-outcome', entity: 'contact', entityId: 'P-0005' },
  },
  'post /contacts/:reference/opt-out': {
    as: 'coach',
    send: async () => sessions.coach.post('/contacts/P-0006/opt-out', { _csrf: await csrf('coach'), idempotencyKey: 'audit-page-optout-0006' }),
    expected: { action: 'opt-out', entity: 'contact', entityId: 'P-0006' },
  },
  'post /contacts/:reference/assignments': {
    as: 'coach',
    send: async () => sessions.coach.post('/contacts/N-0002/assignments', { _csrf: await csrf('coach'), experiment: TRIAL_KEY }),
    expected: { action: 'assign', entity: 'contact', entityId: 'N-0002', experimentKey: TRIAL_KEY },
  },
  'get /contacts/:reference/preferences': {
    as: 'coach',
    send: () => sessions.coach.get('/contacts/P-0007/preferences'),
    expected: { action: 'view-preferences', entity: 'contact', entityId: 'P-0007' },
  },
  'post /contacts/:reference/preferences': {
    as: 'coach',
    send: async () => sessions.coach.post('/contacts/P-0007/preferences', { _csrf: await csrf('coach'), preferredChannel: 'phone' }),
    expected: { action: 'update', entity: 'contact', entityId: 'P-0007' },
  },
  'post /data/import': {
    as: 'analyst',
    send: async () =>
      sessions.analyst.raw('POST', '/data/import', uploadBody(await csrf('analyst'), `${csvHeader}\r\nAUD-0003,WC01,JC1,mental_health,50-64,male,white,no,over_5y,never,uc_lcwra,,`), {
        'content-type': 'multipart/form-data; boundary=b',
      }),
    expected: { action: 'import', entity: 'contacts', entityId: '1' },
  },
  'get /data/:key/assignments.csv': {
    as: 'analyst',
    send: () => sessions.analyst.get(`/data/${TRIAL_KEY}/assignments.csv`),
    expected: { action: 'export-assignments', entity: 'experiment', entityId: TRIAL_KEY },
  },
  'get /data/:key/outcomes.csv': {
    as: 'analyst',
    send: () => sessions.analyst.get(`/data/${TRIAL_KEY}/outcomes.csv`),
    expected: { action: 'export-outcomes', entity: 'experiment', entityId: TRIAL_KEY },
  },
  'get /report/weeks/:weekEnding.csv': {
    as: 'minister',
    send: () => sessions.minister.get(`/report/weeks/${LAST_WEEK}.csv`),
    expected: { action: 'download', entity: 'weekly-report', entityId: LAST_WEEK },
  },
  'get /admin/audit': { as: 'admin', send: () => sessions.admin.get('/admin/audit?reference=P-0001'), expected: { action: 'view', entity: 'audit-log', entityId: 'P-0001' } },
  'get /admin/audit.csv': { as: 'admin', send: () => sessions.admin.get('/admin/audit.csv'), expected: { action: 'export', entity: 'audit-log', entityId: null } },
  'post /experiments/:key/enrolments/:id/confirm': {
    as: 'analyst',
    send: async () => {
      // A previewed enrolment of one reference nobody has: confirming it changes no one.
      const batch = await server.services.enrolments.prepare(TRIAL_KEY, { siteIds: [], coachIds: [], references: ['AUD-9999'] }, 'audit test', userIds.analyst, 1);
      return sessions.analyst.post(`/experiments/${TRIAL_KEY}/enrolments/${batch}/confirm`, { _csrf: await csrf('analyst') });
    },
    expected: { action: 'enrol', entity: 'experiment', entityId: TRIAL_KEY },
  },
  'get /admin/moves': { as: 'admin', send: () => sessions.admin.get('/admin/moves'), expected: { action: 'list-moves', entity: 'contacts', entityId: null } },
  'post /admin/moves': {
    as: 'admin',
    send: async () =>
      sessions.admin.post('/admin/moves', { _csrf: await csrf('admin'), action: 'confirm', kind: 'person', reference: 'P-0020', toCoach: 'WC01', reason: 'Closer to home' }),
    expected: { action: 'move-person', entity: 'contacts', entityId: '1' },
  },
};

/** The person-level operations the OpenAPI document marks, as "METHOD /path". */
function personLevelOperations(): string[] {
  const document = openApiDocument() as { paths: Record<string, Record<string, { 'x-person-level'?: boolean }>> };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation['x-person-level'] === true)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
}

/** An entity id must be a pseudonymous reference, an experiment key, a week or a count. */
const SAFE_ENTITY_ID = /^(?:[A-Za-z0-9-]{4,32}|[a-z0-9][a-z0-9_-]{0,62}|\d{4}-\d{2}-\d{2}|\d+)$/;

/** For a call that first sets up what it needs through an audited route: where its own rows start, and the event it corrected. */
let auditBaseline: number | null = null;
let correctedEventId: string | null = null;

async function expectOneAuditRow(call: Call) {
  auditBaseline = null;
  const before = await lastAuditId();
  const response = await call.send();
  expect(response.status, 'the call itself succeeds').toBeLessThan(400);
  const rows = await auditRowsAfter(auditBaseline ?? before);
  if (call.expected.entity === 'outcome_event') call.expected.entityId = correctedEventId;
  expect(rows.map((r) => ({ userId: r.user_id, action: r.action, entity: r.entity, entityId: r.entity_id }))).toEqual([
    { userId: userIds[call.as], action: call.expected.action, entity: call.expected.entity, entityId: call.expected.entityId },
  ]);
  expect(rows[0].experiment_key).toBe(call.expected.experimentKey ?? null);
  if (rows[0].entity_id !== null) expect(rows[0].entity_id).toMatch(SAFE_ENTITY_ID);
}

describe('the audit of person-level API operations', () => {
  it('has a call for exactly the operations the OpenAPI document marks as person-level', () => {
    expect(Object.keys(API_CALLS).sort()).toEqual(personLevelOperations().sort());
  });

  it('marks every operation on contacts, outcomes, assignments and exports as person-level', () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const touchesPeople = Object.entries(document.paths).flatMap(([path, operations]) =>
      /^\/api\/(contacts|outcomes)|\/assignments$|\/export\//.test(path) ? Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`) : [],
    );
    expect(personLevelOperations()).toEqual(expect.arrayContaining(touchesPeople));
  });

  for (const operation of personLevelOperations())
    it(`writes exactly one audit row for ${operation}`, async () => {
      const call = API_CALLS[operation];
      expect(call, `a call for ${operation} in API_CALLS`).toBeDefined();
      await expectOneAuditRow(call);
    });
});

describe('the audit of person-level pages', () => {
  it('has a call for exactly the pages listed as person-level', () => {
    expect(Object.keys(PAGE_CALLS).sort()).toEqual(PERSON_LEVEL_PAGES.map((p) => `${p.method} ${p.path}`).sort());
  });

  for (const page of PERSON_LEVEL_PAGES)
    it(`writes exactly one audit row for ${page.method.toUpperCase()} ${page.path}`, async () => {
      const call = PAGE_CALLS[`${page.method} ${page.path}`];
      expect(call, `a call for ${page.path} in PAGE_CALLS`).toBeDefined();
      await expectOneAuditRow(call);
    });
});

describe('the audit of refused and repeated requests', () => {
  it('records a coach asking for someone on another caseload as a refused view', async () => {
    const before = await lastAuditId();
    expect((await api('coach').get('/api/contacts/P-0010')).status).toBe(404);
    expect((await auditRowsAfter(before)).map((r) => [r.user_id, r.action, r.entity_id])).toEqual([[userIds.coach, 'view-refused', 'P-0010']]);
  });

  it('records a minister asking for a person’s history, through the API or a page, as refused', async () => {
    const before = await lastAuditId();
    expect((await api('minister').get('/api/contacts/P-0001/history')).status).toBe(403);
    expect((await sessions.minister.get('/contacts/P-0001')).status).toBe(403);
    expect((await auditRowsAfter(before)).map((r) => [r.user_id, r.action, r.entity_id])).toEqual([
      [userIds.minister, 'view-history-refused', 'P-0001'],
      [userIds.minister, 'view-refused', 'P-0001'],
    ]);
  });

  it('records a retried outcome as a repeat, and a form with a problem as rejected: one row each', async () => {
    const body = { contact: 'P-0008', stage: 'complaint', idempotencyKey: 'audit-repeat-0008' };
    await api('coach').post('/api/outcomes', body);
    const before = await lastAuditId();
    expect((await api('coach').post('/api/outcomes', body)).status).toBe(200);
    expect((await sessions.coach.post('/contacts/P-0008/outcomes', { _csrf: await csrf('coach'), idempotencyKey: 'audit-form-0008', stage: 'outreach_attempted', when: 'today' })).status).toBe(400);
    expect((await auditRowsAfter(before)).map((r) => [r.action, r.entity_id])).toEqual([
      ['repeat-outcome', 'P-0008'],
      ['record-outcome-rejected', 'P-0008'],
    ]);
  });

  it('records a failed token request with the username that was tried, never the password', async () => {
    const before = await lastAuditId();
    const response = await apiClient(server.baseUrl).post('/api/tokens', { username: 'coach', password: 'not the password' });
    expect(response.status).toBe(401);
    const rows = await auditRowsAfter(before);
    expect(rows.map((r) => [r.user_id, r.action, r.entity, r.entity_id])).toEqual([[null, 'create-token-failed', 'username', 'coach']]);
    expect(JSON.stringify(rows)).not.toContain('not the password');
  });

  it('keeps characteristics out of every audit row written', async () => {
    const rows = await server.db.all<AuditRow>('SELECT * FROM audit_log');
    expect(rows.length).toBeGreaterThan(PERSON_LEVEL_PAGES.length);
    const characteristics = ['mental_health', 'female', 'white', '35-49', '2-5y', 'within_5y', 'uc_lcwra'];
    for (const row of rows) for (const value of Object.values(row)) expect(characteristics).not.toContain(value);
  });
});
