import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { eq } from 'drizzle-orm';
import { openDatabase, type Db } from '../../../server/db/client.ts';
import { createApp } from '../../../server/app.ts';
import { fixedClock } from '../../../server/clock.ts';
import type { Services } from '../../../server/services.ts';
import { users } from '../../../server/db/schema.ts';
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
  /** The Sunday before TEST_NOW: the latest completed reporting week. */
  weekEnding: '2026-11-22',
} as const;

export interface HardeningServer {
  app: Express;
  baseUrl: string;
  db: Db;
  services: Services;
  tokens: Record<Role | 'coach2', string>;
  /** A fresh browser session for the role (created directly: no scrypt per request). */
  session(role: Role | 'coach2'): { cookie: string; csrfToken: string };
  /** A sign-in form token and its double-submit cookie, as GET /sign-in hands out. */
  signInToken(): Promise<{ cookie: string; token: string }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server over a fresh database (in memory unless a file is given) with a running
 * experiment, one contact on each coach's caseload (the first assigned), and
 * a user of every role.
 */
export async function startHardeningServer(options: { trustProxy?: number | string; databaseFile?: string } = {}): Promise<HardeningServer> {
  const db = openDatabase(options.databaseFile ?? ':memory:');
  const app = createApp({ db, clock: fixedClock(TEST_NOW), trustProxy: options.trustProxy });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const services = app.locals.services;
  const tokens = await createPeople(services);
  const analyst = apiClient(baseUrl, tokens.analyst);
  const created = await analyst.post('/api/experiments', channelToneDesign({ key: FIXTURES.experimentKey }));
  if (created.status !== 201) throw new Error(`fixture experiment: ${JSON.stringify(created.body)}`);
  await analyst.post(`/api/experiments/${FIXTURES.experimentKey}/launch`);
  const people = await analyst.post('/api/contacts', {
    contacts: [contactFixture(FIXTURES.ownReference), contactFixture(FIXTURES.otherReference, { coach: 'WC02' })],
  });
  if (people.status !== 201) throw new Error(`fixture contacts: ${JSON.stringify(people.body)}`);
  await analyst.post(`/api/experiments/${FIXTURES.experimentKey}/assignments`, { contact: FIXTURES.ownReference });

  const userId = (username: string) => db.select({ id: users.id }).from(users).where(eq(users.username, username)).get()!.id;
  return {
    app,
    baseUrl,
    db,
    services,
    tokens,
    session(role) {
      const { cookieValue, csrfToken } = services.auth.createSession(userId(role));
      return { cookie: `eiu_session=${encodeURIComponent(cookieValue)}`, csrfToken };
    },
    async signInToken() {
      const response = await fetch(`${baseUrl}/sign-in`, { redirect: 'manual' });
      const html = await response.text();
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('eiu_sign_in='))!.split(';')[0];
      const token = /name="_csrf" value="([^"]+)"/.exec(html)![1];
      return { cookie, token };
    },
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      db.$client.close();
    },
  };
}

/** "/contacts/:reference" with the fixtures put in for its parameters. */
export function concretePath(pattern: string, reference: string = FIXTURES.ownReference): string {
  return pattern
    .replace(':key', FIXTURES.experimentKey)
    .replace(':reference', reference)
    .replace(':weekEnding', FIXTURES.weekEnding);
}

/** An OpenAPI path ("/api/contacts/{reference}") as an Express pattern ("/api/contacts/:reference"). */
export const expressPattern = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ':$1');
