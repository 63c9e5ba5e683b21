import type { Request, Response } from 'express';
import { passwordSchema } from '../../server/auth/auth-controller.ts';
import { clientAddress } from '../../server/auth/client-address.ts';
import { TooManyAttemptsError, tooManyAttemptsMessage } from '../../server/auth/sign-in-throttle.ts';
import { readCookie, SESSION_COOKIE } from '../../server/middleware/authentication.ts';
import { NotFoundError } from '../../server/errors.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { START_PAGES } from '../navigation.ts';

const BANNERS: Record<string, string> = {
  password: 'Your password has been changed. You have been signed out everywhere else.',
  revoked: 'The API token has been revoked. Anything using it can no longer sign in with it.',
};

/** "Your account": who you are, your API tokens, and changing your password. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const account = await services.accounts.byId(user.id);
  const tokens = await services.auth.listTokens(user.id);
  render(req, res, 'account/account.njk', {
    pageTitle: 'Your account',
    account,
    tokens,
    tokenDays: services.auth.settings.tokenDays,
    banner: BANNERS[String(req.query.done ?? '')] ?? null,
  });
}

export async function postRevokeToken(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || !(await services.auth.revokeToken(user.id, id))) throw new NotFoundError('Token');
  await services.audit.record(user.id, 'revoke-token', 'api-token', id);
  res.redirect(303, '/account?done=revoked');
}

function renderPassword(req: Request, res: Response, errors: PageError[] = [], status?: number) {
  render(
    req,
    res,
    'account/password.njk',
    { pageTitle: 'Change your password', mustChange: Boolean(req.user!.mustChangePassword), errors, backLink: req.user!.mustChangePassword ? null : { href: '/account' } },
    status ?? (errors.length ? 400 : 200),
  );
}

export function getPassword(req: Request, res: Response): void {
  renderPassword(req, res);
}

/**
 * Changing your own password needs the current one (so a session left open
 * cannot be taken over for good), throttled like sign-in; the new one follows
 * the same rule as new users' passwords.
 */
export async function postPassword(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const read = (name: string) => (typeof req.body?.[name] === 'string' ? (req.body[name] as string) : '');
  const current = read('currentPassword');
  const next = read('newPassword');
  const confirm = read('confirmPassword');
  const errors: PageError[] = [];
  if (!current) errors.push({ field: 'currentPassword', message: user.mustChangePassword ? 'Enter the one-time password you were given' : 'Enter your current password' });
  const rule = passwordSchema.safeParse(next);
  if (!next) errors.push({ field: 'newPassword', message: 'Enter a new password' });
  else if (!rule.success) errors.push({ field: 'newPassword', message: rule.error.issues[0].message });
  else if (next === current) errors.push({ field: 'newPassword', message: 'Choose a new password that is different from your current one' });
  if (next && !confirm) errors.push({ field: 'confirmPassword', message: 'Enter your new password again' });
  else if (next && confirm !== next) errors.push({ field: 'confirmPassword', message: 'The passwords do not match: enter the same new password twice' });
  if (errors.length) return renderPassword(req, res, errors);

  let result;
  try {
    result = await services.checkPassword({ username: user.username, address: clientAddress(req) }, 'change-password', async () =>
      (await services.accounts.passwordIsRight(user.id, current)) ? user : null,
    );
  } catch (error) {
    if (!(error instanceof TooManyAttemptsError)) throw error;
    res.setHeader('Retry-After', String(error.retryAfterSeconds));
    return renderPassword(req, res, [{ field: 'currentPassword', message: error.message }], 429);
  }
  if (!result.user) {
    const message = result.waitSeconds > 0 ? tooManyAttemptsMessage(result.waitSeconds) : 'Your current password is not right: enter it again';
    return renderPassword(req, res, [{ field: 'currentPassword', message }], 401);
  }
  await services.accounts.changeOwnPassword(user.id, next, readCookie(req, SESSION_COOKIE));
  await services.audit.record(user.id, 'change-password', 'user', user.id);
  res.redirect(303, user.mustChangePassword ? START_PAGES[user.role] : '/account?done=password');
}
