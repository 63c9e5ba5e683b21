import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { openDatabase, type Db } from '../../../server/db/database.ts';
import { openTestDatabase, testEngine } from '../../support/test-database.ts';
import { createApp } from '../../../server/app.ts';
import { fixedClock } from '../../../server/clock.ts';
import type { Services } from '../../../server/services.ts';
import { ROLES, type Role } from '../../../experiments/vocabulary.ts';
import { apiClient, channelToneDesign, contactFixture, createPeople, TEST_NOW } from '../../support/test-server.ts';

/** Roles plus the signed-out caller, as the route matrix and the fuzz test see them. */
export type Caller = Role | 'anonymous';
export const CALLERS: Caller[] = [...ROLES, 'anonymous'];

/** Things that exist, so that a route's path parameters name something real. */
export const FIXTURES = {
  experimentKey: 'channel-tone',
  /** On coach WC01's caseload (the `coach` user). */
  ownReference: 'SEC-OWN-0001',
  /** On coach WC02's caseload: the `coach` user must never see it. */
  otherReference: 'SEC-OTHER-0002',
  /** On coach WC01's caseload and opted out, so the opt-in pages have someone to opt back in. */
  optedOutReference: 'SEC-OPTED-0003',
  /** On coach WC01's caseload, for the erasure pages to erase (nothing else uses them). */
  erasableReference: 'SEC-ERASE-0004',
  /** The Sunday before TEST_NOW: the latest completed reporting week. */
  weekEnding: '2026-11-22',
  /** A user the admin pages act on (disable, reset, change role), so no one the tests sign in as is changed. */
  username: 'sec.target',
} as const;

/** Ids of rows made when the server starts: what `:id` and `:eventId` name. */
export interface FixtureIds {
  /** An outcome the coach recorded for the own contact (it can be corrected or withdrawn). */
  eventId: number;
  /** A spare API token of the analyst's, shown on their account page. */
  analystTokenId: number;
  /** An API token of the target user's, shown on the admin's page for them. */
  targetTokenId: number;
}
/** Filled in by the server last started (each test file starts its own). */
export const FIXTURE_IDS: FixtureIds = { eventId: 0, analystTokenId: 0, targetTokenId: 0 };

export interface HardeningServer {
  app: Express;
  baseUrl: string;
  db: Db;
  services: Services;
  tokens: Record<Role | 'coach2', string>;
  /** A fresh browser session for the role (created directly: no scrypt per request). */
  session(role: Role | 'coach2'): Promise<{ cookie: string; csrfToken: string }>;
  /** A sign-in form token and its double-submit cookie, as GET /sign-in hands out. */
  signInToken(): Promise<{ cookie: string; token: string }>;
  /** Stops the server and closes (on PostgreSQL, drops) the database. */
  close(): Promise<void>;
}

/**
 * A real HTTP server over a fresh database (in memory unless a file is given on SQLite;
 * on PostgreSQL always a fresh database of its own, see openTestDatabase) with a running
 * experiment, one contact on each coach's caseload (the first assigned), and
 * a user of every role.
 */
export async function startHardeningServer(options: { trustProxy?: number | string; databaseFile?: string } = {}): Promise<HardeningServer> {
  const db = options.databaseFile && testEngine === 'sqlite' ? await openDatabase(options.databaseFile) : await openTestDatabase();
  const app = await createApp({ db, clock: fixedClock(TEST_NOW), trustProxy: options.trustProxy });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const close = async () => {
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    await db.close();
  };
  // A fixture that fails to set up still closes (on PostgreSQL, drops) what was opened.
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const services = app.locals.services;
    const tokens = await createPeople(services);
    const analyst = apiClient(baseUrl, tokens.analyst);
    const created = await analyst.post('/api/experiments', channelToneDesign({ key: FIXTURES.experimentKey }));
    if (created.status !== 201) throw new Error(`fixture experiment: ${JSON.stringify(created.body)}`);
    await analyst.post(`/api/experiments/${FIXTURES.experimentKey}/launch`);
    const people = await analyst.post('/api/contacts', {
      contacts: [
        contactFixture(FIXTURES.ownReference),
        contactFixture(FIXTURES.otherReference, { coach: 'WC02' }),
        contactFixture(FIXTURES.optedOutReference),
        contactFixture(FIXTURES.erasableReference),
      ],
    });
    if (people.status !== 201) throw new Error(`fixture contacts: ${JSON.stringify(people.body)}`);
    await analyst.post(`/api/experiments/${FIXTURES.experimentKey}/assignments`, { contact: FIXTURES.ownReference });
    const coach = apiClient(baseUrl, tokens.coach);
    const outcome = await coach.post('/api/outcomes', { contact: FIXTURES.ownReference, stage: 'responded', idempotencyKey: 'fixture-outcome-0001' });
    if (outcome.status !== 201) throw new Error(`fixture outcome: ${JSON.stringify(outcome.body)}`);
    const optedOut = await coach.post(`/api/contacts/${FIXTURES.optedOutReference}/opt-out`, { idempotencyKey: 'fixture-opt-out-0001' });
    if (optedOut.status !== 201) throw new Error(`fixture opt-out: ${JSON.stringify(optedOut.body)}`);

    const userId = async (username: string) => (await db.get<{ id: number }>('SELECT id FROM users WHERE username = ?', [username]))!.id;
    // Nobody signs in as the target, so it needs no usable password.
    const target = (await db.get<{ id: number }>(
      'INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING "id"',
      [FIXTURES.username, 'Test target', 'minister', 'unusable', TEST_NOW],
    ))!;
    FIXTURE_IDS.eventId = (outcome.body as { event: { id: number } }).event.id;
    FIXTURE_IDS.analystTokenId = (await services.auth.issueApiToken(await userId('analyst'), 'spare')).id;
    FIXTURE_IDS.targetTokenId = (await services.auth.issueApiToken(target.id, 'target')).id;
    return {
      app,
      baseUrl,
      db,
      services,
      tokens,
      async session(role) {
        const { cookieValue, csrfToken } = await services.auth.createSession(await userId(role));
        return { cookie: `eiu_session=${encodeURIComponent(cookieValue)}`, csrfToken };
      },
      async signInToken() {
        const response = await fetch(`${baseUrl}/sign-in`, { redirect: 'manual' });
        const html = await response.text();
        const cookie = response.headers.getSetCookie().find((c) => c.startsWith('eiu_sign_in='))!.split(';')[0];
        const token = /name="_csrf" value="([^"]+)"/.exec(html)![1];
        return { cookie, token };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The fixture each of a route's path parameters names: opting in needs someone opted out, `:id` is a token or an outcome. */
export function fixtureParams(pattern: string): Record<'key' | 'reference' | 'weekEnding' | 'username' | 'id' | 'eventId', string> {
  const id = pattern.startsWith('/api/outcomes/') ? FIXTURE_IDS.eventId : pattern.startsWith('/account/') ? FIXTURE_IDS.analystTokenId : FIXTURE_IDS.targetTokenId;
  return {
    key: FIXTURES.experimentKey,
    reference: pattern.endsWith('/opt-in') ? FIXTURES.optedOutReference : FIXTURES.ownReference,
    weekEnding: FIXTURES.weekEnding,
    username: FIXTURES.username,
    id: String(id),
    eventId: String(FIXTURE_IDS.eventId),
  };
}

/** Puts values in for a pattern's parameters (":key", ":reference", …); any not given are left as they are. */
export function fillPath(pattern: string, values: Partial<Record<string, string>>): string {
  return pattern.replace(/:(\w+)/g, (whole, name: string) => values[name] ?? whole);
}

/** "/contacts/:reference" with the fixtures put in for its parameters. */
export function concretePath(pattern: string, reference?: string): string {
  const params = fixtureParams(pattern);
  return fillPath(pattern, { ...params, reference: reference ?? params.reference });
}

/** An OpenAPI path ("/api/contacts/{reference}") as an Express pattern ("/api/contacts/:reference"). */
export const expressPattern = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ':$1');
