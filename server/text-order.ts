import type { Dialect } from './db/database.ts';

/**
 * ORDER BY on text in byte order on both engines, whatever the PostgreSQL
 * database's locale: SQLite compares text byte by byte already (BINARY);
 * PostgreSQL needs the "C" collation, or a locale such as en_GB would ignore
 * the dots and hyphens in usernames and action names and order them differently.
 * One fragment per dialect, as in server/db/dialect-sql.ts.
 */
const fragments: Record<Dialect, (expression: string) => string> = {
  sqlite: (e) => e,
  postgres: (e) => `${e} COLLATE "C"`,
};

export function byteOrder(dialect: Dialect): (expression: string) => string {
  return fragments[dialect];
}
