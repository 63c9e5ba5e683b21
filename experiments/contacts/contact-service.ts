import { and, asc, count, eq, isNull, like, type SQL } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import { inTransaction, type Db } from '../../server/db/database.ts';
import { contactChanges, contacts, sites, workCoaches } from '../../server/db/schema.ts';
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { ContactInput, ContactPreferences } from './contact-schema.ts';

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

/**
 * Who may read person-level records: analysts see all, coaches their own
 * caseload. Nobody sees an erased person (docs/decisions/0033): only their
 * anonymous assignment and outcome records remain, for the counts.
 */
export function contactScope(user: CurrentUser): SQL | undefined {
  if (user.role === 'analyst') return isNull(contacts.erasedAt);
  if (user.role === 'coach' && user.coachId !== null) return and(eq(contacts.coachId, user.coachId), isNull(contacts.erasedAt));
  throw new ForbiddenError('Your role cannot see records about people');
}

export type ContactRow = typeof contacts.$inferSelect;

/**
 * Finds one contact for a user with a prepared statement, applying the same
 * rule as contactScope to the row: analysts see everyone, coaches their own
 * caseload, other roles nobody (403); an erased person is never found. Used on the hot paths (assignment,
 * recording outcomes), where building the query each time costs more than running it.
 */
export function createContactLookup(db: Db) {
  const columns = `id, reference, coach_id AS coachId, site_id AS siteId, health_group AS healthGroup, age_band AS ageBand,
    sex, ethnicity_group AS ethnicityGroup, caring, time_on_benefits AS timeOnBenefits, previous_work AS previousWork,
    benefit_type AS benefitType, preferred_channel AS preferredChannel, adjustments, opted_out_at AS optedOutAt,
    created_at AS createdAt, updated_at AS updatedAt`;
  const byReference = db.$client.prepare(`SELECT ${columns} FROM contacts WHERE reference = ? AND erased_at IS NULL`);
  const byId = db.$client.prepare(`SELECT ${columns} FROM contacts WHERE id = ? AND erased_at IS NULL`);
  const visible = (user: CurrentUser, row: (Omit<ContactRow, 'caring'> & { caring: number }) | undefined): ContactRow | null => {
    contactScope(user); // throws the 403 for roles that see nobody
    if (!row || (user.role === 'coach' && row.coachId !== user.coachId)) return null;
    return { ...row, caring: row.caring === 1 };
  };
  return {
    byReference: (user: CurrentUser, reference: string) => visible(user, byReference.get(reference) as never),
    byId: (user: CurrentUser, id: number) => visible(user, byId.get(id) as never),
  };
}

/** Lookups from the codes used in files and forms to ids. */
export function createCodeDirectory(db: Db) {
  const coachRows = db.select({ id: workCoaches.id, code: workCoaches.code, siteId: workCoaches.siteId }).from(workCoaches).all();
  const siteRows = db.select({ id: sites.id, code: sites.code }).from(sites).all();
  const coachByCode = new Map(coachRows.map((c) => [c.code.toLowerCase(), c]));
  const siteByCode = new Map(siteRows.map((s) => [s.code.toLowerCase(), s.id]));
  return {
    coach: (code: string) => coachByCode.get(code.toLowerCase()),
    site: (code: string) => siteByCode.get(code.toLowerCase()),
  };
}

export function createContactService(db: Db, clock: Clock) {
  const select = () =>
    db
      .select({
        contact: contacts,
        coachCode: workCoaches.code,
        coachName: workCoaches.name,
        siteCode: sites.code,
        siteName: sites.name,
      })
      .from(contacts)
      .innerJoin(workCoaches, eq(workCoaches.id, contacts.coachId))
      .innerJoin(sites, eq(sites.id, contacts.siteId));

  type Row = { contact: typeof contacts.$inferSelect; coachCode: string; coachName: string; siteCode: string; siteName: string };
  const toView = ({ contact, coachCode, coachName, siteCode, siteName }: Row): ContactView => ({
    id: contact.id,
    reference: contact.reference,
    coach: { code: coachCode, name: coachName },
    site: { code: siteCode, name: siteName },
    healthGroup: contact.healthGroup,
    ageBand: contact.ageBand,
    sex: contact.sex,
    ethnicityGroup: contact.ethnicityGroup,
    caring: contact.caring,
    timeOnBenefits: contact.timeOnBenefits,
    previousWork: contact.previousWork,
    benefitType: contact.benefitType,
    preferredChannel: contact.preferredChannel,
    adjustments: JSON.parse(contact.adjustments) as string[],
    optedOutAt: contact.optedOutAt,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
  });

  const insertContact = db.$client.prepare(`
    INSERT INTO contacts (reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits,
      previous_work, benefit_type, preferred_channel, adjustments, created_at, updated_at)
    VALUES (@reference, @coachId, @siteId, @healthGroup, @ageBand, @sex, @ethnicityGroup, @caring, @timeOnBenefits,
      @previousWork, @benefitType, @preferredChannel, @adjustments, @createdAt, @updatedAt)`);

  return {
    /**
     * Adds contacts, all or none. Returns field errors per input index instead of
     * throwing, so importers can report line numbers.
     */
    createMany(inputs: ContactInput[]): { created: number; rejected: { index: number; errors: FieldError[] }[] } {
      const codes = createCodeDirectory(db);
      const at = clock.now().toISOString();
      const rejected: { index: number; errors: FieldError[] }[] = [];
      const seen = new Set<string>();
      const existing = db.select({ reference: contacts.reference }).from(contacts).all();
      const taken = new Set(existing.map((e) => e.reference.toLowerCase()));
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
        return {
          reference: input.reference,
          coachId: coach?.id ?? 0,
          siteId: siteId ?? 0,
          healthGroup: input.healthGroup,
          ageBand: input.ageBand,
          sex: input.sex,
          ethnicityGroup: input.ethnicityGroup,
          caring: input.caring,
          timeOnBenefits: input.timeOnBenefits,
          previousWork: input.previousWork,
          benefitType: input.benefitType,
          preferredChannel: input.preferredChannel,
          adjustments: JSON.stringify(input.adjustments),
          createdAt: at,
          updatedAt: at,
        };
      });
      if (rejected.length) return { created: 0, rejected };
      // A prepared statement per row: at 100,000 rows the query builder costs several times the inserts.
      inTransaction(db, () => {
        for (const value of values) insertContact.run({ ...value, caring: value.caring ? 1 : 0 });
      });
      return { created: values.length, rejected: [] };
    },

    list(user: CurrentUser, options: { search?: string; limit?: number; offset?: number } = {}): { contacts: ContactView[]; total: number } {
      const conditions = [contactScope(user), options.search ? like(contacts.reference, `%${options.search.replace(/[%_]/g, '')}%`) : undefined];
      const where = and(...conditions);
      const rows = select()
        .where(where)
        .orderBy(asc(contacts.reference))
        .limit(options.limit ?? 100)
        .offset(options.offset ?? 0)
        .all();
      const total = db.select({ n: count() }).from(contacts).where(where).get()!.n;
      return { contacts: rows.map(toView), total };
    },

    /** One contact, if the user may see it; a contact on another caseload is "not found". */
    get(user: CurrentUser, reference: string): ContactView {
      const row = select()
        .where(and(contactScope(user), eq(contacts.reference, reference)))
        .get();
      if (!row) throw new NotFoundError('Contact');
      return toView(row);
    },

    history(user: CurrentUser, reference: string): ContactChangeView[] {
      const contact = this.get(user, reference);
      return db
        .select({ field: contactChanges.field, oldValue: contactChanges.oldValue, newValue: contactChanges.newValue, changedAt: contactChanges.changedAt })
        .from(contactChanges)
        .where(eq(contactChanges.contactId, contact.id))
        .orderBy(asc(contactChanges.id))
        .all();
    },

    /** Changes preferred channel, adjustments or coach, keeping the history of each change. */
    updatePreferences(user: CurrentUser, reference: string, changes: ContactPreferences): ContactView {
      return inTransaction(db, () => {
        const before = this.get(user, reference);
        const at = clock.now().toISOString();
        const updates: Partial<typeof contacts.$inferInsert> = {};
        const history: (typeof contactChanges.$inferInsert)[] = [];
        const note = (field: string, oldValue: string | null, newValue: string | null) => {
          if (oldValue !== newValue) history.push({ contactId: before.id, field, oldValue, newValue, changedBy: user.id, changedAt: at });
        };
        if (changes.preferredChannel !== undefined) {
          updates.preferredChannel = changes.preferredChannel;
          note('preferredChannel', before.preferredChannel, changes.preferredChannel);
        }
        if (changes.adjustments !== undefined) {
          const sorted = [...new Set(changes.adjustments)].sort();
          updates.adjustments = JSON.stringify(sorted);
          note('adjustments', [...before.adjustments].sort().join(';') || null, sorted.join(';') || null);
        }
        if (changes.coach !== undefined) {
          if (user.role !== 'analyst') throw new ForbiddenError('Only analysts can move a person to another caseload');
          const coach = createCodeDirectory(db).coach(changes.coach);
          if (!coach) throw new ValidationError([{ field: 'coach', message: `Unknown work coach code "${changes.coach}"` }]);
          updates.coachId = coach.id;
          note('coach', before.coach.code, changes.coach);
        }
        if (history.length === 0) return before;
        db.update(contacts)
          .set({ ...updates, updatedAt: at })
          .where(eq(contacts.id, before.id))
          .run();
        db.insert(contactChanges).values(history).run();
        return this.get(user, reference);
      });
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
