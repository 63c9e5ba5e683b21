import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase, type Db } from '../../server/db/database.ts';

/**
 * A fresh database with the real migrations, for one test: in-memory SQLite, or,
 * when EIU_TEST_PG names a PostgreSQL server (postgres://…), a new database on it
 * cloned from a migrated template and dropped again when closed.
 *
 * `npm test` runs on SQLite; `EIU_TEST_PG=postgres://… npm test` runs the same
 * suite on PostgreSQL (scripts/throwaway-postgres.sh starts a server for it).
 */
export const testEngine: 'sqlite' | 'postgres' = process.env.EIU_TEST_PG ? 'postgres' : 'sqlite';

export async function openTestDatabase(): Promise<Db> {
  const server = process.env.EIU_TEST_PG;
  if (!server) return openDatabase(':memory:');
  const fresh = await freshPostgresDatabase(server);
  const db = await openDatabase(fresh.location, { migrate: false, poolSize: 5 });
  const close = db.close.bind(db);
  let closed: Promise<void> | undefined;
  return Object.assign(db, {
    close: () => (closed ??= close().then(fresh.drop)),
  });
}

export interface TestDatabaseLocation {
  /** What to give openDatabase, EIU_DB or a CLI's --db. */
  location: string;
  /** Drops the PostgreSQL database (close every connection to it first); nothing on SQLite. */
  drop(): Promise<void>;
}

/**
 * A database location for a test that opens it more than once or hands it to
 * another process: on SQLite the file it names (the test makes and removes its
 * folder), on PostgreSQL a fresh migrated database of its own, to drop after.
 */
export async function testDatabaseLocation(sqliteFile: string): Promise<TestDatabaseLocation> {
  const server = process.env.EIU_TEST_PG;
  if (!server) return { location: sqliteFile, drop: async () => {} };
  return freshPostgresDatabase(server);
}

/** A new database on the server, cloned from the migrated template. */
async function freshPostgresDatabase(server: string): Promise<TestDatabaseLocation> {
  const template = await migratedTemplate(server);
  const name = `eiu_test_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}`;
  await adminQuery(server, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  let dropped: Promise<void> | undefined;
  return {
    location: withDatabase(server, name),
    drop: () => (dropped ??= adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

/** The PostgreSQL URL of another database on the same server. */
export function withDatabase(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

let counter = 0;
let templateName: Promise<string> | undefined;

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle/postgres');

/** One template per set of migrations, made once by whichever test process gets there first. */
function migratedTemplate(server: string): Promise<string> {
  templateName ??= (async () => {
    const hash = createHash('sha256');
    for (const file of readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).sort()) hash.update(readFileSync(join(migrationsFolder, file)));
    const name = `eiu_template_${hash.digest('hex').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock(72150002)');
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) {
        const building = `${name}_building`;
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${building}"`);
        const db = await openDatabase(withDatabase(server, building));
        await db.close();
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      }
      await admin.query('SELECT pg_advisory_unlock(72150002)');
    } finally {
      await admin.end();
    }
    return name;
  })();
  return templateName;
}

async function adminQuery(server: string, sql: string) {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
