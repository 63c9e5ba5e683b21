/**
 * The one boundary between the platform and its database (decision 0038).
 *
 * Stores and read models hold SQL; everything above them calls their async
 * methods. One SQL text serves both engines: `?` placeholders, double-quoted
 * aliases ("camelCase"), integers for true/false, ISO-8601 text for times.
 * Where the engines need different SQL a store keeps one small implementation
 * per dialect (`db.dialect`), never scattered branches.
 *
 * `EIU_DB` chooses the engine: a `postgres://` or `postgresql://` URL runs on
 * PostgreSQL; a file path (or nothing) on embedded SQLite.
 */
import { HttpError } from '../errors.ts';

export type Dialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Queryable {
  readonly dialect: Dialect;
  /** Every row of a query. */
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** A statement that returns no rows (use `all`/`get` with RETURNING for ones that do). */
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
}

export interface Db extends Queryable {
  /** Where the data lives, without any password: a file path or a PostgreSQL URL. */
  readonly location: string;
  /**
   * Runs `work` in one transaction: all of it lands, or none. Every query made
   * while it runs (in the same async flow, however deep) joins the transaction.
   * A nested call is a savepoint inside the outer one: if its work throws, only
   * its own writes are undone, and the outer transaction can catch the error and
   * carry on (on PostgreSQL a failed statement otherwise aborts the whole
   * transaction, so wrap any statement whose failure you catch, such as an
   * insert that may hit a unique key, in its own withTransaction). SQLite serialises transactions on its one
   * connection and begins IMMEDIATE; PostgreSQL takes a pooled client, and work
   * that fails on a serialisation failure or deadlock is retried a few times.
   */
  withTransaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` only if no other instance is running the job called `name`
   * (a PostgreSQL advisory lock; on SQLite, one process owns the file, so a
   * flag in this process). Returns undefined when another instance has it.
   */
  exclusively<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
  /**
   * Calls `callback` if the transaction the caller is in rolls back (on
   * PostgreSQL also before a retry runs the work again), so state kept outside
   * the database can be put back. Outside a transaction it does nothing.
   */
  onRollback(callback: () => void): void;
  /**
   * Runs `work` outside any transaction of the calling flow: for timers and
   * callbacks scheduled from inside a transaction, which would otherwise join it.
   */
  outsideTransaction<T>(work: () => T): T;
  close(): Promise<void>;
}

/** A database that could not be reached (PostgreSQL down or restarting): the app answers 503. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is not available at the moment. Try again in a minute.', { cause });
  }
}

/**
 * A value no store can hold or look up: text with a NUL character (PostgreSQL
 * refuses it, so both engines do), or a number outside the column's range.
 * It comes from the request, so it is the request's error (400), never a 500.
 */
export class DatabaseValueError extends HttpError {
  /** The engine's error code (PostgreSQL's SQLSTATE), when the engine refused the value. */
  readonly code?: string;
  constructor(cause?: unknown) {
    super(400, 'The request has a value that cannot be stored or looked up: a NUL character, or a number out of range');
    if (cause) {
      Object.defineProperty(this, 'cause', { value: cause });
      this.code = (cause as { code?: string }).code;
    }
  }
}

/** PostgreSQL's data exceptions (class 22): bad input, not a fault of the platform. */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22/.test(code);
}

/** A unique or primary-key constraint refused the write (either engine). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A trigger refused the write (the append-only tables). */
export function isTriggerRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_TRIGGER' || code === 'P0001';
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A location fit for logs and messages: a PostgreSQL URL loses its password. */
export function describeLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}

export interface OpenOptions {
  /** Apply the committed migrations (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

/**
 * Opens the database `location` names, applying the committed migrations for
 * its dialect. Use ':memory:' for a throwaway SQLite database.
 */
export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Db> {
  let db: Db;
  if (isPostgresUrl(location)) {
    const { openPostgresDatabase } = await import('./postgres-database.ts');
    db = await openPostgresDatabase(location, options);
  } else {
    const { openSqliteDatabase } = await import('./sqlite-database.ts');
    db = openSqliteDatabase(location, options);
  }
  openedAt.set(db, location);
  return db;
}

// The location each database was opened with, password included: kept off the
// Db object, so that logging or serialising a Db can never show a password.
const openedAt = new WeakMap<Db, string>();

/** The location to open the same database again (a worker thread, say), password included. */
export function reopenLocation(db: Db): string {
  return openedAt.get(db) ?? db.location;
}

/** `EIU_DB`, or the default SQLite file. */
export function databaseLocationFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.EIU_DB?.trim() || './data/eiu.sqlite';
}

/** Booleans are stored as 0/1 on both engines. */
export function toParams(params: readonly unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((value) => {
    if (value === true) return 1;
    if (value === false) return 0;
    if (value === undefined) return null;
    if (typeof value === 'string' && value.includes('\u0000')) throw new DatabaseValueError();
    return value;
  });
}
