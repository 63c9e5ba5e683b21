import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, TEST_NOW, TEST_PASSWORD, type TestServer } from '../support/test-server.ts';
import { pageClient } from '../browser/support/page-client.ts';
import { openTestDatabase } from '../support/test-database.ts';
import { column } from '../support/sql.ts';
import { fixedClock } from '../../server/clock.ts';
import { createServices } from '../../server/services.ts';
import { hashAssignment } from '../../experiments/assignment/hash-assignment.ts';
import { integerRatio, permutedBlock } from '../../experiments/assignment/permuted-blocks.ts';

/**
 * Allocation concealment (docs/decisions/0031): whoever decides whether to
 * enrol someone must not be able to tell which arm they would get. Coaches and
 * ministers see no seed, weight, coverage, hash bucket or block position,
 * through the API or the pages; analysts see them all and can recompute every
 * assignment.
 */

let server: TestServer;
let tokens: Awaited<ReturnType<typeof createPeople>>;
const client = (role: keyof typeof tokens) => apiClient(server.baseUrl, tokens[role]);

/** Field names that would give allocation away. */
const ALLOCATION_FIELD = /seed|weight|hash|block|coverage|strat|randomis/i;

/** Every object key anywhere in a JSON value. */
function keysIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => keysIn(item, found));
  else if (value && typeof value === 'object')
    for (const [key, child] of Object.entries(value)) {
      found.push(key);
      keysIn(child, found);
    }
  return found;
}

const storedSeeds = () => column<string>(server.db, 'SELECT seed FROM experiment_phases');
const storedBuckets = () => column<number | null>(server.db, 'SELECT hash_value FROM assignments');

beforeAll(async () => {
  server = await startTestServer();
  tokens = await createPeople(server.services);
  const analyst = client('analyst');
  await analyst.post('/api/contacts', { contacts: Array.from({ length: 12 }, (_, i) => contactFixture(`CN-${String(i).padStart(4, '0')}`)) });
  await analyst.post('/api/experiments', channelToneDesign());
  await analyst.post('/api/experiments', channelToneDesign({ key: 'place', journeyPhase: 2, factors: [{ key: 'place', levels: ['jobcentre', 'phone'] }], randomisation: 'blocks', strata: ['healthGroup'] }));
  await analyst.post('/api/experiments/channel-tone/launch');
  await analyst.post('/api/experiments/place/launch');
  const coach = client('coach');
  const assignBoth = async (i: number) => {
    await coach.post('/api/experiments/channel-tone/assignments', { contact: `CN-${String(i).padStart(4, '0')}` });
    await coach.post('/api/experiments/place/assignments', { contact: `CN-${String(i).padStart(4, '0')}` });
  };
  // Four people in the first phase, four in the second.
  for (let i = 0; i < 4; i++) await assignBoth(i);
  await analyst.post('/api/experiments/channel-tone/allocation', { weights: { 'letter-standard': 2, 'letter-warm': 1, 'text-standard': 1, 'text-warm': 1 }, reason: 'More letters' });
  for (let i = 4; i < 8; i++) await assignBoth(i);
});
afterAll(() => server.close());

describe('what coaches and ministers see of allocation', () => {
  for (const role of ['coach', 'minister'] as const)
    it(`shows a ${role} no seed, weight, coverage, hash or block field anywhere in the experiments`, async () => {
      const responses = [await client(role).get('/api/experiments'), await client(role).get('/api/experiments/channel-tone'), await client(role).get('/api/experiments/place')];
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(keysIn(response.body).filter((key) => ALLOCATION_FIELD.test(key))).toEqual([]);
        for (const seed of await storedSeeds()) expect(JSON.stringify(response.body)).not.toContain(seed);
      }
      // What they do see: the arms, by name, so coaches know what each arm asks of them.
      expect(responses[1].body.arms.map((a: { key: string }) => a.key)).toEqual(['letter-standard', 'letter-warm', 'text-standard', 'text-warm']);
    });

  it('shows a coach the arm of each person they assign, and nothing of how it was chosen', async () => {
    const coach = client('coach');
    const responses = [
      await coach.post('/api/experiments/channel-tone/assignments', { contact: 'CN-0010' }),
      await coach.post('/api/experiments/channel-tone/assignments', { contact: 'CN-0010' }),
      await coach.post('/api/experiments/place/assignments', { contact: 'CN-0010' }),
      await coach.get('/api/contacts/CN-0010/assignments'),
      await coach.get('/api/contacts/CN-0001/assignments'),
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 200, 201, 200, 200]);
    for (const response of responses) {
      expect(keysIn(response.body).filter((key) => ALLOCATION_FIELD.test(key))).toEqual([]);
      const text = JSON.stringify(response.body);
      for (const seed of await storedSeeds()) expect(text).not.toContain(seed);
      for (const bucket of await storedBuckets()) if (bucket !== null) expect(text).not.toContain(String(bucket));
    }
    expect(responses[3].body.assignments.map((a: { experiment: string }) => a.experiment).sort()).toEqual(['channel-tone', 'place']);
  });

  it('keeps seeds and hash values off the coach’s caseload and contact pages, and shows an arm only once the person has one', async () => {
    const pages = pageClient(server.baseUrl);
    await pages.signIn('coach', TEST_PASSWORD);
    const armNames = ['Letter, standard', 'Letter, warm', 'Text, standard', 'Text, warm'];
    const before = await pages.get('/contacts/CN-0011');
    expect(before.status).toBe(200);
    expect(armNames.filter((name) => before.html.includes(name))).toEqual([]);

    const assigned = (await client('coach').post('/api/experiments/channel-tone/assignments', { contact: 'CN-0011' })).body;
    const after = await pages.get('/contacts/CN-0011');
    expect(armNames.filter((name) => after.html.includes(name))).toEqual([assigned.assignment.arm.name]);
    for (const page of [before, after, await pages.get('/caseload'), await pages.get('/contacts/CN-0001')]) {
      for (const seed of await storedSeeds()) expect(page.html).not.toContain(seed);
      for (const bucket of await storedBuckets()) if (bucket !== null) expect(page.html).not.toContain(String(bucket));
    }
  });
});

describe('what analysts see of allocation', () => {
  it('gives analysts the seeds, weights and coverage of every phase', async () => {
    const experiment = (await client('analyst').get('/api/experiments/channel-tone')).body;
    expect(experiment.phases.map((p: { seed: string }) => p.seed)).toEqual(
      await column(server.db, "SELECT seed FROM experiment_phases WHERE experiment_id = (SELECT id FROM experiments WHERE key = 'channel-tone') ORDER BY number"),
    );
    expect(experiment.phases).toHaveLength(2);
    expect(experiment.phase).toMatchObject({ number: 2, coverage: 1, weights: [0.4, 0.2, 0.2, 0.2] });
    expect(experiment.arms.map((a: { weight: number }) => a.weight)).toEqual([0.4, 0.2, 0.2, 0.2]);
    const assignment = (await client('analyst').post('/api/experiments/channel-tone/assignments', { contact: 'CN-0001' })).body.assignment;
    expect(assignment).toMatchObject({ seed: expect.any(String), hashValue: expect.any(Number) });
  });

  it('lets an analyst recompute every assignment from the export: hash buckets and block positions', async () => {
    const analyst = client('analyst');
    const phases = new Map<string, { weights: number[]; coverage: number; armKeys: string[] }>();
    for (const key of ['channel-tone', 'place']) {
      const experiment = (await analyst.get(`/api/experiments/${key}`)).body;
      for (const phase of experiment.phases) phases.set(`${key}|${phase.number}`, phase);
    }
    let checked = 0;
    for (const key of ['channel-tone', 'place']) {
      const rows = parse((await analyst.get(`/api/experiments/${key}/export/assignments.csv`)).body as string, { columns: true }) as Record<string, string>[];
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const phase = phases.get(`${key}|${row.phase}`)!;
        const hashed = hashAssignment({ experimentKey: key, seed: row.seed, weights: phase.weights, coverage: phase.coverage, reference: row.contact });
        expect(hashed.bucket).toBeCloseTo(Number(row.hash_value), 12);
        const armIndex =
          row.method === 'blocks' ? permutedBlock(row.seed, row.stratum, Number(row.block_index), integerRatio(phase.weights)!)[Number(row.block_position)] : hashed.armIndex;
        expect(phase.armKeys[armIndex]).toBe(row.arm);
        checked++;
      }
    }
    // Eight people in each experiment, and by now three more in channel-tone.
    expect(checked).toBeGreaterThanOrEqual(16);
  });
});

describe('new seeds', () => {
  it('are 128 random bits, never derived from the key, for the first phase and every later one', async () => {
    const seeds: string[] = [];
    for (let run = 0; run < 2; run++) {
      const db = await openTestDatabase();
      try {
        const services = await createServices(db, fixedClock(TEST_NOW));
        await services.staff.addSite({ code: 'JC1', name: 'Test Jobcentre', kind: 'jobcentre' });
        const design = channelToneDesign();
        const created = await services.experiments.create({ ...design, coverage: 1, eligibility: {}, secondaryMetrics: [], guardrailMetrics: [], randomisation: 'hash', strata: [] } as never, null);
        await services.experiments.transition(created.key, 'launch');
        const changed = await services.experiments.changeAllocation(created.key, { weights: { 'letter-standard': 1, 'letter-warm': 0, 'text-standard': 1, 'text-warm': 1 }, addArms: [], reason: 'test' });
        seeds.push(...changed.phases.map((p) => p.seed));
      } finally {
        await db.close();
      }
    }
    expect(seeds).toHaveLength(4);
    for (const seed of seeds) {
      expect(seed).toMatch(/^[0-9a-f]{32}$/);
      expect(seed).not.toContain('channel-tone');
    }
    // The same key in two databases, and the next phase of one experiment, all get different seeds.
    expect(new Set(seeds).size).toBe(4);
  });
});
