import { randomUUID } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import { inTransaction, type Db } from '../../server/db/database.ts';
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

export function createCaseloadMoveService(db: Db, clock: Clock) {
  const sqlite = db.$client;
  const coachByCode = sqlite.prepare('SELECT id, code, name FROM work_coaches WHERE upper(code) = upper(?)');
  const coachById = sqlite.prepare('SELECT id, code, name FROM work_coaches WHERE id = ?');
  const contactByReference = sqlite.prepare(`SELECT id, reference, coach_id AS coachId FROM contacts WHERE replace(upper(reference), '-', '') = replace(upper(?), '-', '')`);
  const caseloadSize = sqlite.prepare('SELECT count(*) FROM contacts WHERE coach_id = ?').pluck();
  const recordMoves = sqlite.prepare(`
    INSERT INTO caseload_moves (contact_id, from_coach_id, to_coach_id, move_group, reason, moved_by, moved_at)
    SELECT id, coach_id, @to, @group, @reason, @by, @at FROM contacts WHERE (@contact IS NOT NULL AND id = @contact) OR (@contact IS NULL AND coach_id = @from)`);
  const moveContacts = sqlite.prepare(`
    UPDATE contacts SET coach_id = @to, updated_at = @at WHERE (@contact IS NOT NULL AND id = @contact) OR (@contact IS NULL AND coach_id = @from)`);
  const recent = sqlite.prepare(`
    SELECT m.move_group AS moveGroup, count(*) AS people, CASE WHEN count(*) = 1 THEN max(c.reference) END AS reference,
      f.name AS fromCoach, t.name AS toCoach, m.reason, u.display_name AS movedBy, m.moved_at AS movedAt
    FROM caseload_moves m
    JOIN contacts c ON c.id = m.contact_id
    JOIN work_coaches f ON f.id = m.from_coach_id
    JOIN work_coaches t ON t.id = m.to_coach_id
    LEFT JOIN users u ON u.id = m.moved_by
    GROUP BY m.move_group ORDER BY max(m.id) DESC LIMIT ?`);

  type Coach = { id: number; code: string; name: string };

  /** Checks a move and says what it would do, writing nothing. Errors name the form's fields. */
  function plan(request: MoveRequest): MovePlan {
    const errors: FieldError[] = [];
    const to = coachByCode.get(request.toCoach) as Coach | undefined;
    if (!to) errors.push({ field: 'toCoach', message: 'Select the coach to move them to' });
    let from: Coach | undefined;
    let people = 0;
    let reference: string | null = null;
    if (request.reference !== null) {
      const contact = contactByReference.get(request.reference) as { id: number; reference: string; coachId: number } | undefined;
      if (!request.reference.trim()) errors.push({ field: 'reference', message: 'Enter the reference of the person to move' });
      else if (!contact) errors.push({ field: 'reference', message: 'No one has that reference: check it and try again' });
      else {
        from = coachById.get(contact.coachId) as Coach;
        reference = contact.reference;
        people = 1;
      }
    } else {
      from = request.fromCoach ? (coachByCode.get(request.fromCoach) as Coach | undefined) : undefined;
      if (!from) errors.push({ field: 'fromCoach', message: 'Select the coach whose caseload is moving' });
      else people = caseloadSize.get(from.id) as number;
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
    move(request: MoveRequest, userId: number | null): MovePlan & { moveGroup: string } {
      return inTransaction(db, () => {
        const checked = plan(request);
        const contact = checked.reference === null ? null : (contactByReference.get(checked.reference) as { id: number }).id;
        const params = { to: checked.to.id, from: checked.from.id, contact, group: randomUUID(), reason: checked.reason, by: userId, at: clock.now().toISOString() };
        recordMoves.run(params);
        const moved = moveContacts.run({ to: params.to, from: params.from, contact, at: params.at }).changes;
        return { ...checked, people: moved, moveGroup: params.group };
      });
    },

    recent(limit = 20): MoveView[] {
      return recent.all(limit) as MoveView[];
    },
  };
}

export type CaseloadMoveService = ReturnType<typeof createCaseloadMoveService>;
