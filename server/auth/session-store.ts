import type { Db } from '../db/database.ts';
import { CURRENT_USER_COLUMNS, type CurrentUserRow } from './user-store.ts';

// Every page resolves its caller through this, so it is one join.
const USER_BY_SESSION = `
  SELECT ${CURRENT_USER_COLUMNS}, s.csrf_token AS "csrfToken", COALESCE(s.last_seen_at, s.created_at) AS "lastSeenAt"
  FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN work_coaches w ON w.user_id = u.id
  WHERE s.id = ? AND s.expires_at > ? AND COALESCE(s.last_seen_at, s.created_at) > ? AND u.disabled_at IS NULL`;
const TOUCH = 'UPDATE sessions SET last_seen_at = ? WHERE id = ?';
const INSERT = 'INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)';
const DELETE = 'DELETE FROM sessions WHERE id = ?';
const DELETE_FOR_USER = 'DELETE FROM sessions WHERE user_id = ?';
const DELETE_FOR_USER_EXCEPT = 'DELETE FROM sessions WHERE user_id = ? AND id <> ?';
const DELETE_ENDED = 'DELETE FROM sessions WHERE expires_at <= ? OR COALESCE(last_seen_at, created_at) <= ?';
const DELETE_EXPIRED_BEFORE = 'DELETE FROM sessions WHERE expires_at < ?';

/**
 * Plain reads and writes on sessions, each keyed by the sha256 of its cookie
 * value (the caller hashes it; the cookie itself is never stored).
 */
export function createSessionStore(db: Db) {
  return {
    /** The session's user and CSRF token, while the session is inside both its limits and the user is enabled. */
    userFor(id: string, now: string, idleSince: string): Promise<(CurrentUserRow & { csrfToken: string; lastSeenAt: string }) | undefined> {
      return db.get<CurrentUserRow & { csrfToken: string; lastSeenAt: string }>(USER_BY_SESSION, [id, now, idleSince]);
    },
    async touch(id: string, at: string): Promise<void> {
      await db.run(TOUCH, [at, id]);
    },
    async insert(session: { id: string; userId: number; csrfToken: string; createdAt: string; expiresAt: string }): Promise<void> {
      await db.run(INSERT, [session.id, session.userId, session.csrfToken, session.createdAt, session.createdAt, session.expiresAt]);
    },
    async delete(id: string): Promise<void> {
      await db.run(DELETE, [id]);
    },
    /** Ends the user's sessions, except (optionally) one; resolves to how many. */
    async deleteForUser(userId: number, exceptId?: string): Promise<number> {
      if (exceptId === undefined) return (await db.run(DELETE_FOR_USER, [userId])).changes;
      return (await db.run(DELETE_FOR_USER_EXCEPT, [userId, exceptId])).changes;
    },
    /** Sessions past their absolute limit or idle since `idleSince`; resolves to how many. */
    async deleteEnded(now: string, idleSince: string): Promise<number> {
      return (await db.run(DELETE_ENDED, [now, idleSince])).changes;
    },
    /** For retention: sessions that expired before `cutoff`; resolves to how many. */
    async deleteExpiredBefore(cutoff: string): Promise<number> {
      return (await db.run(DELETE_EXPIRED_BEFORE, [cutoff])).changes;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
