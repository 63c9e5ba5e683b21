import type { NextFunction, Request, Response } from 'express';
import type { CurrentUser } from '../auth/auth-service.ts';
import type { Services } from '../services.ts';
import { ForbiddenError, HttpError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';

declare module 'express-serve-static-core' {
  interface Request {
    user?: CurrentUser;
    csrfToken?: string;
  }
}

export const SESSION_COOKIE = 'eiu_session';

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * Identifies the caller: an API token (`Authorization: Bearer …`) for the API,
 * or the session cookie for pages. The API never accepts the cookie, so a page
 * on another site cannot make a signed-in browser call it (pages check a CSRF
 * token on every form instead). Leaves `req.user` unset when neither is valid.
 * Both are looked up in the database on every request (nothing is cached in the
 * process), so a sign-out, a disabled user or a role change on one instance
 * applies on every instance at once. A database failure goes to the error
 * handler (503).
 */
export function setUpAuthentication(services: Services) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      req.user = (await services.auth.userForToken(header.slice(7).trim())) ?? undefined;
    } else if (!req.path.startsWith('/api/')) {
      const cookie = readCookie(req, SESSION_COOKIE);
      const session = cookie ? await services.auth.sessionFor(cookie) : null;
      if (session) {
        req.user = session.user;
        req.csrfToken = session.csrfToken;
      }
    }
    next();
  };
}

/** The signed-in user, or a 401. */
export function currentUser(req: Request): CurrentUser {
  if (!req.user) throw new HttpError(401, 'Sign in, or send a valid API token');
  return req.user;
}

/** Route guard: only these roles may continue. Checked on the server for every route. */
export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const user = currentUser(req);
    if (!roles.includes(user.role)) throw new ForbiddenError();
    next();
  };
}
