import { and, asc, count, eq, isNull, ne } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { demoCredentials, users } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { oneTimePassword } from './one-time-password.ts';
import type { AuthService } from './auth-service.ts';

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
  const columns = {
    id: users.id,
    username: users.username,
    displayName: users.displayName,
    role: users.role,
    disabledAt: users.disabledAt,
    createdAt: users.createdAt,
    mustChangePassword: users.mustChangePassword,
    passwordChangedAt: users.passwordChangedAt,
  };

  function byId(userId: number): AccountView {
    const row = db.select(columns).from(users).where(eq(users.id, userId)).get();
    if (!row) throw new NotFoundError('User');
    return row as AccountView;
  }

  /** Throws unless another active admin would remain without this one. */
  function keepAnAdmin(user: AccountView, field: string): void {
    if (user.role !== 'admin' || user.disabledAt) return;
    const others = db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), isNull(users.disabledAt), ne(users.id, user.id)))
      .get()!.n;
    if (others === 0) throw new ConflictError(LAST_ADMIN_MESSAGE, [{ field, message: LAST_ADMIN_MESSAGE }]);
  }

  /** Takes away every way in the user has now: sessions and API tokens. */
  function endAccess(userId: number, exceptCookieValue?: string) {
    return { sessions: auth.endSessions(userId, exceptCookieValue), tokens: exceptCookieValue ? 0 : auth.revokeApiTokens(userId) };
  }

  async function storePassword(userId: number, password: string, mustChange: boolean) {
    const passwordHash = await hashPassword(password);
    const user = byId(userId);
    db.update(users).set({ passwordHash, mustChangePassword: mustChange, passwordChangedAt: clock.now().toISOString() }).where(eq(users.id, userId)).run();
    // A demo login whose password has changed is no longer one to print.
    db.delete(demoCredentials).where(eq(demoCredentials.username, user.username)).run();
  }

  return {
    list(): AccountView[] {
      return db.select(columns).from(users).orderBy(asc(users.username)).all() as AccountView[];
    },

    byUsername(username: string): AccountView {
      const row = db.select(columns).from(users).where(eq(users.username, username)).get();
      if (!row) throw new NotFoundError('User');
      return row as AccountView;
    },

    byId,

    /** True when this is the user's password. */
    async passwordIsRight(userId: number, password: string): Promise<boolean> {
      const row = db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).get();
      return row ? verifyPassword(password, row.passwordHash) : false;
    },

    /** The user's own change: their other sessions end; this one and their tokens stay. */
    async changeOwnPassword(userId: number, newPassword: string, currentCookieValue?: string): Promise<void> {
      await storePassword(userId, newPassword, false);
      auth.endSessions(userId, currentCookieValue);
    },

    disable(userId: number): { sessions: number; tokens: number } {
      return inTransaction(db, () => {
        const user = byId(userId);
        keepAnAdmin(user, 'confirm');
        if (!user.disabledAt) db.update(users).set({ disabledAt: clock.now().toISOString() }).where(eq(users.id, userId)).run();
        return endAccess(userId);
      });
    },

    enable(userId: number): void {
      byId(userId);
      db.update(users).set({ disabledAt: null }).where(eq(users.id, userId)).run();
    },

    /** Sets a one-time password (returned once, never stored) and ends every session and token the user has. */
    async resetPassword(userId: number): Promise<{ password: string; sessions: number; tokens: number }> {
      const password = oneTimePassword();
      await storePassword(userId, password, true);
      return { password, ...endAccess(userId) };
    },

    /** Every request reads the user's role afresh, so the change applies at once without signing them out. Returns whether it changed. */
    changeRole(userId: number, role: Role): boolean {
      return inTransaction(db, () => {
        const user = byId(userId);
        if (user.role === role) return false;
        if (user.role === 'coach' || role === 'coach')
          throw new ConflictError('A work coach’s account is tied to their caseload', [
            { field: 'role', message: 'A work coach’s account is tied to their caseload: add a new user for the new role instead' },
          ]);
        keepAnAdmin(user, 'role');
        db.update(users).set({ role }).where(eq(users.id, userId)).run();
        return true;
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
