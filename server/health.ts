import type { Request, Response } from 'express';
import type { Queryable } from './db/database.ts';
import { ping } from './db/ping.ts';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from './middleware/error-handler.ts';

/**
 * GET /health, for load balancers and orchestrators: 200 `{status: 'ok'}` while
 * the database answers a `SELECT 1`, 503 with Retry-After while it does not
 * (so an instance that has lost its database is taken out of rotation rather
 * than answering every request with an error page).
 */
export function healthCheck(db: Queryable) {
  return async (_req: Request, res: Response): Promise<void> => {
    try {
      await ping(db);
    } catch {
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({ status: 'unavailable', error: DATABASE_UNAVAILABLE_MESSAGE });
      return;
    }
    res.json({ status: 'ok' });
  };
}
