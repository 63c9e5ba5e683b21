import type { Clock } from './clock.ts';
import type { Db } from './db/client.ts';
import { auditLog } from './db/schema.ts';

/**
 * Who saw and changed what. Only user ids, actions and entity keys are kept:
 * never a person's characteristics.
 */
export function createAuditService(db: Db, clock: Clock) {
  const insert = db.$client.prepare('INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (?, ?, ?, ?, ?)');
  return {
    record(userId: number | null, action: string, entity: string, entityId?: string | number | null): void {
      insert.run(userId, action, entity, entityId == null ? null : String(entityId), clock.now().toISOString());
    },
    recent(limit = 200) {
      return db.select().from(auditLog).orderBy(auditLog.id).limit(limit).all();
    },
  };
}
