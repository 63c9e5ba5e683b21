import type { Db } from '../../server/db/database.ts';

// One person (contact id given) or a whole caseload (contact id null, from coach given).
const MOVED = '((CAST(? AS INTEGER) IS NOT NULL AND id = ?) OR (CAST(? AS INTEGER) IS NULL AND coach_id = ?))';
const RECORD_MOVES = `
  INSERT INTO caseload_moves (contact_id, from_coach_id, to_coach_id, move_group, reason, moved_by, moved_at)
  SELECT id, coach_id, CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT) FROM contacts WHERE ${MOVED}`;
const MOVE_CONTACTS = `UPDATE contacts SET coach_id = ?, updated_at = ? WHERE ${MOVED}`;

/**
 * The writes of a caseload move: its rows in caseload_moves (only ever
 * added) and the moved people's coach in contacts. Made inside the caseload
 * move service's transaction, the record first, while the people are still on
 * their old coach's caseload.
 */
export function createCaseloadMoveStore(db: Db) {
  const moved = (who: { contactId: number | null; fromCoachId: number }) => [who.contactId, who.contactId, who.contactId, who.fromCoachId];
  return {
    /** One row per person moving: one person (`contactId`) or everyone on `fromCoachId`'s caseload. */
    async record(
      who: { contactId: number | null; fromCoachId: number },
      move: { toCoachId: number; group: string; reason: string; movedBy: number | null },
      at: string,
    ): Promise<void> {
      await db.run(RECORD_MOVES, [move.toCoachId, move.group, move.reason, move.movedBy, at, ...moved(who)]);
    },
    /** Returns how many people moved. */
    async moveContacts(who: { contactId: number | null; fromCoachId: number }, toCoachId: number, at: string): Promise<number> {
      return (await db.run(MOVE_CONTACTS, [toCoachId, at, ...moved(who)])).changes;
    },
  };
}

export type CaseloadMoveStore = ReturnType<typeof createCaseloadMoveStore>;
