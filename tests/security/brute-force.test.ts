import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPeople, TEST_PASSWORD } from '../support/test-server.ts';
import { pageText } from '../browser/support/page-client.ts';
import { testDatabaseLocation } from '../support/test-database.ts';
import { newClock, openDatabase, openTestDatabase, requestTokenFrom, sessionCookie, signInFrom, startServer, type SecurityServer } from './support/security-server.ts';

const WAIT_ONE_MINUTE = 'Too many failed attempts. Wait 1 minute and try again, or ask an admin to reset your password.';

let server: SecurityServer;
let clock: ReturnType<typeof newClock>;

beforeEach(async () => {
  clock = newClock();
  server = await startServer(await openTestDatabase(), clock);
  await createPeople(server.services);
});
afterEach(() => server.close());

/** 127.0.0.n: a different client for each n. */
const address = (n: number) => `127.0.0.${n}`;

describe('sign-in throttling per account', () => {
  it('refuses the sixth try at one account after five failures, from any address and even with the right password, with a 429, Retry-After and what to do', async () => {
    for (let i = 0; i < 5; i++) expect((await signInFrom(server.port, address(10 + i), 'analyst', `wrong-guess-${i}`)).status).toBe(401);
    const refused = await signInFrom(server.port, address(20), 'analyst', TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(sessionCookie(refused)).toBeUndefined();
    expect(refused.body).toContain('govuk-error-summary');
    expect(refused.body).toContain('href="#username"');
    expect(pageText(refused.body)).toContain(WAIT_ONE_MINUTE);
  });

  it('makes each further wait longer (one minute, then two, then four), and does not lengthen a wait for tries refused during it', async () => {
    for (let i = 0; i < 5; i++) await signInFrom(server.port, address(10 + i), 'analyst', 'wrong');
    for (let i = 0; i < 3; i++) expect((await signInFrom(server.port, address(30 + i), 'analyst', 'wrong')).status).toBe(429);
    clock.set('2026-11-23T09:01:01.000Z');
    const sixth = await signInFrom(server.port, address(16), 'analyst', 'wrong');
    expect(sixth.status).toBe(401);
    expect(pageText(sixth.body)).toContain('Wait 2 minutes');
    expect((await signInFrom(server.port, address(17), 'analyst', TEST_PASSWORD)).headers['retry-after']).toBe('120');
    clock.set('2026-11-23T09:03:02.000Z');
    expect((await signInFrom(server.port, address(18), 'analyst', 'wrong')).status).toBe(401);
    expect((await signInFrom(server.port, address(19), 'analyst', TEST_PASSWORD)).headers['retry-after']).toBe('240');
  });

  it('resets the account’s count after a successful sign-in', async () => {
    for (let i = 0; i < 4; i++) expect((await signInFrom(server.port, address(10 + i), 'coach', 'wrong')).status).toBe(401);
    expect((await signInFrom(server.port, address(20), 'coach', TEST_PASSWORD)).status).toBe(303);
    for (let i = 0; i < 4; i++) expect((await signInFrom(server.port, address(30 + i), 'coach', 'wrong')).status).toBe(401);
    // Without the reset this would be the ninth failure in a row, and refused.
    expect((await signInFrom(server.port, address(40), 'coach', TEST_PASSWORD)).status).toBe(303);
  });

  it('throttles usernames that do not exist in the same way, so throttling does not reveal which do', async () => {
    for (let i = 0; i < 5; i++) expect((await signInFrom(server.port, address(10 + i), 'nobody.here', 'wrong')).status).toBe(401);
    expect((await signInFrom(server.port, address(20), 'nobody.here', 'wrong')).status).toBe(429);
  });
});

describe('sign-in throttling per client address', () => {
  it('refuses the sixth try from one address after five failures, whichever accounts they were for', async () => {
    for (const username of ['analyst', 'minister', 'coach', 'coach2', 'not-a-user'])
      expect((await signInFrom(server.port, address(50), username, 'wrong')).status).toBe(401);
    const refused = await signInFrom(server.port, address(50), 'admin', TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    // Other addresses are not held up by it.
    expect((await signInFrom(server.port, address(51), 'admin', TEST_PASSWORD)).status).toBe(303);
  });
});

describe('API token requests', () => {
  it('are throttled with the same counters, and answer a 429 in JSON with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await requestTokenFrom(server.port, address(10 + i), 'analyst', 'wrong')).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await signInFrom(server.port, address(20 + i), 'analyst', 'wrong')).status).toBe(401);
    const refused = await requestTokenFrom(server.port, address(30), 'analyst', TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/json/);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.json).toEqual({ error: WAIT_ONE_MINUTE });
    expect(refused.json.token).toBeUndefined();
  });

  it('cannot be raced: many wrong guesses sent at once still get only five checks before the wait', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => requestTokenFrom(server.port, address(60 + i), 'minister', `guess-${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });
});

describe('auditing failures', () => {
  it('records each failed sign-in and token request with the username typed, and never the password', async () => {
    await signInFrom(server.port, address(10), 'analyst', 'hunter2-secret-guess');
    await requestTokenFrom(server.port, address(11), 'no.such.user', 'another-secret-guess');
    const rows = await server.db.all(`SELECT user_id AS "userId", action, entity, entity_id AS "entityId" FROM audit_log WHERE action LIKE '%failed' ORDER BY id`);
    expect(rows).toEqual([
      { userId: null, action: 'sign-in-failed', entity: 'username', entityId: 'analyst' },
      { userId: null, action: 'create-token-failed', entity: 'username', entityId: 'no.such.user' },
    ]);
    const everything = JSON.stringify(await server.db.all('SELECT * FROM audit_log'));
    expect(everything).not.toContain('secret-guess');
  });

  it('records when an account starts having to wait', async () => {
    for (let i = 0; i < 5; i++) await signInFrom(server.port, address(10 + i), 'analyst', 'wrong');
    const throttled = (await server.db.all<{ entity_id: string }>("SELECT entity_id FROM audit_log WHERE action = 'sign-in-throttled'")).map((r) => r.entity_id);
    expect(throttled).toEqual(['analyst']);
  });
});

describe('several instances over one database', () => {
  const folder = mkdtempSync(join(tmpdir(), 'eiu-throttle-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('share the counters, so failures spread across instances still add up', async () => {
    const shared = await testDatabaseLocation(join(folder, 'shared.sqlite'));
    const sharedClock = newClock();
    const first = await startServer(await openDatabase(shared.location), sharedClock);
    const second = await startServer(await openDatabase(shared.location), sharedClock);
    try {
      await createPeople(first.services);
      for (let i = 0; i < 3; i++) expect((await signInFrom(first.port, address(10 + i), 'analyst', 'wrong')).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await requestTokenFrom(second.port, address(20 + i), 'analyst', 'wrong')).status).toBe(401);
      expect((await signInFrom(first.port, address(30), 'analyst', TEST_PASSWORD)).status).toBe(429);
      expect((await requestTokenFrom(second.port, address(31), 'analyst', TEST_PASSWORD)).status).toBe(429);
    } finally {
      await first.close();
      await second.close();
      await shared.drop();
    }
  });
});
