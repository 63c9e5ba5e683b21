import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrowthBook } from '@growthbook/growthbook';
import { hashAssignment } from '../experiments/assignment/hash-assignment.ts';
import { integerRatio, permutedBlock } from '../experiments/assignment/permuted-blocks.ts';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, type TestServer } from './support/test-server.ts';
import { scalar } from './support/sql.ts';

/**
 * GrowthBook's hash version 2, written out independently of the SDK from its
 * documentation: FNV-1a 32-bit of FNV-1a 32-bit of seed + id, modulo 10,000.
 */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
const growthBookV2 = (seed: string, id: string) => (fnv1a32(String(fnv1a32(seed + id))) % 10000) / 10000;

describe('hash assignment', () => {
  const references = Array.from({ length: 200 }, (_, i) => `EIU-${(i * 7919).toString(36).toUpperCase().padStart(6, '0')}`);

  it('matches the GrowthBook SDK for the same seed, weights and id', () => {
    for (const reference of references) {
      const sdk = new GrowthBook({ attributes: { id: reference } }).run({
        key: 'channel-tone',
        variations: [0, 1, 2],
        weights: [0.5, 0.25, 0.25],
        seed: 'channel-tone-1',
        hashVersion: 2,
      });
      const ours = hashAssignment({ experimentKey: 'channel-tone', seed: 'channel-tone-1', weights: [0.5, 0.25, 0.25], coverage: 1, reference });
      expect(ours.armIndex).toBe(sdk.variationId);
      expect(ours.bucket).toBe(sdk.bucket);
    }
  });

  it('gives the bucket of the documented hash version 2, so an auditor can recompute it', () => {
    for (const reference of references) {
      const bucket = growthBookV2('channel-tone-1', reference);
      const ours = hashAssignment({ experimentKey: 'x', seed: 'channel-tone-1', weights: [0.5, 0.5], coverage: 1, reference });
      expect(ours.bucket).toBe(bucket);
      expect(ours.armIndex).toBe(bucket < 0.5 ? 0 : 1);
    }
  });

  it('leaves people outside the coverage out of the experiment', () => {
    // GrowthBook shrinks each arm's range from its start: 40% coverage of 50/50 is [0, 0.2) and [0.5, 0.7).
    const results = references.map((reference) => hashAssignment({ experimentKey: 'x', seed: 's', weights: [0.5, 0.5], coverage: 0.4, reference }));
    for (const r of results) expect(r.inExperiment).toBe(r.bucket < 0.2 || (r.bucket >= 0.5 && r.bucket < 0.7));
    expect(results.some((r) => !r.inExperiment)).toBe(true);
  });
});

describe('permuted blocks', () => {
  it('finds the smallest whole-number ratio of the weights', () => {
    expect(integerRatio([0.5, 0.25, 0.25])).toEqual([2, 1, 1]);
    expect(integerRatio([1 / 3, 1 / 3, 1 / 3])).toEqual([1, 1, 1]);
    expect(integerRatio([0.333, 0.667])).toBeNull();
  });

  it('fills each block with exactly the ratio of arms, in an order fixed by the seed', () => {
    for (let blockIndex = 0; blockIndex < 50; blockIndex++) {
      const block = permutedBlock('seed-1', 'mental_health', blockIndex, [2, 1, 1]);
      const counts = [0, 1, 2].map((arm) => block.filter((b) => b === arm).length);
      const multiplier = block.length / 4;
      expect([1, 2, 3]).toContain(multiplier);
      expect(counts).toEqual([2 * multiplier, multiplier, multiplier]);
      expect(permutedBlock('seed-1', 'mental_health', blockIndex, [2, 1, 1])).toEqual(block);
    }
    const sizes = new Set(Array.from({ length: 50 }, (_, k) => permutedBlock('seed-1', 'x', k, [1, 1]).length));
    expect(sizes.size).toBeGreaterThan(1);
  });
});

describe('assigning people through the API', () => {
  let server: TestServer;
  let analyst: ReturnType<typeof apiClient>;
  let tokens: Awaited<ReturnType<typeof createPeople>>;

  beforeEach(async () => {
    server = await startTestServer();
    tokens = await createPeople(server.services);
    analyst = apiClient(server.baseUrl, tokens.analyst);
  });
  afterEach(() => server.close());

  const addContacts = (n: number, prefix: string, make: (i: number) => Record<string, unknown> = () => ({})) =>
    analyst.post('/api/contacts', { contacts: Array.from({ length: n }, (_, i) => contactFixture(`${prefix}-${String(i).padStart(4, '0')}`, make(i))) });

  it('keeps every stratum within one block of its target with stratified permuted blocks', async () => {
    const groups = ['mental_health', 'musculoskeletal', 'neurological'];
    const bands = ['25-34', '50-64'];
    await addContacts(240, 'BL', (i) => ({ healthGroup: groups[i % 3], ageBand: bands[Math.floor(i / 3) % 2] }));
    await analyst.post(
      '/api/experiments',
      channelToneDesign({
        key: 'place',
        factors: [{ key: 'place', levels: ['jobcentre', 'community_venue', 'phone'] }],
        randomisation: 'blocks',
        strata: ['healthGroup', 'ageBand'],
      }),
    );
    await analyst.post('/api/experiments/place/launch');
    const results = [];
    for (let i = 0; i < 240; i++) results.push((await analyst.post('/api/experiments/place/assignments', { contact: `BL-${String(i).padStart(4, '0')}` })).body.assignment);

    const byStratum = new Map<string, Record<string, number>>();
    for (const a of results) {
      const counts = byStratum.get(a.stratum) ?? {};
      counts[a.arm.key] = (counts[a.arm.key] ?? 0) + 1;
      byStratum.set(a.stratum, counts);
    }
    expect(byStratum.size).toBe(6);
    for (const [, counts] of byStratum) {
      const values = ['jobcentre', 'community_venue', 'phone'].map((arm) => counts[arm] ?? 0);
      // 40 people per stratum, target 40/3 each; the largest block holds 3 of each arm.
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(3);
    }
    // Auditable: the stored block position reproduces the arm from the seed.
    for (const a of results.slice(0, 30)) {
      const block = permutedBlock(a.seed, a.stratum, a.blockIndex, [1, 1, 1]);
      expect(['jobcentre', 'community_venue', 'phone'][block[a.blockPosition]]).toBe(a.arm.key);
    }
  });

  it('gives opted-out and ineligible people a reason and no assignment', async () => {
    await addContacts(2, 'EL', (i) => ({ healthGroup: i === 0 ? 'mental_health' : 'musculoskeletal' }));
    await analyst.post('/api/experiments', channelToneDesign({ eligibility: { healthGroup: 'mental_health' } }));
    await analyst.post('/api/experiments/channel-tone/launch');

    const ineligible = await analyst.post('/api/experiments/channel-tone/assignments', { contact: 'EL-0001' });
    expect(ineligible.status).toBe(200);
    expect(ineligible.body).toMatchObject({ assigned: false, reason: 'not_eligible' });

    await analyst.post('/api/contacts/EL-0000/opt-out', { idempotencyKey: 'optout-el-0000' });
    const optedOut = await analyst.post('/api/experiments/channel-tone/assignments', { contact: 'EL-0000' });
    expect(optedOut.body).toMatchObject({ assigned: false, reason: 'opted_out' });
    expect(optedOut.body.message).toMatch(/not to be contacted/);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM assignments')).toBe(0);

    // Both count at the top of the CONSORT flow.
    const report = await analyst.get('/api/experiments/channel-tone/report');
    expect(report.body.screening).toEqual({ screened: 2, notEligible: 1, optedOut: 1, outsideCoverage: 0, eligible: 0, assigned: 0 });
  });

  it('ends concurrent requests for the same person with exactly one assignment', async () => {
    await addContacts(1, 'CC');
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/experiments/channel-tone/launch');
    const coach = apiClient(server.baseUrl, tokens.coach);
    const responses = await Promise.all(Array.from({ length: 25 }, () => coach.post('/api/experiments/channel-tone/assignments', { contact: 'CC-0000' })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(24);
    expect(new Set(responses.map((r) => r.body.assignment.arm.key)).size).toBe(1);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM assignments')).toBe(1);
  });

  it('lets a coach assign only people on their own caseload', async () => {
    await addContacts(1, 'MY');
    await analyst.post('/api/contacts', { contacts: [contactFixture('THEIRS-1', { coach: 'WC02' })] });
    await analyst.post('/api/experiments', channelToneDesign());
    await analyst.post('/api/experiments/channel-tone/launch');
    const coach = apiClient(server.baseUrl, tokens.coach);
    expect((await coach.post('/api/experiments/channel-tone/assignments', { contact: 'MY-0000' })).status).toBe(201);
    expect((await coach.post('/api/experiments/channel-tone/assignments', { contact: 'THEIRS-1' })).status).toBe(404);
    expect((await apiClient(server.baseUrl, tokens.minister).post('/api/experiments/channel-tone/assignments', { contact: 'MY-0000' })).status).toBe(403);
    const stored = await server.db.all('SELECT id FROM assignments WHERE experiment_id = ?', [1]);
    expect(stored).toHaveLength(1);
  });
});
