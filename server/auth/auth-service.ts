import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { isUniqueViolation, type Db } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import type { Role } from '../../experiments/vocabulary.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { defaultAccountSettings, type AccountSettings } from './account-settings.ts';
import { createApiTokenStore, type ApiTokenRow } from './api-token-store.ts';
import { createSessionStore } from './session-store.ts';
import { createUserStore, type CurrentUserRow } from './user-store.ts';

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
export interface TokenView extends ApiTokenRow {
  status: 'active' | 'expired' | 'revoked';
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;
// Last use and last activity are kept to the minute: enough for stale tokens and
// idle timeouts, and it saves a write on every request.
const TOUCH_AFTER_MS = 60_000;

export function createAuthService(db: Db, clock: Clock, settings: AccountSettings = defaultAccountSettings()) {
  const users = createUserStore(db);
  const sessions = createSessionStore(db);
  const tokens = createApiTokenStore(db);
  const asCurrentUser = (row: CurrentUserRow): CurrentUser => ({
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role as Role,
    coachId: row.coachId ?? null,
    mustChangePassword: Boolean(row.mustChangePassword),
  });
  const idleSince = (now: Date) => new Date(now.getTime() - settings.sessionIdleMinutes * 60_000).toISOString();

  async function userById(userId: number): Promise<CurrentUser> {
    return asCurrentUser((await users.currentUser(userId))!);
  }

  function statusOf(row: ApiTokenRow, now: string): TokenView['status'] {
    if (row.revokedAt) return 'revoked';
    return row.expiresAt && row.expiresAt > now ? 'active' : 'expired';
  }

  async function issueApiToken(userId: number, label: string): Promise<{ id: number; token: string; expiresAt: string }> {
    const token = newSecret('eiu');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + settings.tokenDays * 86_400_000).toISOString();
    const id = await tokens.insert({ userId, label, tokenHash: sha256(token), createdAt: now.toISOString(), expiresAt });
    return { id, token, expiresAt };
  }

  const taken = () => new ConflictError('That username is already taken', [{ field: 'username', message: 'Choose a different username' }]);

  return {
    settings,

    async createUser(input: { username: string; displayName: string; role: Role; password: string }): Promise<CurrentUser> {
      if (await users.isTaken(input.username)) throw taken();
      const passwordHash = await hashPassword(input.password);
      let id: number;
      try {
        // Its own (nested) transaction: on PostgreSQL a refused insert would otherwise abort a caller's transaction.
        id = await db.withTransaction(() =>
          users.insert({ username: input.username, displayName: input.displayName, role: input.role, passwordHash, createdAt: clock.now().toISOString() }),
        );
      } catch (error) {
        // Someone else took the name while the password was being hashed.
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
      return userById(id);
    },

    /** Checks a username and password; null when either is wrong (never says which). */
    async authenticate(username: string, password: string): Promise<CurrentUser | null> {
      const row = await users.signInRow(username);
      if (!row) {
        // Spend the same time as a real check so usernames cannot be probed by timing.
        await verifyPassword(password, 'scrypt$32768$8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
        return null;
      }
      return (await verifyPassword(password, row.passwordHash)) ? userById(row.id) : null;
    },

    /** Creates an API token for integrations, expiring after `tokenDays`. The token is returned once and only its hash is kept. */
    async createApiToken(userId: number, label: string): Promise<string> {
      return (await issueApiToken(userId, label)).token;
    },

    issueApiToken,

    async userForToken(token: string): Promise<CurrentUser | null> {
      const now = clock.now();
      const row = await tokens.userFor(sha256(token), now.toISOString());
      if (!row) return null;
      if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > TOUCH_AFTER_MS) await tokens.touch(row.tokenId, now.toISOString());
      return asCurrentUser(row);
    },

    /** A user's tokens, newest first, with when each was made, last used and expires. */
    async listTokens(userId: number): Promise<TokenView[]> {
      const now = clock.now().toISOString();
      const rows = await tokens.forUser(userId);
      return rows.map((row) => ({
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
    async tokenOwner(tokenId: number): Promise<number | null> {
      return tokens.owner(tokenId);
    },

    /** Revokes one of this user's tokens; false when they have no such unrevoked token. */
    async revokeToken(userId: number, tokenId: number): Promise<boolean> {
      return tokens.revoke(tokenId, userId, clock.now().toISOString());
    },

    /** Revokes every token the user still has; resolves to how many. */
    async revokeApiTokens(userId: number): Promise<number> {
      return tokens.revokeForUser(userId, clock.now().toISOString());
    },

    /** Starts a browser session; returns the cookie value and the CSRF token for its forms. */
    async createSession(userId: number): Promise<{ cookieValue: string; csrfToken: string }> {
      const cookieValue = newSecret('s');
      const csrfToken = randomBytes(24).toString('base64url');
      const now = clock.now();
      await sessions.insert({
        id: sha256(cookieValue),
        userId,
        csrfToken,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + settings.sessionHours * 3_600_000).toISOString(),
      });
      return { cookieValue, csrfToken };
    },

    /** The session's user, unless it has passed its absolute limit or been idle too long. Each use keeps it alive. */
    async sessionFor(cookieValue: string): Promise<{ user: CurrentUser; csrfToken: string } | null> {
      const now = clock.now();
      const id = sha256(cookieValue);
      const row = await sessions.userFor(id, now.toISOString(), idleSince(now));
      if (!row) return null;
      if (now.getTime() - Date.parse(row.lastSeenAt) > TOUCH_AFTER_MS) await sessions.touch(id, now.toISOString());
      return { user: asCurrentUser(row), csrfToken: row.csrfToken };
    },

    async endSession(cookieValue: string): Promise<void> {
      await sessions.delete(sha256(cookieValue));
    },

    /** Ends all of a user's sessions, except (optionally) the one this cookie belongs to; resolves to how many. */
    async endSessions(userId: number, exceptCookieValue?: string): Promise<number> {
      return sessions.deleteForUser(userId, exceptCookieValue ? sha256(exceptCookieValue) : undefined);
    },

    /** Deletes sessions past either limit and tokens that have expired or been revoked; the purge job calls this. */
    async purgeExpired(): Promise<{ sessions: number; tokens: number }> {
      const now = clock.now();
      const ended = await sessions.deleteEnded(now.toISOString(), idleSince(now));
      return { sessions: ended, tokens: await tokens.deleteEnded(now.toISOString()) };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
