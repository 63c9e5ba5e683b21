import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices, type Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import type { ExperimentInput } from '../experiments/experiment/experiment-schema.ts';
import { hashAssignment } from '../experiments/assignment/hash-assignment.ts';
import { ConflictError, ValidationError } from '../server/errors.ts';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer } from './support/test-server.ts';
import { openTestDatabase } from './support/test-database.ts';
import { scalar } from './support/sql.ts';

const NOW = '2026-10-05T09:00:00.000Z';
const coachCodes = Array.from({ length: 12 }, (_, i) => `WC${String(i + 1).padStart(2, '0')}`);

let db: Db;
let services: Services;
let analyst: CurrentUser;

function design(overrides: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    key: 'coach-tone',
    name: 'Warm first letters, by coach',
    hypothesis: 'Coaches who send warm letters get more replies',
    journeyPhase: 1,
    factors: [{ key: 'tone', levels: ['standard', 'warm'] }],
    primaryMetric: 'responded',
    secondaryMetrics: [],
    guardrailMetrics: [],
    coverage: 1,
    eligibility: {},
    randomisation: 'hash',
    randomisationUnit: 'coach',
    strata: [],
    plannedSampleSize: 240,
    ...overrides,
  };
}

const reference = (coach: number, person: number) => `C${String(coach).padStart(2, '0')}-P${String(person).padStart(3, '0')}`;

beforeEach(async () => {
  db = await openTestDatabase();
  services = await createServices(db, fixedClock(NOW));
  await services.staff.addSite({ code: 'JC1', name: 'North Jobcentre', kind: 'jobcentre' });
  await services.staff.addSite({ code: 'JC2', name: 'South Jobcentre', kind: 'jobcentre' });
  for (const [i, code] of coachCodes.entries()) await services.staff.addCoach({ code, name: code, siteCode: i < 6 ? 'JC1' : 'JC2' });
  const row = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'A', 'analyst', 'x', ?) RETURNING \"id\"", [NOW]))!;
  analyst = { id: row.id, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
  await services.contacts.createMany(
    coachCodes.flatMap((coach, c) =>
      Array.from({ length: 10 }, (_, p) =>
        contactFixture(reference(c, p), { coach, site: c < 6 ? 'JC1' : 'JC2', ageBand: p === 9 ? '16-24' : '35-49', adjustments: [], preferredChannel: null }),
      ),
    ) as never,
  );
});
afterEach(() => db.close());

async function launch(input: ExperimentInput) {
  await services.experiments.create(input, analyst.id);
  await services.experiments.transition(input.key, 'launch');
}

const assign = async (key: string, ref: string) => services.assignments.assign(analyst, key, ref);

describe('randomising whole work coaches', () => {
  it('gives every person of one coach the same arm, stored for each person with the coach that was hashed', async () => {
    await launch(design());
    const armOfCoach = new Map<string, string>();
    for (const [c, coach] of coachCodes.entries()) {
      for (let p = 0; p < 10; p++) {
        const result = await assign('coach-tone', reference(c, p));
        if (!result.assigned) throw new Error('not assigned');
        expect(result.assignment.cluster).toBe(coach);
        expect(result.assignment.method).toBe('hash');
        if (!armOfCoach.has(coach)) armOfCoach.set(coach, result.assignment.arm.key);
        expect(result.assignment.arm.key).toBe(armOfCoach.get(coach));
      }
    }
    // Both arms are used: the coaches, not the people, were shared out.
    expect(new Set(armOfCoach.values()).size).toBe(2);
    const stored = await db.get<{ n: number; clusters: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT cluster) AS clusters FROM assignments WHERE cluster IS NOT NULL');
    expect(stored).toEqual({ n: 120, clusters: 12 });
  });

  it("is reproducible from the seed: the arm is GrowthBook's hash version 2 of the coach code", async () => {
    await launch(design({ seed: 'coach-tone-audit-seed' }));
    const experiment = await services.experiments.get('coach-tone');
    for (const [c, coach] of coachCodes.entries()) {
      const result = await assign('coach-tone', reference(c, 0));
      if (!result.assigned) throw new Error('not assigned');
      const recomputed = hashAssignment({ experimentKey: 'coach-tone', seed: 'coach-tone-audit-seed', weights: experiment.phase.weights, coverage: 1, reference: coach });
      expect(result.assignment.seed).toBe('coach-tone-audit-seed');
      expect(result.assignment.hashValue).toBe(recomputed.bucket);
      expect(result.assignment.arm.key).toBe(experiment.phase.armKeys[recomputed.armIndex]);
    }
  });

  it('shares the arms out evenly across many coaches', () => {
    // 2,000 coach codes hashed 1:1 and 2:1:1: each arm's share is within 3 binomial SDs of its weight.
    const codes = Array.from({ length: 2000 }, (_, i) => `WC${String(i).padStart(4, '0')}`);
    for (const weights of [[0.5, 0.5], [0.5, 0.25, 0.25]]) {
      const counts = weights.map(() => 0);
      for (const code of codes) counts[hashAssignment({ experimentKey: 'x', seed: 'balance-seed', weights, coverage: 1, reference: code }).armIndex]++;
      counts.forEach((count, arm) => expect(Math.abs(count - 2000 * weights[arm])).toBeLessThan(3 * Math.sqrt(2000 * weights[arm] * (1 - weights[arm]))));
    }
  });

  it('keeps the stored arm and coach when a person later moves to another caseload (intention to treat)', async () => {
    await launch(design());
    const first = await assign('coach-tone', reference(0, 0));
    if (!first.assigned) throw new Error('not assigned');
    // Move them to a coach whose people got the other arm.
    const everyCoach = [];
    for (const [c, coach] of coachCodes.entries()) everyCoach.push({ coach, c, result: await assign('coach-tone', reference(c, 1)) });
    const other = everyCoach.find((x) => x.result.assigned && x.result.assignment.arm.key !== first.assignment.arm.key)!;
    const coachId = (await scalar<number>(db, 'SELECT id FROM work_coaches WHERE code = ?', [other.coach]))!;
    await db.run('UPDATE contacts SET coach_id = ? WHERE reference = ?', [coachId, reference(0, 0)]);
    const again = await assign('coach-tone', reference(0, 0));
    if (!again.assigned) throw new Error('not assigned');
    expect(again.created).toBe(false);
    expect(again.assignment.arm.key).toBe(first.assignment.arm.key);
    expect(again.assignment.cluster).toBe(coachCodes[0]);
    // Someone not yet assigned who moves takes the arm of the coach they are with when assigned.
    await db.run('UPDATE contacts SET coach_id = ? WHERE reference = ?', [coachId, reference(0, 2)]);
    const moved = await assign('coach-tone', reference(0, 2));
    if (!moved.assigned) throw new Error('not assigned');
    expect(moved.assignment.cluster).toBe(other.coach);
    expect(moved.assignment.arm.key).toBe(other.result.assigned ? other.result.assignment.arm.key : '');
  });

  it('still leaves out people who opted out or are not eligible', async () => {
    await launch(design({ eligibility: { ageBand: { $in: ['35-49'] } } }));
    await services.outcomes.record(analyst, { contact: reference(3, 0), stage: 'opted_out', idempotencyKey: 'opt-out-c3-p0', occurredAt: NOW });
    expect(await assign('coach-tone', reference(3, 0))).toMatchObject({ assigned: false, reason: 'opted_out' });
    expect(await assign('coach-tone', reference(3, 9))).toMatchObject({ assigned: false, reason: 'not_eligible' });
    expect(await assign('coach-tone', reference(3, 1))).toMatchObject({ assigned: true });
  });

  it('gives everyone at one site the same arm when sites are randomised, across their coaches', async () => {
    await launch(design({ key: 'site-tone', randomisationUnit: 'site' }));
    const bySite = new Map<string, Set<string>>();
    for (let c = 0; c < coachCodes.length; c++) {
      for (const p of [0, 5]) {
        const result = await assign('site-tone', reference(c, p));
        if (!result.assigned) throw new Error('not assigned');
        const site = result.assignment.cluster!;
        bySite.set(site, (bySite.get(site) ?? new Set()).add(result.assignment.arm.key));
      }
    }
    expect([...bySite.keys()].sort()).toEqual(['JC1', 'JC2']);
    for (const arms of bySite.values()) expect(arms.size).toBe(1);
  });
});

describe('checking a cluster-randomised design', () => {
  it('refuses permuted blocks and open-ended monitoring for whole coaches or sites', async () => {
    const fields = async (input: ExperimentInput) => {
      try {
        await services.experiments.create(input, analyst.id);
      } catch (error) {
        if (error instanceof ValidationError) return error.errors.map((e) => e.field);
        throw error;
      }
      return [];
    };
    expect(await fields(design({ key: 'blocks', randomisation: 'blocks' }))).toContain('randomisationUnit');
    expect(await fields(design({ key: 'open', plannedSampleSize: undefined }))).toContain('decisionRule');
    expect(await fields(design({ key: 'open-planned', decisionRule: 'confidence_sequence' }))).toContain('decisionRule');
    expect(await fields(design({ key: 'fine' }))).toEqual([]);
    expect((await services.experiments.get('fine')).randomisationUnit).toBe('coach');
  });

  it('defaults to randomising people one by one', async () => {
    const { randomisationUnit: _, ...withoutUnit } = design({ key: 'people' });
    expect((await services.experiments.create(withoutUnit, analyst.id)).randomisationUnit).toBe('person');
  });

  it('refuses a new allocation phase after launch, which would put one coach in two arms', async () => {
    await launch(design());
    await expect(async () => services.experiments.changeAllocation('coach-tone', { weights: { standard: 2, warm: 1 }, addArms: [], reason: 'more controls' })).rejects.toThrow(ConflictError);
  });
});

describe('the randomisation unit through the API', () => {
  it('is saved, returned, and checked like the rest of the plan', async () => {
    const server = await startTestServer();
    try {
      const tokens = await createPeople(server.services);
      const api = apiClient(server.baseUrl, tokens.analyst);
      const created = await api.post('/api/experiments', channelToneDesign({ key: 'api-coach', randomisationUnit: 'site' }));
      expect(created.status).toBe(201);
      expect(created.body.randomisationUnit).toBe('site');
      expect((await api.get('/api/experiments/api-coach')).body.randomisationUnit).toBe('site');
      const wrong = await api.post('/api/experiments', channelToneDesign({ key: 'api-wrong', randomisationUnit: 'household' }));
      expect(wrong.status).toBe(400);
      expect(JSON.stringify(wrong.body)).toContain('Randomisation unit must be person, coach or site');
      expect((await api.post('/api/experiments', channelToneDesign({ key: 'api-person' }))).body.randomisationUnit).toBe('person');
    } finally {
      await server.close();
    }
  });
});
