import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { toParams, type Db, type OpenOptions, type RunResult } from './database.ts';

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle/sqlite');

interface TransactionScope {
  open: boolean;
  rollbacks: (() => void)[];
}

/**
 * Embedded SQLite on one better-sqlite3 connection. Statements are prepared
 * once per SQL text. A transaction holds the connection: while one is open,
 * queries from other requests wait for it to end, so nothing they do can land
 * inside (or be rolled back with) someone else's transaction.
 */
export function openSqliteDatabase(filename: string, options: OpenOptions = {}): Db {
  if (filename !== ':memory:') mkdirSync(dirname(resolve(filename)), { recursive: true });
  const sqlite = new Database(filename);
  if (filename !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  if (options.migrate ?? true) migrate(drizzle(sqlite), { migrationsFolder });

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const scopes = new AsyncLocalStorage<TransactionScope>();
  // The transaction holding the connection, if any; others queue behind it.
  let held: Promise<void> | null = null;
  const inOpenTransaction = () => scopes.getStore()?.open === true;

  // Each wait re-checks `held` and then acts in the same step, with no await in
  // between, so no other flow can begin a transaction between the check and the work.
  async function query<T>(work: () => T): Promise<T> {
    while (held && !inOpenTransaction()) await held;
    return work();
  }

  const running = new Set<string>();
  let savepoints = 0;

  const db: Db = {
    dialect: 'sqlite',
    location: filename,
    all: <T>(sql: string, params?: readonly unknown[]) => query(() => prepare(sql).all(...toParams(params)) as T[]),
    get: <T>(sql: string, params?: readonly unknown[]) => query(() => prepare(sql).get(...toParams(params)) as T | undefined),
    run: (sql: string, params?: readonly unknown[]) =>
      query((): RunResult => ({ changes: prepare(sql).run(...toParams(params)).changes })),

    async withTransaction<T>(work: () => Promise<T>): Promise<T> {
      if (inOpenTransaction()) {
        const savepoint = `nested_${++savepoints}`;
        sqlite.exec(`SAVEPOINT ${savepoint}`);
        try {
          const result = await work();
          sqlite.exec(`RELEASE ${savepoint}`);
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
          throw error;
        }
      }
      while (held) await held;
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      const scope: TransactionScope = { open: true, rollbacks: [] };
      try {
        sqlite.exec('BEGIN IMMEDIATE');
        try {
          const result = await scopes.run(scope, work);
          sqlite.exec('COMMIT');
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          for (const callback of scope.rollbacks) callback();
          throw error;
        }
      } finally {
        scope.open = false;
        held = null;
        release();
      }
    },

    outsideTransaction: <T>(work: () => T): T => scopes.exit(work),

    onRollback(callback: () => void) {
      const scope = scopes.getStore();
      if (scope?.open) scope.rollbacks.push(callback);
    },

    async exclusively<T>(name: string, work: () => Promise<T>) {
      if (running.has(name)) return { ran: false as const };
      running.add(name);
      try {
        return { ran: true as const, result: await work() };
      } finally {
        running.delete(name);
      }
    },

    async close() {
      while (held) await held;
      sqlite.close();
    },
  };
  return db;
}
