import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, startTestServer, TEST_NOW, type TestServer } from '../support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from '../browser/support/fixtures.ts';
import { hiddenField, pageClient, pageText } from '../browser/support/page-client.ts';
import { buildExperimentReport } from '../../experiments/progress/report-read-model.ts';
import type { ExperimentReport } from '../../analysis/report-types.ts';
import { NOT_RECORDED } from '../../experiments/progress/progress-projection.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { Dialect } from '../../server/db/database.ts';
import { column, scalar } from '../support/sql.ts';

const TOMBSTONE = /^ERASED-[0-9A-F]{16}$/;

let server: TestServer;
let analyst: CurrentUser;
let coach: CurrentUser;
let adminId: number;

beforeEach(async () => {
  server = await startTestServer();
  ({ analyst } = await seedTrial(server, { people: 160, unassigned: 2 }));
  const user = async (username: string) => (await scalar<number>(server.db, 'SELECT id FROM users WHERE username = ?', [username]))!;
  adminId = await user('admin');
  const coaches = await server.services.staff.coaches();
  coach = { id: await user('coach'), username: 'coach', displayName: 'Test coach', role: 'coach', coachId: coaches.find((c) => c.code === 'WC01')!.id };
});
afterEach(() => server.close());

const contactId = (reference: string) => scalar<number>(server.db, 'SELECT id FROM contacts WHERE reference = ?', [reference]);
const report = async (): Promise<ExperimentReport> => buildExperimentReport(server.db, TRIAL_KEY, { asOf: new Date(TEST_NOW) });

/** The names of the tables the platform keeps, per engine. */
const TABLE_NAMES: Record<Dialect, string> = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'",
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
};

/** Every row of every table, as JSON text: to look for a reference anywhere in the database. */
async function wholeDatabase(): Promise<string> {
  const tables = (await column<string>(server.db, TABLE_NAMES[server.db.dialect])).sort();
  const contents: string[] = [];
  for (const table of tables) contents.push(JSON.stringify(await server.db.all(`SELECT * FROM "${table}"`)));
  return contents.join('\n');
}

/** The read model, sorted, with tallies that count nobody left out (a rebuild never writes them). */
/** The read model as a report reads it: caught up first. */
async function readModel() {
  await server.services.progress.catchUp();
  return {
    progress: await server.db.all('SELECT * FROM assignment_progress ORDER BY assignment_id'),
    tallies: await server.db.all(
      `SELECT experiment_id, dimension, dimension_value, stage, arm_id, day, people,
              ROUND(CAST(value_sum AS NUMERIC), 9) AS value_sum, ROUND(CAST(value_sum_squares AS NUMERIC), 9) AS value_sum_squares
       FROM progress_tallies WHERE people <> 0 OR abs(value_sum) > 1e-9 ORDER BY 1, 2, 3, 4, 5, 6`,
    ),
  };
}

/** Gives someone a change history and mentions them in free text, as older versions of the service could have. */
async function giveTraces(reference: string) {
  await server.services.contacts.updatePreferences(coach, reference, { preferredChannel: 'phone', adjustments: ['interpreter', 'extra_time'] });
  await server.db.run('INSERT INTO learning_notes (author_id, note, created_at) VALUES (?, ?, ?)', [coach.id, `Spoke to ${reference.toLowerCase().replace('-', ' ')} about travel costs.`, TEST_NOW]);
  await server.services.audit.record(coach.id, 'record-outcome', 'contact', reference);
}

describe('erasing a person', () => {
  it('removes their characteristics, preferences, change history and reference from every table, and keeps their records under a tombstone', async () => {
    await giveTraces('P-0003');
    const id = await contactId('P-0003');
    const assignmentsBefore = await server.db.all('SELECT experiment_id, arm_id, phase_id, assigned_at FROM assignments WHERE contact_id = ? ORDER BY id', [id]);
    const eventsBefore = await server.db.all('SELECT id, stage, value, occurred_at FROM outcome_events WHERE contact_id = ? ORDER BY id', [id]);
    expect(eventsBefore.length).toBeGreaterThan(0);

    const result = await server.services.erasure.erase('P-0003', { userId: adminId });
    expect(result.status).toBe('erased');
    const tombstone = (result as { tombstone: string }).tombstone;
    expect(tombstone).toMatch(TOMBSTONE);

    const row = (await server.db.get<Record<string, unknown>>('SELECT * FROM contacts WHERE id = ?', [id]))!;
    expect(row.reference).toBe(tombstone);
    for (const column of ['health_group', 'age_band', 'sex', 'ethnicity_group', 'time_on_benefits', 'previous_work', 'benefit_type']) expect(row[column]).toBe(NOT_RECORDED);
    expect(row).toMatchObject({ caring: 0, preferred_channel: null, adjustments: '[]', erased_at: TEST_NOW });
    expect(row.opted_out_at).not.toBeNull();
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM contact_changes WHERE contact_id = ?', [id])).toBe(0);
    expect(await server.db.all('SELECT experiment_id, arm_id, phase_id, assigned_at FROM assignments WHERE contact_id = ? ORDER BY id', [id])).toEqual(assignmentsBefore);
    expect(await server.db.all('SELECT hash_value, stratum FROM assignments WHERE contact_id = ?', [id])).toEqual([{ hash_value: null, stratum: null }]);
    expect(await server.db.all('SELECT id, stage, value, occurred_at FROM outcome_events WHERE contact_id = ? ORDER BY id', [id])).toEqual(eventsBefore);
    await server.services.progress.catchUp();
    expect(await server.db.get('SELECT health_group, age_band, sex, ethnicity_group, caring, time_on_benefits, previous_work FROM assignment_progress WHERE contact_id = ?', [id])).toEqual({
      health_group: null, age_band: null, sex: null, ethnicity_group: null, caring: null, time_on_benefits: null, previous_work: null,
    });

    const everything = await wholeDatabase();
    expect(everything).not.toMatch(/P-0003|p 0003/i);
    expect(await scalar(server.db, "SELECT note FROM learning_notes WHERE note LIKE 'Spoke to%'")).toBe('Spoke to [reference removed] about travel costs.');
  });

  it('replaces the reference in approved learning summaries, which otherwise stay impossible to change', async () => {
    const summaryId = (await server.db.get<{ id: number }>(
      `INSERT INTO learning_summaries (week_ending, text, status, created_by, updated_by, approved_by, approved_at, created_at, updated_at)
       VALUES ('2026-11-22', ?, 'approved', ?, ?, ?, ?, ?, ?) RETURNING "id"`,
      ['Warm texts worked, as EIU P0014 said.', analyst.id, analyst.id, analyst.id, TEST_NOW, TEST_NOW, TEST_NOW],
    ))!.id;
    await server.db.run('INSERT INTO learning_summary_approvals (summary_id, text, approved_by, approved_at) VALUES (?, ?, ?, ?)', [summaryId, 'Warm texts worked, as P-0014 said.', analyst.id, TEST_NOW]);
    const update = () => server.db.run("UPDATE learning_summary_approvals SET text = 'Changed [reference removed]' WHERE summary_id = ?", [summaryId]);
    await expect(update()).rejects.toThrow(/an approved learning summary cannot be changed/);

    await server.services.erasure.erase('P-0014', { userId: adminId });
    expect(await scalar(server.db, 'SELECT text FROM learning_summary_approvals WHERE summary_id = ?', [summaryId])).toBe('Warm texts worked, as [reference removed] said.');
    expect(await scalar(server.db, 'SELECT text FROM learning_summaries WHERE id = ?', [summaryId])).toBe('Warm texts worked, as EIU [reference removed] said.');
    await expect(update()).rejects.toThrow(/an approved learning summary cannot be changed/);
    expect(await scalar(server.db, "SELECT COUNT(*) AS n FROM job_leases WHERE job = 'erasure-redaction'")).toBe(0);
  });

  it('leaves every overall figure of the experiment report unchanged, and moves the erased people to “not recorded” in subgroups', async () => {
    const before = await report();
    // Every third person, across arms, so the “not recorded” subgroup is big enough to be reported.
    const references = Array.from({ length: 160 }, (_, i) => `P-${String(i + 1).padStart(4, '0')}`).filter((_, i) => i % 3 === 0);
    const erasedByArm = new Map<string, number>();
    for (const reference of references) {
      const arm = (await scalar<string>(server.db, 'SELECT r.key AS key FROM assignments a JOIN experiment_arms r ON r.id = a.arm_id WHERE a.contact_id = ?', [await contactId(reference)]))!;
      erasedByArm.set(arm, (erasedByArm.get(arm) ?? 0) + 1);
      expect((await server.services.erasure.erase(reference, { userId: adminId })).status).toBe('erased');
    }
    const after = await report();

    expect(after.assigned).toBe(before.assigned);
    expect(after.metrics).toEqual(before.metrics);
    for (const [i, metric] of after.metrics.entries()) expect(metric.comparisons).toEqual(before.metrics[i].comparisons);
    expect(after.funnel).toEqual(before.funnel);
    expect(after.weekly).toEqual(before.weekly);
    expect(after.consort).toEqual(before.consort);
    expect(after.screening).toEqual(before.screening);
    expect(after.srm).toEqual(before.srm);
    expect(after.coaches).toEqual(before.coaches);
    expect(after.factorial).toEqual(before.factorial);
    expect(after.warnings).toEqual(before.warnings);
    expect({ ...after, subgroups: null }).toEqual({ ...before, subgroups: null });

    // Everyone in the fixture has the same characteristics, so each breakdown is that value and “not recorded”.
    const health = after.subgroups.find((s) => s.characteristic === 'healthGroup')!;
    expect(health.subgroups.map((s) => s.subgroup).sort()).toEqual(['mental_health', NOT_RECORDED]);
    const notRecorded = health.subgroups.find((s) => s.subgroup === NOT_RECORDED)!;
    expect(notRecorded.tooSmall).toBe(false);
    for (const arm of notRecorded.arms!) expect(arm.n).toBe(erasedByArm.get(arm.arm) ?? 0);
    const caring = after.subgroups.find((s) => s.characteristic === 'caring')!;
    expect(caring.subgroups.map((s) => s.subgroup).sort()).toEqual(['not caring', NOT_RECORDED]);
    const [beforeHealth] = before.subgroups.filter((s) => s.characteristic === 'healthGroup');
    expect(beforeHealth.subgroups.map((s) => s.subgroup)).toEqual(['mental_health']);
  });

  it('gives the same read model and report when the read model is rebuilt from the raw records', async () => {
    for (const reference of ['P-0001', 'P-0002', 'P-0010', 'P-0100', 'P-0155']) await server.services.erasure.erase(reference, { userId: adminId });
    const incremental = await readModel();
    const incrementalReport = await report();
    await server.services.progress.rebuild();
    expect(await readModel()).toEqual(incremental);
    expect(await report()).toEqual(incrementalReport);
  });

  it('takes in outcomes recorded just before the erasure that the read model had not yet caught up with', async () => {
    await server.services.outcomes.record(analyst, { contact: 'P-0004', stage: 'complaint', idempotencyKey: 'late-complaint-P-0004', occurredAt: TEST_NOW });
    await server.services.erasure.erase('P-0004', { userId: adminId });
    const incremental = await readModel();
    expect(await wholeDatabase()).not.toContain('P-0004');
    await server.services.progress.rebuild();
    expect(await readModel()).toEqual(incremental);
  });

  it('is audited under the tombstone alone, by the admin who did it', async () => {
    const result = (await server.services.erasure.erase('P-0005', { userId: adminId })) as { tombstone: string };
    const rows = await server.db.all("SELECT user_id, action, entity, entity_id, at FROM audit_log WHERE action = 'erase' ORDER BY id");
    expect(rows).toEqual([{ user_id: adminId, action: 'erase', entity: 'contact', entity_id: result.tombstone, at: TEST_NOW }]);
  });

  it('is idempotent and cannot be undone: the old reference is gone, and the tombstone is already erased', async () => {
    const first = (await server.services.erasure.erase('P-0006', { userId: adminId })) as { tombstone: string };
    const snapshot = await wholeDatabase();
    expect(await server.services.erasure.erase('P-0006', { userId: adminId })).toEqual({ status: 'not-found' });
    expect(await server.services.erasure.erase(first.tombstone, { userId: adminId })).toEqual({ status: 'already-erased', tombstone: first.tombstone });
    expect(await server.services.erasure.eraseMany([(await contactId(first.tombstone))!], { userId: null, action: 'erase-retention' })).toEqual([]);
    expect(await wholeDatabase()).toBe(snapshot);
  });

  it('opts the person out without recording an opt-out, and nobody can find, contact or assign them again', async () => {
    const guardrailBefore = await scalar(server.db, "SELECT COUNT(*) AS n FROM outcome_events WHERE stage = 'opted_out'");
    const { tombstone } = (await server.services.erasure.erase('P-0007', { userId: adminId })) as { tombstone: string };
    expect(await scalar(server.db, "SELECT COUNT(*) AS n FROM outcome_events WHERE stage = 'opted_out'")).toBe(guardrailBefore);
    expect(await scalar(server.db, 'SELECT opted_out_at FROM contacts WHERE reference = ?', [tombstone])).toBe(TEST_NOW);

    const api = apiClient(server.baseUrl, await server.services.auth.createApiToken(analyst.id, 'test'));
    for (const reference of ['P-0007', tombstone]) {
      expect((await api.get(`/api/contacts/${reference}`)).status).toBe(404);
      const outreach = await api.post('/api/outcomes', { contact: reference, stage: 'outreach_attempted', detail: { channel: 'phone' }, idempotencyKey: `after-erasure-${reference}` });
      expect(outreach.status).toBe(400);
      expect((await api.post(`/api/experiments/${TRIAL_KEY}/assignments`, { contact: reference })).status).toBe(404);
    }
    const listed = await api.get('/api/contacts?limit=500');
    expect(JSON.stringify(listed.body)).not.toContain('ERASED-');
    expect((await server.services.contacts.list(coach, { limit: 500 })).contacts.some((c) => c.reference === tombstone)).toBe(false);
  });

  it('leaves the person’s rows in the assignments export without their characteristics', async () => {
    const { tombstone } = (await server.services.erasure.erase('P-0008', { userId: adminId })) as { tombstone: string };
    const experimentId = (await server.services.experiments.get(TRIAL_KEY)).id;
    let csv = '';
    for await (const chunk of await server.services.exports.assignmentsCsv(experimentId)) csv += chunk;
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(1 + 160);
    const header = lines[0].split(',');
    const row = lines.find((line) => line.includes(tombstone))!.split(',');
    for (const column of ['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'benefit_type', 'hash_value']) expect(row[header.indexOf(column)]).toBe('');
  });
});

describe('the admin erasure pages', () => {
  async function signedIn(username: string) {
    const client = pageClient(server.baseUrl);
    expect((await client.signIn(username, TEST_PASSWORD)).status).toBe(303);
    return client;
  }

  it('erase a person after a confirmation page that says what is removed, what is kept and that it cannot be undone', async () => {
    const admin = await signedIn('admin');
    const start = await admin.get('/admin/erasure');
    expect(start.status).toBe(200);
    const confirm = await admin.post('/admin/erasure', { _csrf: hiddenField(start.html, '_csrf')!, reference: 'p-0009' });
    expect(confirm.status).toBe(200);
    const text = pageText(confirm.html);
    expect(text).toContain('Are you sure you want to erase this person’s data?');
    expect(text).toContain('This cannot be undone');
    expect(text).toContain('Experiment assignments 1');
    expect(text).toContain('“not recorded”');
    expect(text).not.toMatch(/mental health|35-49|female/i);
    expect(await contactId('P-0009')).toBeTypeOf('number');

    const done = await admin.post('/admin/erasure/confirm', { _csrf: hiddenField(confirm.html, '_csrf')!, reference: hiddenField(confirm.html, 'reference')! });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/^\/admin\/erasure\?erased=ERASED-[0-9A-F]{16}$/);
    expect(done.location).not.toContain('0009');
    expect(await contactId('P-0009')).toBeUndefined();
    const banner = pageText((await admin.get(done.location!)).html);
    expect(banner).toContain(`The person’s data has been erased Their anonymous records now carry the reference ${done.location!.split('=')[1]}`);

    // Sending the confirmation again (a double click, or the back button) erases nothing more.
    const again = await admin.post('/admin/erasure/confirm', { _csrf: hiddenField(confirm.html, '_csrf')!, reference: 'P-0009' });
    expect(again.status).toBe(400);
    expect(pageText(again.html)).toContain('No one has this reference');
    expect(await scalar(server.db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'erase'")).toBe(1);
  });

  it('say what to do when the reference is missing, unknown or already erased', async () => {
    const admin = await signedIn('admin');
    const { tombstone } = (await server.services.erasure.erase('P-0011', { userId: adminId })) as { tombstone: string };
    for (const [reference, message] of [
      ['', 'Enter the person’s reference'],
      ['P-9999', 'No one has this reference: check it, or they may already have been erased'],
      [tombstone, 'This person has already been erased'],
    ]) {
      const response = await admin.submit('/admin/erasure', '/admin/erasure', { reference });
      expect(response.status).toBe(400);
      expect(response.html).toContain('href="#reference"');
      expect(pageText(response.html)).toContain(message);
    }
  });

  it('are for admins only: analysts, coaches and ministers get the 403 page and erase nothing', async () => {
    for (const username of ['analyst', 'coach', 'minister']) {
      const client = await signedIn(username);
      expect((await client.get('/admin/erasure')).status).toBe(403);
      const page = await client.get('/caseload');
      const csrf = hiddenField(page.html, '_csrf') ?? '';
      expect(csrf).not.toBe('');
      expect((await client.post('/admin/erasure', { _csrf: csrf, reference: 'P-0012' })).status).toBe(403);
      expect((await client.post('/admin/erasure/confirm', { _csrf: csrf, reference: 'P-0012' })).status).toBe(403);
    }
    expect(await contactId('P-0012')).toBeTypeOf('number');
    const anonymous = pageClient(server.baseUrl);
    expect((await anonymous.get('/admin/erasure')).location).toBe('/sign-in?next=%2Fadmin%2Ferasure');
    expect((await anonymous.post('/admin/erasure/confirm', { reference: 'P-0012' })).location).toBe('/sign-in');
    expect(await contactId('P-0012')).toBeTypeOf('number');
  });

  it('refuse a confirmation without the session’s CSRF token', async () => {
    const admin = await signedIn('admin');
    expect((await admin.post('/admin/erasure/confirm', { reference: 'P-0013' })).status).toBe(403);
    expect((await admin.post('/admin/erasure/confirm', { _csrf: 'not-the-token', reference: 'P-0013' })).status).toBe(403);
    expect(await contactId('P-0013')).toBeTypeOf('number');
  });
});
