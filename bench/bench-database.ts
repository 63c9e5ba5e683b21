import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPostgresUrl, openDatabase, type Db } from '../server/db/database.ts';
import { createPostgresDatabase, dropPostgresDatabase, withDatabaseName } from '../seed/postgres-admin.ts';

/**
 * The engines `npm run bench` measures: SQLite always, and PostgreSQL when
 * `EIU_BENCH_PG` names a server (postgres://user@host:port/any-database). Each
 * benchmark gets a fresh database of its own: a file in a temporary folder on
 * SQLite, a scratch database on the PostgreSQL server, dropped again (with the
 * folder or the database) when it is closed.
 */
export type BenchEngine = 'sqlite' | 'postgres';

export const ENGINE_NAMES: Record<BenchEngine, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** The PostgreSQL server to measure on, if any. */
export function benchPostgresServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = env.EIU_BENCH_PG?.trim();
  if (!server) return undefined;
  if (!isPostgresUrl(server)) throw new Error(`EIU_BENCH_PG must be a postgres:// URL of a server the bench may create databases on (not "${server}").`);
  return server;
}

let counter = 0;

/**
 * A fresh, migrated database on `engine` for one benchmark run. `label` names
 * it (letters, digits, dashes). Close it to remove it.
 */
export async function openBenchDatabase(engine: BenchEngine, label: string, options: { poolSize?: number } = {}): Promise<Db> {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `eiu-bench-${safe}-`));
    let db: Db;
    try {
      db = await openDatabase(join(dir, `${safe}.sqlite`));
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return closingAlso(db, async () => rmSync(dir, { recursive: true, force: true }));
  }
  const server = benchPostgresServer();
  if (!server) throw new Error('Set EIU_BENCH_PG to a postgres:// server URL to measure on PostgreSQL.');
  const url = withDatabaseName(server, `eiu_bench_${safe}_${process.pid}_${Date.now().toString(36)}_${counter++}`);
  await createPostgresDatabase(url);
  let db: Db;
  try {
    db = await openDatabase(url, { poolSize: options.poolSize });
  } catch (error) {
    await dropPostgresDatabase(url).catch(() => {});
    throw error;
  }
  return closingAlso(db, () => dropPostgresDatabase(url));
}

/** The same database, whose close() also runs `after` (once, however often close is called). */
function closingAlso(db: Db, after: () => Promise<void>): Db {
  const close = db.close.bind(db);
  let closed: Promise<void> | undefined;
  return Object.assign(db, { close: () => (closed ??= close().finally(after)) });
}
