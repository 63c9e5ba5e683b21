import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { contacts } from '../../server/db/schema.ts';
import { ForbiddenError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';

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

/** A contacts row as the engines return it: `caring` is 0 or 1. */
export type StoredContact = Omit<typeof contacts.$inferSelect, 'caring'> & { caring: number };

export interface ContactChange {
  field: string;
  oldValue: string | null;
  newValue: string | null;
}

const COLUMNS = `id, reference, coach_id AS "coachId", site_id AS "siteId", health_group AS "healthGroup", age_band AS "ageBand",
    sex, ethnicity_group AS "ethnicityGroup", caring, time_on_benefits AS "timeOnBenefits", previous_work AS "previousWork",
    benefit_type AS "benefitType", preferred_channel AS "preferredChannel", adjustments, opted_out_at AS "optedOutAt",
    created_at AS "createdAt", updated_at AS "updatedAt"`;
export const CONTACT_BY_REFERENCE = `SELECT ${COLUMNS} FROM contacts WHERE reference = ? AND erased_at IS NULL`;
const BY_ID = `SELECT ${COLUMNS} FROM contacts WHERE id = ? AND erased_at IS NULL`;
// However the reference is spaced with hyphens or cased (contacts_reference_compact_idx); an exact match first.
const BY_COMPACT_REFERENCE = `SELECT id, reference, coach_id AS "coachId" FROM contacts
  WHERE replace(upper(reference), '-', '') = replace(upper(CAST(? AS TEXT)), '-', '')
  ORDER BY CASE WHEN reference = ? THEN 0 ELSE 1 END, id LIMIT 2`;
const ALL_REFERENCES = 'SELECT reference FROM contacts';
const CASELOAD_SIZE = 'SELECT COUNT(*) AS n FROM contacts WHERE coach_id = ?';
const PEOPLE_BY_SITE = 'SELECT site_id AS id, COUNT(*) AS n FROM contacts GROUP BY site_id';
const PEOPLE_BY_COACH = 'SELECT coach_id AS id, COUNT(*) AS n FROM contacts GROUP BY coach_id';
const clusterCounts = (column: string) => `SELECT COUNT(DISTINCT ${column}) AS clusters, COUNT(*) AS people FROM contacts WHERE opted_out_at IS NULL`;
const CLUSTER_COUNTS = { coach: clusterCounts('coach_id'), site: clusterCounts('site_id') } as const;

const INSERT_COLUMNS = `INSERT INTO contacts (reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits,
      previous_work, benefit_type, preferred_channel, adjustments, created_at, updated_at) VALUES `;
const INSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row INSERT (15 parameters each: well inside both engines' limits). */
const INSERT_BATCH = 500;
const INSERT_ONE = `${INSERT_COLUMNS}${INSERT_ROW}`;
const INSERT_MANY = `${INSERT_COLUMNS}${Array.from({ length: INSERT_BATCH }, () => INSERT_ROW).join(', ')}`;

/** The columns a preferences change may set, each a fixed fragment. */
const PREFERENCE_COLUMNS = { preferredChannel: 'preferred_channel', adjustments: 'adjustments', coachId: 'coach_id' } as const;
export type PreferenceField = keyof typeof PREFERENCE_COLUMNS;

const CLEAR_OPT_OUT = 'UPDATE contacts SET opted_out_at = NULL, updated_at = ? WHERE id = ?';
const CHANGES_OF = 'SELECT field, old_value AS "oldValue", new_value AS "newValue", changed_at AS "changedAt" FROM contact_changes WHERE contact_id = ? ORDER BY id';
const INSERT_CHANGE = 'INSERT INTO contact_changes (contact_id, field, old_value, new_value, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)';
const MARK_OPTED_OUT = 'UPDATE contacts SET opted_out_at = ?, updated_at = ? WHERE id = ? AND opted_out_at IS NULL';

/**
 * Plain reads and writes on contacts and the history of changes to them
 * (contact_changes). Erasure's
 * own statements are in contact-erasure-store.ts.
 */
export function createContactStore(db: Db) {
  const d = dialectSql(db.dialect);
  // People named by site, by caseload, or by compact reference (one JSON list each).
  const SELECTED = `SELECT ${COLUMNS} FROM contacts
    WHERE site_id IN ${d.jsonList('integer')}
       OR coach_id IN ${d.jsonList('integer')}
       OR replace(upper(reference), '-', '') IN ${d.jsonList('text')}
    ORDER BY id`;

  return {
    /** Not erased; whether the user may see them is the caller's rule. */
    byReference: (reference: string) => db.get<StoredContact>(CONTACT_BY_REFERENCE, [reference]),
    byId: (id: number) => db.get<StoredContact>(BY_ID, [id]),
    /**
     * The person a typed reference means, however it is hyphenated or cased: the
     * exact match if there is one, else the only near match; undefined when
     * there is none, 'ambiguous' when two people's references differ only so.
     */
    async byTypedReference(reference: string): Promise<{ id: number; reference: string; coachId: number } | 'ambiguous' | undefined> {
      const [first, second] = await db.all<{ id: number; reference: string; coachId: number }>(BY_COMPACT_REFERENCE, [reference, reference]);
      if (!first || first.reference === reference || !second) return first;
      return 'ambiguous';
    },
    /** Everyone at any of the sites, on any of the caseloads, or with any of the references (upper case, without hyphens), by id. */
    selected: (selection: { siteIds: number[]; coachIds: number[]; compactReferences: string[] }) =>
      db.all<StoredContact>(SELECTED, [JSON.stringify(selection.siteIds), JSON.stringify(selection.coachIds), JSON.stringify(selection.compactReferences)]),
    async references(): Promise<string[]> {
      return (await db.all<{ reference: string }>(ALL_REFERENCES)).map((r) => r.reference);
    },
    async caseloadSize(coachId: number): Promise<number> {
      return (await db.get<{ n: number }>(CASELOAD_SIZE, [coachId]))!.n;
    },
    /** People (erased and opted out included) by site id. */
    peopleBySite: async (): Promise<Map<number, number>> => new Map((await db.all<{ id: number; n: number }>(PEOPLE_BY_SITE)).map((r) => [r.id, r.n])),
    peopleByCoach: async (): Promise<Map<number, number>> => new Map((await db.all<{ id: number; n: number }>(PEOPLE_BY_COACH)).map((r) => [r.id, r.n])),
    /** Coaches or sites with anyone not opted out, and how many such people. */
    async clusterCounts(unit: keyof typeof CLUSTER_COUNTS): Promise<{ clusters: number; people: number }> {
      return (await db.get<{ clusters: number; people: number }>(CLUSTER_COUNTS[unit]))!;
    },

    /** Rows of the 15 INSERT columns, in order. */
    async insert(rows: unknown[][]): Promise<void> {
      // Many rows per statement: at 100,000 rows one round trip per row costs several times the inserts.
      let next = 0;
      for (; next + INSERT_BATCH <= rows.length; next += INSERT_BATCH) await db.run(INSERT_MANY, rows.slice(next, next + INSERT_BATCH).flat());
      for (; next < rows.length; next++) await db.run(INSERT_ONE, rows[next]);
    },
    async updatePreferences(id: number, updates: { field: PreferenceField; value: unknown }[], at: string): Promise<void> {
      const columns = updates.map((u) => PREFERENCE_COLUMNS[u.field]);
      await db.run(`UPDATE contacts SET ${columns.map((column) => `${column} = ?, `).join('')}updated_at = ? WHERE id = ?`, [...updates.map((u) => u.value), at, id]);
    },
    async clearOptOut(id: number, at: string): Promise<void> {
      await db.run(CLEAR_OPT_OUT, [at, id]);
    },

    changesOf: (contactId: number) => db.all<ContactChange & { changedAt: string }>(CHANGES_OF, [contactId]),
    async addChange(contactId: number, change: ContactChange, userId: number, at: string): Promise<void> {
      await db.run(INSERT_CHANGE, [contactId, change.field, change.oldValue, change.newValue, userId, at]);
    },
    /** Marks the person opted out unless they already are; returns how many rows changed (0 or 1). */
    async markOptedOut(contactId: number, occurredAt: string, updatedAt: string): Promise<number> {
      return (await db.run(MARK_OPTED_OUT, [occurredAt, updatedAt, contactId])).changes;
    },
  };
}

export type ContactStore = ReturnType<typeof createContactStore>;
