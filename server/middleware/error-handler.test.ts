import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseUnavailableError, type Db } from '../db/database.ts';
import { openTestDatabase } from '../../tests/support/test-database.ts';
import { createAuditService } from '../audit-service.ts';
import { fixedClock } from '../clock.ts';
import { healthCheck } from '../health.ts';
import { DATABASE_RETRY_AFTER_SECONDS, errorHandler, isDatabaseUnavailable } from './error-handler.ts';
import { personLevel } from './request-audit.ts';

let server: Server | undefined;
let db: Db | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await db?.close().catch(() => {});
  db = undefined;
  vi.restoreAllMocks();
});

async function serve(app: express.Express): Promise<string> {
  server = app.listen(0);
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const pages: { status: number; message: string }[] = [];
const renderPage = (_req: Request, res: Response, status: number, message: string) => {
  pages.push({ status, message });
  res.status(status).type('html').send(`<h1>${status}</h1><p>${message}</p>`);
};

describe('a database that cannot be reached', () => {
  it('is a 503 with Retry-After, in JSON for the API and as a page for the dashboard, logged without the path’s reference', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const app = express();
    const down = () => {
      throw new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }));
    };
    app.get('/api/contacts/:reference', down);
    app.get('/contacts/:reference', down);
    // A raw driver error that was not wrapped is recognised too.
    app.get('/api/raw', () => {
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
    });
    app.use(errorHandler(renderPage));
    const base = await serve(app);

    const api = await fetch(`${base}/api/contacts/EIU-7K2Q9D`);
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    expect(await api.json()).toEqual({ error: expect.stringMatching(/Try again in a minute/) });

    const page = await fetch(`${base}/contacts/EIU-7K2Q9D`);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    expect(pages.at(-1)).toEqual({ status: 503, message: expect.stringMatching(/database cannot be reached/) });

    expect((await fetch(`${base}/api/raw`)).status).toBe(503);
    const lines = logged.mock.calls.map((call) => call.join(' ')).join('\n');
    expect(lines).not.toContain('EIU-7K2Q9D');
    expect(lines).toContain('[database unavailable] GET /api/contacts/[reference]');
  });

  it('leaves other errors as they were: a 500 with a reference', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const app = express();
    app.get('/api/bug', () => {
      throw Object.assign(new Error('no such column: x'), { code: 'SQLITE_ERROR' });
    });
    app.use(errorHandler(renderPage));
    const base = await serve(app);
    const response = await fetch(`${base}/api/bug`);
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await isDatabaseUnavailable(new Error('plain'))).toBe(false);
  });

  it('still writes the refused request’s audit row for other errors', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    db = await openTestDatabase();
    const { id } = (await db.get<{ id: number }>(
      "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('coach', 'Coach', 'coach', 'x', '2026-03-01T09:00:00.000Z') RETURNING id",
    ))!;
    const audit = createAuditService(db, fixedClock('2026-03-02T09:00:00.000Z'));
    const app = express();
    app.get('/contacts/:reference', (req, _res, next) => {
      req.user = { id, username: 'coach', displayName: 'Coach', role: 'coach', coachId: null };
      next();
    }, personLevel('view', 'contact'), () => {
      throw new Error('bug');
    });
    app.use(errorHandler(renderPage, audit));
    const base = await serve(app);
    expect((await fetch(`${base}/contacts/EIU-7K2Q9D`)).status).toBe(500);
    expect(await db.all('SELECT user_id, action, entity, entity_id FROM audit_log')).toEqual([{ user_id: id, action: 'view-refused', entity: 'contact', entity_id: 'EIU-7K2Q9D' }]);
  });
});

describe('/health', () => {
  it('is 200 while the database answers and 503 with Retry-After once it does not', async () => {
    db = await openTestDatabase();
    const app = express();
    app.get('/health', healthCheck(db));
    const base = await serve(app);
    const up = await fetch(`${base}/health`);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ok' }]);
    await db.close();
    const down = await fetch(`${base}/health`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    expect((await down.json()).status).toBe('unavailable');
  });
});
