import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPeople, TEST_PASSWORD } from '../support/test-server.ts';
import { hiddenField, pageClient, pageText } from '../browser/support/page-client.ts';
import { createSignInTokens } from '../../server/auth/sign-in-token.ts';
import { purgeExpiredCredentials } from '../../server/auth/account-purge.ts';
import { LAST_ADMIN_MESSAGE } from '../../server/auth/account-service.ts';
import { defaultAccountSettings } from '../../server/auth/account-settings.ts';
import { withJobLease } from '../../server/jobs/job-lease.ts';
import { demoLoginLines } from '../../seed/demo-logins.ts';
import { column, scalar } from '../support/sql.ts';
import { newClock, openTestDatabase, send, startServer, type SecurityServer } from './support/security-server.ts';

let server: SecurityServer;
let clock: ReturnType<typeof newClock>;
let tokens: Awaited<ReturnType<typeof createPeople>>;

async function start(settings: Parameters<typeof defaultAccountSettings>[0] = {}) {
  clock = newClock();
  server = await startServer(await openTestDatabase(), clock, { accounts: defaultAccountSettings(settings) });
  tokens = await createPeople(server.services);
}
afterEach(() => server.close());

const MINUTE = 60_000;
const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms).toISOString());

/** GET with a bearer token. */
const withToken = (token: string, path = '/api/me', method = 'GET') => fetch(`${server.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

async function signedIn(username: string, password = TEST_PASSWORD) {
  const client = pageClient(server.baseUrl);
  const response = await client.signIn(username, password);
  return { client, response };
}

describe('API tokens', () => {
  beforeEach(() => start());

  it('expire 90 days after they are made by default', async () => {
    const made = await fetch(`${server.baseUrl}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'analyst', password: TEST_PASSWORD, label: 'notebook' }) });
    const { token, expiresAt } = await made.json();
    expect(expiresAt).toBe('2027-02-21T09:00:00.000Z');
    advance(90 * 24 * 60 * MINUTE - 1);
    expect((await withToken(token)).status).toBe(200);
    advance(1);
    expect((await withToken(token)).status).toBe(401);
  });

  it('are listed for their owner with when each was made, last used and expires, and revoking one stops it at once', async () => {
    await withToken(tokens.analyst);
    const list = await (await withToken(tokens.analyst, '/api/tokens')).json();
    expect(list.tokens).toEqual([
      { id: expect.any(Number), label: 'test', createdAt: '2026-11-23T09:00:00.000Z', lastUsedAt: '2026-11-23T09:00:00.000Z', expiresAt: '2027-02-21T09:00:00.000Z', revokedAt: null, status: 'active' },
    ]);
    const id = list.tokens[0].id;
    expect((await withToken(tokens.coach, `/api/tokens/${id}`, 'DELETE')).status).toBe(404);
    expect((await withToken(tokens.analyst, `/api/tokens/${id}`, 'DELETE')).status).toBe(204);
    expect((await withToken(tokens.analyst)).status).toBe(401);
    const audit = await server.db.all(`SELECT action, entity_id AS "entityId" FROM audit_log WHERE action = 'revoke-token'`);
    expect(audit).toEqual([{ action: 'revoke-token', entityId: String(id) }]);
  });

  it('can be listed and revoked by an admin for anyone', async () => {
    const listed = await (await withToken(tokens.admin, '/api/users/coach/tokens')).json();
    expect(listed.tokens).toHaveLength(1);
    expect((await withToken(tokens.analyst, '/api/users/coach/tokens')).status).toBe(403);
    expect((await withToken(tokens.admin, `/api/tokens/${listed.tokens[0].id}`, 'DELETE')).status).toBe(204);
    expect((await withToken(tokens.coach)).status).toBe(401);
  });

  it('are listed on the Your account page, where their owner can revoke them', async () => {
    const { client } = await signedIn('minister');
    const page = await client.get('/account');
    expect(page.status).toBe(200);
    const text = pageText(page.html);
    expect(text).toContain('Your API tokens');
    expect(text).toContain('23 November 2026');
    expect(text).toContain('21 February 2027');
    const action = /action="(\/account\/tokens\/\d+\/revoke)"/.exec(page.html)![1];
    const revoked = await client.post(action, { _csrf: hiddenField(page.html, '_csrf')! });
    expect(revoked.location).toBe('/account?done=revoked');
    expect((await withToken(tokens.minister)).status).toBe(401);
    expect(pageText((await client.get('/account?done=revoked')).html)).toContain('Revoked');
  });
});

describe('token lifetime setting', () => {
  it('follows EIU_TOKEN_DAYS', async () => {
    await start({ tokenDays: 7 });
    const made = await fetch(`${server.baseUrl}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'analyst', password: TEST_PASSWORD }) });
    expect((await made.json()).expiresAt).toBe('2026-11-30T09:00:00.000Z');
  });
});

describe('sessions', () => {
  beforeEach(() => start());

  it('end after 30 minutes without a request, but not while they are being used', async () => {
    const { client } = await signedIn('analyst');
    for (let i = 0; i < 4; i++) {
      advance(29 * MINUTE);
      expect((await client.get('/experiments')).status).toBe(200);
    }
    advance(30 * MINUTE + 1);
    const after = await client.get('/experiments');
    expect(after.status).toBe(303);
    expect(after.location).toBe('/sign-in?timedOut=1&next=%2Fexperiments');
    expect(pageText((await client.get(after.location!)).html)).toContain('Your session has ended');
  });

  it('end 10 hours after sign-in however busy they are', async () => {
    const { client } = await signedIn('analyst');
    for (let minutes = 20; minutes < 600; minutes += 20) {
      advance(20 * MINUTE);
      expect((await client.get('/experiments')).status).toBe(200);
    }
    advance(20 * MINUTE);
    expect((await client.get('/experiments')).status).toBe(303);
  });
});

describe('the purge job', () => {
  beforeEach(() => start());

  it('deletes sessions past either limit, expired or revoked tokens and spent counters, and keeps the rest', async () => {
    const { services, db } = server;
    const ids = await column<number>(db, 'SELECT id FROM users ORDER BY id');
    await services.auth.createSession(ids[0]); // will go idle
    const kept = await services.auth.createSession(ids[1]);
    const revokedId = (await services.auth.issueApiToken(ids[2], 'old')).id;
    await services.auth.revokeToken(ids[2], revokedId);
    await db.run("INSERT INTO sign_in_throttle (key, points, expire) VALUES ('failures:account:x', 3, ?), ('failures:account:y', 1, ?)", [
      clock.now().getTime() + 10 * MINUTE,
      clock.now().getTime() + 60 * MINUTE,
    ]);
    advance(20 * MINUTE);
    await services.auth.sessionFor(kept.cookieValue);
    advance(15 * MINUTE);
    const counts = await purgeExpiredCredentials({ db, clock, auth: services.auth, throttle: services.throttle });
    expect(counts).toEqual({ sessions: 1, tokens: 1, throttleCounters: 1 });
    expect(await scalar(db, 'SELECT COUNT(*) AS n FROM sessions')).toBe(1);
    expect(await services.auth.sessionFor(kept.cookieValue)).not.toBeNull();
    // The five tokens made by createPeople expire after 90 days.
    advance(90 * 24 * 60 * MINUTE);
    expect(await purgeExpiredCredentials({ db, clock, auth: services.auth, throttle: services.throttle })).toEqual({ sessions: 1, tokens: 5, throttleCounters: 1 });
  });

  it('runs on one instance at a time', async () => {
    const { services, db } = server;
    let inner: unknown = 'not run';
    await withJobLease(db, clock, 'account-purge', async () => {
      inner = await purgeExpiredCredentials({ db, clock, auth: services.auth, throttle: services.throttle, instance: 'another-instance' });
    }, { holder: 'this-instance' });
    expect(inner).toBeNull();
  });
});

/** Loads an admin page and posts its form, as the admin would. */
async function adminPosts(admin: ReturnType<typeof pageClient>, pagePath: string, fields: Record<string, string> = {}) {
  const page = await admin.get(pagePath);
  expect(page.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"(?![^>]*eiu-sign-out)/.exec(page.html.replace(/<form method="post" action="\/sign-out"[^>]*>/, ''))![1];
  return admin.post(action.replace(/&amp;/g, '&'), { _csrf: hiddenField(page.html, '_csrf')!, ...fields });
}

describe('disabling a user', () => {
  beforeEach(() => start());

  it('asks for confirmation, then ends their sessions and tokens at once; enabling them again does not bring those back', async () => {
    const { client: coach } = await signedIn('coach');
    expect((await coach.get('/caseload')).status).toBe(200);
    const { client: admin } = await signedIn('admin');
    const confirm = await admin.get('/admin/users/coach/disable');
    expect(pageText(confirm.html)).toContain('Disable Test coach?');
    const done = await adminPosts(admin, '/admin/users/coach/disable');
    expect(done.location).toBe('/admin/users/coach?done=disabled');

    expect((await coach.get('/caseload')).status).toBe(303);
    expect((await withToken(tokens.coach)).status).toBe(401);
    expect(await scalar(server.db, "SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'coach'")).toBe(0);
    expect((await signedIn('coach')).response.status).toBe(401);

    await adminPosts(admin, '/admin/users/coach/enable');
    expect((await signedIn('coach')).response.status).toBe(303);
    expect((await withToken(tokens.coach)).status).toBe(401);
    const audit = await column(server.db, "SELECT action FROM audit_log WHERE entity = 'user' AND action IN ('disable', 'enable') ORDER BY id");
    expect(audit).toEqual(['disable', 'enable']);
  });
});

describe('resetting a password', () => {
  beforeEach(() => start());

  it('shows a one-time password once, ends the user’s access, and makes them change it at their next sign-in', async () => {
    const { client: old } = await signedIn('analyst');
    const { client: admin } = await signedIn('admin');
    const result = await adminPosts(admin, '/admin/users/analyst/reset-password');
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    const oneTime = /class="eiu-one-time-password">([^<]+)</.exec(result.html)![1];
    expect(oneTime).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM audit_log')).toBeGreaterThan(0);
    expect(JSON.stringify(await server.db.all('SELECT * FROM audit_log'))).not.toContain(oneTime);

    expect((await old.get('/experiments')).status).toBe(303);
    expect((await withToken(tokens.analyst)).status).toBe(401);
    expect((await signedIn('analyst')).response.status).toBe(401);

    const { client, response } = await signedIn('analyst', oneTime);
    expect(response.location).toBe('/account/password');
    expect((await client.get('/experiments')).location).toBe('/account/password');
    const api = await fetch(`${server.baseUrl}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'analyst', password: oneTime }) });
    expect(api.status).toBe(403);

    const form = await client.get('/account/password');
    expect(pageText(form.html)).toContain('One-time password');
    const changed = await client.post('/account/password', { _csrf: hiddenField(form.html, '_csrf')!, currentPassword: oneTime, newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' });
    expect(changed.location).toBe('/experiments');
    expect((await client.get('/experiments')).status).toBe(200);
    expect((await signedIn('analyst', oneTime)).response.status).toBe(401);
    expect((await signedIn('analyst', 'a brand new passphrase')).response.location).toBe('/experiments');
  });
});

describe('the last admin', () => {
  beforeEach(() => start());

  it('cannot be disabled or made another role, with an error that says what to do', async () => {
    const { client: admin } = await signedIn('admin');
    const disable = await adminPosts(admin, '/admin/users/admin/disable');
    expect(disable.status).toBe(409);
    expect(disable.html).toContain('govuk-error-summary');
    expect(pageText(disable.html)).toContain(LAST_ADMIN_MESSAGE);

    const confirm = await adminPosts(admin, '/admin/users/admin/role', { role: 'analyst' });
    expect(pageText(confirm.html)).toContain('Make Test admin an analyst?');
    const demote = await admin.post('/admin/users/admin/role/confirm', { _csrf: hiddenField(confirm.html, '_csrf')!, role: 'analyst' });
    expect(demote.status).toBe(409);
    expect(pageText(demote.html)).toContain(LAST_ADMIN_MESSAGE);
    expect(await scalar(server.db, "SELECT role FROM users WHERE username = 'admin'")).toBe('admin');
    expect(await scalar(server.db, "SELECT disabled_at FROM users WHERE username = 'admin'")).toBeNull();
  });

  it('can hand over: once another user is an admin, the first can be made an analyst', async () => {
    const { client: admin } = await signedIn('admin');
    const confirm = await adminPosts(admin, '/admin/users/minister/role', { role: 'admin' });
    const promoted = await admin.post('/admin/users/minister/role/confirm', { _csrf: hiddenField(confirm.html, '_csrf')!, role: 'admin' });
    expect(promoted.location).toBe('/admin/users/minister?done=role');
    // The change applies to the minister's next request, without signing them out.
    expect((await withToken(tokens.minister, '/api/me').then((r) => r.json())).role).toBe('admin');

    const again = await adminPosts(admin, '/admin/users/admin/role', { role: 'analyst' });
    const demoted = await admin.post('/admin/users/admin/role/confirm', { _csrf: hiddenField(again.html, '_csrf')!, role: 'analyst' });
    expect(demoted.status).toBe(303);
    expect((await admin.get('/admin')).status).toBe(403);
    const audit = await column(server.db, "SELECT action FROM audit_log WHERE action LIKE 'change-role%' ORDER BY id");
    expect(audit).toEqual(['change-role-to-admin', 'change-role-to-analyst']);
  });

  it('asks the admin to select a role, and will not turn anyone into a work coach', async () => {
    const { client: admin } = await signedIn('admin');
    const none = await adminPosts(admin, '/admin/users/analyst/role', {});
    expect(none.status).toBe(400);
    expect(none.html).toContain('href="#role"');
    expect(pageText(none.html)).toContain('Select a role');
    const coach = await adminPosts(admin, '/admin/users/analyst/role', { role: 'coach' });
    expect(coach.status).toBe(400);
  });
});

describe('changing your own password', () => {
  beforeEach(() => start());

  it('needs the current password, a long enough new one typed twice, and ends your other sessions only', async () => {
    const { client: elsewhere } = await signedIn('coach');
    const { client } = await signedIn('coach');
    const form = await client.get('/account/password');
    const csrf = hiddenField(form.html, '_csrf')!;

    const short = await client.post('/account/password', { _csrf: csrf, currentPassword: TEST_PASSWORD, newPassword: 'too-short', confirmPassword: 'too-short' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('href="#newPassword"');
    expect(pageText(short.html)).toContain('Passwords must be at least 12 characters');

    const mismatch = await client.post('/account/password', { _csrf: csrf, currentPassword: TEST_PASSWORD, newPassword: 'long enough passphrase', confirmPassword: 'long enough passphrasf' });
    expect(mismatch.html).toContain('href="#confirmPassword"');

    const wrong = await client.post('/account/password', { _csrf: csrf, currentPassword: 'not my password', newPassword: 'long enough passphrase', confirmPassword: 'long enough passphrase' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('href="#currentPassword"');

    const done = await client.post('/account/password', { _csrf: csrf, currentPassword: TEST_PASSWORD, newPassword: 'long enough passphrase', confirmPassword: 'long enough passphrase' });
    expect(done.location).toBe('/account?done=password');
    expect((await client.get('/caseload')).status).toBe(200);
    expect((await elsewhere.get('/caseload')).status).toBe(303);
    expect((await withToken(tokens.coach)).status).toBe(200);
    expect(await column(server.db, "SELECT action FROM audit_log WHERE action LIKE 'change-password%' ORDER BY id")).toEqual([
      'change-password-failed',
      'change-password',
    ]);
  });
});

describe('login CSRF on the sign-in form', () => {
  beforeEach(() => start());

  const post = (cookie: string, token: string) =>
    send(Number(new URL(server.baseUrl).port), {
      method: 'POST',
      path: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `eiu_sign_in=${cookie}` },
      body: new URLSearchParams({ _csrf: token, username: 'analyst', password: TEST_PASSWORD }).toString(),
    });

  it('refuses a cookie and token pair chosen by an attacker', async () => {
    const forged = 'A'.repeat(32);
    const response = await post(forged, forged);
    expect(response.status).toBe(403);
    expect(String(response.headers['set-cookie'] ?? '')).not.toContain('eiu_session=');
  });

  it('refuses a pair signed with another secret, or one of ours that is over an hour old', async () => {
    const otherServer = createSignInTokens('a secret that is not this server’s secret', clock).issue();
    expect((await post(otherServer, otherServer)).status).toBe(403);
    const page = await send(Number(new URL(server.baseUrl).port), { method: 'GET', path: '/sign-in' });
    const ours = /name="_csrf" value="([^"]*)"/.exec(page.body)![1];
    advance(61 * MINUTE);
    expect((await post(ours, ours)).status).toBe(403);
  });

  it('accepts the pair the sign-in page gave', async () => {
    const page = await send(Number(new URL(server.baseUrl).port), { method: 'GET', path: '/sign-in' });
    const ours = /name="_csrf" value="([^"]*)"/.exec(page.body)![1];
    expect((await post(ours, ours)).status).toBe(303);
  });
});

describe('demo logins', () => {
  beforeEach(() => start());

  it('are printed from demo_credentials, and a login is dropped once its password changes', async () => {
    await server.db.run('INSERT INTO demo_credentials (username, role, password) VALUES (?, ?, ?), (?, ?, ?)', [
      'analyst', 'analyst', 'demo-pass-1',
      'coach', 'coach', 'demo-pass-2',
    ]);
    expect(await demoLoginLines(server.db)).toHaveLength(3);
    const analystId = (await scalar<number>(server.db, "SELECT id FROM users WHERE username = 'analyst'"))!;
    await server.services.accounts.changeOwnPassword(analystId, 'a changed passphrase');
    expect((await demoLoginLines(server.db)).join('\n')).not.toContain('analyst');
  });
});
