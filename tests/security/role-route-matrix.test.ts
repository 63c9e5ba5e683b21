import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/openapi.ts';
import { listRoutes, type RouteEntry } from '../../server/route-table.ts';
import { CALLERS, concretePath, expressPattern, startHardeningServer, type Caller, type HardeningServer } from './support/hardening-server.ts';
import { PLANNED } from './support/planned-permissions.ts';

/**
 * Every route the app answers (read from its routers, so nothing can be added
 * unseen) must have a planned set of callers (support/planned-permissions.ts),
 * and every role and the signed-out caller is tried against it: a caller
 * outside the plan must be refused. "Allowed" means past the role check; the
 * route may still say 400 or 404 to what was sent.
 */
let server: HardeningServer;
let routes: RouteEntry[];

beforeAll(async () => {
  server = await startHardeningServer();
  routes = listRoutes(server.app);
});
afterAll(() => server.close());

const key = (route: RouteEntry) => `${route.method} ${route.path}`;
const isApi = (route: RouteEntry) => route.path.startsWith('/api/') || route.path === '/health';

/** Calls the route as the caller, with a well-formed (if empty) request, and says whether the role check let it through. */
async function reaches(route: RouteEntry, caller: Caller): Promise<{ allowed: boolean; status: number }> {
  const url = server.baseUrl + concretePath(route.path);
  const headers: Record<string, string> = {};
  let body: string | FormData | undefined;
  if (isApi(route)) {
    if (caller !== 'anonymous') headers.authorization = `Bearer ${server.tokens[caller]}`;
    if (route.method !== 'GET') {
      headers['content-type'] = route.path.endsWith('/import') ? 'text/csv' : 'application/json';
      body = route.path.endsWith('/import') ? '' : '{}';
    }
    const response = await fetch(url, { method: route.method, headers, body, redirect: 'manual' });
    await response.arrayBuffer();
    return { allowed: response.status !== 401 && response.status !== 403, status: response.status };
  }
  // Pages: a fresh session each time (POST /sign-out ends the one it is given).
  const session = caller === 'anonymous' ? null : await server.session(caller);
  const cookies = session ? [session.cookie] : [];
  let csrf = session?.csrfToken ?? '';
  if (route.path === '/sign-in' && route.method === 'POST') {
    const signIn = await server.signInToken();
    cookies.push(signIn.cookie);
    csrf = signIn.token;
  }
  if (cookies.length) headers.cookie = cookies.join('; ');
  if (route.method === 'POST') {
    // Uploads are multipart: the CSRF token travels in the form's fields.
    if (route.path === '/data/import' || route.path === '/experiments/:key/enrol/upload') {
      body = new FormData();
      body.set('_csrf', csrf);
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ _csrf: csrf }).toString();
    }
  }
  const response = await fetch(url, { method: route.method, headers, body, redirect: 'manual' });
  await response.arrayBuffer();
  // The guard's redirect: to sign in (and back, for a GET). Signing out also lands on /sign-in, with ?signedOut=1.
  const location = response.headers.get('location') ?? '';
  const toSignIn = response.status >= 300 && response.status < 400 && (location === '/sign-in' || location.startsWith('/sign-in?next='));
  return { allowed: response.status !== 401 && response.status !== 403 && !toSignIn, status: response.status };
}

describe('the role × route matrix', () => {
  it('has a planned set of callers for every route the app answers, and no plan for a route that has gone', () => {
    const actual = routes.map(key).sort();
    expect(actual.filter((k) => !(k in PLANNED)), 'routes without a planned entry in PLANNED').toEqual([]);
    expect(Object.keys(PLANNED).filter((k) => !actual.includes(k)), 'planned routes the app no longer has').toEqual([]);
  });

  it('describes every API route in the OpenAPI document, and nothing the API does not answer', () => {
    const documented = Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${expressPattern(path)}`),
    );
    const answered = routes.filter((r) => r.path.startsWith('/api/') && r.path !== '/api/openapi.json').map(key);
    expect([...answered].sort()).toEqual([...documented].sort());
  });

  it('lets every planned caller through and refuses every other caller, on every route', async () => {
    const unplannedAllows: string[] = [];
    const plannedRefusals: string[] = [];
    for (const route of routes) {
      const planned = PLANNED[key(route)] ?? [];
      for (const caller of CALLERS) {
        const { allowed, status } = await reaches(route, caller);
        if (allowed && !planned.includes(caller)) unplannedAllows.push(`${key(route)} as ${caller}: ${status}`);
        if (!allowed && planned.includes(caller)) plannedRefusals.push(`${key(route)} as ${caller}: ${status}`);
      }
    }
    expect(unplannedAllows, 'callers let through who are not in the plan').toEqual([]);
    expect(plannedRefusals, 'planned callers who were refused').toEqual([]);
  });

  it('does not accept a page session on the API, nor an API token on a page', async () => {
    const session = await server.session('analyst');
    const api = await fetch(`${server.baseUrl}/api/contacts`, { headers: { cookie: session.cookie } });
    expect(api.status).toBe(401);
    const page = await fetch(`${server.baseUrl}/experiments`, { headers: { authorization: `Bearer ${server.tokens.analyst}` }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/sign-in/);
  });
});
