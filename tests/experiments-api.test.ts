import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, channelToneDesign, contactFixture, createPeople, startTestServer, type TestServer } from './support/test-server.ts';
import { scalar } from './support/sql.ts';

let server: TestServer;
let tokens: Awaited<ReturnType<typeof createPeople>>;
let analyst: ReturnType<typeof apiClient>;

beforeEach(async () => {
  server = await startTestServer();
  tokens = await createPeople(server.services);
  analyst = apiClient(server.baseUrl, tokens.analyst);
});
afterEach(() => server.close());

const tableCounts = async () => ({
  experiments: await scalar(server.db, 'SELECT COUNT(*) AS n FROM experiments'),
  arms: await scalar(server.db, 'SELECT COUNT(*) AS n FROM experiment_arms'),
  phases: await scalar(server.db, 'SELECT COUNT(*) AS n FROM experiment_phases'),
});
const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe('defining an experiment', () => {
  it('builds the full factorial when no arms are given, with the first as control', async () => {
    const response = await analyst.post('/api/experiments', channelToneDesign({ controlArm: 'letter-standard' }));
    expect(response.status).toBe(201);
    expect(response.body.arms).toHaveLength(4);
    expect(response.body.phase).toMatchObject({ number: 1, coverage: 1, weights: [0.25, 0.25, 0.25, 0.25] });
    // The seed is random, never derived from the key (docs/decisions/0031); the stored one is what is shown.
    const stored = (await server.db.get<{ seed: string }>('SELECT seed FROM experiment_phases ORDER BY id LIMIT 1'))!.seed;
    expect(response.body.phase.seed).toBe(stored);
    expect(stored).toMatch(/^[0-9a-f]{32}$/);
  });

  it('accepts chosen combinations with their own weights and control', async () => {
    const response = await analyst.post(
      '/api/experiments',
      channelToneDesign({
        arms: [
          { levels: { channel: 'letter', tone: 'standard' }, weight: 2 },
          { levels: { channel: 'text', tone: 'warm' }, control: false, weight: 1 },
          { key: 'warm-letter', levels: { channel: 'letter', tone: 'warm' }, control: true, weight: 1 },
        ],
      }),
    );
    expect(response.status).toBe(201);
    expect(response.body.arms.map((a: { key: string; isControl: boolean; weight: number }) => [a.key, a.isControl, a.weight])).toEqual([
      ['letter-standard', false, 0.5],
      ['text-warm', false, 0.25],
      ['warm-letter', true, 0.25],
    ]);
  });

  const badDesigns: [string, Record<string, unknown>, string][] = [
    ['a missing name', { name: '' }, 'name'],
    ['a key with spaces', { key: 'Channel tone' }, 'key'],
    ['an unknown journey phase', { journeyPhase: 4 }, 'journeyPhase'],
    ['a factor with one level', { factors: [{ key: 'channel', levels: ['letter'] }] }, 'factors.0.levels'],
    ['an unknown primary metric', { primaryMetric: 'clicks' }, 'primaryMetric'],
    ['an arm with a level its factor lacks', { arms: [{ levels: { channel: 'pigeon', tone: 'warm' } }, { levels: { channel: 'letter', tone: 'warm' } }] }, 'arms.0.levels'],
    ['two control arms', { arms: [{ levels: { channel: 'text', tone: 'warm' }, control: true }, { levels: { channel: 'letter', tone: 'warm' }, control: true }] }, 'arms'],
    ['a control arm that does not exist', { controlArm: 'email-warm' }, 'controlArm'],
    ['strata without permuted blocks', { strata: ['healthGroup'] }, 'strata'],
    ['eligibility on an unknown attribute', { eligibility: { name: 'x' } }, 'eligibility'],
    ['coverage above 1', { coverage: 1.5 }, 'coverage'],
    ['an unknown field', { colour: 'blue' }, '(body)'],
    ['weights permuted blocks cannot use', { randomisation: 'blocks', arms: [{ levels: { channel: 'text', tone: 'warm' }, weight: 0.333 }, { levels: { channel: 'letter', tone: 'warm' }, weight: 0.667 }] }, 'arms'],
  ];
  for (const [what, change, field] of badDesigns) {
    it(`rejects ${what} with a message on the field, and stores nothing`, async () => {
      const response = await analyst.post('/api/experiments', channelToneDesign(change));
      expect(response.status).toBe(400);
      expect(fields(response.body)).toContain(field);
      expect(response.body.errors.every((e: { message: string }) => e.message.length > 5)).toBe(true);
      expect(await tableCounts()).toEqual({ experiments: 0, arms: 0, phases: 0 });
    });
  }

  it('rejects a body that is not JSON with a clear 400', async () => {
    const response = await analyst.post('/api/experiments', '{"key": ', { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('The request body is not valid JSON');
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts/);
  });

  it('refuses a second experiment with the same key', async () => {
    await analyst.post('/api/experiments', channelToneDesign());
    const again = await analyst.post('/api/experiments', channelToneDesign());
    expect(again.status).toBe(409);
    expect((await tableCounts()).experiments).toBe(1);
  });

  it('lets only analysts define experiments, and only signed-in users read them', async () => {
    for (const role of ['coach', 'minister', 'admin'] as const) {
      expect((await apiClient(server.baseUrl, tokens[role]).post('/api/experiments', channelToneDesign())).status).toBe(403);
    }
    expect((await apiClient(server.baseUrl).get('/api/experiments')).status).toBe(401);
    expect((await apiClient(server.baseUrl, 'eiu_not-a-real-token').get('/api/experiments')).status).toBe(401);
    expect((await tableCounts()).experiments).toBe(0);
  });
});

describe('the experiment lifecycle', () => {
  beforeEach(async () => {
    await analyst.post('/api/experiments', channelToneDesign());
  });

  it('moves draft → running → paused → running → concluded', async () => {
    for (const [action, status] of [['launch', 'running'], ['pause', 'paused'], ['resume', 'running'], ['conclude', 'concluded']]) {
      const response = await analyst.post(`/api/experiments/channel-tone/${action}`);
      expect(response.status).toBe(200);
      expect(response.body.status).toBe(status);
    }
  });

  it('rejects transitions the lifecycle does not allow', async () => {
    expect((await analyst.post('/api/experiments/channel-tone/pause')).status).toBe(409);
    expect((await analyst.post('/api/experiments/channel-tone/resume')).status).toBe(409);
    await analyst.post('/api/experiments/channel-tone/launch');
    expect((await analyst.post('/api/experiments/channel-tone/launch')).status).toBe(409);
    await analyst.post('/api/experiments/channel-tone/conclude');
    const reopened = await analyst.post('/api/experiments/channel-tone/resume');
    expect(reopened.status).toBe(409);
    expect(reopened.body.error).toMatch(/concluded/);
  });

  it('lets a draft be edited, then locks the design at launch', async () => {
    const edited = await analyst.put('/api/experiments/channel-tone', channelToneDesign({ name: 'Renamed' }));
    expect(edited.status).toBe(200);
    expect(edited.body.name).toBe('Renamed');
    await analyst.post('/api/experiments/channel-tone/launch');
    const locked = await analyst.put('/api/experiments/channel-tone', channelToneDesign({ primaryMetric: 'responded' }));
    expect(locked.status).toBe(409);
    expect((await analyst.get('/api/experiments/channel-tone')).body.primaryMetric).toBe('meeting_agreed');
  });

  it('starts a new phase with a new seed when weights change, and earlier assignments keep theirs', async () => {
    await analyst.post('/api/contacts', { contacts: Array.from({ length: 30 }, (_, i) => contactFixture(`PH-${String(i).padStart(3, '0')}`)) });
    await analyst.post('/api/experiments/channel-tone/launch');
    const before = [];
    for (let i = 0; i < 10; i++) before.push((await analyst.post('/api/experiments/channel-tone/assignments', { contact: `PH-${String(i).padStart(3, '0')}` })).body);

    const changed = await analyst.post('/api/experiments/channel-tone/allocation', {
      weights: { 'letter-standard': 1, 'letter-warm': 0, 'text-standard': 1, 'text-warm': 2 },
      reason: 'Drop warm letters after the first review',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.phase).toMatchObject({ number: 2, armKeys: ['letter-standard', 'text-standard', 'text-warm'], weights: [0.25, 0.25, 0.5] });
    expect(changed.body.phases[0].endedAt).not.toBeNull();
    const phaseTwoSeed: string = changed.body.phase.seed;
    expect(phaseTwoSeed).toMatch(/^[0-9a-f]{32}$/);
    expect(phaseTwoSeed).not.toBe(changed.body.phases[0].seed);
    expect(phaseTwoSeed).not.toContain(changed.body.phases[0].seed);

    for (let i = 0; i < 10; i++) {
      const again = await analyst.post('/api/experiments/channel-tone/assignments', { contact: `PH-${String(i).padStart(3, '0')}` });
      expect(again.body.assignment).toEqual(before[i].assignment);
      expect(again.body.assignment.phase).toBe(1);
    }
    const later = [];
    for (let i = 10; i < 30; i++) later.push((await analyst.post('/api/experiments/channel-tone/assignments', { contact: `PH-${String(i).padStart(3, '0')}` })).body.assignment);
    expect(later.every((a) => a.phase === 2 && a.seed === phaseTwoSeed)).toBe(true);
    expect(later.some((a) => a.arm.key === 'letter-warm')).toBe(false);
  });

  it('refuses an allocation that closes the control arm', async () => {
    await analyst.post('/api/experiments/channel-tone/launch');
    const response = await analyst.post('/api/experiments/channel-tone/allocation', { weights: { 'letter-standard': 0 }, reason: 'test' });
    expect(response.status).toBe(400);
    expect(fields(response.body)).toContain('weights');
    expect((await tableCounts()).phases).toBe(1);
  });
});
