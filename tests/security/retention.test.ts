import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../server/db/database.ts';
import { fixedClock } from '../../server/clock.ts';
import { createServices, type Services } from '../../server/services.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { DEFAULT_RETENTION, retentionPolicyFromEnv, type RetentionPolicy } from '../../server/retention/retention-policy.ts';
import { createRetentionService, RETENTION_JOB, startRetentionSchedule } from '../../server/retention/retention-service.ts';
import { purgeAuditLogBefore } from '../../server/retention/audit-retention.ts';
import { withJobLease } from '../../server/jobs/job-lease.ts';
import { buildExperimentReport } from '../../experiments/progress/report-read-model.ts';
import { contactFixture, startTestServer } from '../support/test-server.ts';
import { pageText } from '../browser/support/page-client.ts';
import { describeDays } from '../../dashboard/info/info-controller.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { scalar } from '../support/sql.ts';

const DAY = 86_400_000;
const START = '2026-01-05T09:00:00.000Z';
const at = (days: number) => new Date(Date.parse(START) + days * DAY).toISOString();

let db: Db;
let clock: ReturnType<typeof fixedClock>;
let services: Services;
let analyst: CurrentUser;

const policy = (overrides: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ ...DEFAULT_RETENTION, ...overrides });
const retention = (overrides: Partial<RetentionPolicy> = {}, instance = 'test-instance') =>
  createRetentionService({ db, clock, policy: policy(overrides), erasure: services.erasure, instance });
const count = async (query: string, ...params: unknown[]) => (await scalar<number>(db, query, params))!;
const erased = async (reference: string) => (await count('SELECT COUNT(*) AS n FROM contacts WHERE reference = ?', reference)) === 0;
const allErased = async (references: string[]) => {
  for (const reference of references) if (!(await erased(reference))) return false;
  return true;
};
const someErased = async (references: string[]) => {
  for (const reference of references) if (await erased(reference)) return true;
  return false;
};

beforeEach(async () => {
  db = await openTestDatabase();
  clock = fixedClock(START);
  services = await createServices(db, clock);
  await services.staff.addSite({ code: 'JC1', name: 'Jobcentre', kind: 'jobcentre' });
  for (const code of ['WC01', 'WC02']) await services.staff.addCoach({ code, name: code, siteCode: 'JC1' });
  const { id } = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'A', 'analyst', 'x', ?) RETURNING \"id\"", [START]))!;
  analyst = { id, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
});
afterEach(() => db?.close());

async function experiment(key: string) {
  await services.experiments.create(
    {
      key,
      name: key,
      hypothesis: 'Warm wording gets more replies',
      journeyPhase: 1,
      factors: [{ key: 'tone', levels: ['standard', 'warm'] }],
      primaryMetric: 'responded',
      secondaryMetrics: [],
      guardrailMetrics: [],
      coverage: 1,
      eligibility: {},
      randomisation: 'blocks',
      strata: ['ageBand'],
      plannedSampleSize: 200,
    },
    analyst.id,
  );
  await services.experiments.transition(key, 'launch');
}

async function people(prefix: string, n: number) {
  const references = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  await services.contacts.createMany(
    references.map((reference, i) => contactFixture(reference, { coach: i % 2 ? 'WC02' : 'WC01', ageBand: i % 3 ? '25-34' : '50-64', adjustments: [], preferredChannel: null }) as never),
  );
  return references;
}

/**
 * Experiment "old" ran from day 0 and concluded on day 100; "current" is still
 * running. OLD people were only in "old"; BOTH were in both; LATE were only in
 * "old" but had an outcome recorded on day 300; NEVER were never assigned.
 */
async function trialHistory() {
  const old = await people('OLD', 24);
  const both = await people('BOTH', 4);
  const late = await people('LATE', 2);
  const never = await people('NEVER', 2);
  await experiment('old');
  for (const [i, reference] of [...old, ...both, ...late].entries()) {
    clock.set(at(1 + (i % 10)));
    await services.assignments.assign(analyst, 'old', reference);
    if (i % 2 === 0) {
      clock.set(at(5 + (i % 10)));
      await services.outcomes.record(analyst, { contact: reference, stage: 'responded', idempotencyKey: `responded-${reference}`, occurredAt: at(5 + (i % 10)) });
    }
  }
  clock.set(at(100));
  await services.experiments.transition('old', 'conclude');
  clock.set(at(200));
  await experiment('current');
  for (const reference of both) await services.assignments.assign(analyst, 'current', reference);
  clock.set(at(300));
  for (const reference of late) await services.outcomes.record(analyst, { contact: reference, stage: 'in_work_26w', idempotencyKey: `in-work-${reference}`, occurredAt: at(300) });
  return { old, both, late, never };
}

describe('the retention policy', () => {
  it('takes its periods from EIU_RETENTION_* variables, with the defaults for any not set', async () => {
    expect(retentionPolicyFromEnv({})).toEqual(DEFAULT_RETENTION);
    expect(DEFAULT_RETENTION).toMatchObject({ sessionsDays: 7, apiTokensDays: 90, auditDays: 2557, peopleDays: 731 });
    expect(retentionPolicyFromEnv({ EIU_RETENTION_PEOPLE_DAYS: '365', EIU_RETENTION_AUDIT_DAYS: ' 3650 ', EIU_RETENTION_SESSIONS_DAYS: '' })).toEqual({
      ...DEFAULT_RETENTION,
      peopleDays: 365,
      auditDays: 3650,
    });
  });

  it('refuses a period that is not a whole number of days, naming the variable', async () => {
    expect(() => retentionPolicyFromEnv({ EIU_RETENTION_PEOPLE_DAYS: 'two years' })).toThrow(/EIU_RETENTION_PEOPLE_DAYS must be a whole number of days/);
    expect(() => retentionPolicyFromEnv({ EIU_RETENTION_AUDIT_DAYS: '-1' })).toThrow(/EIU_RETENTION_AUDIT_DAYS/);
    expect(() => retentionPolicyFromEnv({ EIU_RETENTION_SESSIONS_DAYS: '1.5' })).toThrow(/EIU_RETENTION_SESSIONS_DAYS/);
    expect(() => retentionPolicyFromEnv({ EIU_RETENTION_BATCH_SIZE: '0' })).toThrow(/EIU_RETENTION_BATCH_SIZE/);
  });
});

describe('scheduled retention', () => {
  it('deletes sessions a week after they expire, and keeps live and recently expired ones', async () => {
    const userId = analyst.id;
    await services.auth.createSession(userId); // expires on day 0 + 10 hours
    clock.set(at(6));
    await services.auth.createSession(userId);
    clock.set(at(7.5));
    const live = await services.auth.createSession(userId);
    expect(await retention().run()).toMatchObject({ sessions: 1 });
    expect(await count('SELECT COUNT(*) AS n FROM sessions')).toBe(2);
    expect(await services.auth.sessionFor(live.cookieValue)).not.toBeNull();
    expect(await retention().run()).toMatchObject({ sessions: 0 });
  });

  it('deletes API tokens 90 days after they were revoked, and keeps tokens in use', async () => {
    const token = await services.auth.createApiToken(analyst.id, 'old integration');
    await services.auth.revokeApiTokens(analyst.id);
    clock.set(at(50));
    const kept = await services.auth.createApiToken(analyst.id, 'current integration');
    clock.set(at(90.1));
    expect(await retention().run()).toMatchObject({ apiTokens: 1 });
    expect(await services.auth.userForToken(kept)).not.toBeNull();
    expect(await services.auth.userForToken(token)).toBeNull();
    expect(await count('SELECT COUNT(*) AS n FROM api_tokens')).toBe(1);
  });

  it('purges audit rows older than the period through purgeAuditLogBefore, which records and sets the cut-off first', async () => {
    await services.audit.record(analyst.id, 'view', 'contact', 1);
    clock.set(at(10));
    await services.audit.record(analyst.id, 'view', 'contact', 2);
    clock.set(at(2557 + 5));
    expect(await retention().run()).toMatchObject({ auditRows: 1 });
    const rows = await db.all('SELECT user_id, action, entity, entity_id FROM audit_log ORDER BY id');
    expect(rows).toEqual([
      { user_id: analyst.id, action: 'view', entity: 'contact', entity_id: '2' },
      { user_id: null, action: 'purge', entity: 'audit-log', entity_id: at(5) },
      // The database's own record of the moved cut-off (its trigger, stamped by the database clock).
      { user_id: null, action: 'set-retention-cutoff', entity: 'audit-log', entity_id: at(5) },
    ]);
    // Nothing older than the cut-off is left, so a second purge writes nothing at all.
    expect(await purgeAuditLogBefore(db, new Date(at(5)), new Date(at(2562)))).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM audit_log')).toBe(3);
  });

  it('erases people two years after their last experiment concluded, and keeps those still in one or with recent outcomes', async () => {
    const { old, both, late, never } = await trialHistory();
    // People never assigned go two years after their record last changed (day 0).
    clock.set(at(731.5));
    expect(await retention().run()).toMatchObject({ people: never.length });
    expect(await allErased(never)).toBe(true);
    clock.set(at(100 + 731));
    expect(await retention().run()).toMatchObject({ people: 0 });
    clock.set(at(100 + 731 + 1));
    expect(await retention().run()).toMatchObject({ people: old.length });
    for (const reference of old) expect(await erased(reference)).toBe(true);
    for (const reference of [...both, ...late]) expect(await erased(reference)).toBe(false);
    expect(await count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'erase-retention' AND user_id IS NULL AND entity_id LIKE 'ERASED-%'")).toBe(old.length + never.length);
    clock.set(at(300 + 731 + 1));
    expect(await retention().run()).toMatchObject({ people: late.length });
    expect(await allErased(late)).toBe(true);
    expect(await someErased(both)).toBe(false);
  });

  it('leaves every overall figure of a concluded experiment unchanged when it erases its people, and a rebuild agrees', async () => {
    await trialHistory();
    const asOf = new Date(at(150));
    const before = await buildExperimentReport(db, 'old', { asOf });
    clock.set(at(2000));
    expect((await retention().run())!.people).toBeGreaterThan(0);
    const after = await buildExperimentReport(db, 'old', { asOf });
    expect({ ...after, subgroups: null }).toEqual({ ...before, subgroups: null });
    expect(after.metrics).toEqual(before.metrics);
    expect(after.funnel).toEqual(before.funnel);
    expect(after.weekly).toEqual(before.weekly);
    expect(after.subgroups.find((s) => s.characteristic === 'ageBand')!.subgroups.map((s) => s.subgroup)).toContain('not_recorded');
    // The permuted-block strata held their age band: cleared with the rest.
    expect(await count("SELECT COUNT(*) AS n FROM assignments a JOIN contacts c ON c.id = a.contact_id WHERE c.erased_at IS NOT NULL AND (a.stratum IS NOT NULL OR a.hash_value IS NOT NULL)")).toBe(0);
    await services.progress.rebuild();
    expect(await buildExperimentReport(db, 'old', { asOf })).toEqual(after);
  });

  it('erases in batches until everyone due is erased, and a second run at once changes nothing', async () => {
    const { old, never } = await trialHistory();
    clock.set(at(1000));
    const service = retention({ batchSize: 5 });
    expect(await service.due(100)).toHaveLength(old.length + never.length);
    expect(await service.run()).toEqual({ sessions: 0, apiTokens: 0, auditRows: 0, people: old.length + never.length });
    expect(await service.due(100)).toEqual([]);
    const snapshot = await db.all('SELECT * FROM contacts ORDER BY id');
    const audit = await count('SELECT COUNT(*) AS n FROM audit_log');
    expect(await service.run()).toEqual({ sessions: 0, apiTokens: 0, auditRows: 0, people: 0 });
    expect(await db.all('SELECT * FROM contacts ORDER BY id')).toEqual(snapshot);
    expect(await count('SELECT COUNT(*) AS n FROM audit_log')).toBe(audit);
  });

  it('does nothing while another instance holds the retention lease', async () => {
    await trialHistory();
    clock.set(at(1000));
    let inner: Awaited<ReturnType<ReturnType<typeof retention>['run']>> | undefined;
    await withJobLease(db, clock, RETENTION_JOB, async () => {
      inner = await retention({}, 'second-instance').run();
    }, { holder: 'first-instance' });
    expect(inner).toBeNull();
    expect(await count('SELECT COUNT(*) AS n FROM contacts WHERE erased_at IS NOT NULL')).toBe(0);
    expect((await retention({}, 'second-instance').run())!.people).toBeGreaterThan(0);
  });

  it('runs once as soon as the schedule starts, and reports what it did', async () => {
    await trialHistory();
    clock.set(at(1000));
    const results: unknown[] = [];
    const errors: unknown[] = [];
    const stop = await startRetentionSchedule(retention(), { intervalMs: 3_600_000, onRun: (result) => results.push(result), onError: (error) => errors.push(error) });
    stop();
    // The first run starts at once; wait for it to report before looking.
    await vi.waitFor(
      () => {
        if (results.length + errors.length === 0) throw new Error('the first run has not reported yet');
      },
      { timeout: 10_000 },
    );
    expect(errors).toEqual([]);
    expect(results).toEqual([{ sessions: 0, apiTokens: 0, auditRows: 0, people: 26 }]);
  });
});

describe('the privacy page', () => {
  it('says, in plain English, how long each kind of record is kept, with the periods in force', async () => {
    const server = await startTestServer();
    const previous = process.env.EIU_RETENTION_PEOPLE_DAYS;
    try {
      const text = pageText(await (await fetch(`${server.baseUrl}/privacy`)).text());
      expect(text).toContain('Records about a person Until 2 years after the last experiment they were in ended');
      expect(text).toContain('Audit log 7 years, long enough to look into a complaint');
      expect(text).toContain('Signed-in sessions Deleted 7 days after they expire.');
      expect(text).toContain('Tokens used by other systems Deleted 90 days after they are withdrawn.');
      expect(text).toContain('Erasing cannot be undone.');
      process.env.EIU_RETENTION_PEOPLE_DAYS = '400';
      expect(pageText(await (await fetch(`${server.baseUrl}/privacy`)).text())).toContain('Until 400 days after the last experiment');
    } finally {
      if (previous === undefined) delete process.env.EIU_RETENTION_PEOPLE_DAYS;
      else process.env.EIU_RETENTION_PEOPLE_DAYS = previous;
      await server.close();
    }
  });

  it('describes whole years as years and anything else in days', async () => {
    expect([1, 90, 365, 400, 730, 731, 2557].map(describeDays)).toEqual(['1 day', '90 days', '1 year', '400 days', '2 years', '2 years', '7 years']);
  });
});
