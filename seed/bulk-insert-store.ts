import type { Queryable } from '../server/db/database.ts';

/**
 * Multi-row INSERTs, for loading many rows quickly on either engine (the demo
 * data, the benchmarks' fixtures). Rows go in lists of up to `rowsPerStatement`
 * (a few hundred: far under SQLite's 32,766 and PostgreSQL's 65,535 parameters
 * per statement), and the SQL text for each list length is built once, so the
 * same few texts are reused (SQLite prepares each text once).
 *
 * The table, columns and RETURNING list are fixed identifiers from the code,
 * never values; every value is a `?` parameter.
 */
export interface MultiRowInsert {
  readonly rowsPerStatement: number;
  /** The INSERT text for `rows` rows (built once per length). */
  sql(rows: number): string;
  /** Inserts `rows` (each a value per column, in order), in as few statements as the list length allows. */
  insert<T = Record<string, unknown>>(db: Queryable, rows: readonly (readonly unknown[])[]): Promise<T[]>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const checked = (name: string) => {
  if (!IDENTIFIER.test(name)) throw new Error(`Not an identifier this insert builder accepts: ${name}`);
  return name;
};

export const ROWS_PER_STATEMENT = 500;

export function multiRowInsert(
  table: string,
  columns: readonly string[],
  options: { rowsPerStatement?: number; returning?: readonly string[]; onConflictDoNothing?: boolean } = {},
): MultiRowInsert {
  const perStatement = options.rowsPerStatement ?? ROWS_PER_STATEMENT;
  const head = `INSERT INTO ${checked(table)} (${columns.map(checked).join(', ')}) VALUES `;
  const row = `(${columns.map(() => '?').join(', ')})`;
  const tail = `${options.onConflictDoNothing ? ' ON CONFLICT DO NOTHING' : ''}${options.returning ? ` RETURNING ${options.returning.map(checked).join(', ')}` : ''}`;
  const texts = new Map<number, string>();
  const sql = (rows: number) => {
    let text = texts.get(rows);
    if (text === undefined) {
      text = head + Array.from({ length: rows }, () => row).join(', ') + tail;
      texts.set(rows, text);
    }
    return text;
  };

  return {
    rowsPerStatement: perStatement,
    sql,
    async insert<T>(db: Queryable, rows: readonly (readonly unknown[])[]): Promise<T[]> {
      const returned: T[] = [];
      for (let start = 0; start < rows.length; start += perStatement) {
        const slice = rows.slice(start, start + perStatement);
        const params: unknown[] = [];
        for (const values of slice) {
          if (values.length !== columns.length) throw new Error(`${table}: a row has ${values.length} values for ${columns.length} columns`);
          for (const value of values) params.push(value);
        }
        if (options.returning) returned.push(...(await db.all<T>(sql(slice.length), params)));
        else await db.run(sql(slice.length), params);
      }
      return returned;
    },
  };
}

/**
 * Rows gathered and written a full list at a time, so a long stream of rows
 * uses one SQL text; `flush` writes what is left (call it before the
 * transaction the rows belong to ends).
 */
export interface BufferedInsert {
  add(values: readonly unknown[]): Promise<void>;
  flush(): Promise<void>;
}

export function bufferedInsert(target: MultiRowInsert, db: Queryable): BufferedInsert {
  let rows: (readonly unknown[])[] = [];
  return {
    async add(values) {
      rows.push(values);
      if (rows.length >= target.rowsPerStatement) {
        const full = rows;
        rows = [];
        await target.insert(db, full);
      }
    },
    async flush() {
      if (rows.length === 0) return;
      const rest = rows;
      rows = [];
      await target.insert(db, rest);
    },
  };
}
