import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { createServices } from '../server/services.ts';
import { systemClock } from '../server/clock.ts';
import { CHARACTERISTICS, STAGE_KEYS } from '../experiments/vocabulary.ts';
import { DEMO_SITES, seedDemoData } from '../seed/demo.ts';
import { DEMO_LEARNING_NOTES } from '../seed/learning-notes.ts';
import { checkDisclosure } from '../dashboard/learning-log/disclosure-check.ts';
import { contactReferencesIn } from '../dashboard/learning-log/learning-note-service.ts';
import { openTestDatabase } from './support/test-database.ts';

/** Seeding 300 people into a fresh database (in memory, or PostgreSQL under EIU_TEST_PG), as `npm start` does with 3,000. */
const NOW = new Date('2026-11-23T09:00:00.000Z');

interface Seeded {
  db: Db;
  result: Awaited<ReturnType<typeof seedDemoData>>;
}

async function seed(seedNumber: number): Promise<Seeded> {
  const db = await openTestDatabase();
  const result = await seedDemoData(db, { contacts: 300, seed: seedNumber, now: NOW });
  return { db, result };
}

const all = <T>(db: Db, sql: string, ...params: unknown[]) => db.all<T>(sql, params);
const references = async (db: Db) => (await all<{ reference: string }>(db, 'SELECT reference FROM contacts ORDER BY id')).map((r) => r.reference);
const arms = async (db: Db) =>
  (
    await all<{ line: string }>(
    db,
      `SELECT c.reference || ' ' || e.key || ' ' || r.key AS line FROM assignments a
       JOIN contacts c ON c.id = a.contact_id JOIN experiments e ON e.id = a.experiment_id JOIN experiment_arms r ON r.id = a.arm_id
       ORDER BY c.reference, e.key`,
    )
  ).map((r) => r.line);

let first: Seeded;
beforeAll(async () => {
  first = await seed(1);
});
afterAll(() => first?.db.close());

describe('the demo data', () => {
  it('creates the EIU jobcentre, the community venue and ten coaches with their own sign-ins', async () => {
    const { db } = first;
    expect(await all<{ code: string; kind: string }>(db, 'SELECT code, kind FROM sites ORDER BY code')).toEqual([
      { code: 'CV-HUB', kind: 'community_venue' },
      { code: 'JC-EIU', kind: 'jobcentre' },
    ]);
    const coaches = await all<{ code: string; username: string; role: string; site: string }>(
      db,
      'SELECT w.code, u.username, u.role, s.code AS site FROM work_coaches w JOIN users u ON u.id = w.user_id JOIN sites s ON s.id = w.site_id ORDER BY w.code',
    );
    expect(coaches.map((c) => c.code)).toEqual(['WC01', 'WC02', 'WC03', 'WC04', 'WC05', 'WC06', 'WC07', 'WC08', 'WC09', 'WC10']);
    expect(coaches.map((c) => c.username)).toEqual(coaches.map((c) => `coach${c.code.slice(2)}`));
    expect(new Set(coaches.map((c) => `${c.role} ${c.site}`))).toEqual(new Set(['coach JC-EIU']));
    const others = await all<{ username: string; role: string }>(db, "SELECT username, role FROM users WHERE role != 'coach' ORDER BY username");
    expect(others).toEqual([
      { username: 'admin', role: 'admin' },
      { username: 'analyst', role: 'analyst' },
      { username: 'minister', role: 'minister' },
    ]);
  });

  it('stores and returns a sign-in for every demo user, each coach included, whose passwords work', async () => {
    const { db, result } = first;
    expect(result.credentials.map((c) => c.username)).toEqual(['analyst', ...Array.from({ length: 10 }, (_, i) => `coach${String(i + 1).padStart(2, '0')}`), 'minister', 'admin']);
    expect(await all(db, 'SELECT username, role, password FROM demo_credentials ORDER BY username')).toEqual(
      [...result.credentials].sort((a, b) => a.username.localeCompare(b.username)).map(({ username, role, password }) => ({ username, role, password })),
    );
    expect(new Set(result.credentials.map((c) => c.password)).size).toBe(13);
    const auth = (await createServices(db, systemClock)).auth;
    const analyst = result.credentials.find((c) => c.username === 'analyst')!;
    expect(await auth.authenticate('analyst', analyst.password)).toMatchObject({ username: 'analyst', role: 'analyst' });
    expect(await auth.authenticate('analyst', 'not-the-password')).toBeNull();
  });

  it('makes about the number of contacts asked for, pseudonymous and spread over every coach', async () => {
    const { db } = first;
    const rows = await all<Record<string, string | number | null>>(db, 'SELECT * FROM contacts');
    expect(rows).toHaveLength(300);
    for (const row of rows) {
      expect(row.reference).toMatch(/^EIU-[0-9A-HJKMNP-TV-Z]{6}$/);
      expect(CHARACTERISTICS.healthGroup).toContain(row.health_group);
      expect(CHARACTERISTICS.ageBand).toContain(row.age_band);
      expect(CHARACTERISTICS.benefitType).toContain(row.benefit_type);
    }
    expect(new Set(rows.map((r) => r.coach_id)).size).toBe(10);
    const share = (column: string, value: string) => rows.filter((r) => r[column] === value).length / rows.length;
    expect(share('health_group', 'mental_health')).toBeGreaterThan(0.35);
    expect(share('age_band', '50-64')).toBeGreaterThan(share('age_band', '35-49'));
    expect(share('benefit_type', 'uc_lcwra')).toBeGreaterThan(0.7);
  });

  it('has three running experiments, launched in turn, with people in every arm', async () => {
    const { db } = first;
    const experiments = await all<{ key: string; status: string; launched_at: string; journey_phase: number }>(
      db,
      'SELECT key, status, launched_at, journey_phase FROM experiments ORDER BY launched_at',
    );
    expect(experiments.map((e) => [e.key, e.status, e.journey_phase])).toEqual([
      ['channel-tone', 'running', 1],
      ['meeting-place', 'running', 1],
      ['first-meeting-format', 'running', 2],
    ]);
    const weeksAgo = experiments.map((e) => Math.round((NOW.getTime() - Date.parse(e.launched_at)) / (7 * 86_400_000)));
    expect(weeksAgo).toEqual([10, 8, 6]);

    const perArm = await all<{ experiment: string; arm: string; n: number }>(
      db,
      `SELECT e.key AS experiment, r.key AS arm, COUNT(a.id) AS n FROM experiment_arms r
       JOIN experiments e ON e.id = r.experiment_id LEFT JOIN assignments a ON a.arm_id = r.id GROUP BY r.id, e.id, e.key, r.key, r.position ORDER BY e.id, r.position`,
    );
    expect(perArm.map((a) => `${a.experiment} ${a.arm}`)).toEqual([
      'channel-tone letter-standard',
      'channel-tone letter-warm_voluntary',
      'channel-tone text-standard',
      'channel-tone text-warm_voluntary',
      'meeting-place jobcentre',
      'meeting-place community_venue',
      'meeting-place phone',
      'first-meeting-format standard',
      'first-meeting-format extended',
    ]);
    for (const arm of perArm) expect(arm.n, `${arm.experiment} ${arm.arm}`).toBeGreaterThan(0);
    // Meeting place uses stratified permuted blocks; the others hash.
    expect(await all(db, "SELECT DISTINCT e.key AS key, a.method AS method FROM assignments a JOIN experiments e ON e.id = a.experiment_id ORDER BY e.key")).toEqual([
      { key: 'channel-tone', method: 'hash' },
      { key: 'first-meeting-format', method: 'hash' },
      { key: 'meeting-place', method: 'blocks' },
    ]);
  });

  it('records events after the person was assigned and never in the future', async () => {
    const { db } = first;
    const events = await all<{ stage: string; occurred_at: string; recorded_at: string; first_assigned: string | null }>(
      db,
      `SELECT o.stage, o.occurred_at, o.recorded_at, (SELECT MIN(a.assigned_at) FROM assignments a WHERE a.contact_id = o.contact_id) AS first_assigned
       FROM outcome_events o`,
    );
    expect(events.length).toBeGreaterThan(300);
    for (const event of events) {
      expect(event.first_assigned).not.toBeNull();
      expect(Date.parse(event.occurred_at)).toBeGreaterThan(Date.parse(event.first_assigned!));
      expect(Date.parse(event.occurred_at)).toBeLessThanOrEqual(NOW.getTime());
      expect(Date.parse(event.recorded_at)).toBeGreaterThanOrEqual(Date.parse(event.occurred_at));
      expect(Date.parse(event.recorded_at)).toBeLessThanOrEqual(NOW.getTime());
      expect(STAGE_KEYS).toContain(event.stage);
    }
    const stages = new Set(events.map((e) => e.stage));
    for (const stage of ['outreach_attempted', 'responded', 'meeting_agreed', 'meeting_attended', 'wants_to_continue', 'found_useful', 'opted_out']) expect(stages).toContain(stage);
    // Phase-2 outcomes come after the person joined the first-meeting experiment.
    const early = await all(
      db,
      `SELECT 1 AS one FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN outcome_events o ON o.contact_id = a.contact_id
       WHERE e.key = 'first-meeting-format' AND o.stage IN ('wants_to_continue', 'found_useful', 'more_optimistic') AND o.occurred_at <= a.assigned_at`,
    );
    expect(early).toEqual([]);
  });

  it('records each event as the coach of the person', async () => {
    const { db } = first;
    const mismatched = await all(
      db,
      'SELECT 1 AS one FROM outcome_events o JOIN contacts c ON c.id = o.contact_id JOIN work_coaches w ON w.id = c.coach_id WHERE o.recorded_by != w.user_id',
    );
    expect(mismatched).toEqual([]);
  });

  it('leaves the reports read model covering every assignment', async () => {
    const { db } = first;
    const [{ n: assigned }] = await all<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM assignments');
    const [{ n: rows }] = await all<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM assignment_progress');
    expect(rows).toBe(assigned);
  });

  it('adds reflective notes from coaches, some about a particular arm', async () => {
    const notes = await all<{ experiment_id: number | null; arm_id: number | null; role: string }>(
      first.db,
      'SELECT n.experiment_id, n.arm_id, u.role FROM learning_notes n JOIN users u ON u.id = n.author_id',
    );
    expect(notes.length).toBeGreaterThanOrEqual(12);
    expect(new Set(notes.map((n) => n.role))).toEqual(new Set(['coach']));
    expect(notes.filter((n) => n.experiment_id !== null && n.arm_id !== null).length).toBeGreaterThan(3);
  });

  it('approves a summary for each past week with notes, in aggregate language that copies no note and passes the disclosure check', async () => {
    const summaries = await all<{ week_ending: string; status: string; text: string; approved_by: number; role: string }>(
      first.db,
      'SELECT s.week_ending, s.status, s.text, s.approved_by, u.role FROM learning_summaries s JOIN users u ON u.id = s.approved_by ORDER BY s.week_ending',
    );
    expect(summaries.length).toBeGreaterThanOrEqual(8);
    expect(summaries.at(-1)!.week_ending).toBe('2026-11-22');
    const siteNames = DEMO_SITES.map((site) => site.name);
    for (const summary of summaries) {
      expect({ week: summary.week_ending, status: summary.status, role: summary.role }).toEqual({ week: summary.week_ending, status: 'approved', role: 'analyst' });
      for (const note of DEMO_LEARNING_NOTES) expect(summary.text).not.toContain(note.note);
      expect({ week: summary.week_ending, warnings: await checkDisclosure(summary.text, { placeNames: siteNames, isContactReference: await contactReferencesIn(first.db, summary.text) }) }).toEqual({ week: summary.week_ending, warnings: [] });
    }
    const audited = await all<{ n: number }>(first.db, "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'learning-summary' AND action = 'approve'");
    expect(audited[0].n).toBe(summaries.length);
  });

  it('gives the same people and arms for the same seed, and different ones for another seed', async () => {
    const again = await seed(1);
    try {
      expect(await references(again.db)).toEqual(await references(first.db));
      expect(await arms(again.db)).toEqual(await arms(first.db));
    } finally {
      await again.db.close();
    }
    const other = await seed(2);
    try {
      const otherReferences = await references(other.db);
      expect(otherReferences).toHaveLength(300);
      const firstReferences = await references(first.db);
      expect(otherReferences.filter((r) => firstReferences.includes(r)).length).toBeLessThan(5);
      expect(await arms(other.db)).not.toEqual(await arms(first.db));
    } finally {
      await other.db.close();
    }
  });
});
