import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRoutes, type RouteEntry } from '../../server/route-table.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { concretePath, FIXTURES, startHardeningServer, type HardeningServer } from './support/hardening-server.ts';
import { scalar } from '../support/sql.ts';

/**
 * Every form POST on the dashboard needs the session's CSRF token (sign-in,
 * before there is a session, a double-submit cookie): a form that another
 * site makes a signed-in browser send must change nothing. The POST routes
 * come from the app's own route table, so a new form is covered as it lands.
 */
let server: HardeningServer;
let posts: RouteEntry[];

/** A role that may use the route, so that only the token can be the reason for a refusal. */
function roleFor(path: string): Role {
  if (path.startsWith('/contacts/')) return 'coach';
  if (path.startsWith('/admin')) return 'admin';
  return 'analyst';
}

beforeAll(async () => {
  server = await startHardeningServer();
  posts = listRoutes(server.app).filter((r) => r.method === 'POST' && !r.path.startsWith('/api/'));
});
afterAll(() => server.close());

async function post(route: RouteEntry, csrf: string | null, options: { multipart?: boolean } = {}) {
  const session = await server.session(roleFor(route.path));
  const fields: Record<string, string> = { note: 'CSRF probe', stage: 'responded', idempotencyKey: 'csrf-probe-0001' };
  if (csrf !== null) fields._csrf = csrf;
  let body: string | FormData;
  const headers: Record<string, string> = { cookie: session.cookie };
  if (options.multipart) {
    body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    body.set('cohortFile', new Blob(['reference\n'], { type: 'text/csv' }), 'cohort.csv');
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  }
  const response = await fetch(server.baseUrl + concretePath(route.path), { method: 'POST', headers, body, redirect: 'manual' });
  return { status: response.status, html: await response.text(), session };
}

describe('CSRF protection on dashboard forms', () => {
  it('finds the dashboard’s forms in the route table', () => {
    expect(posts.length).toBeGreaterThan(15);
    expect(posts.map((r) => r.path)).toContain('/contacts/:reference/outcomes');
  });

  for (const [what, token] of [
    ['without a token', null],
    ['with an empty token', ''],
    ['with another session’s token', 'another-session-token-aaaaaaaaaaaaaaaaa'],
  ] as const) {
    it(`refuses every dashboard POST ${what}, with a 403 page`, async () => {
      const accepted: string[] = [];
      for (const route of posts) {
        const { status, html } = await post(route, token, { multipart: route.path === '/data/import' });
        if (status !== 403 || !/expired|did not come from this service/.test(html)) accepted.push(`${route.path}: ${status}`);
      }
      expect(accepted).toEqual([]);
    });
  }

  it('records nothing and keeps the session when a forged outcome form is refused', async () => {
    const before = await scalar(server.db, 'SELECT COUNT(*) AS n FROM outcome_events');
    const route = { method: 'POST', path: '/contacts/:reference/outcomes' };
    const forged = await post(route, null);
    expect(forged.status).toBe(403);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM outcome_events')).toBe(before);
    const stillSignedIn = await fetch(`${server.baseUrl}/contacts/${FIXTURES.ownReference}`, { headers: { cookie: forged.session.cookie }, redirect: 'manual' });
    expect(stillSignedIn.status).toBe(200);
  });

  it('refuses a forged sign-out: the session goes on', async () => {
    const forged = await post({ method: 'POST', path: '/sign-out' }, 'not-the-token');
    expect(forged.status).toBe(403);
    const page = await fetch(`${server.baseUrl}/experiments`, { headers: { cookie: forged.session.cookie }, redirect: 'manual' });
    expect(page.status).toBe(200);
  });

  it('accepts the same outcome form with the session’s own token', async () => {
    const session = await server.session('coach');
    const response = await fetch(`${server.baseUrl}/contacts/${FIXTURES.ownReference}/outcomes`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrfToken }).toString(),
      redirect: 'manual',
    });
    expect(response.status).not.toBe(403);
  });
});
