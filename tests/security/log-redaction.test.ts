import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDACTED_REFERENCE, redactPath } from '../../server/middleware/error-handler.ts';
import { FIXTURES, startHardeningServer, type HardeningServer } from './support/hardening-server.ts';

/**
 * Quiet logs: an error line says what failed and where, but a contact
 * reference in the path (or in the error's own message) becomes a fixed
 * token, so the logs never tie a person to an incident.
 */
describe('redactPath', () => {
  it('replaces the reference in API and page paths about a contact', () => {
    expect(redactPath('/api/contacts/SEC-OWN-0001')).toBe(`/api/contacts/${REDACTED_REFERENCE}`);
    expect(redactPath('/api/contacts/SEC-OWN-0001/outcomes')).toBe(`/api/contacts/${REDACTED_REFERENCE}/outcomes`);
    expect(redactPath('/contacts/eiu-7k2q-9d/preferences')).toBe(`/contacts/${REDACTED_REFERENCE}/preferences`);
    expect(redactPath('/contacts/EIU%207K2Q')).toBe(`/contacts/${REDACTED_REFERENCE}`);
  });

  it('leaves paths without a reference alone', () => {
    for (const path of ['/api/contacts', '/api/contacts/import', '/contacts', '/experiments/channel-tone/results', '/report/weeks/2026-11-22'])
      expect(redactPath(path)).toBe(path);
  });
});

describe('the error handler’s log line', () => {
  let server: HardeningServer;
  beforeAll(async () => {
    server = await startHardeningServer();
  });
  afterAll(() => server.close());

  /** Makes looking up a contact fail unexpectedly, with the reference in the error, and returns what was logged. */
  async function loggedFailure(request: () => Promise<Response>) {
    const lookUp = server.services.contacts.get;
    server.services.contacts.get = (_user, reference) => {
      throw new Error(`database went away while reading ${reference}`);
    };
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const response = await request();
      const body = await response.text();
      return { status: response.status, body, lines: logged.mock.calls.map((call) => call.map(String).join(' ')) };
    } finally {
      logged.mockRestore();
      server.services.contacts.get = lookUp;
    }
  }

  it('logs an API failure with the path and message redacted, and tells the caller only a reference to quote', async () => {
    const { status, body, lines } = await loggedFailure(() =>
      fetch(`${server.baseUrl}/api/contacts/${FIXTURES.ownReference}`, { headers: { authorization: `Bearer ${server.tokens.analyst}` } }),
    );
    expect(status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`GET /api/contacts/${REDACTED_REFERENCE}:`);
    expect(lines[0]).toContain(`database went away while reading ${REDACTED_REFERENCE}`);
    expect(lines[0]).not.toContain(FIXTURES.ownReference);
    const reference = JSON.parse(body).reference as string;
    expect(lines[0]).toContain(`[error ${reference}]`);
    expect(body).not.toContain(FIXTURES.ownReference);
  });

  it('logs a page failure the same way', async () => {
    const session = await server.session('coach');
    const { status, body, lines } = await loggedFailure(() => fetch(`${server.baseUrl}/contacts/${FIXTURES.ownReference}`, { headers: { cookie: session.cookie } }));
    expect(status).toBe(500);
    expect(lines.join('\n')).toContain(`GET /contacts/${REDACTED_REFERENCE}:`);
    expect(lines.join('\n')).not.toContain(FIXTURES.ownReference);
    expect(body).not.toContain('database went away');
  });
});
