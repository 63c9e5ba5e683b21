import type { Request, Response } from 'express';
import { CHANGEABLE_ROLES, type AccountView } from '../../server/auth/account-service.ts';
import { HttpError, NotFoundError } from '../../server/errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';

/**
 * Admins: one user's page, and the changes that take access away or hand it
 * back (disable, enable, reset the password, change the role). Each change
 * has a confirmation page first, and each is audited.
 */

const USERNAME = /^[a-z0-9._-]{3,40}$/;

async function account(req: Request, res: Response): Promise<AccountView> {
  const username = String(req.params.username);
  if (!USERNAME.test(username)) throw new NotFoundError('User');
  return dashboardContext(res).services.accounts.byUsername(username);
}

const userPath = (user: AccountView) => `/admin/users/${encodeURIComponent(user.username)}`;

const BANNERS: Record<string, string> = {
  disabled: 'The user has been disabled. Their sessions and API tokens have ended.',
  enabled: 'The user has been enabled. They can sign in again with their password.',
  role: 'The role has been changed. It applies from their next page or API request.',
  revoked: 'The API token has been revoked.',
};

async function renderUser(req: Request, res: Response, user: AccountView, errors: PageError[] = [], status?: number): Promise<void> {
  const { services } = dashboardContext(res);
  const tokens = await services.auth.listTokens(user.id);
  render(
    req,
    res,
    'admin/user.njk',
    {
      pageTitle: user.displayName,
      account: user,
      tokens,
      canChangeRole: user.role !== 'coach',
      banner: BANNERS[String(req.query.done ?? '')] ?? null,
      backLink: { href: '/admin', text: 'All users' },
      errors,
    },
    status ?? (errors.length ? 409 : 200),
  );
}

export async function get(req: Request, res: Response): Promise<void> {
  await renderUser(req, res, await account(req, res));
}

type Action = 'disable' | 'enable' | 'reset-password';

interface Confirmation {
  title: string;
  warning: string;
  points: string[];
  button: string;
  warningButton: boolean;
}

function confirmationFor(action: Action, user: AccountView): Confirmation {
  switch (action) {
    case 'disable':
      return {
        title: `Disable ${user.displayName}?`,
        warning: 'They will be signed out at once and will not be able to sign in.',
        points: ['Every session they have open ends now.', 'Every API token they have is revoked: tokens stay revoked if you enable them again.', 'Nothing they recorded is changed or removed.'],
        button: 'Disable user',
        warningButton: true,
      };
    case 'enable':
      return {
        title: `Enable ${user.displayName}?`,
        warning: 'They will be able to sign in again with their current password.',
        points: ['If you are not sure their password is still safe, reset it as well.'],
        button: 'Enable user',
        warningButton: false,
      };
    case 'reset-password':
      return {
        title: `Reset the password of ${user.displayName}?`,
        warning: 'Their current password stops working now, and they are signed out everywhere.',
        points: [
          'You will see a one-time password once. Give it to them in person or by phone, never by email.',
          'They must choose a new password when they sign in with it.',
          'Every API token they have is revoked.',
        ],
        button: 'Reset password',
        warningButton: true,
      };
  }
}

/** GET: the confirmation page for an action. */
export function getConfirm(action: Action) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await account(req, res);
    render(req, res, 'admin/confirm.njk', {
      pageTitle: confirmationFor(action, user).title,
      account: user,
      confirmation: confirmationFor(action, user),
      action: `${userPath(user)}/${action}`,
      hidden: {},
      cancel: userPath(user),
    });
  };
}

/** POST: carries the action out, or shows why it cannot be (the last admin). */
export function postConfirm(action: Action) {
  return async (req: Request, res: Response): Promise<void> => {
    const { services } = dashboardContext(res);
    const admin = req.user!;
    const user = await account(req, res);
    try {
      if (action === 'disable') {
        await services.accounts.disable(user.id);
        await services.audit.record(admin.id, 'disable', 'user', user.id);
        return res.redirect(303, admin.id === user.id ? '/sign-in' : `${userPath(user)}?done=disabled`);
      }
      if (action === 'enable') {
        await services.accounts.enable(user.id);
        await services.audit.record(admin.id, 'enable', 'user', user.id);
        return res.redirect(303, `${userPath(user)}?done=enabled`);
      }
      const { password } = await services.accounts.resetPassword(user.id);
      await services.throttle.clearAccount(user.username);
      await services.audit.record(admin.id, 'reset-password', 'user', user.id);
      // Shown in this response only (never stored, never in a URL); no-store keeps it out of the cache.
      render(req, res, 'admin/one-time-password.njk', { pageTitle: 'Password reset', account: user, password, self: admin.id === user.id });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) return await renderUser(req, res, user, [{ field: 'actions', message: error.message }]);
      throw error;
    }
  };
}

function renderRole(req: Request, res: Response, user: AccountView, role: string, errors: PageError[] = []) {
  render(
    req,
    res,
    'admin/role.njk',
    { pageTitle: `Change the role of ${user.displayName}`, account: user, roles: CHANGEABLE_ROLES, role, errors, backLink: { href: userPath(user) } },
    errors.length ? 400 : 200,
  );
}

export async function getRole(req: Request, res: Response): Promise<void> {
  const user = await account(req, res);
  if (user.role === 'coach') return await renderUser(req, res, user, [{ field: 'actions', message: 'A work coach’s account is tied to their caseload: add a new user for another role instead' }]);
  renderRole(req, res, user, user.role);
}

const ROLE_POINTS: Record<string, string> = {
  analyst: 'Analysts design and run experiments, see full results and export data.',
  minister: 'Ministers and policy viewers read the weekly report only.',
  admin: 'Admins manage who can sign in.',
};

/** POST from the role form: checks the choice, then asks to confirm it. */
export async function postRole(req: Request, res: Response): Promise<void> {
  const user = await account(req, res);
  const role = field(req.body, 'role');
  if (!(CHANGEABLE_ROLES as readonly string[]).includes(role)) return renderRole(req, res, user, '', [{ field: 'role', message: 'Select a role' }]);
  if (role === user.role) return renderRole(req, res, user, role, [{ field: 'role', message: `They are already ${role === 'admin' ? 'an' : 'a'} ${role}: select a different role` }]);
  render(req, res, 'admin/confirm.njk', {
    pageTitle: `Make ${user.displayName} ${role === 'admin' || role === 'analyst' ? 'an' : 'a'} ${role}?`,
    account: user,
    confirmation: {
      title: `Make ${user.displayName} ${role === 'admin' || role === 'analyst' ? 'an' : 'a'} ${role}?`,
      warning: `They will stop being ${user.role === 'admin' || user.role === 'analyst' ? 'an' : 'a'} ${user.role} from their next page or API request.`,
      points: [ROLE_POINTS[role]],
      button: 'Change role',
      warningButton: false,
    },
    action: `${userPath(user)}/role/confirm`,
    hidden: { role },
    cancel: userPath(user),
  });
}

export async function postRoleConfirm(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = await account(req, res);
  const role = field(req.body, 'role');
  if (!(CHANGEABLE_ROLES as readonly string[]).includes(role)) return renderRole(req, res, user, '', [{ field: 'role', message: 'Select a role' }]);
  try {
    if (await services.accounts.changeRole(user.id, role as Role)) await services.audit.record(req.user!.id, `change-role-to-${role}`, 'user', user.id);
  } catch (error) {
    if (error instanceof HttpError && error.status === 409) {
      const errors = [{ field: 'role', message: error.message }];
      return render(req, res, 'admin/role.njk', { pageTitle: `Change the role of ${user.displayName}`, account: user, roles: CHANGEABLE_ROLES, role, errors, backLink: { href: userPath(user) } }, 409);
    }
    throw error;
  }
  res.redirect(303, `${userPath(user)}?done=role`);
}

export async function postRevokeToken(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = await account(req, res);
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || !(await services.auth.revokeToken(user.id, id))) throw new NotFoundError('Token');
  await services.audit.record(req.user!.id, 'revoke-token', 'api-token', id);
  res.redirect(303, `${userPath(user)}?done=revoked`);
}
