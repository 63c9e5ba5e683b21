import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { apiTokens, sessions, users, workCoaches } from '../db/schema.ts';
import { ConflictError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { hashPassword, verifyPassword } from './password.ts';

/** The signed-in user as every route sees it. `coachId` is set for work coaches. */
export interface CurrentUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  coachId: number | null;
}

const SESSION_HOURS = 10;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

export function createAuthService(db: Db, clock: Clock) {
  function toCurrentUser(row: typeof users.$inferSelect): CurrentUser {
    const coach = db.select({ id: workCoaches.id }).from(workCoaches).where(eq(workCoaches.userId, row.id)).get();
    return { id: row.id, username: row.username, displayName: row.displayName, role: row.role as Role, coachId: coach?.id ?? null };
  }

  function findActiveUser(id: number): CurrentUser | null {
    const row = db.select().from(users).where(and(eq(users.id, id), isNull(users.disabledAt))).get();
    return row ? toCurrentUser(row) : null;
  }

  return {
    async createUser(input: { username: string; displayName: string; role: Role; password: string }): Promise<CurrentUser> {
      const existing = db.select({ id: users.id }).from(users).where(eq(users.username, input.username)).get();
      if (existing) throw new ConflictError('That username is already taken', [{ field: 'username', message: 'Choose a different username' }]);
      const passwordHash = await hashPassword(input.password);
      const row = db
        .insert(users)
        .values({ username: input.username, displayName: input.displayName, role: input.role, passwordHash, createdAt: clock.now().toISOString() })
        .returning()
        .get();
      return toCurrentUser(row);
    },

    /** Checks a username and password; null when either is wrong (never says which). */
    async authenticate(username: string, password: string): Promise<CurrentUser | null> {
      const row = db.select().from(users).where(and(eq(users.username, username), isNull(users.disabledAt))).get();
      if (!row) {
        // Spend the same time as a real check so usernames cannot be probed by timing.
        await verifyPassword(password, 'scrypt$32768$8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
        return null;
      }
      return (await verifyPassword(password, row.passwordHash)) ? toCurrentUser(row) : null;
    },

    /** Creates an API token for integrations. The token is returned once and only its hash is kept. */
    createApiToken(userId: number, label: string): string {
      const token = newSecret('eiu');
      db.insert(apiTokens).values({ userId, label, tokenHash: sha256(token), createdAt: clock.now().toISOString() }).run();
      return token;
    },

    userForToken(token: string): CurrentUser | null {
      const row = db
        .select({ id: apiTokens.id, userId: apiTokens.userId })
        .from(apiTokens)
        .where(and(eq(apiTokens.tokenHash, sha256(token)), isNull(apiTokens.revokedAt)))
        .get();
      if (!row) return null;
      db.update(apiTokens).set({ lastUsedAt: clock.now().toISOString() }).where(eq(apiTokens.id, row.id)).run();
      return findActiveUser(row.userId);
    },

    revokeApiTokens(userId: number): void {
      db.update(apiTokens).set({ revokedAt: clock.now().toISOString() }).where(eq(apiTokens.userId, userId)).run();
    },

    /** Starts a browser session; returns the cookie value and the CSRF token for its forms. */
    createSession(userId: number): { cookieValue: string; csrfToken: string } {
      const cookieValue = newSecret('s');
      const csrfToken = randomBytes(24).toString('base64url');
      const now = clock.now();
      db.insert(sessions)
        .values({
          id: sha256(cookieValue),
          userId,
          csrfToken,
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString(),
        })
        .run();
      return { cookieValue, csrfToken };
    },

    sessionFor(cookieValue: string): { user: CurrentUser; csrfToken: string } | null {
      const row = db
        .select()
        .from(sessions)
        .where(and(eq(sessions.id, sha256(cookieValue)), gt(sessions.expiresAt, clock.now().toISOString())))
        .get();
      if (!row) return null;
      const user = findActiveUser(row.userId);
      return user ? { user, csrfToken: row.csrfToken } : null;
    },

    endSession(cookieValue: string): void {
      db.delete(sessions).where(eq(sessions.id, sha256(cookieValue))).run();
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
