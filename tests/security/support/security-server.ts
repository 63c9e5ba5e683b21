import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { openDatabase, type Db } from '../../../server/db/database.ts';
import { createApp } from '../../../server/app.ts';
import { fixedClock } from '../../../server/clock.ts';
import type { ServiceOptions, Services } from '../../../server/services.ts';
import { TEST_NOW } from '../../support/test-server.ts';
import { openTestDatabase } from '../../support/test-database.ts';

export interface SecurityServer {
  baseUrl: string;
  port: number;
  db: Db;
  services: Services;
  /** Stops the server and closes its database (on PostgreSQL a test database is dropped too). */
  close(): Promise<void>;
}

/** A real HTTP server over `db` (openTestDatabase(), or a file or URL opened with openDatabase), with the given clock and account settings. */
export async function startServer(db: Db, clock: ReturnType<typeof fixedClock>, services: ServiceOptions = {}): Promise<SecurityServer> {
  const app = await createApp({ db, clock, services });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    db,
    services: app.locals.services,
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      await db.close();
    },
  };
}

export const newClock = () => fixedClock(TEST_NOW);
export { openDatabase, openTestDatabase };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request from a chosen loopback address (127.0.0.2, 127.0.0.3 …), so
 * tests can be several clients at once without trusting X-Forwarded-For.
 */
export function send(
  port: number,
  input: { method: string; path: string; from?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: input.method, path: input.path, localAddress: input.from ?? '127.0.0.1', headers: input.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (input.body !== undefined) req.write(input.body);
    req.end();
  });
}

const cookiePair = (setCookie: string | string[] | undefined, name: string) =>
  ([] as string[]).concat(setCookie ?? []).map((line) => line.split(';')[0]).find((pair) => pair.startsWith(`${name}=`));

/** Loads the sign-in page and posts the form from one address, as a browser there would. */
export async function signInFrom(port: number, from: string, username: string, password: string): Promise<RawResponse> {
  const page = await send(port, { method: 'GET', path: '/sign-in', from });
  const token = /name="_csrf" value="([^"]*)"/.exec(page.body)![1];
  const cookie = cookiePair(page.headers['set-cookie'], 'eiu_sign_in')!;
  return send(port, {
    method: 'POST',
    path: '/sign-in',
    from,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: token, username, password }).toString(),
  });
}

/** POST /api/tokens from one address. */
export async function requestTokenFrom(port: number, from: string, username: string, password: string) {
  const response = await send(port, {
    method: 'POST',
    path: '/api/tokens',
    from,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
}

/** The session cookie a response set, if any. */
export const sessionCookie = (response: RawResponse) => cookiePair(response.headers['set-cookie'], 'eiu_session');
