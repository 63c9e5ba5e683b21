import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../server/errors.ts';
import { readCookie, SESSION_COOKIE } from '../server/middleware/authentication.ts';
import type { Role } from '../experiments/vocabulary.ts';

/** Where a user whose password was reset must go before anything else. */
const CHANGE_PASSWORD_PATH = '/account/password';

/**
 * Page route guard, checked on the server for every page: signed-out users go
 * to the sign-in page (and come back afterwards), told so when their session
 * has ended; a user whose password an admin reset must change it first;
 * signed-in users with another role get the 403 page.
 */
export function requirePageRole(...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.user || !req.csrfToken) {
      // API tokens are for the API: pages need a browser session (and its CSRF token).
      const query = new URLSearchParams();
      if (readCookie(req, SESSION_COOKIE)) query.set('timedOut', '1');
      if (req.method === 'GET') query.set('next', req.originalUrl);
      const search = query.toString();
      return res.redirect(303, `/sign-in${search ? `?${search}` : ''}`);
    }
    if (req.user.mustChangePassword && req.path !== CHANGE_PASSWORD_PATH && req.path !== '/sign-out') return res.redirect(303, CHANGE_PASSWORD_PATH);
    if (!roles.includes(req.user.role)) throw new ForbiddenError('You do not have permission to see this page');
    next();
  };
}

/** True when the two strings are equal, compared in constant time. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Every POST form carries the session's CSRF token in `_csrf`. A missing or
 * wrong token is a 403 page: the form was not sent by this service's page.
 */
export function verifyCsrf(req: Request, _res: Response, next: NextFunction) {
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!req.csrfToken || typeof sent !== 'string' || !safeEqual(sent, req.csrfToken))
    throw new ForbiddenError('This form has expired or did not come from this service. Go back, refresh the page and try again.');
  next();
}

/** A same-site path to return to after sign-in; anything else becomes null. */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/sign-')) return null;
  return value;
}
