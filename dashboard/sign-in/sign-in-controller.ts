import type { Request, Response } from 'express';
import { readCookie, SESSION_COOKIE } from '../../server/middleware/authentication.ts';
import { clientAddress } from '../../server/auth/client-address.ts';
import { TooManyAttemptsError, tooManyAttemptsMessage } from '../../server/auth/sign-in-throttle.ts';
import { SIGN_IN_TOKEN_MINUTES } from '../../server/auth/sign-in-token.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { safeReturnPath } from '../page-guards.ts';
import { START_PAGES } from '../navigation.ts';

/**
 * Before there is a session there is no session CSRF token, so the sign-in form
 * uses a double-submit token: the same value in a short-lived SameSite=Strict
 * cookie and in the form. The value is signed with the server's secret
 * (server/auth/sign-in-token.ts), so a pair chosen by someone who can plant
 * cookies is refused, which stops login CSRF.
 */
const SIGN_IN_COOKIE = 'eiu_sign_in';
export const CHANGE_PASSWORD_PATH = '/account/password';

function signInToken(req: Request, res: Response): string {
  const { services } = dashboardContext(res);
  const existing = readCookie(req, SIGN_IN_COOKIE);
  if (existing && services.signInTokens.isValid(existing)) return existing;
  const token = services.signInTokens.issue();
  res.cookie(SIGN_IN_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/sign-in', maxAge: SIGN_IN_TOKEN_MINUTES * 60_000 });
  return token;
}

export function get(req: Request, res: Response): void {
  if (req.user && req.csrfToken) return res.redirect(303, req.user.mustChangePassword ? CHANGE_PASSWORD_PATH : START_PAGES[req.user.role]);
  render(req, res, 'sign-in/sign-in.njk', {
    signInToken: signInToken(req, res),
    next: safeReturnPath(req.query.next),
    signedOut: req.query.signedOut === '1',
    timedOut: req.query.timedOut === '1',
    values: {},
  });
}

export async function post(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const username = field(req.body, 'username');
  const password = typeof req.body?.password === 'string' ? (req.body.password as string) : '';
  const next = safeReturnPath(req.query.next);
  const again = (errors: PageError[], status: number) =>
    render(req, res, 'sign-in/sign-in.njk', { signInToken: signInToken(req, res), next, values: { username }, errors }, status);

  if (!services.signInTokens.verifyPair(readCookie(req, SIGN_IN_COOKIE), field(req.body, '_csrf')))
    return again([{ field: 'username', message: 'The sign-in form had expired. Enter your username and password again' }], 403);
  const errors: PageError[] = [];
  if (!username) errors.push({ field: 'username', message: 'Enter your username' });
  if (!password) errors.push({ field: 'password', message: 'Enter your password' });
  if (errors.length) return again(errors, 400);

  let result;
  try {
    result = await services.checkPassword({ username, address: clientAddress(req) }, 'sign-in', () => services.auth.authenticate(username, password));
  } catch (error) {
    if (!(error instanceof TooManyAttemptsError)) throw error;
    res.setHeader('Retry-After', String(error.retryAfterSeconds));
    return again([{ field: 'username', message: error.message }], 429);
  }
  const { user, waitSeconds } = result;
  if (!user) {
    const message = waitSeconds > 0 ? tooManyAttemptsMessage(waitSeconds) : 'Enter a correct username and password';
    return again([{ field: 'username', message }], 401);
  }
  const session = await services.auth.createSession(user.id);
  await services.audit.record(user.id, 'sign-in', 'user', user.id);
  res.clearCookie(SIGN_IN_COOKIE, { path: '/sign-in' });
  res.cookie(SESSION_COOKIE, session.cookieValue, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
    maxAge: services.auth.settings.sessionHours * 3_600_000,
  });
  res.redirect(303, user.mustChangePassword ? CHANGE_PASSWORD_PATH : (next ?? START_PAGES[user.role]));
}

/** Signs out: ends the session on the server, not just in the browser. */
export async function signOut(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie) await services.auth.endSession(cookie);
  if (req.user) await services.audit.record(req.user.id, 'sign-out', 'user', req.user.id);
  res.clearCookie(SESSION_COOKIE, { path: '/' });
  res.redirect(303, '/sign-in?signedOut=1');
}
