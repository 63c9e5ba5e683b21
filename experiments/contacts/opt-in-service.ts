import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../server/errors.ts';
import { containsIdentifier } from '../../dashboard/learning-log/disclosure-check.ts';
import { contactReferenceLookup } from '../../dashboard/learning-log/learning-note-service.ts';
import type { OptInInput } from '../outcomes/correction-schema.ts';
import { createContactLookup } from './contact-service.ts';

export interface OptInView {
  id: number;
  contact: string;
  /** When the opt-out this ends happened. */
  optedOutAt: string;
  reason: string;
  recordedBy: string;
  recordedAt: string;
}

/**
 * Opting back in after an opt-out, only ever at the person's own request
 * (docs/decisions/0035): recorded with a reason, audited, and appended; the
 * opt-out event stays, so the opt-out still counts in every analysis by
 * assigned arm. Afterwards the person can be contacted and assigned to new
 * experiments again, and a new opt-out can be recorded.
 */
export function createOptInService(db: Db, clock: Clock) {
  const contactLookup = createContactLookup(db);
  const isContactReference = contactReferenceLookup(db);
  const latestOptOut = db.$client.prepare("SELECT id, occurred_at AS occurredAt FROM outcome_events WHERE contact_id = ? AND stage = 'opted_out' ORDER BY id DESC LIMIT 1");
  const optInsOf = db.$client.prepare(`
    SELECT i.id, o.occurred_at AS optedOutAt, i.reason, u.display_name AS recordedBy, i.recorded_at AS recordedAt
    FROM opt_ins i JOIN outcome_events o ON o.id = i.opt_out_event_id JOIN users u ON u.id = i.recorded_by
    WHERE i.contact_id = ? ORDER BY i.id`);
  const insertOptIn = db.$client.prepare('INSERT INTO opt_ins (contact_id, opt_out_event_id, reason, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)');
  const clearOptOut = db.$client.prepare('UPDATE contacts SET opted_out_at = NULL, updated_at = ? WHERE id = ?');
  const audit = db.$client.prepare('INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (?, ?, ?, ?, ?)');

  const list = (contactId: number, reference: string): OptInView[] =>
    (optInsOf.all(contactId) as Omit<OptInView, 'contact'>[]).map((row) => ({ ...row, contact: reference }));

  const optInNow = (user: CurrentUser, reference: string, input: OptInInput): { created: boolean; optIn: OptInView } => {
    const contact = contactLookup.byReference(user, reference);
    if (!contact) throw new NotFoundError('Contact');
    if (!contact.optedOutAt) {
      // A retry after opting back in returns that opt-in.
      const previous = list(contact.id, contact.reference).at(-1);
      if (previous) return { created: false, optIn: previous };
      throw new ConflictError('This person has not opted out');
    }
    if (containsIdentifier(input.reason, isContactReference))
      throw new ValidationError([{ field: 'reason', message: 'Remove the person’s reference or National Insurance number from the reason' }]);
    const optOut = latestOptOut.get(contact.id) as { id: number; occurredAt: string } | undefined;
    if (!optOut) throw new ConflictError('No opt-out is recorded for this person');
    const at = clock.now().toISOString();
    insertOptIn.run(contact.id, optOut.id, input.reason, user.id, at);
    clearOptOut.run(at, contact.id);
    audit.run(user.id, 'opt-in', 'contact', contact.reference, at);
    return { created: true, optIn: list(contact.id, contact.reference).at(-1)! };
  };
  const optInInTransaction = db.$client.transaction(optInNow);

  return {
    /** Records that an opted-out person asked to be contacted again. */
    optIn(user: CurrentUser, reference: string, input: OptInInput): { created: boolean; optIn: OptInView } {
      return optInInTransaction.immediate(user, reference, input);
    },

    forContact(user: CurrentUser, reference: string): OptInView[] {
      const contact = contactLookup.byReference(user, reference);
      if (!contact) throw new NotFoundError('Contact');
      return list(contact.id, contact.reference);
    },
  };
}

export type OptInService = ReturnType<typeof createOptInService>;
