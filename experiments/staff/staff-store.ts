import type { Db } from '../../server/db/database.ts';
import type { sites, workCoaches } from '../../server/db/schema.ts';
import type { SITE_KINDS } from '../vocabulary.ts';

export type Site = typeof sites.$inferSelect;
export type WorkCoach = typeof workCoaches.$inferSelect;
/** A coach as the caseload pages name them. */
export type CoachName = { id: number; code: string; name: string };

const SITE_COLUMNS = 'id, code, name, kind, created_at AS "createdAt"';
const COACH_COLUMNS = 'id, user_id AS "userId", code, name, site_id AS "siteId", created_at AS "createdAt"';
const INSERT_SITE = `INSERT INTO sites (code, name, kind, created_at) VALUES (?, ?, ?, ?) RETURNING ${SITE_COLUMNS}`;
const INSERT_COACH = `INSERT INTO work_coaches (code, name, site_id, user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${COACH_COLUMNS}`;
const SITE_ID_BY_CODE = 'SELECT id FROM sites WHERE code = ?';
const ALL_SITES = `SELECT ${SITE_COLUMNS} FROM sites ORDER BY id`;
const ALL_COACHES = `SELECT ${COACH_COLUMNS} FROM work_coaches ORDER BY code, id`;
const COACH_CODES = 'SELECT id, code, site_id AS "siteId" FROM work_coaches';
const SITE_CODES = 'SELECT id, code FROM sites';
// Codes as typed into a form: any case.
const COACH_BY_CODE = 'SELECT id, code, name FROM work_coaches WHERE upper(code) = upper(CAST(? AS TEXT))';
const COACH_BY_ID = 'SELECT id, code, name FROM work_coaches WHERE id = ?';
const COACH_CODE = 'SELECT code FROM work_coaches WHERE id = ?';
const SITE_CODE = 'SELECT code FROM sites WHERE id = ?';

/** Plain reads and writes on sites and work_coaches. */
export function createStaffStore(db: Db) {
  return {
    async insertSite(site: { code: string; name: string; kind: (typeof SITE_KINDS)[number] }, at: string): Promise<Site> {
      return (await db.get<Site>(INSERT_SITE, [site.code, site.name, site.kind, at]))!;
    },
    async insertCoach(coach: { code: string; name: string; siteId: number; userId: number | null }, at: string): Promise<WorkCoach> {
      return (await db.get<WorkCoach>(INSERT_COACH, [coach.code, coach.name, coach.siteId, coach.userId, at]))!;
    },
    /** Exactly as written (case matters). */
    async siteIdByCode(code: string): Promise<number | null> {
      return (await db.get<{ id: number }>(SITE_ID_BY_CODE, [code]))?.id ?? null;
    },
    sites: (): Promise<Site[]> => db.all<Site>(ALL_SITES),
    coaches: (): Promise<WorkCoach[]> => db.all<WorkCoach>(ALL_COACHES),
    /** Every coach's code and site, for turning codes in files and forms into ids. */
    coachCodes: () => db.all<{ id: number; code: string; siteId: number }>(COACH_CODES),
    siteCodes: () => db.all<{ id: number; code: string }>(SITE_CODES),
    coachByCode: (code: string) => db.get<CoachName>(COACH_BY_CODE, [code]),
    coachById: (id: number) => db.get<CoachName>(COACH_BY_ID, [id]),
    async coachCode(id: number): Promise<string | null> {
      return (await db.get<{ code: string }>(COACH_CODE, [id]))?.code ?? null;
    },
    async siteCode(id: number): Promise<string | null> {
      return (await db.get<{ code: string }>(SITE_CODE, [id]))?.code ?? null;
    },
  };
}

export type StaffStore = ReturnType<typeof createStaffStore>;
