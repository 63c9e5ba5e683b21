import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
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

  // Every API request and page resolves its caller, so these are single prepared joins.
  const userColumns = `u.id, u.username, u.display_name AS displayName, u.role, w.id AS coachId`;
  const userByToken = db.$client.prepare(`
    SELECT ${userColumns}, t.id AS tokenId, t.last_used_at AS lastUsedAt
    FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
    WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL`);
  const userBySession = db.$client.prepare(`
    SELECT ${userColumns}, s.csrf_token AS csrfToken
    FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
    WHERE s.id = ? AND s.expires_at > ? AND u.disabled_at IS NULL`);
  const touchToken = db.$client.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  const asCurrentUser = (row: CurrentUser): CurrentUser => ({
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    coachId: row.coachId ?? null,
  });

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
      const row = userByToken.get(sha256(token)) as (CurrentUser & { tokenId: number; lastUsedAt: string | null }) | undefined;
      if (!row) return null;
      // Last use is for spotting stale tokens: to the minute is enough, and saves a write per request.
      const now = clock.now();
      if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > 60_000) touchToken.run(now.toISOString(), row.tokenId);
      return asCurrentUser(row);
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
      const row = userBySession.get(sha256(cookieValue), clock.now().toISOString()) as (CurrentUser & { csrfToken: string }) | undefined;
      return row ? { user: asCurrentUser(row), csrfToken: row.csrfToken } : null;
    },

    endSession(cookieValue: string): void {
      db.delete(sessions).where(eq(sessions.id, sha256(cookieValue))).run();
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
