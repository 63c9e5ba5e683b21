import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices, type Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { createWeeklyCountsReadModel } from '../dashboard/report/weekly-counts-read-model.ts';
import { contactFixture } from './support/test-server.ts';
import { openTestDatabase } from './support/test-database.ts';

/**
 * A trial whose records are then corrected in every way the read model must
 * follow incrementally: withdrawals that remove a person's only event of a
 * stage or uncover a later one, dates moved earlier, later, across weeks and to
 * before assignment, scores changed, a correction corrected again, a correction
 * withdrawn, and an event corrected before the read model ever took it in.
 * A model of the same records in plain code says what the report must count.
 */
const LAUNCH = '2026-09-01T09:00:00.000Z';
const day = (n: number) => new Date(Date.parse(LAUNCH) + n * 86_400_000).toISOString();
const AS_OF = day(70);

interface ModelEvent { id: number; ref: string; stage: string; at: number; value: number | null; withdrawn: boolean }
let db: Db;
let services: Services;
let clock: ReturnType<typeof fixedClock>;
let analyst: CurrentUser;
const people: { ref: string; arm: string; assignedDay: number }[] = [];
const events: ModelEvent[] = [];

async function record(ref: string, stage: string, at: number, value: number | null = null) {
  const result = await services.outcomes.record(analyst, {
    contact: ref,
    stage: stage as never,
    value: value ?? undefined,
    detail: stage === 'meeting_agreed' ? { place: 'phone' } : undefined,
    occurredAt: day(at),
    idempotencyKey: `event-${events.length}-key`,
  });
  events.push({ id: result.event.id, ref, stage, at, value, withdrawn: false });
  return events.at(-1)!;
}
async function withdraw(event: ModelEvent) {
  await services.corrections.correct(analyst, event.id, { kind: 'withdraw', reason: 'did_not_happen' });
  event.withdrawn = true;
}
async function correct(event: ModelEvent, change: { at?: number; value?: number }) {
  await services.corrections.correct(analyst, event.id, {
    kind: 'correct',
    reason: change.at === undefined ? 'wrong_detail' : 'wrong_date',
    occurredAt: change.at === undefined ? undefined : day(change.at),
    value: change.value,
  });
  if (change.at !== undefined) event.at = change.at;
  if (change.value !== undefined) event.value = change.value;
}
const report = () => buildExperimentReport(db, 'tone', { asOf: new Date(AS_OF), extraMetrics: ['engaged_8w'], windows: { meeting_agreed: 7 } });
const readModel = async () => ({
  progress: await db.all('SELECT * FROM assignment_progress ORDER BY assignment_id'),
  tallies: await db.all('SELECT * FROM progress_tallies WHERE people <> 0 OR value_sum <> 0 OR value_sum_squares <> 0 ORDER BY experiment_id, dimension, dimension_value, stage, arm_id, day'),
});

/** What the report must count for a stage, from the model: people whose first counting event is after assignment and by the report day. */
function expectedReached(stage: string, arm: string) {
  const lastDay = Math.floor((Date.parse(AS_OF) - Date.parse('1970-01-01')) / 86_400_000);
  return people.filter((p) => {
    if (p.arm !== arm) return false;
    const days = events.filter((e) => e.ref === p.ref && e.stage === stage && !e.withdrawn && e.at >= p.assignedDay).map((e) => e.at);
    return days.length > 0 && Math.floor(Date.parse(day(Math.min(...days))) / 86_400_000) <= lastDay;
  }).length;
}
function expectedFirstScore(stage: string, arm: string) {
  const scores = people
    .filter((p) => p.arm === arm)
    .map((p) => events.filter((e) => e.ref === p.ref && e.stage === stage && !e.withdrawn && e.at >= p.assignedDay).sort((a, b) => a.at - b.at)[0])
    .filter((e) => e !== undefined)
    .map((e) => e.value!);
  return { n: scores.length, sum: scores.reduce((a, b) => a + b, 0) };
}

beforeAll(async () => {
  db = await openTestDatabase();
  clock = fixedClock(day(-10));
  services = await createServices(db, clock);
  await services.staff.addSite({ code: 'JC1', name: 'Jobcentre', kind: 'jobcentre' });
  const analystRow = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'A', 'analyst', 'x', ?) RETURNING \"id\"", [day(-10)]))!;
  analyst = { id: analystRow.id, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
  for (const code of ['WC01', 'WC02', 'WC03']) await services.staff.addCoach({ code, name: code, siteCode: 'JC1' });
  await services.contacts.createMany(
    Array.from({ length: 90 }, (_, i) =>
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
      secondaryMetrics: ['meeting_agreed', 'found_useful'],
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
  for (let i = 0; i < 90; i++) {
    const assignedDay = i < 45 ? 1 : 8;
    clock.set(day(assignedDay));
    const result = await services.assignments.assign(analyst, 'tone', `R-${String(i).padStart(4, '0')}`);
    if (!result.assigned) throw new Error('not assigned');
    people.push({ ref: result.assignment.contact, arm: result.assignment.arm.key, assignedDay });
  }
  clock.set(day(69));
  const byPerson = new Map<string, Record<string, ModelEvent>>();
  for (const [i, p] of people.entries()) {
    const own: Record<string, ModelEvent> = {};
    if (i % 2 === 0) own.responded = await record(p.ref, 'responded', p.assignedDay + 2);
    if (i % 6 === 0) own.respondedAgain = await record(p.ref, 'responded', p.assignedDay + 6);
    if (i % 3 === 0) own.agreed = await record(p.ref, 'meeting_agreed', p.assignedDay + 5);
    if (i % 4 === 0) own.useful = await record(p.ref, 'found_useful', p.assignedDay + 10, (i % 5) + 1);
    if (i % 8 === 0) own.usefulAgain = await record(p.ref, 'found_useful', p.assignedDay + 12, 5);
    if (i % 5 === 0) own.engaged = await record(p.ref, 'engaged_8w', p.assignedDay + 56);
    byPerson.set(p.ref, own);
    if (i === 30) await report(); // the read model takes in the first events, as it would between writes
  }
  const before = await report();
  expect(before.metrics[0].arms.map((a) => a.successes)).toEqual(before.metrics[0].arms.map((a) => expectedReached('responded', a.arm)));

  clock.set(day(75));
  for (const [i, p] of people.entries()) {
    const own = byPerson.get(p.ref)!;
    if (i % 6 === 0) await withdraw(own.responded); // their later reply now counts
    else if (i % 10 === 0 && own.responded) await withdraw(own.responded); // no reply at all now
    if (i % 7 === 0 && own.responded && !own.responded.withdrawn) await correct(own.responded, { at: i % 2 ? p.assignedDay + 0.5 : p.assignedDay + 20 });
    if (i % 9 === 0 && own.agreed) await correct(own.agreed, { at: p.assignedDay + 9 }); // out of the 7-day window
    if (i % 12 === 3 && own.agreed) await correct(own.agreed, { at: p.assignedDay - 0.5 }); // before assignment: no longer counts
    if (own.useful && !own.usefulAgain) await correct(own.useful, { value: own.useful.value === 3 ? 2 : 3 });
    if (own.usefulAgain) {
      await correct(own.usefulAgain, { at: p.assignedDay + 8 }); // now their first score
      await correct(own.usefulAgain, { value: 1 }); // corrected again: the latest correction counts
    }
    if (i % 15 === 0 && own.engaged) {
      await correct(own.engaged, { at: p.assignedDay + 50 });
      await withdraw(own.engaged); // a corrected event withdrawn after all
    }
    if (i === 40) await report();
  }
  // Recorded and corrected before the read model takes either in.
  const late = await record(people[1].ref, 'meeting_agreed', people[1].assignedDay + 3);
  await correct(late, { at: people[1].assignedDay + 4 });
  const lateWithdrawn = await record(people[3].ref, 'responded', people[3].assignedDay + 1);
  await withdraw(lateWithdrawn);
});
afterAll(() => db?.close());

describe('the read model with corrections', () => {
  it('counts events as corrected, incrementally', async () => {
    const incremental = await report();
    for (const metric of ['responded', 'engaged_8w']) {
      const found = incremental.metrics.find((m) => m.key === metric)!;
      expect(found.arms.map((a) => a.successes), metric).toEqual(found.arms.map((a) => expectedReached(metric, a.arm)));
    }
    const useful = incremental.metrics.find((m) => m.key === 'found_useful')!;
    for (const arm of useful.arms) {
      const expected = expectedFirstScore('found_useful', arm.arm);
      expect(arm.n).toBe(expected.n);
      expect(arm.estimate).toBeCloseTo(expected.sum / expected.n, 12);
    }
    // Some of every kind of correction happened, so the counts did move.
    expect(await db.all("SELECT kind, COUNT(*) AS n FROM outcome_corrections GROUP BY kind ORDER BY kind")).toEqual([
      { kind: 'correct', n: expect.any(Number) },
      { kind: 'withdraw', n: expect.any(Number) },
    ]);
  });

  it('gives the identical report and read model after a rebuild from the raw records', async () => {
    const incremental = await report();
    const incrementalTables = await readModel();
    await services.progress.rebuild();
    expect(await report()).toEqual(incremental);
    expect(await readModel()).toEqual(incrementalTables);
  });

  it('leaves withdrawn records out of the unit totals for the weekly report', async () => {
    const totals = await createWeeklyCountsReadModel(db).unitTotals(new Date(day(90)));
    const engaged = new Set(events.filter((e) => e.stage === 'engaged_8w' && !e.withdrawn).map((e) => e.ref));
    expect(totals.engaged8w).toBe(engaged.size);
    expect(engaged.size).toBeLessThan(events.filter((e) => e.stage === 'engaged_8w').length);
  });
});
