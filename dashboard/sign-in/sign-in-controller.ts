import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie, SESSION_COOKIE } from '../../server/middleware/authentication.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { safeEqual, safeReturnPath } from '../page-guards.ts';
import { START_PAGES } from '../navigation.ts';

/**
 * Before there is a session there is no session CSRF token, so the sign-in form
 * uses a double-submit token: a random value in a short-lived SameSite=Strict
 * cookie and the same value in the form. A form posted from another site
 * cannot carry the cookie, which stops login CSRF.
 */
const SIGN_IN_COOKIE = 'eiu_sign_in';
const SESSION_HOURS = 10;

function signInToken(req: Request, res: Response): string {
  const existing = readCookie(req, SIGN_IN_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = randomBytes(24).toString('base64url');
  res.cookie(SIGN_IN_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/sign-in', maxAge: 60 * 60 * 1000 });
  return token;
}

export function get(req: Request, res: Response): void {
  if (req.user && req.csrfToken) return res.redirect(303, START_PAGES[req.user.role]);
  render(req, res, 'sign-in/sign-in.njk', {
    signInToken: signInToken(req, res),
    next: safeReturnPath(req.query.next),
    signedOut: req.query.signedOut === '1',
    values: {},
  });
}

export async function post(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const username = field(req.body, 'username');
  const password = typeof req.body?.password === 'string' ? (req.body.password as string) : '';
  const next = safeReturnPath(req.query.next);
  const cookieToken = readCookie(req, SIGN_IN_COOKIE);
  const sentToken = field(req.body, '_csrf');
  const again = (errors: PageError[], status: number) =>
    render(req, res, 'sign-in/sign-in.njk', { signInToken: signInToken(req, res), next, values: { username }, errors }, status);

  if (!cookieToken || !safeEqual(cookieToken, sentToken))
    return again([{ field: 'username', message: 'The sign-in form had expired. Enter your username and password again' }], 403);
  const errors: PageError[] = [];
  if (!username) errors.push({ field: 'username', message: 'Enter your username' });
  if (!password) errors.push({ field: 'password', message: 'Enter your password' });
  if (errors.length) return again(errors, 400);

  const user = await services.auth.authenticate(username, password);
  if (!user) {
    services.audit.record(null, 'sign-in-failed', 'user', null);
    return again([{ field: 'username', message: 'Enter a correct username and password' }], 401);
  }
  const session = services.auth.createSession(user.id);
  services.audit.record(user.id, 'sign-in', 'user', user.id);
  res.clearCookie(SIGN_IN_COOKIE, { path: '/sign-in' });
  res.cookie(SESSION_COOKIE, session.cookieValue, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
    maxAge: SESSION_HOURS * 3_600_000,
  });
  res.redirect(303, next ?? START_PAGES[user.role]);
}

/** Signs out: ends the session on the server, not just in the browser. */
export function signOut(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie) services.auth.endSession(cookie);
  if (req.user) services.audit.record(req.user.id, 'sign-out', 'user', req.user.id);
  res.clearCookie(SESSION_COOKIE, { path: '/' });
  res.redirect(303, '/sign-in?signedOut=1');
}
