import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices, type Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { analyseBinaryMetric } from '../analysis/analyse-binary-metric.ts';
import { contactFixture } from './support/test-server.ts';
import { openTestDatabase } from './support/test-database.ts';
import { scalar } from './support/sql.ts';

/**
 * A small trial whose outcomes are set by rule, so every count the report gives
 * can be worked out by hand: 120 people in two weekly intakes, balanced 1:1 by
 * permuted blocks; controls respond when i % 4 == 0, the warm arm when i % 2 == 0;
 * a response comes 2 days after assignment, a meeting is agreed 5 days after by
 * every third responder, and engagement at 8 weeks is recorded at day 56.
 */
const LAUNCH = '2026-09-01T09:00:00.000Z';
const day = (n: number) => new Date(Date.parse(LAUNCH) + n * 86_400_000).toISOString();

let db: Db;
let services: Services;
let clock: ReturnType<typeof fixedClock>;
const people: { ref: string; arm: string; assignedDay: number; responds: boolean; agrees: boolean; engaged: boolean }[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  clock = fixedClock(day(-10));
  services = await createServices(db, clock);
  await services.staff.addSite({ code: 'JC1', name: 'Jobcentre', kind: 'jobcentre' });
  const analystRow = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'A', 'analyst', 'x', ?) RETURNING \"id\"", [day(-10)]))!;
  for (const code of ['WC01', 'WC02', 'WC03']) await services.staff.addCoach({ code, name: code, siteCode: 'JC1' });
  const analyst: CurrentUser = { id: analystRow.id, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
  await services.contacts.createMany(
    Array.from({ length: 120 }, (_, i) =>
      contactFixture(`R-${String(i).padStart(4, '0')}`, { coach: ['WC01', 'WC02', 'WC03'][i % 3], healthGroup: i % 2 ? 'mental_health' : 'musculoskeletal', adjustments: [], preferredChannel: null }) as never,
    ),
  );
  await services.experiments.create(
    {
      key: 'tone',
      name: 'Tone of first letter',
      hypothesis: 'Warm wording gets more replies',
      journeyPhase: 1,
      factors: [{ key: 'tone', levels: ['standard', 'warm'] }],
      primaryMetric: 'responded',
      secondaryMetrics: ['meeting_agreed'],
      guardrailMetrics: [],
      coverage: 1,
      eligibility: {},
      randomisation: 'blocks',
      strata: [],
      plannedSampleSize: 400,
    },
    analyst.id,
  );
  clock.set(LAUNCH);
  await services.experiments.transition('tone', 'launch');

  // Someone contacted before they were assigned: that event must not count.
  clock.set(day(0.5));
  await services.outcomes.record(analyst, { contact: 'R-0000', stage: 'responded', idempotencyKey: 'before-assignment-0', occurredAt: day(0.2) });

  for (let i = 0; i < 120; i++) {
    const assignedDay = i < 60 ? 1 : 8;
    clock.set(day(assignedDay));
    const result = await services.assignments.assign(analyst, 'tone', `R-${String(i).padStart(4, '0')}`);
    if (!result.assigned) throw new Error('not assigned');
    const arm = result.assignment.arm.key;
    const responds = arm === 'standard' ? i % 4 === 0 : i % 2 === 0;
    people.push({ ref: `R-${String(i).padStart(4, '0')}`, arm, assignedDay, responds, agrees: responds && i % 3 === 0, engaged: responds && i % 5 === 0 });
  }
  const events: { ref: string; stage: string; at: number }[] = [];
  for (const p of people) {
    if (p.responds) events.push({ ref: p.ref, stage: 'responded', at: p.assignedDay + 2 });
    if (p.agrees) events.push({ ref: p.ref, stage: 'meeting_agreed', at: p.assignedDay + 5 });
    if (p.engaged) events.push({ ref: p.ref, stage: 'engaged_8w', at: p.assignedDay + 56 });
  }
  events.sort((a, b) => a.at - b.at);
  for (const [k, e] of events.entries()) {
    clock.set(day(e.at));
    await services.outcomes.record(analyst, {
      contact: e.ref,
      stage: e.stage as never,
      detail: e.stage === 'meeting_agreed' ? { place: 'phone' } : undefined,
      idempotencyKey: `event-${k}-key`,
      occurredAt: day(e.at),
    });
  }
});
afterAll(() => db?.close());

const expected = (arm: string, test: (p: (typeof people)[number]) => boolean, assignedBy = Infinity) =>
  people.filter((p) => p.arm === arm && p.assignedDay <= assignedBy && test(p)).length;

describe('the experiment report', () => {
  it('counts each arm by assignment, only events after assignment and up to the report date', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(30)) });
    const responded = report.metrics[0];
    expect(responded).toMatchObject({ key: 'responded', role: 'primary', kind: 'binary' });
    for (const arm of ['standard', 'warm']) {
      const row = responded.arms.find((a) => a.arm === arm)!;
      expect(row.n).toBe(expected(arm, () => true));
      expect(row.successes).toBe(expected(arm, (p) => p.responds));
    }
    expect(report.assigned).toBe(120);
    expect(report.metrics.map((m) => [m.key, m.role])).toEqual([
      ['responded', 'primary'],
      ['meeting_agreed', 'secondary'],
      ['opted_out', 'guardrail'],
      ['complaint', 'guardrail'],
    ]);
  });

  it('gives the same statistics as the analysis functions on the same counts', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(30)) });
    const counts = report.metrics[0].arms.map((a) => ({ arm: a.arm, n: a.n, successes: a.successes! }));
    const direct = analyseBinaryMetric({ arms: counts, control: 'standard', plannedTotal: 400, plannedWeights: [0.5, 0.5] });
    const comparison = report.metrics[0].comparisons[0];
    expect(comparison.difference).toBe(direct.comparisons[0].difference);
    expect(comparison.differenceCi).toEqual(direct.comparisons[0].differenceCi);
    expect(comparison.sequentialCi).toEqual(direct.comparisons[0].sequential!.ci);
    expect(comparison.pValue).toBe(direct.comparisons[0].pValue);
    expect(report.metrics[0].readings[0]).toMatch(/^Warm: /);
  });

  it('reports as things stood on an earlier date', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(5)) });
    const warm = report.metrics[0].arms.find((a) => a.arm === 'warm')!;
    expect(warm.n).toBe(expected('warm', () => true, 1));
    expect(warm.successes).toBe(expected('warm', (p) => p.responds, 1));
    expect(report.metrics[1].arms.every((a) => a.successes === 0)).toBe(true);
    expect(report.assigned).toBe(60);
  });

  it('counts only people whose whole window has passed when a metric has a window', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(9)), windows: { responded: 3 } });
    const warm = report.metrics[0].arms.find((a) => a.arm === 'warm')!;
    expect(report.metrics[0].windowDays).toBe(3);
    expect(warm.n).toBe(expected('warm', () => true, 6));
    expect(warm.successes).toBe(expected('warm', (p) => p.responds, 6));
  });

  it("analyses a later phase's outcome by this experiment's arms", async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(70)), extraMetrics: ['engaged_8w'] });
    const engaged = report.metrics.find((m) => m.key === 'engaged_8w')!;
    for (const arm of ['standard', 'warm']) expect(engaged.arms.find((a) => a.arm === arm)!.successes).toBe(expected(arm, (p) => p.engaged));
  });

  it('builds the funnel, the CONSORT flow and the cumulative weekly series', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(30)) });
    const warmFunnel = report.funnel.arms.find((a) => a.arm === 'warm')!;
    const respondedIndex = report.funnel.stages.findIndex((s) => s.key === 'responded');
    const agreedIndex = report.funnel.stages.findIndex((s) => s.key === 'meeting_agreed');
    expect(warmFunnel.counts[respondedIndex]).toBe(expected('warm', (p) => p.responds));
    expect(warmFunnel.conversion[agreedIndex]).toBeCloseTo(expected('warm', (p) => p.agrees) / expected('warm', (p) => p.responds), 12);
    expect(report.consort.find((c) => c.arm === 'standard')).toMatchObject({ assigned: expected('standard', () => true), responded: expected('standard', (p) => p.responds) });

    // Weeks end at days 7, 14, 21, 28 and the report date (30).
    expect(report.weekly).toHaveLength(5);
    const week1 = report.weekly[0].arms.find((a) => a.arm === 'warm')!;
    expect(week1).toEqual({ arm: 'warm', n: expected('warm', () => true, 1), successes: expected('warm', (p) => p.responds, 1) });
    const week2 = report.weekly[1].arms.find((a) => a.arm === 'warm')!;
    expect(week2.successes).toBe(expected('warm', (p) => p.responds && p.assignedDay + 2 <= 14));
  });

  it('breaks the primary metric down by characteristics and by work coach', async () => {
    const report = await buildExperimentReport(db, 'tone', { asOf: new Date(day(30)) });
    const health = report.subgroups.find((s) => s.characteristic === 'healthGroup')!;
    expect(health.subgroups.map((s) => s.subgroup)).toEqual(['mental_health', 'musculoskeletal']);
    expect(report.coaches!.clusters).toBe(3);
    const coachTotal = report.coaches!.perCoach.flatMap((c) => c.arms).reduce((sum, a) => sum + a.n, 0);
    expect(coachTotal).toBe(120);
    expect(report.coaches!.comparisons[0].arm).toBe('warm');
  });

  it('takes in new records by itself a moment after they are written', async () => {
    const analyst: CurrentUser = { id: 1, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
    clock.set(day(71));
    await services.outcomes.record(analyst, { contact: 'R-0001', stage: 'complaint', idempotencyKey: 'late-complaint-1', occurredAt: day(71) });
    const checkpoint = () => scalar(db, "SELECT last_id FROM projection_checkpoints WHERE source = 'events'");
    const lastEvent = await scalar(db, 'SELECT MAX(id) AS id FROM outcome_events');
    expect(await checkpoint()).not.toBe(lastEvent);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await checkpoint()).toBe(lastEvent);
    const row = await scalar(db, 'SELECT complaint_day FROM assignment_progress WHERE contact_id = (SELECT id FROM contacts WHERE reference = ?)', ['R-0001']);
    expect(row).toBeCloseTo(70, 6);
  });

  it('rebuilds the read model from the raw records with the same results', async () => {
    const before = await buildExperimentReport(db, 'tone', { asOf: new Date(day(70)), extraMetrics: ['engaged_8w'] });
    await services.progress.rebuild();
    const after = await buildExperimentReport(db, 'tone', { asOf: new Date(day(70)), extraMetrics: ['engaged_8w'] });
    expect(after).toEqual(before);
  });
});
