import { randomUUID } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ValidationError, type FieldError } from '../../server/errors.ts';

/**
 * Moving people between work coaches' caseloads (an admin's job): one
 * person by reference, or everyone on one coach's caseload. The contact's
 * coach changes; every move is kept in caseload_moves, never changed. The
 * person's assignments and the reports' "coach at assignment" do not change
 * (docs/decisions/0036).
 */

export interface MoveRequest {
  /** One person's reference, or null to move the whole caseload of `fromCoach`. */
  reference: string | null;
  fromCoach: string | null;
  toCoach: string;
  reason: string;
}

export interface MovePlan {
  kind: 'person' | 'caseload';
  people: number;
  reference: string | null;
  from: { id: number; code: string; name: string };
  to: { id: number; code: string; name: string };
  reason: string;
}

export interface MoveView {
  moveGroup: string;
  people: number;
  reference: string | null;
  fromCoach: string;
  toCoach: string;
  reason: string;
  movedBy: string | null;
  movedAt: string;
}

const COACH_BY_CODE = 'SELECT id, code, name FROM work_coaches WHERE upper(code) = upper(CAST(? AS TEXT))';
const COACH_BY_ID = 'SELECT id, code, name FROM work_coaches WHERE id = ?';
const CONTACT_BY_REFERENCE = `SELECT id, reference, coach_id AS "coachId" FROM contacts WHERE replace(upper(reference), '-', '') = replace(upper(CAST(? AS TEXT)), '-', '')`;
const CASELOAD_SIZE = 'SELECT COUNT(*) AS n FROM contacts WHERE coach_id = ?';
// One person (contact id given) or a whole caseload (contact id null, from coach given).
const MOVED = '((CAST(? AS INTEGER) IS NOT NULL AND id = ?) OR (CAST(? AS INTEGER) IS NULL AND coach_id = ?))';
const RECORD_MOVES = `
  INSERT INTO caseload_moves (contact_id, from_coach_id, to_coach_id, move_group, reason, moved_by, moved_at)
  SELECT id, coach_id, CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT) FROM contacts WHERE ${MOVED}`;
const MOVE_CONTACTS = `UPDATE contacts SET coach_id = ?, updated_at = ? WHERE ${MOVED}`;
// Every row of a move group has the same coaches, reason, mover and time.
const RECENT = `
  SELECT m.move_group AS "moveGroup", COUNT(*) AS people, CASE WHEN COUNT(*) = 1 THEN MAX(c.reference) END AS reference,
    MAX(f.name) AS "fromCoach", MAX(t.name) AS "toCoach", MAX(m.reason) AS reason, MAX(u.display_name) AS "movedBy", MAX(m.moved_at) AS "movedAt"
  FROM caseload_moves m
  JOIN contacts c ON c.id = m.contact_id
  JOIN work_coaches f ON f.id = m.from_coach_id
  JOIN work_coaches t ON t.id = m.to_coach_id
  LEFT JOIN users u ON u.id = m.moved_by
  GROUP BY m.move_group ORDER BY MAX(m.id) DESC LIMIT ?`;

export function createCaseloadMoveService(db: Db, clock: Clock) {
  type Coach = { id: number; code: string; name: string };
  type Contact = { id: number; reference: string; coachId: number };
  const contactByReference = (reference: string) => db.get<Contact>(CONTACT_BY_REFERENCE, [reference]);

  /** Checks a move and says what it would do, writing nothing. Errors name the form's fields. */
  async function plan(request: MoveRequest): Promise<MovePlan> {
    const errors: FieldError[] = [];
    const to = await db.get<Coach>(COACH_BY_CODE, [request.toCoach]);
    if (!to) errors.push({ field: 'toCoach', message: 'Select the coach to move them to' });
    let from: Coach | undefined;
    let people = 0;
    let reference: string | null = null;
    if (request.reference !== null) {
      const contact = await contactByReference(request.reference);
      if (!request.reference.trim()) errors.push({ field: 'reference', message: 'Enter the reference of the person to move' });
      else if (!contact) errors.push({ field: 'reference', message: 'No one has that reference: check it and try again' });
      else {
        from = (await db.get<Coach>(COACH_BY_ID, [contact.coachId]))!;
        reference = contact.reference;
        people = 1;
      }
    } else {
      from = request.fromCoach ? await db.get<Coach>(COACH_BY_CODE, [request.fromCoach]) : undefined;
      if (!from) errors.push({ field: 'fromCoach', message: 'Select the coach whose caseload is moving' });
      else people = (await db.get<{ n: number }>(CASELOAD_SIZE, [from.id]))!.n;
      if (from && people === 0) errors.push({ field: 'fromCoach', message: `${from.name} has nobody on their caseload to move` });
    }
    if (from && to && from.id === to.id) errors.push({ field: 'toCoach', message: `They are already on ${to.name}’s caseload: choose another coach` });
    if (!request.reason.trim()) errors.push({ field: 'reason', message: 'Say why they are moving, for example: coach leaving the team' });
    else if (request.reason.length > 500) errors.push({ field: 'reason', message: 'Keep the reason to 500 characters' });
    if (errors.length) throw new ValidationError(errors);
    return { kind: request.reference !== null ? 'person' : 'caseload', people, reference, from: from!, to: to!, reason: request.reason.trim() };
  }

  return {
    plan,

    /** Makes the move in one transaction; returns how many people moved. */
    move(request: MoveRequest, userId: number | null): Promise<MovePlan & { moveGroup: string }> {
      return db.withTransaction(async () => {
        const checked = await plan(request);
        const contact = checked.reference === null ? null : (await contactByReference(checked.reference))!.id;
        const group = randomUUID();
        const at = clock.now().toISOString();
        const moved = [contact, contact, contact, checked.from.id];
        await db.run(RECORD_MOVES, [checked.to.id, group, checked.reason, userId, at, ...moved]);
        const { changes } = await db.run(MOVE_CONTACTS, [checked.to.id, at, ...moved]);
        return { ...checked, people: changes, moveGroup: group };
      });
    },

    recent(limit = 20): Promise<MoveView[]> {
      return db.all<MoveView>(RECENT, [limit]);
    },
  };
}

export type CaseloadMoveService = ReturnType<typeof createCaseloadMoveService>;
