import type { Db } from '../db/database.ts';

const INSERT = 'INSERT INTO demo_credentials (username, role, password) VALUES (?, ?, ?)';
// In the order seeding prints them: the analyst, the coaches, the minister, the admin.
const ALL = `SELECT username, role, password FROM demo_credentials
  ORDER BY CASE role WHEN 'analyst' THEN 0 WHEN 'coach' THEN 1 WHEN 'minister' THEN 2 WHEN 'admin' THEN 3 ELSE 4 END, username`;
const DELETE = 'DELETE FROM demo_credentials WHERE username = ?';

export interface DemoCredentialRow {
  username: string;
  role: string;
  password: string;
}

/**
 * Plain reads and writes on demo_credentials (docs/decisions/0005): only demo
 * seeding writes it, and a login is removed once its password changes, so that
 * the printed logins are always ones that work.
 */
export function createDemoCredentialStore(db: Db) {
  return {
    /** A dozen or so logins, once per demo database. */
    async insertMany(credentials: readonly DemoCredentialRow[]): Promise<void> {
      for (const c of credentials) await db.run(INSERT, [c.username, c.role, c.password]);
    },
    all(): Promise<DemoCredentialRow[]> {
      return db.all<DemoCredentialRow>(ALL);
    },
    async forget(username: string): Promise<void> {
      await db.run(DELETE, [username]);
    },
  };
}

export type DemoCredentialStore = ReturnType<typeof createDemoCredentialStore>;
