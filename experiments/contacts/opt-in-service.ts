import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../server/errors.ts';
import { containsIdentifier } from '../../dashboard/learning-log/disclosure-check.ts';
import { contactReferencesIn } from '../../dashboard/learning-log/learning-note-service.ts';
import type { OptInInput } from '../outcomes/correction-schema.ts';
import { createContactLookup } from './contact-service.ts';
import { createContactStore } from './contact-store.ts';
import { createAuditStore } from '../../server/audit-store.ts';
import { createOptInStore } from './opt-in-store.ts';
import { createOptInReadModel } from './opt-in-read-model.ts';

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
  const contacts = createContactStore(db);
  const auditLog = createAuditStore(db);
  const store = createOptInStore(db);
  const optIns = createOptInReadModel(db);

  const list = async (contactId: number, reference: string): Promise<OptInView[]> =>
    (await optIns.ofContact(contactId)).map((row) => ({ ...row, contact: reference }));

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
    const optOut = await store.latestOptOut(contact.id);
    if (!optOut) throw new ConflictError('No opt-out is recorded for this person');
    const at = clock.now().toISOString();
    const inserted = await store.insert({ contactId: contact.id, optOutEventId: optOut.id, reason: input.reason, recordedBy: user.id }, at);
    // Another request opted them back in at the same moment: return that opt-in, as a retry would.
    if (!inserted) return { created: false, optIn: (await list(contact.id, contact.reference)).at(-1)! };
    await contacts.clearOptOut(contact.id, at);
    await auditLog.insert(user.id, 'opt-in', 'contact', contact.reference, null, at);
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
