import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The data-access boundary (decision 0038), checked over the source tree:
 * SQL lives only in stores (a feature's plain reads and writes on its own
 * tables, `*-store.ts`) and read models (the joins behind screens and reports,
 * `*-read-model.ts`), and in server/db, which is the only code that touches a
 * driver. Services, controllers and tools sit above them. The benchmarks are
 * the one exception: they measure bare statements against the same database.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['analysis', 'bin', 'cli', 'dashboard', 'experiments', 'seed', 'server'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The code without its comments, so that a comment may name a statement. */
function codeOf(path: string): string {
  return readFileSync(join(root, path), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const SQL_STATEMENT = /\b(SELECT\s+[\w"*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|ON\s+CONFLICT|CREATE\s+(TABLE|INDEX|TEMP))/;
const DRIVER_CALL = /\b(db|tx|database)\s*\.\s*(all|get|run)\s*[<(]/;
const DRIVER_IMPORT = /from\s+'(better-sqlite3|pg|pg-[\w-]+|drizzle-orm\/(better-sqlite3|node-postgres)[^']*)'/;

const holdsSql = (path: string) => /-(store|read-model)\.ts$/.test(path) || path.startsWith('server/db/');
const files = SOURCE_DIRS.flatMap(sourceFiles);

describe('the data-access boundary', () => {
  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('experiments/assignment/assignment-service.ts');
  });

  it('keeps SQL in stores, read models and server/db', () => {
    const outside = files.filter((path) => !holdsSql(path)).filter((path) => {
      const code = codeOf(path);
      return SQL_STATEMENT.test(code) || DRIVER_CALL.test(code);
    });
    expect(outside).toEqual([]);
  });

  it('lets only server/db import a database driver', () => {
    const importers = files.filter((path) => !path.startsWith('server/db/') && DRIVER_IMPORT.test(codeOf(path)));
    expect(importers).toEqual([]);
  });

  it('keeps analysis/ pure statistics: no database code, no stores, no read models', () => {
    const impure = files
      .filter((path) => path.startsWith('analysis/'))
      .filter((path) => /from\s+'[^']*(server\/db\/|-store\.ts|-read-model\.ts|server\/services)/.test(codeOf(path)));
    expect(impure).toEqual([]);
  });

  it('catches the patterns it looks for (the check itself can fail)', () => {
    expect(SQL_STATEMENT.test("const q = 'SELECT id FROM sites'")).toBe(true);
    expect(SQL_STATEMENT.test('`INSERT INTO x (a) VALUES (?)`')).toBe(true);
    expect(DRIVER_CALL.test('await db.get<{ n: number }>(Q)')).toBe(true);
    expect(DRIVER_CALL.test('router.get(path, handler)')).toBe(false);
    expect(DRIVER_IMPORT.test("import pg from 'pg';")).toBe(true);
    expect(relative(root, join(root, 'server/db/x.ts'))).toBe('server/db/x.ts');
  });
});
