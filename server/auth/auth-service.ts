import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { isUniqueViolation, type Db } from '../db/database.ts';
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

// Every API request and page resolves its caller, so these are single joins.
const USER_COLUMNS = `u.id, u.username, u.display_name AS "displayName", u.role, w.id AS "coachId", u.must_change_password AS "mustChangePassword"`;
const USER_BY_TOKEN = `
  SELECT ${USER_COLUMNS}, t.id AS "tokenId", t.last_used_at AS "lastUsedAt"
  FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
  WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.disabled_at IS NULL`;
const USER_BY_SESSION = `
  SELECT ${USER_COLUMNS}, s.csrf_token AS "csrfToken", COALESCE(s.last_seen_at, s.created_at) AS "lastSeenAt"
  FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
  WHERE s.id = ? AND s.expires_at > ? AND COALESCE(s.last_seen_at, s.created_at) > ? AND u.disabled_at IS NULL`;
const USER_BY_ID = `SELECT ${USER_COLUMNS} FROM users u LEFT JOIN work_coaches w ON w.user_id = u.id WHERE u.id = ?`;
const SIGN_IN_ROW = `SELECT id, password_hash AS "passwordHash" FROM users WHERE username = ? AND disabled_at IS NULL`;
const TOUCH_TOKEN = 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?';
const TOUCH_SESSION = 'UPDATE sessions SET last_seen_at = ? WHERE id = ?';
const TOKEN_COLUMNS = `id, label, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`;

type UserRow = Omit<CurrentUser, 'mustChangePassword'> & { mustChangePassword: number | boolean | null };
type TokenRow = Omit<TokenView, 'status'>;

export function createAuthService(db: Db, clock: Clock, settings: AccountSettings = defaultAccountSettings()) {
  const asCurrentUser = (row: UserRow): CurrentUser => ({
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role as Role,
    coachId: row.coachId ?? null,
    mustChangePassword: Boolean(row.mustChangePassword),
  });
  const idleSince = (now: Date) => new Date(now.getTime() - settings.sessionIdleMinutes * 60_000).toISOString();

  async function userById(userId: number): Promise<CurrentUser> {
    return asCurrentUser((await db.get<UserRow>(USER_BY_ID, [userId]))!);
  }

  function statusOf(row: TokenRow, now: string): TokenView['status'] {
    if (row.revokedAt) return 'revoked';
    return row.expiresAt && row.expiresAt > now ? 'active' : 'expired';
  }

  async function issueApiToken(userId: number, label: string): Promise<{ id: number; token: string; expiresAt: string }> {
    const token = newSecret('eiu');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + settings.tokenDays * 86_400_000).toISOString();
    const row = (await db.get<{ id: number }>(
      'INSERT INTO api_tokens (user_id, label, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [userId, label, sha256(token), now.toISOString(), expiresAt],
    ))!;
    return { id: row.id, token, expiresAt };
  }

  const taken = () => new ConflictError('That username is already taken', [{ field: 'username', message: 'Choose a different username' }]);

  return {
    settings,

    async createUser(input: { username: string; displayName: string; role: Role; password: string }): Promise<CurrentUser> {
      const existing = await db.get('SELECT id FROM users WHERE username = ?', [input.username]);
      if (existing) throw taken();
      const passwordHash = await hashPassword(input.password);
      let row: { id: number } | undefined;
      try {
        row = await db.get<{ id: number }>('INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id', [
          input.username,
          input.displayName,
          input.role,
          passwordHash,
          clock.now().toISOString(),
        ]);
      } catch (error) {
        // Someone else took the name while the password was being hashed.
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
      return userById(row!.id);
    },

    /** Checks a username and password; null when either is wrong (never says which). */
    async authenticate(username: string, password: string): Promise<CurrentUser | null> {
      const row = await db.get<{ id: number; passwordHash: string }>(SIGN_IN_ROW, [username]);
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
      const row = await db.get<UserRow & { tokenId: number; lastUsedAt: string | null }>(USER_BY_TOKEN, [sha256(token), now.toISOString()]);
      if (!row) return null;
      if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > TOUCH_AFTER_MS) await db.run(TOUCH_TOKEN, [now.toISOString(), row.tokenId]);
      return asCurrentUser(row);
    },

    /** A user's tokens, newest first, with when each was made, last used and expires. */
    async listTokens(userId: number): Promise<TokenView[]> {
      const now = clock.now().toISOString();
      const rows = await db.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, [userId]);
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
      return (await db.get<{ userId: number }>('SELECT user_id AS "userId" FROM api_tokens WHERE id = ?', [tokenId]))?.userId ?? null;
    },

    /** Revokes one of this user's tokens; false when they have no such unrevoked token. */
    async revokeToken(userId: number, tokenId: number): Promise<boolean> {
      const { changes } = await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL', [clock.now().toISOString(), tokenId, userId]);
      return changes > 0;
    },

    /** Revokes every token the user still has; resolves to how many. */
    async revokeApiTokens(userId: number): Promise<number> {
      return (await db.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [clock.now().toISOString(), userId])).changes;
    },

    /** Starts a browser session; returns the cookie value and the CSRF token for its forms. */
    async createSession(userId: number): Promise<{ cookieValue: string; csrfToken: string }> {
      const cookieValue = newSecret('s');
      const csrfToken = randomBytes(24).toString('base64url');
      const now = clock.now();
      await db.run('INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        sha256(cookieValue),
        userId,
        csrfToken,
        now.toISOString(),
        now.toISOString(),
        new Date(now.getTime() + settings.sessionHours * 3_600_000).toISOString(),
      ]);
      return { cookieValue, csrfToken };
    },

    /** The session's user, unless it has passed its absolute limit or been idle too long. Each use keeps it alive. */
    async sessionFor(cookieValue: string): Promise<{ user: CurrentUser; csrfToken: string } | null> {
      const now = clock.now();
      const id = sha256(cookieValue);
      const row = await db.get<UserRow & { csrfToken: string; lastSeenAt: string }>(USER_BY_SESSION, [id, now.toISOString(), idleSince(now)]);
      if (!row) return null;
      if (now.getTime() - Date.parse(row.lastSeenAt) > TOUCH_AFTER_MS) await db.run(TOUCH_SESSION, [now.toISOString(), id]);
      return { user: asCurrentUser(row), csrfToken: row.csrfToken };
    },

    async endSession(cookieValue: string): Promise<void> {
      await db.run('DELETE FROM sessions WHERE id = ?', [sha256(cookieValue)]);
    },

    /** Ends all of a user's sessions, except (optionally) the one this cookie belongs to; resolves to how many. */
    async endSessions(userId: number, exceptCookieValue?: string): Promise<number> {
      if (!exceptCookieValue) return (await db.run('DELETE FROM sessions WHERE user_id = ?', [userId])).changes;
      return (await db.run('DELETE FROM sessions WHERE user_id = ? AND id <> ?', [userId, sha256(exceptCookieValue)])).changes;
    },

    /** Deletes sessions past either limit and tokens that have expired or been revoked; the purge job calls this. */
    async purgeExpired(): Promise<{ sessions: number; tokens: number }> {
      const now = clock.now();
      const ended = (await db.run('DELETE FROM sessions WHERE expires_at <= ? OR COALESCE(last_seen_at, created_at) <= ?', [now.toISOString(), idleSince(now)])).changes;
      const tokens = (await db.run('DELETE FROM api_tokens WHERE revoked_at IS NOT NULL OR expires_at IS NULL OR expires_at <= ?', [now.toISOString()])).changes;
      return { sessions: ended, tokens };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
