import type { Db } from '../db/database.ts';
import { CURRENT_USER_COLUMNS, type CurrentUserRow } from './user-store.ts';

/** An API token's row as its owner and admins see it: never the hash. */
export interface ApiTokenRow {
  id: number;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

// Every API request resolves its caller through this, so it is one join.
const USER_BY_TOKEN = `
  SELECT ${CURRENT_USER_COLUMNS}, t.id AS "tokenId", t.last_used_at AS "lastUsedAt"
  FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
  WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.disabled_at IS NULL`;
const TOUCH = 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?';
const INSERT = 'INSERT INTO api_tokens (user_id, label, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id';
const COLUMNS = `id, label, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`;
const FOR_USER = `SELECT ${COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id DESC`;
const OWNER = 'SELECT user_id AS "userId" FROM api_tokens WHERE id = ?';
const REVOKE = 'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL';
const REVOKE_FOR_USER = 'UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL';
const DELETE_ENDED = 'DELETE FROM api_tokens WHERE revoked_at IS NOT NULL OR expires_at IS NULL OR expires_at <= ?';
const DELETE_REVOKED_BEFORE = 'DELETE FROM api_tokens WHERE revoked_at IS NOT NULL AND revoked_at < ?';

/**
 * Plain reads and writes on api_tokens. Only a token's sha256 is kept (the
 * caller hashes it); the token itself is shown once and never stored.
 */
export function createApiTokenStore(db: Db) {
  return {
    /** The user of an unrevoked, unexpired token, if they are enabled. */
    userFor(tokenHash: string, now: string): Promise<(CurrentUserRow & { tokenId: number; lastUsedAt: string | null }) | undefined> {
      return db.get<CurrentUserRow & { tokenId: number; lastUsedAt: string | null }>(USER_BY_TOKEN, [tokenHash, now]);
    },
    async touch(tokenId: number, at: string): Promise<void> {
      await db.run(TOUCH, [at, tokenId]);
    },
    /** Resolves to the new token's id. */
    async insert(token: { userId: number; label: string; tokenHash: string; createdAt: string; expiresAt: string }): Promise<number> {
      return (await db.get<{ id: number }>(INSERT, [token.userId, token.label, token.tokenHash, token.createdAt, token.expiresAt]))!.id;
    },
    /** Newest first. */
    forUser(userId: number): Promise<ApiTokenRow[]> {
      return db.all<ApiTokenRow>(FOR_USER, [userId]);
    },
    async owner(tokenId: number): Promise<number | null> {
      return (await db.get<{ userId: number }>(OWNER, [tokenId]))?.userId ?? null;
    },
    /** Revokes one of the user's unrevoked tokens; resolves to whether there was one. */
    async revoke(tokenId: number, userId: number, at: string): Promise<boolean> {
      return (await db.run(REVOKE, [at, tokenId, userId])).changes > 0;
    },
    /** Resolves to how many were revoked. */
    async revokeForUser(userId: number, at: string): Promise<number> {
      return (await db.run(REVOKE_FOR_USER, [at, userId])).changes;
    },
    /** Tokens revoked, without an expiry, or expired by `now`; resolves to how many. */
    async deleteEnded(now: string): Promise<number> {
      return (await db.run(DELETE_ENDED, [now])).changes;
    },
    /** For retention: tokens revoked before `cutoff`; resolves to how many. */
    async deleteRevokedBefore(cutoff: string): Promise<number> {
      return (await db.run(DELETE_REVOKED_BEFORE, [cutoff])).changes;
    },
  };
}

export type ApiTokenStore = ReturnType<typeof createApiTokenStore>;
