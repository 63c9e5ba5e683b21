import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { contacts } from '../../server/db/schema.ts';
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createStaffStore } from '../staff/staff-store.ts';
import type { ContactInput, ContactPreferences } from './contact-schema.ts';
import { contactScope, createContactStore, type PreferenceField, type StoredContact } from './contact-store.ts';
import { createContactReadModel, type ContactViewRow } from './contact-read-model.ts';

export interface ContactView {
  id: number;
  reference: string;
  coach: { code: string; name: string };
  site: { code: string; name: string };
  healthGroup: string;
  ageBand: string;
  sex: string;
  ethnicityGroup: string;
  caring: boolean;
  timeOnBenefits: string;
  previousWork: string;
  benefitType: string;
  preferredChannel: string | null;
  adjustments: string[];
  optedOutAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactChangeView {
  field: string;
  oldValue: string | null;
  newValue: string | null;
  changedAt: string;
}

export { contactScope, type ContactScope } from './contact-store.ts';

export type ContactRow = typeof contacts.$inferSelect;

/**
 * Finds one contact for a user with one indexed query, applying the same
 * rule as contactScope to the row: analysts see everyone, coaches their own
 * caseload, other roles nobody (403); an erased person is never found. Used on the hot paths (assignment,
 * recording outcomes).
 */
export function createContactLookup(db: Db) {
  const store = createContactStore(db);
  return {
    byReference: async (user: CurrentUser, reference: string): Promise<ContactRow | null> => {
      contactScope(user); // the 403 before any read
      return visibleContact(user, await store.byReference(reference));
    },
    byId: async (user: CurrentUser, id: number): Promise<ContactRow | null> => {
      contactScope(user);
      return visibleContact(user, await store.byId(id));
    },
  };
}

/**
 * A contacts row (as CONTACT_BY_REFERENCE reads it, erased people already left
 * out) if this user may see it, by the rule of contactScope: analysts anyone,
 * coaches their own caseload, other roles nobody (403).
 */
export function visibleContact(user: CurrentUser, row: StoredContact | undefined | null): ContactRow | null {
  contactScope(user); // throws the 403 for roles that see nobody
  if (!row || (user.role === 'coach' && row.coachId !== user.coachId)) return null;
  return { ...row, caring: row.caring === 1 };
}

/** Lookups from the codes used in files and forms to ids. */
export async function createCodeDirectory(db: Db) {
  const staff = createStaffStore(db);
  const coachRows = await staff.coachCodes();
  const siteRows = await staff.siteCodes();
  const coachByCode = new Map(coachRows.map((c) => [c.code.toLowerCase(), c]));
  const siteByCode = new Map(siteRows.map((s) => [s.code.toLowerCase(), s.id]));
  return {
    coach: (code: string) => coachByCode.get(code.toLowerCase()),
    site: (code: string) => siteByCode.get(code.toLowerCase()),
  };
}

export function createContactService(db: Db, clock: Clock) {
  const store = createContactStore(db);
  const views = createContactReadModel(db);
  const toView = (row: ContactViewRow): ContactView => ({
    id: row.id,
    reference: row.reference,
    coach: { code: row.coachCode, name: row.coachName },
    site: { code: row.siteCode, name: row.siteName },
    healthGroup: row.healthGroup,
    ageBand: row.ageBand,
    sex: row.sex,
    ethnicityGroup: row.ethnicityGroup,
    caring: row.caring === 1,
    timeOnBenefits: row.timeOnBenefits,
    previousWork: row.previousWork,
    benefitType: row.benefitType,
    preferredChannel: row.preferredChannel,
    adjustments: JSON.parse(row.adjustments) as string[],
    optedOutAt: row.optedOutAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  /** One contact, if the user may see it; a contact on another caseload is "not found". */
  async function get(user: CurrentUser, reference: string): Promise<ContactView> {
    const scope = contactScope(user, 'c');
    const row = await views.one(scope, reference);
    if (!row) throw new NotFoundError('Contact');
    return toView(row);
  }

  return {
    /**
     * Adds contacts, all or none. Returns field errors per input index instead of
     * throwing, so importers can report line numbers. The references are checked
     * and the rows saved in one transaction; a reference someone else adds at the
     * same moment (PostgreSQL, or another process) makes the insert fail with a
     * unique violation (isUniqueViolation) and nothing is added.
     */
    async createMany(inputs: ContactInput[]): Promise<{ created: number; rejected: { index: number; errors: FieldError[] }[] }> {
      return db.withTransaction(async () => {
        const codes = await createCodeDirectory(db);
        const at = clock.now().toISOString();
        const rejected: { index: number; errors: FieldError[] }[] = [];
        const seen = new Set<string>();
        const taken = new Set((await store.references()).map((reference) => reference.toLowerCase()));
        const values = inputs.map((input, index) => {
          const errors: FieldError[] = [];
          const coach = codes.coach(input.coach);
          const siteId = codes.site(input.site);
          if (!coach) errors.push({ field: 'coach', message: `Unknown work coach code "${input.coach}"` });
          if (!siteId) errors.push({ field: 'site', message: `Unknown site code "${input.site}"` });
          const ref = input.reference.toLowerCase();
          if (taken.has(ref)) errors.push({ field: 'reference', message: 'A contact with this reference already exists' });
          else if (seen.has(ref)) errors.push({ field: 'reference', message: 'This reference appears more than once in the import' });
          seen.add(ref);
          if (errors.length) rejected.push({ index, errors });
          return [
            input.reference,
            coach?.id ?? 0,
            siteId ?? 0,
            input.healthGroup,
            input.ageBand,
            input.sex,
            input.ethnicityGroup,
            input.caring ? 1 : 0,
            input.timeOnBenefits,
            input.previousWork,
            input.benefitType,
            input.preferredChannel,
            JSON.stringify(input.adjustments),
            at,
            at,
          ];
        });
        if (rejected.length) return { created: 0, rejected };
        await store.insert(values);
        return { created: values.length, rejected: [] };
      });
    },

    async list(user: CurrentUser, options: { search?: string; limit?: number; offset?: number } = {}): Promise<{ contacts: ContactView[]; total: number }> {
      const scope = contactScope(user, 'c');
      const { rows, total } = await views.page(scope, { search: options.search, limit: options.limit ?? 100, offset: options.offset ?? 0 });
      return { contacts: rows.map(toView), total };
    },

    get,

    async history(user: CurrentUser, reference: string): Promise<ContactChangeView[]> {
      const contact = await get(user, reference);
      return store.changesOf(contact.id);
    },

    /** Changes preferred channel, adjustments or coach, keeping the history of each change. */
    async updatePreferences(user: CurrentUser, reference: string, changes: ContactPreferences): Promise<ContactView> {
      return db.withTransaction(async () => {
        const before = await get(user, reference);
        const at = clock.now().toISOString();
        const updates: { field: PreferenceField; value: unknown }[] = [];
        const history: { field: string; oldValue: string | null; newValue: string | null }[] = [];
        const note = (field: string, oldValue: string | null, newValue: string | null) => {
          if (oldValue !== newValue) history.push({ field, oldValue, newValue });
        };
        if (changes.preferredChannel !== undefined) {
          updates.push({ field: 'preferredChannel', value: changes.preferredChannel });
          note('preferredChannel', before.preferredChannel, changes.preferredChannel);
        }
        if (changes.adjustments !== undefined) {
          const sorted = [...new Set(changes.adjustments)].sort();
          updates.push({ field: 'adjustments', value: JSON.stringify(sorted) });
          note('adjustments', [...before.adjustments].sort().join(';') || null, sorted.join(';') || null);
        }
        if (changes.coach !== undefined) {
          if (user.role !== 'analyst') throw new ForbiddenError('Only analysts can move a person to another caseload');
          const coach = (await createCodeDirectory(db)).coach(changes.coach);
          if (!coach) throw new ValidationError([{ field: 'coach', message: `Unknown work coach code "${changes.coach}"` }]);
          updates.push({ field: 'coachId', value: coach.id });
          note('coach', before.coach.code, changes.coach);
        }
        if (history.length === 0) return before;
        await store.updatePreferences(before.id, updates, at);
        for (const change of history) await store.addChange(before.id, change, user.id, at);
        return get(user, reference);
      });
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
