import type { Dialect } from './database.ts';

/**
 * The few pieces of SQL the two engines spell differently, one implementation
 * per dialect. A store picks its set once (`dialectSql(db.dialect)`) and builds
 * every statement from it, so each query reads the same on both engines apart
 * from these fragments. Everything else the platform writes is SQL both accept.
 */
export interface DialectSql {
  /** Julian day number (fractional) of an ISO-8601 text expression, as SQLite's julianday(). */
  julianDay(expression: string): string;
  /** Whole number below a non-negative numeric expression (SQLite's CAST truncates; PostgreSQL's rounds). */
  floorInteger(expression: string): string;
  /**
   * A subquery over one JSON array parameter (`?`), for `column IN ${jsonList('integer')}`:
   * pass the list as JSON.stringify(values).
   */
  jsonList(type: 'integer' | 'text'): string;
  /** The text of `key` in a JSON text expression (null if absent). */
  jsonText(expression: string, key: string): string;
  /** An ISO-8601 UTC text (as Date.toISOString() writes) of a Julian day expression. */
  isoFromJulianDay(expression: string): string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const checkKey = (key: string) => {
  if (!KEY.test(key)) throw new Error(`Not a JSON key this SQL builder accepts: ${key}`);
  return key;
};

const sqlite: DialectSql = {
  julianDay: (e) => `julianday(${e})`,
  floorInteger: (e) => `CAST(${e} AS INTEGER)`,
  jsonList: () => '(SELECT value FROM json_each(?))',
  jsonText: (e, key) => `json_extract(${e}, '$.${checkKey(key)}')`,
  isoFromJulianDay: (e) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${e})`,
};

const postgres: DialectSql = {
  julianDay: (e) => `(EXTRACT(EPOCH FROM CAST(${e} AS timestamptz)) / 86400.0 + 2440587.5)`,
  floorInteger: (e) => `CAST(FLOOR(${e}) AS INTEGER)`,
  jsonList: (type) => `(SELECT CAST(j.value AS ${type}) FROM json_array_elements_text(CAST(? AS json)) AS j(value))`,
  jsonText: (e, key) => `(CAST(${e} AS json) ->> '${checkKey(key)}')`,
  isoFromJulianDay: (e) =>
    `to_char(to_timestamp((${e} - 2440587.5) * 86400.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
};

export function dialectSql(dialect: Dialect): DialectSql {
  return dialect === 'postgres' ? postgres : sqlite;
}
