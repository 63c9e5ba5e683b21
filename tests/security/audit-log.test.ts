import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { createPeople, startTestServer, TEST_PASSWORD, type TestServer } from '../support/test-server.ts';
import { pageClient, pageText } from '../browser/support/page-client.ts';

let server: TestServer;
let admin: ReturnType<typeof pageClient>;
const ids: Record<string, number> = {};

const run = (text: string, params?: unknown[]) => server.db.run(text, params);
const auditCount = async () => (await server.db.get<{ n: number }>('SELECT count(*) AS n FROM audit_log'))!.n;
const lastAuditId = async () => (await server.db.get<{ id: number }>('SELECT max(id) AS id FROM audit_log'))!.id;
/** Every row an iteration gives, whether it is a plain or an async one. */
async function collect<T>(rows: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}
/** The rows of the page's audit table. */
const tableRows = (html: string) => (/<tbody class="govuk-table__body">([\s\S]*?)<\/tbody>/.exec(html)?.[1].match(/<tr class="govuk-table__row">/g) ?? []).length;

beforeAll(async () => {
  server = await startTestServer({ now: '2026-10-01T09:00:00.000Z' });
  await createPeople(server.services);
  for (const username of ['analyst', 'coach', 'coach2', 'admin']) ids[username] = (await server.db.get<{ id: number }>('SELECT id FROM users WHERE username = ?', [username]))!.id;
  // 130 views of R-0001 by the coach over October, 10 exports by the analyst, 5 views of R-0002 by the other coach.
  for (let i = 0; i < 130; i++) {
    server.clock.set(new Date(Date.UTC(2026, 9, 1 + (i % 30), 10, i % 60)).toISOString());
    await server.services.audit.record(ids.coach, 'view', 'contact', 'R-0001');
  }
  for (let i = 0; i < 10; i++) {
    server.clock.set(new Date(Date.UTC(2026, 9, 20 + i, 15)).toISOString());
    await server.services.audit.record(ids.analyst, 'export-outcomes', 'experiment', 'channel-tone');
  }
  for (let i = 0; i < 5; i++) {
    server.clock.set(new Date(Date.UTC(2026, 9, 3, 11, i)).toISOString());
    await server.services.audit.record(ids.coach2, 'view', 'contact', 'R-0002');
  }
  server.clock.set('2026-11-23T09:00:00.000Z');
  admin = pageClient(server.baseUrl);
  await admin.signIn('admin', TEST_PASSWORD);
});
afterAll(() => server.close());

describe('the audit log is append-only', () => {
  it('refuses to change any audit row', async () => {
    await expect(run("UPDATE audit_log SET entity_id = 'R-9999' WHERE entity_id = 'R-0001'")).rejects.toThrow(/audit_log is append-only: audit rows cannot be changed/);
    await expect(run('UPDATE audit_log SET user_id = NULL')).rejects.toThrow(/append-only/);
  });

  it('refuses to delete audit rows while no retention cutoff is set', async () => {
    const before = await auditCount();
    await expect(run('DELETE FROM audit_log WHERE id = 1')).rejects.toThrow(/only rows older than the retention cutoff/);
    expect(await auditCount()).toBe(before);
  });

  it('refuses a retention cutoff in the future, one that is not a time, and removing the setting', async () => {
    await expect(run("UPDATE audit_retention SET delete_before = '2999-01-01T00:00:00.000Z'")).rejects.toThrow(/must be an ISO-8601 UTC time in the past/);
    await expect(run("UPDATE audit_retention SET delete_before = 'yesterday'")).rejects.toThrow(/must be an ISO-8601 UTC time in the past/);
    await expect(run('DELETE FROM audit_retention')).rejects.toThrow(/cannot be removed/);
    await expect(run('INSERT INTO audit_retention (id, delete_before) VALUES (2, NULL)')).rejects.toThrow();
    expect(await server.db.all('SELECT id, delete_before AS "deleteBefore" FROM audit_retention')).toEqual([{ id: 1, deleteBefore: null }]);
  });

  it('lets retention delete rows older than the cutoff only, and records the cutoff change itself', async () => {
    server.clock.set('2025-01-15T10:00:00.000Z');
    for (let i = 0; i < 3; i++) await server.services.audit.record(ids.coach, 'view', 'contact', 'OLD-0001');
    server.clock.set('2026-11-23T09:00:00.000Z');
    const before = await auditCount();
    const cutoff = '2025-06-01T00:00:00.000Z';
    const older = 3;
    await run('UPDATE audit_retention SET delete_before = ? WHERE id = 1', [cutoff]);
    const change = await server.db.get('SELECT user_id AS "userId", action, entity, entity_id AS "entityId" FROM audit_log ORDER BY id DESC LIMIT 1');
    expect(change).toEqual({ userId: null, action: 'set-retention-cutoff', entity: 'audit-log', entityId: cutoff });
    // Newer rows stay however they are asked for.
    await expect(run('DELETE FROM audit_log WHERE at >= ?', [cutoff])).rejects.toThrow(/retention cutoff/);
    expect((await run('DELETE FROM audit_log WHERE at < (SELECT delete_before FROM audit_retention)')).changes).toBe(older);
    expect(await auditCount()).toBe(before + 1 - older);
    // Put the setting back for the tests below: nothing deletable.
    await run('UPDATE audit_retention SET delete_before = NULL WHERE id = 1');
  });
});

describe('the admin’s audit page', () => {
  it('filters by user, person, action and dates, and shows how many match', async () => {
    const byCoach2 = await admin.get('/admin/audit?user=coach2');
    expect(byCoach2.status).toBe(200);
    expect(pageText(byCoach2.html)).toContain('5 records match');
    expect(tableRows(byCoach2.html)).toBe(5);

    const byPerson = await admin.get('/admin/audit?reference=R-0002&action=view');
    expect(pageText(byPerson.html)).toContain('5 records match');

    const exports = await admin.get('/admin/audit?action=export-outcomes&fromDay=25&fromMonth=10&fromYear=2026&toDay=27&toMonth=10&toYear=2026');
    // 25, 26 and 27 October, the last day included.
    expect(pageText(exports.html)).toContain('3 records match');
    expect(pageText(exports.html)).toContain('channel-tone');
  });

  it('pages through the matching records, newest first, fifty a page', async () => {
    const first = await admin.get('/admin/audit?reference=R-0001');
    expect(pageText(first.html)).toContain('130 records match');
    expect(tableRows(first.html)).toBe(50);
    expect(first.html).toContain('href="/admin/audit?reference=R-0001&amp;page=2"');
    const last = await admin.get('/admin/audit?reference=R-0001&page=3');
    expect(tableRows(last.html)).toBe(30);
    expect(pageText(last.html)).toContain('page 3 of 3');
  });

  it('exports the filtered records as CSV, and the export is itself audited', async () => {
    const before = await lastAuditId();
    const response = await admin.get('/admin/audit.csv?user=coach2');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = parse(response.html, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.username === 'coach2' && r.action === 'view' && r.entity_id === 'R-0002')).toBe(true);
    expect(Object.keys(rows[0])).toEqual(['at', 'username', 'user_id', 'action', 'entity', 'entity_id', 'experiment_key']);
    // Newest first.
    expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort().reverse());
    const audited = await server.db.all('SELECT user_id AS "userId", action, entity FROM audit_log WHERE id > ?', [before]);
    expect(audited).toEqual([{ userId: ids.admin, action: 'export', entity: 'audit-log' }]);
  });

  it('reads every matching row for the export in batches, newest first, without repeats or gaps', async () => {
    // Many rows share a time (the seeding repeats minutes), so batches must page on time and id.
    const all = (await server.services.audit.search({}, { limit: 100_000, offset: 0 })).rows.map((r) => r.id);
    expect((await collect(await server.services.audit.iterate({}, 7))).map((r) => r.id)).toEqual(all);
    expect(await collect(await server.services.audit.iterate({ reference: 'R-0001' }, 7))).toHaveLength(130);
  });

  it('says what to fix when a date is not a real date', async () => {
    const response = await admin.get('/admin/audit?fromDay=31&fromMonth=2&fromYear=2026');
    expect(response.status).toBe(400);
    expect(pageText(response.html)).toContain('Enter the ‘from’ date as a real date');
    expect(response.html).toContain('href="#from-fromDay"');
  });

  it('is for admins only, and a coach who tries is on record', async () => {
    const coach = pageClient(server.baseUrl);
    await coach.signIn('coach', TEST_PASSWORD);
    const before = await lastAuditId();
    expect((await coach.get('/admin/audit')).status).toBe(403);
    expect((await coach.get('/admin/audit.csv')).status).toBe(403);
    expect(await server.db.all('SELECT user_id AS "userId", action FROM audit_log WHERE id > ? ORDER BY id', [before])).toEqual([
      { userId: ids.coach, action: 'view-refused' },
      { userId: ids.coach, action: 'export-refused' },
    ]);
  });
});
