import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/openapi.ts';
import { listRoutes, type RouteEntry } from '../../server/route-table.ts';
import { CALLERS, concretePath, expressPattern, startHardeningServer, type Caller, type HardeningServer } from './support/hardening-server.ts';

/**
 * Who may reach each route: the plan, written down. Every route the app
 * answers (read from its routers, so nothing can be added unseen) must have an
 * entry, and every role and the signed-out caller is tried against it: a
 * caller outside the plan must be refused. "Allowed" means past the role
 * check; the route may still say 400 or 404 to what was sent.
 */
const everyone: Caller[] = ['analyst', 'coach', 'minister', 'admin', 'anonymous'];
const signedIn: Caller[] = ['analyst', 'coach', 'minister', 'admin'];
const analyst: Caller[] = ['analyst'];
const analystCoach: Caller[] = ['analyst', 'coach'];
const readers: Caller[] = ['analyst', 'coach', 'minister'];

const PLANNED: Record<string, Caller[]> = {
  'GET /health': everyone,
  // The API (bearer tokens).
  'GET /api/openapi.json': everyone,
  'POST /api/tokens': everyone,
  'GET /api/me': signedIn,
  'POST /api/users': ['admin'],
  'GET /api/experiments': readers,
  'POST /api/experiments': analyst,
  'GET /api/experiments/:key': readers,
  'PUT /api/experiments/:key': analyst,
  'POST /api/experiments/:key/launch': analyst,
  'POST /api/experiments/:key/pause': analyst,
  'POST /api/experiments/:key/resume': analyst,
  'POST /api/experiments/:key/conclude': analyst,
  'POST /api/experiments/:key/allocation': analyst,
  'POST /api/experiments/:key/assignments': analystCoach,
  'GET /api/experiments/:key/report': analyst,
  'GET /api/experiments/:key/export/assignments.csv': analyst,
  'GET /api/experiments/:key/export/outcomes.csv': analyst,
  'GET /api/contacts': analystCoach,
  'POST /api/contacts': analyst,
  'POST /api/contacts/import': analyst,
  'GET /api/contacts/:reference': analystCoach,
  'PATCH /api/contacts/:reference': analystCoach,
  'GET /api/contacts/:reference/history': analystCoach,
  'GET /api/contacts/:reference/outcomes': analystCoach,
  'GET /api/contacts/:reference/assignments': analystCoach,
  'POST /api/contacts/:reference/opt-out': analystCoach,
  'POST /api/outcomes': analystCoach,
  // Pages (browser sessions).
  'GET /govuk-frontend.min.css': everyone,
  'GET /govuk-frontend.min.js': everyone,
  'GET /vendor/chart.umd.min.js': everyone,
  'GET /': signedIn,
  'GET /sign-in': everyone,
  'POST /sign-in': everyone,
  'POST /sign-out': signedIn,
  'GET /accessibility': everyone,
  'GET /privacy': everyone,
  'GET /experiments': analyst,
  'GET /experiments/new': analyst,
  'POST /experiments/new': analyst,
  'GET /experiments/:key': analyst,
  'GET /experiments/:key/edit': analyst,
  'POST /experiments/:key/edit': analyst,
  'GET /experiments/:key/results': analyst,
  ...Object.fromEntries(
    ['launch', 'pause', 'resume', 'conclude'].flatMap((action) => [
      [`GET /experiments/:key/${action}`, analyst],
      [`POST /experiments/:key/${action}`, analyst],
    ]),
  ),
  'GET /data': analyst,
  'POST /data/import': analyst,
  'GET /data/:key/assignments.csv': analyst,
  'GET /data/:key/outcomes.csv': analyst,
  // Coaches' own caseload: analysts use the API and exports instead (decision 0014).
  'GET /caseload': ['coach'],
  'GET /contacts/:reference': ['coach'],
  'POST /contacts/:reference/outcomes': ['coach'],
  'POST /contacts/:reference/opt-out': ['coach'],
  'POST /contacts/:reference/assignments': ['coach'],
  'GET /contacts/:reference/preferences': ['coach'],
  'POST /contacts/:reference/preferences': ['coach'],
  'GET /learning-log': analystCoach,
  'POST /learning-log': analystCoach,
  'GET /learning-log/summaries': analyst,
  'GET /learning-log/summaries/:weekEnding': analyst,
  'POST /learning-log/summaries/:weekEnding': analyst,
  'GET /learning-log/summaries/:weekEnding/approve': analyst,
  'POST /learning-log/summaries/:weekEnding/approve': analyst,
  'GET /report': ['minister', 'analyst'],
  'GET /report/current': analyst,
  'GET /report/weeks': ['minister', 'analyst'],
  'GET /report/weeks/:weekEnding.csv': ['minister', 'analyst'],
  'GET /report/weeks/:weekEnding': ['minister', 'analyst'],
  'GET /admin': ['admin'],
  'POST /admin/users': ['admin'],
};

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
  const session = caller === 'anonymous' ? null : server.session(caller);
  const cookies = session ? [session.cookie] : [];
  let csrf = session?.csrfToken ?? '';
  if (route.path === '/sign-in' && route.method === 'POST') {
    const signIn = await server.signInToken();
    cookies.push(signIn.cookie);
    csrf = signIn.token;
  }
  if (cookies.length) headers.cookie = cookies.join('; ');
  if (route.method === 'POST') {
    if (route.path === '/data/import') {
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
    const session = server.session('analyst');
    const api = await fetch(`${server.baseUrl}/api/contacts`, { headers: { cookie: session.cookie } });
    expect(api.status).toBe(401);
    const page = await fetch(`${server.baseUrl}/experiments`, { headers: { authorization: `Bearer ${server.tokens.analyst}` }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/sign-in/);
  });
});
