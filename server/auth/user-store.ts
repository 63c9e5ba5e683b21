import type { Db } from '../db/database.ts';
import { byteOrder } from '../text-order.ts';

/** A signed-in user as read with their coach record (if any), before the service shapes it. */
export interface CurrentUserRow {
  id: number;
  username: string;
  displayName: string;
  role: string;
  coachId: number | null;
  mustChangePassword: number | boolean | null;
}

/** A user as the admin pages read them. */
export interface AccountRow {
  id: number;
  username: string;
  displayName: string;
  role: string;
  disabledAt: string | null;
  createdAt: string;
  mustChangePassword: number | boolean;
  passwordChangedAt: string | null;
}

/**
 * The columns of a current user, for the single joins that resolve a caller
 * (here by id; by session and by token in their stores): users as `u`, and
 * their coach record, if any, as `w`.
 */
export const CURRENT_USER_COLUMNS = `u.id, u.username, u.display_name AS "displayName", u.role, w.id AS "coachId", u.must_change_password AS "mustChangePassword"`;

const USER_BY_ID = `SELECT ${CURRENT_USER_COLUMNS} FROM users u LEFT JOIN work_coaches w ON w.user_id = u.id WHERE u.id = ?`;
const SIGN_IN_ROW = `SELECT id, password_hash AS "passwordHash" FROM users WHERE username = ? AND disabled_at IS NULL`;
const ID_BY_USERNAME = 'SELECT id FROM users WHERE username = ?';
const INSERT = 'INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id';
const ACCOUNT_COLUMNS = `id, username, display_name AS "displayName", role, disabled_at AS "disabledAt", created_at AS "createdAt",
    must_change_password AS "mustChangePassword", password_changed_at AS "passwordChangedAt"`;
const ACCOUNT_BY_ID = `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = ?`;
const ACCOUNT_BY_USERNAME = `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE username = ?`;
const OTHER_ACTIVE_ADMINS = "SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?";
const PASSWORD_HASH = 'SELECT password_hash AS "passwordHash" FROM users WHERE id = ?';
const SET_PASSWORD = 'UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ? WHERE id = ?';
const DISABLE = 'UPDATE users SET disabled_at = ? WHERE id = ?';
const ENABLE = 'UPDATE users SET disabled_at = NULL WHERE id = ?';
const SET_ROLE = 'UPDATE users SET role = ? WHERE id = ?';
const COUNT = 'SELECT COUNT(*) AS n FROM users';

/**
 * Plain reads and writes on users (a user's coach record is read with them, for
 * their coach id). Users are never deleted: they are disabled. Password hashes
 * leave this store only to be verified.
 */
export function createUserStore(db: Db) {
  // Usernames listed in byte order on both engines (server/text-order.ts).
  const LIST = `SELECT ${ACCOUNT_COLUMNS} FROM users ORDER BY ${byteOrder(db.dialect)('username')}`;
  return {
    currentUser(userId: number): Promise<CurrentUserRow | undefined> {
      return db.get<CurrentUserRow>(USER_BY_ID, [userId]);
    },
    /** An enabled user's id and password hash, for signing in. */
    signInRow(username: string): Promise<{ id: number; passwordHash: string } | undefined> {
      return db.get<{ id: number; passwordHash: string }>(SIGN_IN_ROW, [username]);
    },
    async isTaken(username: string): Promise<boolean> {
      return (await db.get(ID_BY_USERNAME, [username])) !== undefined;
    },
    /** Resolves to the new user's id; a username already taken fails on the unique key. */
    async insert(user: { username: string; displayName: string; role: string; passwordHash: string; createdAt: string }): Promise<number> {
      return (await db.get<{ id: number }>(INSERT, [user.username, user.displayName, user.role, user.passwordHash, user.createdAt]))!.id;
    },
    list(): Promise<AccountRow[]> {
      return db.all<AccountRow>(LIST);
    },
    account(userId: number): Promise<AccountRow | undefined> {
      return db.get<AccountRow>(ACCOUNT_BY_ID, [userId]);
    },
    accountByUsername(username: string): Promise<AccountRow | undefined> {
      return db.get<AccountRow>(ACCOUNT_BY_USERNAME, [username]);
    },
    /** How many enabled admins there are besides this user. */
    async otherActiveAdmins(userId: number): Promise<number> {
      return (await db.get<{ n: number }>(OTHER_ACTIVE_ADMINS, [userId]))!.n;
    },
    async passwordHash(userId: number): Promise<string | null> {
      return (await db.get<{ passwordHash: string }>(PASSWORD_HASH, [userId]))?.passwordHash ?? null;
    },
    async setPassword(userId: number, passwordHash: string, mustChange: boolean, at: string): Promise<void> {
      await db.run(SET_PASSWORD, [passwordHash, mustChange, at, userId]);
    },
    async markDisabled(userId: number, at: string): Promise<void> {
      await db.run(DISABLE, [at, userId]);
    },
    async markEnabled(userId: number): Promise<void> {
      await db.run(ENABLE, [userId]);
    },
    async setRole(userId: number, role: string): Promise<void> {
      await db.run(SET_ROLE, [role, userId]);
    },
    async count(): Promise<number> {
      return (await db.get<{ n: number }>(COUNT))!.n;
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
