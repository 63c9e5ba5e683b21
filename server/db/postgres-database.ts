import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { DatabaseUnavailableError, DatabaseValueError, describeLocation, isDataException, toParams, type Db, type OpenOptions, type Queryable, type RunResult } from './database.ts';

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle/postgres');

// COUNT(*) and SUM over integers are bigint, AVG is numeric: read both as numbers,
// as SQLite gives them, so one store reads the same rows from either engine.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

/** The advisory lock every instance takes around migrating (an arbitrary constant). */
const MIGRATION_LOCK = 72_150_001;
const TRANSACTION_RETRIES = 5;

/**
 * Rewrites `?` placeholders as `$1, $2, …`, leaving quoted strings, quoted
 * identifiers and comments alone. Cached per SQL text.
 */
const translated = new Map<string, string>();
export function numberedPlaceholders(sql: string): string {
  const cached = translated.get(sql);
  if (cached !== undefined) return cached;
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  translated.set(sql, out);
  return out;
}

/**
 * A name for each statement text, so each connection parses and plans it once
 * and then only binds and executes it: most of a short query's time on the
 * server is parsing and planning. Texts beyond the first PREPARED_LIMIT (SQL
 * built with a varying shape) run unnamed, so no connection keeps unboundedly many.
 */
const PREPARED_LIMIT = 2_000;
const statementNames = new Map<string, string>();
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PREPARED_LIMIT) {
    name = `eiu_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** Errors that mean the server is down, restarting or unreachable, not that the query is wrong. */
export function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && /^(08|57P0[1-3]|53300)/.test(e.code)) return true;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}

const isRetryable = (error: unknown) => ['40001', '40P01'].includes((error as { code?: string } | null)?.code ?? '');

/** A stable 32-bit key for a job's advisory lock. */
function lockKey(name: string): number {
  return createHash('sha256').update(`eiu:${name}`).digest().readInt32BE(0);
}

interface TransactionScope {
  client: pg.PoolClient;
  open: boolean;
  rollbacks: (() => void)[];
}

/**
 * PostgreSQL through a node-postgres pool. Statements outside a transaction
 * take any pooled client; a transaction keeps one client for its whole flow.
 * Failures to reach the server become DatabaseUnavailableError (503), and the
 * pool reconnects by itself once the server is back.
 */
export async function openPostgresDatabase(url: string, options: OpenOptions = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // No JIT compilation: the screens' queries are short but expression-heavy, and their
    // cost estimates (correlated subqueries) cross jit_above_cost, so PostgreSQL would spend
    // seconds compiling a query that runs in milliseconds (Today: 3.4 s of 3.5 s at 100,000 people).
    options: '-c jit=off',
  });
  // A client losing its connection (the server restarting) must not crash the process:
  // idle clients report it to the pool, clients in use to their own listener, and the
  // query in flight fails with DatabaseUnavailableError. The pool then connects afresh.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const scopes = new AsyncLocalStorage<TransactionScope>();
  let savepoints = 0;

  async function send(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) {
    try {
      const text = numberedPlaceholders(sql);
      return await client.query({ name: statementName(text), text, values: toParams(params) });
    } catch (error) {
      if (isConnectionFailure(error)) throw new DatabaseUnavailableError(error);
      if (isDataException(error)) throw new DatabaseValueError(error);
      throw error;
    }
  }
  const target = () => {
    const scope = scopes.getStore();
    return scope?.open ? scope.client : pool;
  };

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error;
    }
  }

  const queries: Queryable = {
    dialect: 'postgres',
    all: async <T>(sql: string, params?: readonly unknown[]) => (await send(target(), sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly unknown[]) => (await send(target(), sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly unknown[]): Promise<RunResult> => ({ changes: (await send(target(), sql, params)).rowCount ?? 0 }),
  };

  async function attempt<T>(work: () => Promise<T>): Promise<T> {
    const client = await connect();
    const scope: TransactionScope = { client, open: true, rollbacks: [] };
    let broken = false;
    try {
      await send(client, 'BEGIN');
      try {
        const result = await scopes.run(scope, work);
        await send(client, 'COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        for (const callback of scope.rollbacks) callback();
        throw error;
      }
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) broken = true;
      throw error;
    } finally {
      scope.open = false;
      client.release(broken);
    }
  }

  const db: Db = {
    ...queries,
    location: describeLocation(url),

    async withTransaction<T>(work: () => Promise<T>): Promise<T> {
      const scope = scopes.getStore();
      if (scope?.open) {
        // Nested: a savepoint, so a failure inside can be caught without aborting the outer transaction.
        const savepoint = `nested_${++savepoints}`;
        await send(scope.client, `SAVEPOINT ${savepoint}`);
        try {
          const result = await work();
          await send(scope.client, `RELEASE SAVEPOINT ${savepoint}`);
          return result;
        } catch (error) {
          if (!(error instanceof DatabaseUnavailableError)) await send(scope.client, `ROLLBACK TO SAVEPOINT ${savepoint}`).catch(() => {});
          throw error;
        }
      }
      for (let attemptNumber = 1; ; attemptNumber++) {
        try {
          return await attempt(work);
        } catch (error) {
          if (!isRetryable(error) || attemptNumber >= TRANSACTION_RETRIES) throw error;
          await new Promise((r) => setTimeout(r, Math.random() * 20 * attemptNumber));
        }
      }
    },

    outsideTransaction: <T>(work: () => T): T => scopes.exit(work),

    onRollback(callback: () => void) {
      const scope = scopes.getStore();
      if (scope?.open) scope.rollbacks.push(callback);
    },

    async exclusively<T>(name: string, work: () => Promise<T>) {
      const client = await connect();
      let broken = false;
      try {
        const key = lockKey(name);
        const { rows } = await send(client, 'SELECT pg_try_advisory_lock(?) AS "locked"', [key]);
        if (!rows[0].locked) return { ran: false as const };
        try {
          return { ran: true as const, result: await work() };
        } finally {
          await send(client, 'SELECT pg_advisory_unlock(?)', [key]).catch(() => (broken = true));
        }
      } catch (error) {
        if (error instanceof DatabaseUnavailableError) broken = true;
        throw error;
      } finally {
        client.release(broken);
      }
    },

    close: () => pool.end(),
  };

  if (options.migrate ?? true) await migrateUnderLock(pool);
  return db;
}

/** Applies the committed migrations; instances starting together take turns on an advisory lock. */
async function migrateUnderLock(pool: pg.Pool) {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    throw isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error;
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
