import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { createServices } from '../../server/services.ts';
import { systemClock } from '../../server/clock.ts';
import { experimentInputSchema } from '../../experiments/experiment/experiment-schema.ts';
import { generateCohort } from '../../seed/cohort.ts';
import { createRandom } from '../../seed/random.ts';
import { call, startCluster, startInstance, type Cluster, type Instance } from './support/instances.ts';

/**
 * Several instances of `npm start` over one PostgreSQL server (issue: scale-out).
 * Each test file has a PostgreSQL server of its own (restarting it must not
 * disturb other tests); this folder runs when the suite runs on PostgreSQL.
 */
let cluster: Cluster;
let db: Db;
let token: string;
const PEOPLE = 240;
const references: string[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  db = await openDatabase(cluster.url);
  const services = createServices(db, systemClock);
  await services.staff.addSite({ code: 'JC1', name: 'Test Jobcentre', kind: 'jobcentre' });
  const coachUser = await services.auth.createUser({ username: 'coach', displayName: 'Coach One', role: 'coach', password: 'instances-password-123' });
  await services.staff.addCoach({ code: 'WC01', name: 'Coach One', siteCode: 'JC1', userId: coachUser.id });
  const analyst = await services.auth.createUser({ username: 'analyst', displayName: 'Analyst', role: 'analyst', password: 'instances-password-123' });
  token = await services.auth.createApiToken(coachUser.id, 'instances');
  const cohort = generateCohort(createRandom('instances'), PEOPLE, ['WC01'], 'JC1');
  await services.contacts.createMany(cohort);
  references.push(...cohort.map((c) => c.reference));
  for (const [key, randomisation] of [
    ['blocks-trial', 'blocks'],
    ['hash-trial', 'hash'],
  ] as const) {
    await services.experiments.create(
      experimentInputSchema.parse({
        key,
        name: `Instances: ${randomisation}`,
        hypothesis: 'Several instances assign each person once',
        journeyPhase: 1,
        factors: [{ key: 'channel', levels: ['letter', 'text', 'phone'] }],
        primaryMetric: 'meeting_agreed',
        randomisation,
      }),
      analyst.id,
    );
    await services.experiments.transition(key, 'launch');
  }
}, 120_000);

afterAll(async () => {
  await db?.close();
  cluster?.stop();
});

/** Runs `jobs` with at most `limit` in flight. */
async function inParallel<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

describe('two instances over one PostgreSQL', () => {
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    [a, b] = await Promise.all([startInstance(cluster.url), startInstance(cluster.url)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('assigns each person exactly once when both instances are asked at the same moment, and blocks stay balanced', async () => {
    // Every person is asked for twice on each instance, all at once: 4 requests per person.
    const jobs = references.flatMap((contact) =>
      [a, b, a, b].map((instance) => () => call(instance.baseUrl, token, 'POST', '/api/experiments/blocks-trial/assignments', { contact })),
    );
    const replies = await inParallel(jobs, 32);
    expect(replies.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(PEOPLE);
    const armOf = new Map<string, Set<string>>();
    replies.forEach((reply, i) => {
      const contact = references[Math.floor(i / 4)];
      const arms = armOf.get(contact) ?? new Set<string>();
      arms.add((reply.body as { assignment: { arm: { key: string } } }).assignment.arm.key);
      armOf.set(contact, arms);
    });
    expect([...armOf.values()].every((arms) => arms.size === 1)).toBe(true);

    const stored = await db.all<{ contactId: number; n: number }>(
      `SELECT a.contact_id AS "contactId", COUNT(*) AS n FROM assignments a JOIN experiments e ON e.id = a.experiment_id
       WHERE e.key = 'blocks-trial' GROUP BY a.contact_id`,
    );
    expect(stored).toHaveLength(PEOPLE);
    expect(stored.every((row) => row.n === 1)).toBe(true);

    // No block slot was used twice, and every completed block holds each arm equally often.
    const slots = await db.all<{ stratum: string; blockIndex: number; blockPosition: number; arm: string }>(
      `SELECT a.stratum, a.block_index AS "blockIndex", a.block_position AS "blockPosition", r.key AS arm
       FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN experiment_arms r ON r.id = a.arm_id
       WHERE e.key = 'blocks-trial' ORDER BY a.stratum, a.block_index, a.block_position`,
    );
    const slotKeys = slots.map((s) => `${s.stratum}|${s.blockIndex}|${s.blockPosition}`);
    expect(new Set(slotKeys).size).toBe(slots.length);
    const blocks = new Map<string, { positions: number[]; arms: string[] }>();
    for (const slot of slots) {
      const key = `${slot.stratum}|${slot.blockIndex}`;
      const block = blocks.get(key) ?? { positions: [], arms: [] };
      block.positions.push(slot.blockPosition);
      block.arms.push(slot.arm);
      blocks.set(key, block);
    }
    const blockList = [...blocks.values()];
    // Slots are taken in order: each block's positions are 0, 1, 2, … with no gap.
    expect(blockList.every((block) => block.positions.every((p, i) => p === i))).toBe(true);
    const size = Math.max(...blockList.map((block) => block.positions.length));
    for (const block of blockList.filter((blk) => blk.positions.length === size)) {
      const counts = new Map<string, number>();
      for (const arm of block.arms) counts.set(arm, (counts.get(arm) ?? 0) + 1);
      expect(new Set(counts.values()).size).toBe(1);
      expect(counts.size).toBe(3);
    }
  }, 120_000);

  it('loses no acknowledged write when one instance is killed with SIGKILL under load', async () => {
    const acknowledged: string[] = [];
    let sent = 0;
    let stop = false;
    const writer = async (instance: () => Instance) => {
      while (!stop) {
        const key = `kill-${sent++}`;
        const contact = references[sent % PEOPLE];
        const reply = await call(instance().baseUrl, token, 'POST', '/api/outcomes', {
          contact,
          stage: 'outreach_attempted',
          detail: { channel: 'text' },
          idempotencyKey: `${key}-idempotency`,
        });
        if (reply.status === 201) acknowledged.push(`${key}-idempotency`);
      }
    };
    // Eight writers on A and eight on B; A is killed part-way, and its writers then fail.
    const writers = [...Array.from({ length: 8 }, () => writer(() => a)), ...Array.from({ length: 8 }, () => writer(() => b))];
    await new Promise((r) => setTimeout(r, 1_500));
    const beforeKill = acknowledged.length;
    await a.kill9();
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await Promise.all(writers);
    expect(beforeKill).toBeGreaterThan(20);
    expect(acknowledged.length).toBeGreaterThan(beforeKill);
    const stored = new Set(
      (await db.all<{ key: string }>('SELECT idempotency_key AS key FROM outcome_events WHERE idempotency_key LIKE ?', ['kill-%'])).map((r) => r.key),
    );
    expect(acknowledged.filter((key) => !stored.has(key))).toEqual([]);
    // B carried on serving after A died.
    expect((await call(b.baseUrl, token, 'GET', '/api/experiments')).status).toBe(200);
  }, 120_000);
});

describe('PostgreSQL restarted under load', () => {
  let instance: Instance;
  beforeAll(async () => {
    instance = await startInstance(cluster.url);
  }, 120_000);
  afterAll(async () => {
    await instance?.stop();
  });

  it('answers 503 with a clear message while the database is down, reconnects by itself and loses no acknowledged write', async () => {
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    const unavailable: { body: Record<string, unknown>; retryAfter: string | null }[] = [];
    let sent = 0;
    let stop = false;
    const writer = async () => {
      while (!stop) {
        const key = `restart-${sent++}-idempotency`;
        const reply = await call(instance.baseUrl, token, 'POST', '/api/outcomes', {
          contact: references[sent % PEOPLE],
          stage: 'outreach_attempted',
          detail: { channel: 'letter' },
          idempotencyKey: key,
        });
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 201) acknowledged.push(key);
        if (reply.status === 503) {
          unavailable.push(reply);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = Array.from({ length: 8 }, writer);
    await new Promise((r) => setTimeout(r, 1_000));
    await cluster.crashAndRestart(2_000);
    // Reconnects by itself: writes succeed again within a few seconds of the restart.
    const restartedAt = acknowledged.length;
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < restartedAt + 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(writers);

    expect(statuses.get(500) ?? 0).toBe(0);
    // 0: the request got no answer at all (a kept-alive connection the client reused as
    // the server closed it). Such a write is not acknowledged, and the writer goes on.
    expect([...statuses.keys()].filter((s) => s !== 201 && s !== 503 && s !== 0)).toEqual([]);
    expect(statuses.get(0) ?? 0, `requests with no answer; the server said:\n${instance.output().slice(-2000)}`).toBeLessThan(5);
    expect(instance.process.exitCode, 'the server is still running').toBeNull();
    expect(unavailable.length).toBeGreaterThan(0);
    expect(String(unavailable[0].body.error ?? unavailable[0].body.message ?? '')).toMatch(/database cannot be reached|database is not available/i);
    expect(unavailable[0].retryAfter).toMatch(/^\d+$/);
    expect(acknowledged.length).toBeGreaterThan(restartedAt + 49);

    const stored = new Set(
      (await db.all<{ key: string }>('SELECT idempotency_key AS key FROM outcome_events WHERE idempotency_key LIKE ?', ['restart-%'])).map((r) => r.key),
    );
    expect(acknowledged.filter((key) => !stored.has(key))).toEqual([]);
    expect((await fetch(`${instance.baseUrl}/health`)).status).toBe(200);
  }, 120_000);
});
