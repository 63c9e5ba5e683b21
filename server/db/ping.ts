import type { Queryable } from './database.ts';

/** Resolves once the database answers the cheapest query there is; rejects when it cannot be reached. */
export async function ping(db: Queryable): Promise<void> {
  await db.get('SELECT 1 AS ok');
}
