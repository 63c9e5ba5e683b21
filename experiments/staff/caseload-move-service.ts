import { randomUUID } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ValidationError, type FieldError } from '../../server/errors.ts';
import { createContactStore } from '../contacts/contact-store.ts';
import { createCaseloadMoveStore } from './caseload-move-store.ts';
import { createCaseloadMoveReadModel } from './caseload-move-read-model.ts';
import { createStaffStore, type CoachName } from './staff-store.ts';

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
  const staff = createStaffStore(db);
  const contacts = createContactStore(db);
  const store = createCaseloadMoveStore(db);
  const moves = createCaseloadMoveReadModel(db);

  /** Checks a move and says what it would do, writing nothing. Errors name the form's fields. */
  async function plan(request: MoveRequest): Promise<MovePlan> {
    const errors: FieldError[] = [];
    const to = await staff.coachByCode(request.toCoach);
    if (!to) errors.push({ field: 'toCoach', message: 'Select the coach to move them to' });
    let from: CoachName | undefined;
    let people = 0;
    let reference: string | null = null;
    if (request.reference !== null) {
      const contact = await contacts.byTypedReference(request.reference);
      if (!request.reference.trim()) errors.push({ field: 'reference', message: 'Enter the reference of the person to move' });
      else if (!contact) errors.push({ field: 'reference', message: 'No one has that reference: check it and try again' });
      else if (contact === 'ambiguous') errors.push({ field: 'reference', message: 'More than one person has a reference like that: enter it exactly as it is written, with its capitals and hyphens' });
      else {
        from = (await staff.coachById(contact.coachId))!;
        reference = contact.reference;
        people = 1;
      }
    } else {
      from = request.fromCoach ? await staff.coachByCode(request.fromCoach) : undefined;
      if (!from) errors.push({ field: 'fromCoach', message: 'Select the coach whose caseload is moving' });
      else people = await contacts.caseloadSize(from.id);
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
        // The plan's reference is the person's own, exactly as stored: an exact match.
        const contact = checked.reference === null ? null : ((await contacts.byTypedReference(checked.reference)) as { id: number }).id;
        const group = randomUUID();
        const at = clock.now().toISOString();
        const who = { contactId: contact, fromCoachId: checked.from.id };
        await store.record(who, { toCoachId: checked.to.id, group, reason: checked.reason, movedBy: userId }, at);
        const people = await store.moveContacts(who, checked.to.id, at);
        return { ...checked, people, moveGroup: group };
      });
    },

    recent(limit = 20): Promise<MoveView[]> {
      return moves.recent(limit);
    },
  };
}

export type CaseloadMoveService = ReturnType<typeof createCaseloadMoveService>;
