import type { Clock } from './clock.ts';
import type { Db } from './db/database.ts';
import { createAuditReadModel, type AuditFilter, type AuditRow } from './audit-read-model.ts';
import { createAuditStore } from './audit-store.ts';

export type { AuditFilter, AuditRow } from './audit-read-model.ts';

/**
 * Who saw and changed what. Only user ids, actions and entity keys are kept
 * (a person's pseudonymous reference, an experiment key, a week), never a
 * person's characteristics. The table is append-only (docs/decisions/0031).
 */
export function createAuditService(db: Db, clock: Clock) {
  const store = createAuditStore(db);
  const readModel = createAuditReadModel(db);
  return {
    /** Calls `callback` if the transaction the caller is in rolls back (the row written in it is gone). */
    onRollback: (callback: () => void) => db.onRollback(callback),

    /** Writes one row; inside a `withTransaction` it lands (or not) with the change it records. */
    async record(userId: number | null, action: string, entity: string, entityId?: string | number | null, experimentKey?: string | null): Promise<void> {
      await store.insert(userId, action, entity, entityId == null ? null : String(entityId), experimentKey ?? null, clock.now().toISOString());
    },

    async recent(limit = 200): Promise<AuditRow[]> {
      return readModel.recent(limit);
    },

    /** One page of the rows matching `filter`, newest first, and how many match in all. */
    async search(filter: AuditFilter, page: { limit: number; offset: number }): Promise<{ rows: AuditRow[]; total: number }> {
      const total = await readModel.count(filter);
      const rows = await readModel.page(filter, page);
      return { rows, total };
    },

    /**
     * Every row matching `filter`, newest first, read in batches for a CSV
     * export. Each batch is a complete query, so a slow download never holds
     * a connection (or, on SQLite, the one connection) between batches.
     */
    async *iterate(filter: AuditFilter, batchSize = 1000): AsyncGenerator<AuditRow> {
      let batch = await readModel.batch(filter, null, batchSize);
      while (batch.length > 0) {
        yield* batch;
        if (batch.length < batchSize) return;
        batch = await readModel.batch(filter, batch[batch.length - 1], batchSize);
      }
    },

    /** The actions that appear in the log, for the filter's list. */
    actions(): Promise<string[]> {
      return store.actions();
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
