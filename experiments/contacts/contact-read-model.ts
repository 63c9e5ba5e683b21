import type { Db } from '../../server/db/database.ts';
import type { ContactScope } from './contact-store.ts';

/** One person as the contact pages and API show them: their row with their coach's and site's codes and names. */
export interface ContactViewRow {
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
}

const CONTACT_SELECT = `
  SELECT c.id, c.reference, c.health_group AS "healthGroup", c.age_band AS "ageBand", c.sex, c.ethnicity_group AS "ethnicityGroup", c.caring,
    c.time_on_benefits AS "timeOnBenefits", c.previous_work AS "previousWork", c.benefit_type AS "benefitType",
    c.preferred_channel AS "preferredChannel", c.adjustments, c.opted_out_at AS "optedOutAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
    w.code AS "coachCode", w.name AS "coachName", s.code AS "siteCode", s.name AS "siteName"
  FROM contacts c
  JOIN work_coaches w ON w.id = c.coach_id
  JOIN sites s ON s.id = c.site_id`;

// LIKE ignores case on SQLite, not on PostgreSQL: compare lower case on both.
const SEARCH = ' AND lower(c.reference) LIKE lower(?)';
const searchParams = (search: string | undefined) => (search ? [`%${search.replace(/[%_]/g, '')}%`] : []);

/** People with their coach and site, within a user's scope (contactScope with alias `c`). */
export function createContactReadModel(db: Db) {
  return {
    one: (scope: ContactScope, reference: string) => db.get<ContactViewRow>(`${CONTACT_SELECT} WHERE ${scope.sql} AND c.reference = ?`, [...scope.params, reference]),

    /** A page in reference order, and how many there are in all, optionally only references containing `search`. */
    async page(scope: ContactScope, options: { search?: string; limit: number; offset: number }): Promise<{ rows: ContactViewRow[]; total: number }> {
      const search = options.search ? SEARCH : '';
      const params = [...scope.params, ...searchParams(options.search)];
      const rows = await db.all<ContactViewRow>(`${CONTACT_SELECT} WHERE ${scope.sql}${search} ORDER BY c.reference, c.id LIMIT ? OFFSET ?`, [
        ...params,
        options.limit,
        options.offset,
      ]);
      const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM contacts c WHERE ${scope.sql}${search}`, params))!.n;
      return { rows, total };
    },
  };
}

export type ContactReadModel = ReturnType<typeof createContactReadModel>;
