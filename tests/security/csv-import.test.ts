import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importContacts } from '../../cli/import-command.ts';
import { openDatabase } from '../../server/db/database.ts';
import { testDatabaseLocation } from '../support/test-database.ts';
import { createStaffService } from '../../experiments/staff/staff-service.ts';
import { fixedClock } from '../../server/clock.ts';
import { CONTACT_CSV_COLUMNS } from '../../experiments/contacts/contact-import.ts';
import { startHardeningServer, type HardeningServer } from './support/hardening-server.ts';

/**
 * Cohort files: a reference or code that a spreadsheet would run as a formula
 * is refused, line by line, and nothing from the file is imported. Large files
 * are imported in a worker thread, so the server answers others meanwhile.
 */
const HEADER = CONTACT_CSV_COLUMNS.join(',');
const row = (reference: string, coach = 'WC01', site = 'JC1') => `${reference},${coach},${site},mental_health,35-49,female,white,false,2-5y,within_5y,uc_lcwra,,`;
const FORMULA_ROWS = [row('=1+2'), row('-ABCD1'), row('+ABCD2'), row('@SUMA1'), row('SAFE-0005', '=HYPERLINK(1)'), row('SAFE-0006', 'WC01', '@JC1'), row('SAFE-0007', '-WC01')];
const FORMULA_FILE = [HEADER, row('SAFE-0001'), ...FORMULA_ROWS].join('\n');

const dir = mkdtempSync(join(tmpdir(), 'eiu-csv-import-'));
let memory: HardeningServer;
let file: HardeningServer;

beforeAll(async () => {
  memory = await startHardeningServer();
  file = await startHardeningServer({ databaseFile: join(dir, 'server.sqlite') });
});
afterAll(async () => {
  await memory.close();
  await file.close();
  rmSync(dir, { recursive: true, force: true });
});

const contactCount = async (server: HardeningServer) => (await server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contacts'))!.n;
const importViaApi = (server: HardeningServer, csv: string) =>
  fetch(`${server.baseUrl}/api/contacts/import`, { method: 'POST', headers: { authorization: `Bearer ${server.tokens.analyst}`, 'content-type': 'text/csv' }, body: csv });

async function uploadViaPage(server: HardeningServer, csv: string) {
  const session = await server.session('analyst');
  const form = new FormData();
  form.set('_csrf', session.csrfToken);
  form.set('cohortFile', new Blob([csv], { type: 'text/csv' }), 'cohort.csv');
  return fetch(`${server.baseUrl}/data/import`, { method: 'POST', headers: { cookie: session.cookie }, body: form, redirect: 'manual' });
}

describe('references and codes a spreadsheet would run as formulas', () => {
  for (const [where, server] of [['in memory', () => memory], ['in a file (worker thread)', () => file]] as const) {
    it(`refuses each one through the API with its line and column, and imports nothing (database ${where})`, async () => {
      const before = await contactCount(server());
      const response = await importViaApi(server(), FORMULA_FILE);
      expect(response.status).toBe(400);
      const report = (await response.json()) as { imported: number; rejected: { line: number; errors: { field: string; message: string }[] }[] };
      expect(report.imported).toBe(0);
      expect(report.rejected.map((r) => [r.line, r.errors[0].field])).toEqual([
        [3, 'reference'],
        [4, 'reference'],
        [5, 'reference'],
        [6, 'reference'],
        [7, 'coach'],
        [8, 'site'],
        [9, 'coach'],
      ]);
      for (const rejected of report.rejected) expect(rejected.errors[0].message).toMatch(/cannot start with =, \+, -, @, a tab or a carriage return/);
      expect(await contactCount(server())).toBe(before);
    });
  }

  it('lists them on the data page and imports nothing', async () => {
    const before = await contactCount(file);
    const response = await uploadViaPage(file, FORMULA_FILE);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Nothing was imported: 7 rows have problems');
    expect(html).toMatch(/cannot start with =, \+, -, @, a tab or a carriage return/);
    expect(await contactCount(file)).toBe(before);
  });

  it('refuses them from `eiu import contacts` too', async () => {
    const { location: database, drop } = await testDatabaseLocation(join(dir, 'cli.sqlite'));
    try {
      const db = await openDatabase(database);
      try {
        const staff = createStaffService(db, fixedClock('2026-11-23T09:00:00Z'));
        await staff.addSite({ code: 'JC1', name: 'Test Jobcentre', kind: 'jobcentre' });
        await staff.addCoach({ code: 'WC01', name: 'Coach One', siteCode: 'JC1' });
      } finally {
        await db.close();
      }
      const csv = join(dir, 'formulas.csv');
      writeFileSync(csv, FORMULA_FILE);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        expect(await importContacts(csv, database)).toBe(1);
        const printed = stderr.mock.calls.map((c) => String(c[0])).join('');
        expect(printed).toContain('line 3, column reference: A reference cannot start with');
        expect(printed).toContain('line 7, column coach: A work coach code cannot start with');
      } finally {
        stderr.mockRestore();
      }
    } finally {
      await drop();
    }
  });

  it('refuses them when contacts are added as JSON', async () => {
    const response = await fetch(`${memory.baseUrl}/api/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${memory.tokens.analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contacts: [{ reference: '@EVIL1', coach: 'WC01', site: 'JC1', healthGroup: 'mental_health', ageBand: '35-49', sex: 'female', ethnicityGroup: 'white', caring: false, timeOnBenefits: '2-5y', previousWork: 'within_5y', benefitType: 'uc_lcwra' }] }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('contacts.0.reference');
  });
});

describe('importing in a worker thread', () => {
  const bigFile = (count: number, prefix: string) => [HEADER, ...Array.from({ length: count }, (_, i) => row(`${prefix}-${String(i).padStart(6, '0')}`, i % 2 ? 'WC01' : 'WC02'))].join('\n');

  it('imports every row of a good file into the server’s database, all at once', async () => {
    const before = await contactCount(file);
    const response = await importViaApi(file, bigFile(3_000, 'WRK'));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ rows: 3_000, imported: 3_000, rejected: [] });
    expect(await contactCount(file)).toBe(before + 3_000);
  });

  it('imports a file uploaded on the data page and says how many', async () => {
    const response = await uploadViaPage(file, bigFile(500, 'PAGE'));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/data?imported=500');
  });

  it('imports nothing when one row of a large file is wrong, and says which', async () => {
    const before = await contactCount(file);
    const lines = bigFile(2_000, 'ONEBAD').split('\n');
    lines[1501] = row('ONEBAD-X', 'WC99');
    const response = await importViaApi(file, lines.join('\n'));
    expect(response.status).toBe(400);
    const report = (await response.json()) as { imported: number; rejected: { line: number; errors: { field: string }[] }[] };
    expect(report.rejected).toEqual([{ line: 1502, errors: [{ field: 'coach', message: 'Unknown work coach code "WC99"' }] }]);
    expect(await contactCount(file)).toBe(before);
  });

  it('answers other requests while a large import is still running', async () => {
    const order: string[] = [];
    const importing = importViaApi(file, bigFile(20_000, 'BUSY')).then(async (response) => {
      order.push(`import ${response.status}`);
      await response.arrayBuffer();
    });
    // Let the upload reach the server and the worker start before asking.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const health = await fetch(`${file.baseUrl}/health`);
    order.push(`health ${health.status}`);
    const page = await fetch(`${file.baseUrl}/api/me`, { headers: { authorization: `Bearer ${file.tokens.coach}` } });
    order.push(`me ${page.status}`);
    await importing;
    expect(order).toEqual(['health 200', 'me 200', 'import 201']);
  });
});
