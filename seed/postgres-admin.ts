import { openDatabase } from '../server/db/database.ts';

/**
 * Making and dropping whole PostgreSQL databases, for `npm run seed -- --reset`
 * and the benchmarks' scratch databases. Statements run on the server's
 * maintenance database (`postgres`), outside any transaction, as CREATE and
 * DROP DATABASE must.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The URL of another database on the same server. */
export function withDatabaseName(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

/** The database a URL names (PostgreSQL's default is the user's name). */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  if (!NAME.test(name)) throw new Error(`Give a database name of letters, digits and underscores (not "${name}").`);
  return name;
}

async function onMaintenanceDatabase(url: string, statements: string[]): Promise<void> {
  const admin = await openDatabase(withDatabaseName(url, 'postgres'), { migrate: false, poolSize: 1 });
  try {
    for (const sql of statements) await admin.run(sql);
  } finally {
    await admin.close();
  }
}

/** Creates the (empty) database `url` names. */
export async function createPostgresDatabase(url: string): Promise<void> {
  await onMaintenanceDatabase(url, [`CREATE DATABASE "${databaseName(url)}"`]);
}

/** Drops the database `url` names, if it is there, ending any session still on it. */
export async function dropPostgresDatabase(url: string): Promise<void> {
  await onMaintenanceDatabase(url, [`DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`]);
}

/** Drops and creates again the database `url` names: everything in it is lost. */
export async function recreatePostgresDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (name === 'postgres' || name.startsWith('template')) throw new Error(`Will not drop the server's own database "${name}": name a database of the platform's.`);
  await onMaintenanceDatabase(url, [`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}"`]);
}
