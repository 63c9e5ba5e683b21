import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { apiTokens, sessions, users, workCoaches } from '../db/schema.ts';
import { ConflictError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { defaultAccountSettings, type AccountSettings } from './account-settings.ts';

/** The signed-in user as every route sees it. `coachId` is set for work coaches. */
export interface CurrentUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  coachId: number | null;
  /** After an admin's reset: pages send them to change their password first. */
  mustChangePassword?: boolean;
}

/** An API token as its owner and admins see it: never the token itself. */
export interface TokenView {
  id: number;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;
// Last use and last activity are kept to the minute: enough for stale tokens and
// idle timeouts, and it saves a write on every request.
const TOUCH_AFTER_MS = 60_000;

export function createAuthService(db: Db, clock: Clock, settings: AccountSettings = defaultAccountSettings()) {
  function toCurrentUser(row: typeof users.$inferSelect): CurrentUser {
    const coach = db.select({ id: workCoaches.id }).from(workCoaches).where(eq(workCoaches.userId, row.id)).get();
    return {
      id: row.id,
      username: row.username,
      displayName: row.displayName,
      role: row.role as Role,
      coachId: coach?.id ?? null,
      mustChangePassword: row.mustChangePassword,
    };
  }

  // Every API request and page resolves its caller, so these are single prepared joins.
  const userColumns = `u.id, u.username, u.display_name AS displayName, u.role, w.id AS coachId, u.must_change_password AS mustChangePassword`;
  const userByToken = db.$client.prepare(`
    SELECT ${userColumns}, t.id AS tokenId, t.last_used_at AS lastUsedAt
    FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
    WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > @now AND u.disabled_at IS NULL`);
  const userBySession = db.$client.prepare(`
    SELECT ${userColumns}, s.csrf_token AS csrfToken, COALESCE(s.last_seen_at, s.created_at) AS lastSeenAt
    FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
    WHERE s.id = @id AND s.expires_at > @now AND COALESCE(s.last_seen_at, s.created_at) > @idleSince AND u.disabled_at IS NULL`);
  const touchToken = db.$client.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  const touchSession = db.$client.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  const asCurrentUser = (row: CurrentUser): CurrentUser => ({
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    coachId: row.coachId ?? null,
    mustChangePassword: Boolean(row.mustChangePassword),
  });
  const idleSince = (now: Date) => new Date(now.getTime() - settings.sessionIdleMinutes * 60_000).toISOString();

  function statusOf(row: typeof apiTokens.$inferSelect, now: string): TokenView['status'] {
    if (row.revokedAt) return 'revoked';
    return row.expiresAt && row.expiresAt > now ? 'active' : 'expired';
  }

  function issueApiToken(userId: number, label: string): { id: number; token: string; expiresAt: string } {
    const token = newSecret('eiu');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + settings.tokenDays * 86_400_000).toISOString();
    const row = db
      .insert(apiTokens)
      .values({ userId, label, tokenHash: sha256(token), createdAt: now.toISOString(), expiresAt })
      .returning({ id: apiTokens.id })
      .get();
    return { id: row.id, token, expiresAt };
  }

  return {
    settings,

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

    /** Creates an API token for integrations, expiring after `tokenDays`. The token is returned once and only its hash is kept. */
    createApiToken(userId: number, label: string): string {
      return issueApiToken(userId, label).token;
    },

    issueApiToken,

    userForToken(token: string): CurrentUser | null {
      const now = clock.now();
      const row = userByToken.get(sha256(token), { now: now.toISOString() }) as (CurrentUser & { tokenId: number; lastUsedAt: string | null }) | undefined;
      if (!row) return null;
      if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > TOUCH_AFTER_MS) touchToken.run(now.toISOString(), row.tokenId);
      return asCurrentUser(row);
    },

    /** A user's tokens, newest first, with when each was made, last used and expires. */
    listTokens(userId: number): TokenView[] {
      const now = clock.now().toISOString();
      return db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .all()
        .sort((a, b) => b.id - a.id)
        .map((row) => ({
          id: row.id,
          label: row.label,
          createdAt: row.createdAt,
          lastUsedAt: row.lastUsedAt,
          expiresAt: row.expiresAt,
          revokedAt: row.revokedAt,
          status: statusOf(row, now),
        }));
    },

    /** The id of the user a token belongs to, if it exists. */
    tokenOwner(tokenId: number): number | null {
      return db.select({ userId: apiTokens.userId }).from(apiTokens).where(eq(apiTokens.id, tokenId)).get()?.userId ?? null;
    },

    /** Revokes one of this user's tokens; false when they have no such unrevoked token. */
    revokeToken(userId: number, tokenId: number): boolean {
      return (
        db
          .update(apiTokens)
          .set({ revokedAt: clock.now().toISOString() })
          .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
          .run().changes > 0
      );
    },

    /** Revokes every token the user still has; returns how many. */
    revokeApiTokens(userId: number): number {
      return db
        .update(apiTokens)
        .set({ revokedAt: clock.now().toISOString() })
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .run().changes;
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
          lastSeenAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + settings.sessionHours * 3_600_000).toISOString(),
        })
        .run();
      return { cookieValue, csrfToken };
    },

    /** The session's user, unless it has passed its absolute limit or been idle too long. Each use keeps it alive. */
    sessionFor(cookieValue: string): { user: CurrentUser; csrfToken: string } | null {
      const now = clock.now();
      const id = sha256(cookieValue);
      const row = userBySession.get({ id, now: now.toISOString(), idleSince: idleSince(now) }) as (CurrentUser & { csrfToken: string; lastSeenAt: string }) | undefined;
      if (!row) return null;
      if (now.getTime() - Date.parse(row.lastSeenAt) > TOUCH_AFTER_MS) touchSession.run(now.toISOString(), id);
      return { user: asCurrentUser(row), csrfToken: row.csrfToken };
    },

    endSession(cookieValue: string): void {
      db.delete(sessions).where(eq(sessions.id, sha256(cookieValue))).run();
    },

    /** Ends all of a user's sessions, except (optionally) the one this cookie belongs to; returns how many. */
    endSessions(userId: number, exceptCookieValue?: string): number {
      const all = db.delete(sessions).where(eq(sessions.userId, userId));
      if (!exceptCookieValue) return all.run().changes;
      return db.$client.prepare('DELETE FROM sessions WHERE user_id = ? AND id != ?').run(userId, sha256(exceptCookieValue)).changes;
    },

    /** Deletes sessions past either limit and tokens that have expired or been revoked; the purge job calls this. */
    purgeExpired(): { sessions: number; tokens: number } {
      const now = clock.now();
      const ended = db.$client
        .prepare('DELETE FROM sessions WHERE expires_at <= ? OR COALESCE(last_seen_at, created_at) <= ?')
        .run(now.toISOString(), idleSince(now)).changes;
      const tokens = db.$client
        .prepare('DELETE FROM api_tokens WHERE revoked_at IS NOT NULL OR expires_at IS NULL OR expires_at <= ?')
        .run(now.toISOString()).changes;
      return { sessions: ended, tokens };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
