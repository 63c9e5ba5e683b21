import type { Queryable } from '../../server/db/database.ts';

/** The first column of every row a query returns. */
export async function column<T = unknown>(db: Queryable, sql: string, params?: readonly unknown[]): Promise<T[]> {
  return (await db.all<Record<string, unknown>>(sql, params)).map((row) => Object.values(row)[0] as T);
}

/** The first column of the first row, or undefined when there is none. */
export async function scalar<T = unknown>(db: Queryable, sql: string, params?: readonly unknown[]): Promise<T | undefined> {
  const row = await db.get<Record<string, unknown>>(sql, params);
  return row === undefined ? undefined : (Object.values(row)[0] as T);
}
