import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { createDemoCredentialStore } from './demo-credential-store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { oneTimePassword } from './one-time-password.ts';
import type { AuthService } from './auth-service.ts';
import { createUserStore, type AccountRow } from './user-store.ts';

/** A user as the admin pages show them. */
export interface AccountView {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  disabledAt: string | null;
  createdAt: string;
  mustChangePassword: boolean;
  passwordChangedAt: string | null;
}

/** Roles an admin can move a user between. A work coach's account is tied to their caseload and coach record. */
export const CHANGEABLE_ROLES = ['analyst', 'minister', 'admin'] as const satisfies readonly Role[];

export const LAST_ADMIN_MESSAGE = 'There must always be at least one active admin. Make another user an admin first.';

/**
 * The account lifecycle: disable and re-enable, password changes and resets,
 * role changes. Every change that takes something away ends the user's
 * sessions and tokens in the same transaction, so it applies at once. The last
 * active admin can never be disabled or demoted (there is no way to delete a user).
 */
export function createAccountService(db: Db, clock: Clock, auth: AuthService) {
  const users = createUserStore(db);
  const demoCredentials = createDemoCredentialStore(db);
  const asView = (row: AccountRow): AccountView => ({ ...row, role: row.role as Role, mustChangePassword: Boolean(row.mustChangePassword) });

  async function byId(userId: number): Promise<AccountView> {
    const row = await users.account(userId);
    if (!row) throw new NotFoundError('User');
    return asView(row);
  }

  /** Throws unless another active admin would remain without this one. */
  async function keepAnAdmin(user: AccountView, field: string): Promise<void> {
    if (user.role !== 'admin' || user.disabledAt) return;
    const others = await users.otherActiveAdmins(user.id);
    if (others === 0) throw new ConflictError(LAST_ADMIN_MESSAGE, [{ field, message: LAST_ADMIN_MESSAGE }]);
  }

  /** Takes away every way in the user has now: sessions and API tokens. */
  async function endAccess(userId: number, exceptCookieValue?: string) {
    const sessions = await auth.endSessions(userId, exceptCookieValue);
    const tokens = exceptCookieValue ? 0 : await auth.revokeApiTokens(userId);
    return { sessions, tokens };
  }

  async function storePassword(userId: number, password: string, mustChange: boolean) {
    const passwordHash = await hashPassword(password);
    await db.withTransaction(async () => {
      const user = await byId(userId);
      await users.setPassword(userId, passwordHash, mustChange, clock.now().toISOString());
      // A demo login whose password has changed is no longer one to print.
      await demoCredentials.forget(user.username);
    });
  }

  return {
    async list(): Promise<AccountView[]> {
      return (await users.list()).map(asView);
    },

    async byUsername(username: string): Promise<AccountView> {
      const row = await users.accountByUsername(username);
      if (!row) throw new NotFoundError('User');
      return asView(row);
    },

    byId,

    /** True when this is the user's password. */
    async passwordIsRight(userId: number, password: string): Promise<boolean> {
      const passwordHash = await users.passwordHash(userId);
      return passwordHash === null ? false : verifyPassword(password, passwordHash);
    },

    /** The user's own change: their other sessions end; this one and their tokens stay. */
    async changeOwnPassword(userId: number, newPassword: string, currentCookieValue?: string): Promise<void> {
      await storePassword(userId, newPassword, false);
      await auth.endSessions(userId, currentCookieValue);
    },

    async disable(userId: number): Promise<{ sessions: number; tokens: number }> {
      return db.withTransaction(async () => {
        const user = await byId(userId);
        await keepAnAdmin(user, 'confirm');
        if (!user.disabledAt) await users.markDisabled(userId, clock.now().toISOString());
        return endAccess(userId);
      });
    },

    async enable(userId: number): Promise<void> {
      await byId(userId);
      await users.markEnabled(userId);
    },

    /** Sets a one-time password (returned once, never stored) and ends every session and token the user has. */
    async resetPassword(userId: number): Promise<{ password: string; sessions: number; tokens: number }> {
      const password = oneTimePassword();
      await storePassword(userId, password, true);
      return { password, ...(await endAccess(userId)) };
    },

    /** Every request reads the user's role afresh, so the change applies at once without signing them out. Resolves to whether it changed. */
    async changeRole(userId: number, role: Role): Promise<boolean> {
      return db.withTransaction(async () => {
        const user = await byId(userId);
        if (user.role === role) return false;
        if (user.role === 'coach' || role === 'coach')
          throw new ConflictError('A work coach’s account is tied to their caseload', [
            { field: 'role', message: 'A work coach’s account is tied to their caseload: add a new user for the new role instead' },
          ]);
        await keepAnAdmin(user, 'role');
        await users.setRole(userId, role);
        return true;
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
