import { describe, expect, it } from 'vitest';
import { getTableName, is, SQL } from 'drizzle-orm';
import {
  getTableConfig as sqliteTableConfig,
  integer as sqliteInteger,
  SQLiteSyncDialect,
  SQLiteTable,
  sqliteTable,
  text as sqliteText,
  type SQLiteColumn,
} from 'drizzle-orm/sqlite-core';
import { getTableConfig as pgTableConfig, doublePrecision, PgDialect, PgTable, pgTable, text as pgText, type IndexedColumn, type PgColumn } from 'drizzle-orm/pg-core';
import * as sqliteSchema from './schema.ts';
import * as postgresSchema from './schema.postgres.ts';
import { openDatabase } from './database.ts';

/**
 * The two schema modules must describe the same database: one SQL text reads
 * the same rows from either engine. Each table is reduced to an engine-neutral
 * shape and the shapes are compared; a failure names every difference.
 */

interface ColumnShape {
  name: string;
  /** integer | real | text, or the engine's own type name when it is none of those. */
  type: string;
  notNull: boolean;
  /** The default as SQL would read it back: booleans as 0/1, SQL as its text; null when none. */
  default: string | number | null;
  /** An id the database assigns (SQLite AUTOINCREMENT, PostgreSQL identity). */
  generated: boolean;
}

interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKey: string[];
  /** `name(columns)` of unique constraints, however declared. */
  uniques: string[];
  /** `name(columns)` of indexes, `unique` marked. */
  indexes: string[];
  /** `columns -> table(columns) on delete … on update …`. */
  foreignKeys: string[];
  /** `name: condition`. */
  checks: string[];
}

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

function defaultOf(value: unknown, render: (sql: SQL) => string): string | number | null {
  if (value === undefined || value === null) return null;
  if (value === true) return 1;
  if (value === false) return 0;
  if (is(value, SQL)) return render(value);
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

const sqliteTypes: Record<string, string> = { integer: 'integer', real: 'real', text: 'text' };
// What each PostgreSQL type reads back as through node-postgres (int8 is parsed as a number).
const postgresTypes: Record<string, string> = { integer: 'integer', bigint: 'integer', 'double precision': 'real', text: 'text' };

/** The parts of a table's shape both dialects' configs describe alike: keys, uniques, indexes, foreign keys, checks. */
type TableConfig = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;
function constraintShape(config: TableConfig, render: (sql: SQL) => string, indexColumn: (column: never) => string): Omit<TableShape, 'name' | 'columns'> {
  const { columns, primaryKeys, uniqueConstraints, indexes, foreignKeys, checks } = config as ReturnType<typeof sqliteTableConfig>;
  return {
    primaryKey: [...columns.filter((c) => c.primary).map((c) => c.name), ...primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name))],
    uniques: [
      ...columns.filter((c) => c.isUnique).map((c) => `${c.uniqueName}(${c.name})`),
      ...uniqueConstraints.map((u) => `${u.getName()}(${u.columns.map((c) => c.name).join(', ')})`),
    ].sort(),
    indexes: indexes
      .map((i) => `${i.config.name}(${i.config.columns.map((c) => indexColumn(c as never)).join(', ')})${i.config.unique ? ' unique' : ''}${i.config.where ? ` where ${render(i.config.where)}` : ''}`)
      .sort(),
    foreignKeys: foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return `${ref.columns.map((c) => c.name).join(', ')} -> ${getTableName(ref.foreignTable)}(${ref.foreignColumns.map((c) => c.name).join(', ')}) on delete ${fk.onDelete ?? 'no action'} on update ${fk.onUpdate ?? 'no action'}`;
      })
      .sort(),
    checks: checks.map((c) => `${c.name}: ${render(c.value)}`).sort(),
  };
}

function sqliteShape(table: SQLiteTable): TableShape {
  const config = sqliteTableConfig(table);
  const render = (sql: SQL) => sqliteDialect.sqlToQuery(sql).sql;
  const indexColumn = (column: SQLiteColumn | SQL) => (is(column, SQL) ? render(column) : column.name);
  const columns = config.columns;
  return {
    name: config.name,
    columns: columns.map((column) => ({
      name: column.name,
      type: sqliteTypes[column.getSQLType()] ?? `SQLite ${column.getSQLType()}`,
      notNull: column.notNull,
      default: defaultOf(column.default, render),
      generated: (column as SQLiteColumn & { autoIncrement?: boolean }).autoIncrement === true,
    })),
    ...constraintShape(config, render, indexColumn),
  };
}

function postgresShape(table: PgTable): TableShape {
  const config = pgTableConfig(table);
  const render = (sql: SQL) => pgDialect.sqlToQuery(sql).sql;
  const indexColumn = (column: Partial<SQL | IndexedColumn>) => (is(column, SQL) ? render(column) : String((column as Partial<IndexedColumn>).name));
  const columns = config.columns;
  return {
    name: config.name,
    columns: columns.map((column) => ({
      name: column.name,
      type: postgresTypes[column.getSQLType()] ?? `PostgreSQL ${column.getSQLType()}`,
      notNull: column.notNull,
      default: defaultOf(column.default, render),
      generated: (column as PgColumn).generatedIdentity !== undefined,
    })),
    ...constraintShape(config, render, indexColumn),
  };
}

/** Every difference between two shapes of one table, in words; empty when they match. */
function differences(sqlite: TableShape, postgres: TableShape): string[] {
  const table = sqlite.name;
  const out: string[] = [];
  if (sqlite.name !== postgres.name) out.push(`table name: SQLite ${sqlite.name}, PostgreSQL ${postgres.name}`);
  const sqliteNames = sqlite.columns.map((c) => c.name);
  const postgresNames = postgres.columns.map((c) => c.name);
  for (const name of sqliteNames.filter((n) => !postgresNames.includes(n))) out.push(`${table}.${name}: only in the SQLite schema`);
  for (const name of postgresNames.filter((n) => !sqliteNames.includes(n))) out.push(`${table}.${name}: only in the PostgreSQL schema`);
  const common = sqliteNames.filter((n) => postgresNames.includes(n));
  const commonInPostgres = postgresNames.filter((n) => sqliteNames.includes(n));
  if (common.join() !== commonInPostgres.join()) out.push(`${table}: columns in another order: SQLite [${common.join(', ')}], PostgreSQL [${commonInPostgres.join(', ')}]`);
  for (const name of common) {
    const a = sqlite.columns.find((c) => c.name === name)!;
    const b = postgres.columns.find((c) => c.name === name)!;
    for (const key of ['type', 'notNull', 'default', 'generated'] as const) {
      if (a[key] !== b[key]) out.push(`${table}.${name}: ${key} is ${JSON.stringify(a[key])} in SQLite, ${JSON.stringify(b[key])} in PostgreSQL`);
    }
  }
  for (const key of ['primaryKey', 'uniques', 'indexes', 'foreignKeys', 'checks'] as const) {
    const a = sqlite[key];
    const b = postgres[key];
    if (key === 'primaryKey') {
      if (a.join() !== b.join()) out.push(`${table}: primary key (${a.join(', ')}) in SQLite, (${b.join(', ')}) in PostgreSQL`);
      continue;
    }
    for (const item of a.filter((x) => !b.includes(x))) out.push(`${table}: ${key} ${item} only in SQLite`);
    for (const item of b.filter((x) => !a.includes(x))) out.push(`${table}: ${key} ${item} only in PostgreSQL`);
  }
  return out;
}

const sqliteTables = new Map(
  Object.entries(sqliteSchema as Record<string, unknown>)
    .filter((entry): entry is [string, SQLiteTable] => is(entry[1], SQLiteTable))
    .map(([exportName, table]) => [getTableName(table), { exportName, table }]),
);
const postgresTables = new Map(
  Object.entries(postgresSchema as Record<string, unknown>)
    .filter((entry): entry is [string, PgTable] => is(entry[1], PgTable))
    .map(([exportName, table]) => [getTableName(table), { exportName, table }]),
);

describe('the PostgreSQL schema is the twin of the SQLite schema', () => {
  it('has the same tables, exported under the same names', () => {
    expect(sqliteTables.size).toBeGreaterThan(20);
    const names = (tables: Map<string, { exportName: string }>) => [...tables].map(([name, { exportName }]) => `${exportName}: ${name}`).sort();
    expect(names(postgresTables), 'tables (export: table name) of schema.postgres.ts').toEqual(names(sqliteTables));
  });

  it.each([...sqliteTables.keys()])('table %s has the same columns, defaults, keys, indexes and checks', (name) => {
    const postgres = postgresTables.get(name);
    expect(postgres, `${name} is missing from schema.postgres.ts`).toBeDefined();
    expect(differences(sqliteShape(sqliteTables.get(name)!.table), postgresShape(postgres!.table))).toEqual([]);
  });

  it('names each kind of difference (a check of the comparison itself)', () => {
    const a = sqliteTable('t', { id: sqliteInteger('id').primaryKey({ autoIncrement: true }), flag: sqliteInteger('flag', { mode: 'boolean' }).notNull().default(false), note: sqliteText('note').unique() });
    const b = pgTable('t', { id: doublePrecision('id').primaryKey(), flag: pgText('flag').default('0'), extra: pgText('extra') });
    expect(differences(sqliteShape(a), postgresShape(b))).toEqual([
      't.note: only in the SQLite schema',
      't.extra: only in the PostgreSQL schema',
      't.id: type is "integer" in SQLite, "real" in PostgreSQL',
      't.id: generated is true in SQLite, false in PostgreSQL',
      't.flag: type is "integer" in SQLite, "text" in PostgreSQL',
      't.flag: notNull is true in SQLite, false in PostgreSQL',
      't.flag: default is 0 in SQLite, "0" in PostgreSQL',
      't: uniques t_note_unique(note) only in SQLite',
    ]);
  });
});

describe('the SQLite migrations build the SQLite schema', () => {
  // A schema.ts change without `npm run db:generate` shows up here (the PostgreSQL
  // side is checked against a real server in postgres-database.test.ts).
  it('every table has the schema’s columns, types, nullability, keys and indexes', async () => {
    const db = await openDatabase(':memory:');
    try {
      const found: string[] = [];
      const expected: string[] = [];
      for (const [name, { table }] of sqliteTables) {
        const shape = sqliteShape(table);
        const info = await db.all<{ name: string; type: string; notnull: number; pk: number }>(`SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY name`, [name]);
        found.push(...info.map((c) => `${name}.${c.name} ${c.type.toLowerCase()}${c.notnull || c.pk ? ' not null' : ''}${c.pk ? ` pk${c.pk}` : ''}`));
        expected.push(
          ...[...shape.columns]
            .sort((x, y) => (x.name < y.name ? -1 : 1))
            .map((c) => {
              const pk = shape.primaryKey.indexOf(c.name) + 1;
              return `${name}.${c.name} ${c.type}${c.notNull || pk ? ' not null' : ''}${pk ? ` pk${pk}` : ''}`;
            }),
        );
        const indexes = await db.all<{ name: string; unique: number; origin: string }>(`SELECT name, "unique", origin FROM pragma_index_list(?) WHERE origin <> 'pk' ORDER BY name`, [name]);
        found.push(...indexes.map((i) => `${name} index ${i.name}${i.unique ? ' unique' : ''}`));
        expected.push(
          ...[...shape.uniques.map((u) => `${u.slice(0, u.indexOf('('))} unique`), ...shape.indexes.map((i) => `${i.slice(0, i.indexOf('('))}${i.endsWith(' unique') ? ' unique' : ''}`)]
            .sort()
            .map((i) => `${name} index ${i}`),
        );
      }
      expect(found).toEqual(expected);
      const tables = await db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name`);
      expect(tables.map((t) => t.name)).toEqual([...sqliteTables.keys()].sort());
    } finally {
      await db.close();
    }
  });
});
