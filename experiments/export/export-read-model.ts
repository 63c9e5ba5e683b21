import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';

/** Assignments per page read from the database. */
export const PAGE_SIZE = 1000;

/** The person's analysis characteristics: contacts columns, and the export's columns of the same names. */
export const CHARACTERISTICS = ['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work', 'benefit_type'];

/**
 * The rows of the analysts' CSV exports, a page of an experiment's
 * assignments (by assignment id) at a time: the assignments with their
 * experiment, arm, phase, person, coach and site, and the effective outcome
 * events of the assigned people.
 */
export function createExportReadModel(db: Db) {
  const d = dialectSql(db.dialect);

  // One page: the assignments after id ?, up to PAGE_SIZE of them.
  const assignmentPage = `
    SELECT a.id AS assignment_id, e.key AS experiment, c.reference AS contact, r.key AS arm, r.is_control AS is_control,
           p.number AS phase, a.method, a.seed, a.hash_value, a.stratum, a.block_index, a.block_position, a.cluster AS randomised_cluster,
           a.assigned_at, w.code AS coach, s.code AS site, ${CHARACTERISTICS
             // An erased person's row is kept for the counts; their characteristics are gone (docs/decisions/0033).
             .map((column) => `CASE WHEN c.erased_at IS NULL THEN c.${column} END AS ${column}`)
             .join(', ')},
           c.opted_out_at
    FROM assignments a
    JOIN experiments e ON e.id = a.experiment_id
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN experiment_phases p ON p.id = a.phase_id
    JOIN contacts c ON c.id = a.contact_id
    JOIN work_coaches w ON w.id = c.coach_id
    JOIN sites s ON s.id = c.site_id
    WHERE a.experiment_id = ? AND a.id > ?
    ORDER BY a.id
    LIMIT ${PAGE_SIZE}`;

  // The last assignment id of the next page of outcome rows (null when none is left).
  const pageEnd = `
    SELECT MAX(id) AS "lastId" FROM (
      SELECT a.id FROM assignments a WHERE a.experiment_id = ? AND a.id > ? ORDER BY a.id LIMIT ${PAGE_SIZE}
    ) AS page`;

  const outcomePage = `
    SELECT e.key AS experiment, c.reference AS contact, r.key AS arm, a.assigned_at,
           o.stage, o.value, o.detail, o.occurred_at, o.recorded_at,
           ROUND(CAST(${d.julianDay('o.occurred_at')} - ${d.julianDay('a.assigned_at')} AS NUMERIC), 3) AS days_since_assignment,
           CAST(o.corrected AS INTEGER) AS corrected
    FROM assignments a
    JOIN experiments e ON e.id = a.experiment_id
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN contacts c ON c.id = a.contact_id
    JOIN effective_outcome_events o ON o.contact_id = a.contact_id
    WHERE a.experiment_id = ? AND a.id > ? AND a.id <= ?
    ORDER BY a.id, o.occurred_at, o.id`;

  return {
    /** Up to PAGE_SIZE assignment rows after assignment id `after`, each with its `assignment_id`. */
    assignmentPage: (experimentId: number, after: number) => db.all<Record<string, unknown> & { assignment_id: number }>(assignmentPage, [experimentId, after]),
    /** The last assignment id of the page after `after`, or null when there is none. */
    async pageEnd(experimentId: number, after: number): Promise<number | null> {
      return (await db.get<{ lastId: number | null }>(pageEnd, [experimentId, after]))?.lastId ?? null;
    },
    /** The outcome rows of the assignments with ids after `after` up to `end`. */
    outcomePage: (experimentId: number, after: number, end: number) => db.all<Record<string, unknown>>(outcomePage, [experimentId, after, end]),
  };
}

export type ExportReadModel = ReturnType<typeof createExportReadModel>;
