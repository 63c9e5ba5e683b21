import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustProxySetting } from '../../server/middleware/security-headers.ts';
import { TEST_PASSWORD } from '../support/test-server.ts';
import { FIXTURES, startHardeningServer, type HardeningServer } from './support/hardening-server.ts';

/**
 * Transport and caching. Behind a TLS-terminating proxy (EIU_TRUST_PROXY) the
 * app must know the browser used HTTPS, so the session cookie is Secure and
 * HSTS is sent; nothing holding personal data may be kept in a browser or a
 * shared cache.
 */
let direct: HardeningServer;
let proxied: HardeningServer;

beforeAll(async () => {
  direct = await startHardeningServer();
  proxied = await startHardeningServer({ trustProxy: 1 });
});
afterAll(async () => {
  await direct.close();
  await proxied.close();
});

async function signIn(server: HardeningServer, headers: Record<string, string> = {}) {
  const { cookie, token } = await server.signInToken();
  return fetch(`${server.baseUrl}/sign-in`, {
    method: 'POST',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, username: 'analyst', password: TEST_PASSWORD }).toString(),
    redirect: 'manual',
  });
}
const sessionCookie = (response: Response) => response.headers.getSetCookie().find((c) => c.startsWith('eiu_session='));
const FORWARDED_HTTPS = { 'x-forwarded-proto': 'https' };

describe('behind a TLS-terminating proxy', () => {
  it('marks the session cookie Secure when the trusted proxy says the browser used HTTPS', async () => {
    const response = await signIn(proxied, FORWARDED_HTTPS);
    expect(response.status).toBe(303);
    expect(sessionCookie(response)).toMatch(/;\s*Secure/i);
    expect(sessionCookie(response)).toMatch(/HttpOnly/i);
  });

  it('sends Strict-Transport-Security over HTTPS', async () => {
    const response = await fetch(`${proxied.baseUrl}/sign-in`, { headers: FORWARDED_HTTPS });
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('sends neither over plain HTTP through the same proxy', async () => {
    const response = await signIn(proxied, { 'x-forwarded-proto': 'http' });
    expect(sessionCookie(response)).not.toMatch(/Secure/i);
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('ignores X-Forwarded-Proto when no proxy is trusted, so a client cannot claim HTTPS', async () => {
    const response = await signIn(direct, FORWARDED_HTTPS);
    expect(sessionCookie(response)).not.toMatch(/Secure/i);
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('reads EIU_TRUST_PROXY as hops, names or addresses, and off when unset', () => {
    expect(trustProxySetting(undefined)).toBe(false);
    expect(trustProxySetting('')).toBe(false);
    expect(trustProxySetting('0')).toBe(false);
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('1')).toBe(1);
    expect(trustProxySetting(' 2 ')).toBe(2);
    expect(trustProxySetting('loopback')).toBe('loopback');
    expect(trustProxySetting('10.0.0.0/8, 127.0.0.1')).toBe('10.0.0.0/8, 127.0.0.1');
  });
});

describe('caching of personal data', () => {
  const api = (path: string) => fetch(`${direct.baseUrl}${path}`, { headers: { authorization: `Bearer ${direct.tokens.analyst}` } });
  const page = async (path: string, role: 'analyst' | 'coach' | 'minister' = 'analyst') =>
    fetch(`${direct.baseUrl}${path}`, { headers: { cookie: (await direct.session(role)).cookie }, redirect: 'manual' });

  it('sends Cache-Control: no-store on API JSON, including errors', async () => {
    for (const path of ['/api/me', '/api/contacts', `/api/contacts/${FIXTURES.ownReference}`, `/api/experiments/${FIXTURES.experimentKey}`, '/api/contacts/NOPE-0000']) {
      const response = await api(path);
      expect(response.headers.get('content-type'), path).toContain('json');
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('sends Cache-Control: no-store on every CSV export', async () => {
    const exports = [
      api(`/api/experiments/${FIXTURES.experimentKey}/export/assignments.csv`),
      api(`/api/experiments/${FIXTURES.experimentKey}/export/outcomes.csv`),
      page(`/data/${FIXTURES.experimentKey}/assignments.csv`),
      page(`/data/${FIXTURES.experimentKey}/outcomes.csv`),
    ];
    for (const response of await Promise.all(exports)) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      expect(response.headers.get('cache-control')).toBe('no-store');
      await response.text();
    }
  });

  it('sends Cache-Control: no-store on signed-in users’ pages and their redirects', async () => {
    for (const [path, role] of [
      ['/experiments', 'analyst'],
      ['/caseload', 'coach'],
      [`/contacts/${FIXTURES.ownReference}`, 'coach'],
      ['/report', 'minister'],
      ['/', 'coach'],
      ['/no-such-page', 'analyst'],
    ] as const) {
      const response = await page(path, role);
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      await response.text();
    }
  });

  it('still lets browsers cache the shared stylesheet and scripts, which hold nothing personal', async () => {
    const response = await page('/govuk-frontend.min.css');
    expect(response.headers.get('cache-control')).toMatch(/max-age=86400/);
    const ours = await page('/static/dashboard.css');
    expect(ours.status).toBe(200);
    expect(ours.headers.get('cache-control')).not.toContain('no-store');
  });
});
