import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Db } from '../../server/db/database.ts';
import { createApp } from '../../server/app.ts';
import { fixedClock } from '../../server/clock.ts';
import type { Services } from '../../server/services.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { hashPassword } from '../../server/auth/password.ts';
import { openTestDatabase } from './test-database.ts';

/** Every test user's password; hashed once per test file, because scrypt is slow on purpose. */
export const TEST_PASSWORD = 'correct-horse-battery';
let testPasswordHash: Promise<string> | undefined;

export const TEST_NOW = '2026-11-23T09:00:00.000Z';

export interface TestServer {
  baseUrl: string;
  db: Db;
  services: Services;
  clock: ReturnType<typeof fixedClock>;
  close(): Promise<void>;
}

/**
 * A real HTTP server over a fresh database with the real migrations (in-memory
 * SQLite, or a new PostgreSQL database under EIU_TEST_PG). `close()` stops the
 * server and closes (on PostgreSQL, drops) the database.
 */
export async function startTestServer(options: { now?: string; echoRoute?: boolean } = {}): Promise<TestServer> {
  const db = await openTestDatabase();
  const clock = fixedClock(options.now ?? TEST_NOW);
  const app = await createApp({ db, clock, echoRoute: options.echoRoute });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    services: app.locals.services,
    clock,
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      await db.close();
    },
  };
}

const INSERT_USER = 'INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING "id"';

/** One site, two coaches (with user accounts) and a user for every other role; returns API tokens. */
export async function createPeople(services: Services) {
  await services.staff.addSite({ code: 'JC1', name: 'Test Jobcentre', kind: 'jobcentre' });
  await services.staff.addSite({ code: 'CV1', name: 'Test Community Hub', kind: 'community_venue' });
  const tokens: Record<Role | 'coach2', string> = {} as never;
  testPasswordHash ??= hashPassword(TEST_PASSWORD);
  const passwordHash = await testPasswordHash;
  for (const role of ['analyst', 'minister', 'admin', 'coach', 'coach2'] as const) {
    const user = (await services.db.get<{ id: number }>(INSERT_USER, [role, `Test ${role}`, role === 'coach2' ? 'coach' : role, passwordHash, TEST_NOW]))!;
    if (role === 'coach') await services.staff.addCoach({ code: 'WC01', name: 'Coach One', siteCode: 'JC1', userId: user.id });
    if (role === 'coach2') await services.staff.addCoach({ code: 'WC02', name: 'Coach Two', siteCode: 'JC1', userId: user.id });
    tokens[role] = await services.auth.createApiToken(user.id, 'test');
  }
  return tokens;
}

/** A JSON API client for one token. */
export function apiClient(baseUrl: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: type.includes('json') && text ? JSON.parse(text) : text, headers: response.headers };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body ?? {}, headers),
    put: (path: string, body: unknown) => call('PUT', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
  };
}

/** A contact row for the API, with overridable characteristics. */
export function contactFixture(reference: string, overrides: Record<string, unknown> = {}) {
  return {
    reference,
    coach: 'WC01',
    site: 'JC1',
    healthGroup: 'mental_health',
    ageBand: '35-49',
    sex: 'female',
    ethnicityGroup: 'white',
    caring: false,
    timeOnBenefits: '2-5y',
    previousWork: 'within_5y',
    benefitType: 'uc_lcwra',
    ...overrides,
  };
}

/** A channel × tone factorial design. */
export function channelToneDesign(overrides: Record<string, unknown> = {}) {
  return {
    key: 'channel-tone',
    name: 'First contact: channel and tone',
    hypothesis: 'Warm texts that say support is voluntary get more people to agree a meeting than standard letters.',
    journeyPhase: 1,
    factors: [
      { key: 'channel', levels: ['letter', 'text'] },
      { key: 'tone', levels: ['standard', 'warm'] },
    ],
    primaryMetric: 'meeting_agreed',
    secondaryMetrics: ['responded', 'meeting_attended'],
    plannedSampleSize: 800,
    ...overrides,
  };
}
