import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../server/errors.ts';
import { containsIdentifier } from '../../dashboard/learning-log/disclosure-check.ts';
import { contactReferencesIn } from '../../dashboard/learning-log/learning-note-service.ts';
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
const LATEST_OPT_OUT = `SELECT id, occurred_at AS "occurredAt" FROM outcome_events WHERE contact_id = ? AND stage = 'opted_out' ORDER BY id DESC LIMIT 1`;
const OPT_INS_OF = `
  SELECT i.id, o.occurred_at AS "optedOutAt", i.reason, u.display_name AS "recordedBy", i.recorded_at AS "recordedAt"
  FROM opt_ins i JOIN outcome_events o ON o.id = i.opt_out_event_id JOIN users u ON u.id = i.recorded_by
  WHERE i.contact_id = ? ORDER BY i.id`;
// One opt-in per opt-out (opt_ins_opt_out_event_id_unique): a request that loses a race to another inserts nothing.
const INSERT_OPT_IN = `INSERT INTO opt_ins (contact_id, opt_out_event_id, reason, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (opt_out_event_id) DO NOTHING`;
const CLEAR_OPT_OUT = 'UPDATE contacts SET opted_out_at = NULL, updated_at = ? WHERE id = ?';
const AUDIT = 'INSERT INTO audit_log (user_id, action, entity, entity_id, at) VALUES (?, ?, ?, ?, ?)';

export function createOptInService(db: Db, clock: Clock) {
  const contactLookup = createContactLookup(db);

  const list = async (contactId: number, reference: string): Promise<OptInView[]> =>
    (await db.all<Omit<OptInView, 'contact'>>(OPT_INS_OF, [contactId])).map((row) => ({ ...row, contact: reference }));

  const optInNow = async (user: CurrentUser, reference: string, input: OptInInput): Promise<{ created: boolean; optIn: OptInView }> => {
    const contact = await contactLookup.byReference(user, reference);
    if (!contact) throw new NotFoundError('Contact');
    if (!contact.optedOutAt) {
      // A retry after opting back in returns that opt-in.
      const previous = (await list(contact.id, contact.reference)).at(-1);
      if (previous) return { created: false, optIn: previous };
      throw new ConflictError('This person has not opted out');
    }
    if (await containsIdentifier(input.reason, await contactReferencesIn(db, input.reason)))
      throw new ValidationError([{ field: 'reason', message: 'Remove the person’s reference or National Insurance number from the reason' }]);
    const optOut = await db.get<{ id: number; occurredAt: string }>(LATEST_OPT_OUT, [contact.id]);
    if (!optOut) throw new ConflictError('No opt-out is recorded for this person');
    const at = clock.now().toISOString();
    const { changes } = await db.run(INSERT_OPT_IN, [contact.id, optOut.id, input.reason, user.id, at]);
    // Another request opted them back in at the same moment: return that opt-in, as a retry would.
    if (changes === 0) return { created: false, optIn: (await list(contact.id, contact.reference)).at(-1)! };
    await db.run(CLEAR_OPT_OUT, [at, contact.id]);
    await db.run(AUDIT, [user.id, 'opt-in', 'contact', contact.reference, at]);
    return { created: true, optIn: (await list(contact.id, contact.reference)).at(-1)! };
  };

  return {
    /** Records that an opted-out person asked to be contacted again. */
    optIn(user: CurrentUser, reference: string, input: OptInInput): Promise<{ created: boolean; optIn: OptInView }> {
      return db.withTransaction(() => optInNow(user, reference, input));
    },

    async forContact(user: CurrentUser, reference: string): Promise<OptInView[]> {
      const contact = await contactLookup.byReference(user, reference);
      if (!contact) throw new NotFoundError('Contact');
      return list(contact.id, contact.reference);
    },
  };
}

export type OptInService = ReturnType<typeof createOptInService>;
