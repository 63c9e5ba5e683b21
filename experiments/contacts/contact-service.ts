import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { contacts } from '../../server/db/schema.ts';
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

/** A WHERE condition over the contacts table (alias given) and its parameters. */
export interface ContactScope {
  sql: string;
  params: unknown[];
}

/**
 * Who may read person-level records: analysts see all, coaches their own
 * caseload. Nobody sees an erased person (docs/decisions/0033): only their
 * anonymous assignment and outcome records remain, for the counts.
 * Returns the condition as SQL over `alias` (default `contacts`) with its
 * parameters, e.g. `WHERE ${scope.sql} AND c.reference = ?` with `[...scope.params, reference]`.
 */
export function contactScope(user: CurrentUser, alias = 'contacts'): ContactScope {
  if (user.role === 'analyst') return { sql: `${alias}.erased_at IS NULL`, params: [] };
  if (user.role === 'coach' && user.coachId !== null) return { sql: `(${alias}.coach_id = ? AND ${alias}.erased_at IS NULL)`, params: [user.coachId] };
  throw new ForbiddenError('Your role cannot see records about people');
}

export type ContactRow = typeof contacts.$inferSelect;

const LOOKUP_COLUMNS = `id, reference, coach_id AS "coachId", site_id AS "siteId", health_group AS "healthGroup", age_band AS "ageBand",
    sex, ethnicity_group AS "ethnicityGroup", caring, time_on_benefits AS "timeOnBenefits", previous_work AS "previousWork",
    benefit_type AS "benefitType", preferred_channel AS "preferredChannel", adjustments, opted_out_at AS "optedOutAt",
    created_at AS "createdAt", updated_at AS "updatedAt"`;
const LOOKUP_BY_REFERENCE = `SELECT ${LOOKUP_COLUMNS} FROM contacts WHERE reference = ? AND erased_at IS NULL`;
const LOOKUP_BY_ID = `SELECT ${LOOKUP_COLUMNS} FROM contacts WHERE id = ? AND erased_at IS NULL`;

/**
 * Finds one contact for a user with one indexed query, applying the same
 * rule as contactScope to the row: analysts see everyone, coaches their own
 * caseload, other roles nobody (403); an erased person is never found. Used on the hot paths (assignment,
 * recording outcomes).
 */
export function createContactLookup(db: Db) {
  const visible = (user: CurrentUser, row: (Omit<ContactRow, 'caring'> & { caring: number }) | undefined): ContactRow | null => {
    contactScope(user); // throws the 403 for roles that see nobody
    if (!row || (user.role === 'coach' && row.coachId !== user.coachId)) return null;
    return { ...row, caring: row.caring === 1 };
  };
  type Stored = Omit<ContactRow, 'caring'> & { caring: number };
  return {
    byReference: async (user: CurrentUser, reference: string): Promise<ContactRow | null> => {
      contactScope(user);
      return visible(user, await db.get<Stored>(LOOKUP_BY_REFERENCE, [reference]));
    },
    byId: async (user: CurrentUser, id: number): Promise<ContactRow | null> => {
      contactScope(user);
      return visible(user, await db.get<Stored>(LOOKUP_BY_ID, [id]));
    },
  };
}

/** Lookups from the codes used in files and forms to ids. */
export async function createCodeDirectory(db: Db) {
  const coachRows = await db.all<{ id: number; code: string; siteId: number }>('SELECT id, code, site_id AS "siteId" FROM work_coaches');
  const siteRows = await db.all<{ id: number; code: string }>('SELECT id, code FROM sites');
  const coachByCode = new Map(coachRows.map((c) => [c.code.toLowerCase(), c]));
  const siteByCode = new Map(siteRows.map((s) => [s.code.toLowerCase(), s.id]));
  return {
    coach: (code: string) => coachByCode.get(code.toLowerCase()),
    site: (code: string) => siteByCode.get(code.toLowerCase()),
  };
}

const CONTACT_SELECT = `
  SELECT c.id, c.reference, c.health_group AS "healthGroup", c.age_band AS "ageBand", c.sex, c.ethnicity_group AS "ethnicityGroup", c.caring,
    c.time_on_benefits AS "timeOnBenefits", c.previous_work AS "previousWork", c.benefit_type AS "benefitType",
    c.preferred_channel AS "preferredChannel", c.adjustments, c.opted_out_at AS "optedOutAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
    w.code AS "coachCode", w.name AS "coachName", s.code AS "siteCode", s.name AS "siteName"
  FROM contacts c
  JOIN work_coaches w ON w.id = c.coach_id
  JOIN sites s ON s.id = c.site_id`;

const INSERT_COLUMNS = `INSERT INTO contacts (reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits,
      previous_work, benefit_type, preferred_channel, adjustments, created_at, updated_at) VALUES `;
const INSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row INSERT (15 parameters each: well inside both engines' limits). */
const INSERT_BATCH = 500;
const INSERT_ONE = `${INSERT_COLUMNS}${INSERT_ROW}`;
const INSERT_MANY = `${INSERT_COLUMNS}${Array.from({ length: INSERT_BATCH }, () => INSERT_ROW).join(', ')}`;

/** The columns a preferences change may set, each a fixed fragment. */
const PREFERENCE_COLUMNS = { preferredChannel: 'preferred_channel', adjustments: 'adjustments', coachId: 'coach_id' } as const;

export function createContactService(db: Db, clock: Clock) {
  type Row = {
    id: number;
    reference: string;
    healthGroup: string;
    ageBand: string;
    sex: string;
    ethnicityGroup: string;
    caring: number;
    timeOnBenefits: string;
    previousWork: string;
    benefitType: string;
    preferredChannel: string | null;
    adjustments: string;
    optedOutAt: string | null;
    createdAt: string;
    updatedAt: string;
    coachCode: string;
    coachName: string;
    siteCode: string;
    siteName: string;
  };
  const toView = (row: Row): ContactView => ({
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
    const row = await db.get<Row>(`${CONTACT_SELECT} WHERE ${scope.sql} AND c.reference = ?`, [...scope.params, reference]);
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
        const existing = await db.all<{ reference: string }>('SELECT reference FROM contacts');
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
        // Many rows per statement: at 100,000 rows one round trip per row costs several times the inserts.
        let next = 0;
        for (; next + INSERT_BATCH <= values.length; next += INSERT_BATCH) await db.run(INSERT_MANY, values.slice(next, next + INSERT_BATCH).flat());
        for (; next < values.length; next++) await db.run(INSERT_ONE, values[next]);
        return { created: values.length, rejected: [] };
      });
    },

    async list(user: CurrentUser, options: { search?: string; limit?: number; offset?: number } = {}): Promise<{ contacts: ContactView[]; total: number }> {
      const scope = contactScope(user, 'c');
      // LIKE ignores case on SQLite, not on PostgreSQL: compare lower case on both.
      const search = options.search ? ` AND lower(c.reference) LIKE lower(?)` : '';
      const params = [...scope.params, ...(options.search ? [`%${options.search.replace(/[%_]/g, '')}%`] : [])];
      const rows = await db.all<Row>(`${CONTACT_SELECT} WHERE ${scope.sql}${search} ORDER BY c.reference, c.id LIMIT ? OFFSET ?`, [
        ...params,
        options.limit ?? 100,
        options.offset ?? 0,
      ]);
      const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM contacts c WHERE ${scope.sql}${search}`, params))!.n;
      return { contacts: rows.map(toView), total };
    },

    get,

    async history(user: CurrentUser, reference: string): Promise<ContactChangeView[]> {
      const contact = await get(user, reference);
      return db.all<ContactChangeView>(
        'SELECT field, old_value AS "oldValue", new_value AS "newValue", changed_at AS "changedAt" FROM contact_changes WHERE contact_id = ? ORDER BY id',
        [contact.id],
      );
    },

    /** Changes preferred channel, adjustments or coach, keeping the history of each change. */
    async updatePreferences(user: CurrentUser, reference: string, changes: ContactPreferences): Promise<ContactView> {
      return db.withTransaction(async () => {
        const before = await get(user, reference);
        const at = clock.now().toISOString();
        const updates: { column: (typeof PREFERENCE_COLUMNS)[keyof typeof PREFERENCE_COLUMNS]; value: unknown }[] = [];
        const history: { field: string; oldValue: string | null; newValue: string | null }[] = [];
        const note = (field: string, oldValue: string | null, newValue: string | null) => {
          if (oldValue !== newValue) history.push({ field, oldValue, newValue });
        };
        if (changes.preferredChannel !== undefined) {
          updates.push({ column: PREFERENCE_COLUMNS.preferredChannel, value: changes.preferredChannel });
          note('preferredChannel', before.preferredChannel, changes.preferredChannel);
        }
        if (changes.adjustments !== undefined) {
          const sorted = [...new Set(changes.adjustments)].sort();
          updates.push({ column: PREFERENCE_COLUMNS.adjustments, value: JSON.stringify(sorted) });
          note('adjustments', [...before.adjustments].sort().join(';') || null, sorted.join(';') || null);
        }
        if (changes.coach !== undefined) {
          if (user.role !== 'analyst') throw new ForbiddenError('Only analysts can move a person to another caseload');
          const coach = (await createCodeDirectory(db)).coach(changes.coach);
          if (!coach) throw new ValidationError([{ field: 'coach', message: `Unknown work coach code "${changes.coach}"` }]);
          updates.push({ column: PREFERENCE_COLUMNS.coachId, value: coach.id });
          note('coach', before.coach.code, changes.coach);
        }
        if (history.length === 0) return before;
        await db.run(`UPDATE contacts SET ${updates.map((u) => `${u.column} = ?, `).join('')}updated_at = ? WHERE id = ?`, [...updates.map((u) => u.value), at, before.id]);
        for (const change of history)
          await db.run('INSERT INTO contact_changes (contact_id, field, old_value, new_value, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)', [
            before.id,
            change.field,
            change.oldValue,
            change.newValue,
            user.id,
            at,
          ]);
        return get(user, reference);
      });
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
