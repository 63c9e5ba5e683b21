import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createStaffService } from '../experiments/staff/staff-service.ts';
import { testDatabaseLocation } from './support/test-database.ts';

/**
 * `eiu import contacts` run as a user would run it: `node bin/eiu.mjs` in a
 * child process, against a temporary SQLite file (or, under EIU_TEST_PG, a
 * fresh PostgreSQL database given as --db).
 */
const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'eiu-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'reference,coach,site,health_group,age_band,sex,ethnicity_group,caring,time_on_benefits,previous_work,benefit_type,preferred_channel,adjustments';
const row = (reference: string, overrides: { ageBand?: string; coach?: string } = {}) =>
  `${reference},${overrides.coach ?? 'WC01'},JC1,mental_health,${overrides.ageBand ?? '50-64'},female,white,false,over_5y,never,uc_lcwra,,`;

let database: string;
let dropDatabase: () => Promise<void> = async () => {};
let caseNumber = 0;

beforeEach(async () => {
  caseNumber++;
  const location = await testDatabaseLocation(join(dir, `case-${caseNumber}.sqlite`));
  database = location.location;
  dropDatabase = location.drop;
  const db = await openDatabase(database);
  try {
    const staff = createStaffService(db, fixedClock('2026-11-23T09:00:00Z'));
    await staff.addSite({ code: 'JC1', name: 'Test Jobcentre', kind: 'jobcentre' });
    await staff.addCoach({ code: 'WC01', name: 'Coach One', siteCode: 'JC1' });
    await staff.addCoach({ code: 'WC02', name: 'Coach Two', siteCode: 'JC1' });
  } finally {
    await db.close();
  }
});
afterEach(() => dropDatabase());

function writeCsv(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function runImport(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/eiu.mjs', 'import', 'contacts', file, '--db', database], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function storedReferences(): Promise<string[]> {
  const db = await openDatabase(database);
  try {
    return (await db.all<{ reference: string }>('SELECT reference FROM contacts ORDER BY reference')).map((r) => r.reference);
  } finally {
    await db.close();
  }
}

describe('eiu import contacts', () => {
  it('imports every row of a good file and says how many', async () => {
    const file = writeCsv('good.csv', [
      HEADER,
      row('IMP-0001'),
      row('IMP-0002', { coach: 'WC02' }),
      'IMP-0003,WC01,JC1,musculoskeletal,35-49,male,asian,yes,2-5y,over_5y_ago,esa_support_group,text,extra_time;private_room',
    ]);
    const result = await runImport(file);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Imported 3 contacts/);
    expect(result.stderr).toMatch(/Read 3 rows/); // no progress bar when stderr is not a terminal
    expect(await storedReferences()).toEqual(['IMP-0001', 'IMP-0002', 'IMP-0003']);
  });

  it('imports nothing when one row is wrong, and names its line and column', async () => {
    const file = writeCsv('bad-row.csv', [HEADER, row('IMP-0001'), row('IMP-0002', { ageBand: '70+' }), row('IMP-0003')]);
    const result = await runImport(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Nothing was imported: 1 row has problems/);
    expect(result.stderr).toMatch(/line 3, column age_band: Select an age band/);
    expect(result.stdout).not.toMatch(/Imported/);
    expect(await storedReferences()).toEqual([]);
  });

  it('lists the first 50 problems and counts the rest', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => row(`IMP-${String(i).padStart(4, '0')}`, { coach: 'WC99' }));
    const result = await runImport(writeCsv('many-bad.csv', [HEADER, ...rows]));
    expect(result.code).toBe(1);
    expect(result.stderr.match(/^ {2}line \d+, column coach:/gm)).toHaveLength(50);
    expect(result.stderr).toMatch(/…and 10 more/);
    expect(await storedReferences()).toEqual([]);
  });

  it('refuses a file with a required column missing', async () => {
    const header = HEADER.replace(',sex', '');
    const file = writeCsv('no-sex.csv', [header, 'IMP-0001,WC01,JC1,mental_health,50-64,white,false,over_5y,never,uc_lcwra,,']);
    const result = await runImport(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 1, column header: The file is missing the column sex/);
    expect(await storedReferences()).toEqual([]);
  });

  it('says so when the file does not exist', async () => {
    const result = await runImport(join(dir, 'no-such-file.csv'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No file at .*no-such-file\.csv/);
    expect(await storedReferences()).toEqual([]);
  });

  it('reports a file that is not valid CSV', async () => {
    const file = writeCsv('broken.csv', [HEADER, row('IMP-0001'), 'IMP-0002,"WC01,JC1,mental_health']);
    const result = await runImport(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not valid CSV/);
    expect(await storedReferences()).toEqual([]);
  });
});
