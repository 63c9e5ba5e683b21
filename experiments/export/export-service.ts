import { Readable } from 'node:stream';
import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import { csvStream } from '../../server/csv.ts';

/**
 * CSV exports for analysts: one row per assignment (with the person's
 * pseudonymous reference and analysis characteristics) and one row per outcome
 * event of an assigned person, labelled with their arm. Rows are read a page of
 * assignments at a time (by assignment id) as the stream is read, so large
 * exports never sit in memory. Each page is read on its own, so an export taken
 * while people are being assigned or recorded shows every assignment that
 * existed when its page was read.
 *
 * Outcome rows are the events as they now count (docs/decisions/0035): a
 * corrected event shows its corrected date, value and detail with
 * `corrected` = 1; a withdrawn event is left out. The originals and the
 * corrections stay in the database (outcome_events, outcome_corrections).
 */

/** Assignments per page read from the database. */
const PAGE_SIZE = 1000;

const CHARACTERISTICS = ['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work', 'benefit_type'];

const ASSIGNMENT_COLUMNS = [
  'experiment',
  'contact',
  'arm',
  'is_control',
  'phase',
  'method',
  'seed',
  'hash_value',
  'stratum',
  'block_index',
  'block_position',
  'randomised_cluster',
  'assigned_at',
  'coach',
  'site',
  ...CHARACTERISTICS,
  'opted_out_at',
];

const OUTCOME_COLUMNS = ['experiment', 'contact', 'arm', 'assigned_at', 'stage', 'value', 'detail', 'occurred_at', 'recorded_at', 'days_since_assignment', 'corrected'];

export function createExportService(db: Db) {
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

  async function* assignmentRows(experimentId: number): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const rows = await db.all<Record<string, unknown> & { assignment_id: number }>(assignmentPage, [experimentId, after]);
      for (const { assignment_id: _id, ...row } of rows) yield row;
      if (rows.length < PAGE_SIZE) return;
      after = Number(rows[rows.length - 1].assignment_id);
    }
  }

  async function* outcomeRows(experimentId: number): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const end = (await db.get<{ lastId: number | null }>(pageEnd, [experimentId, after]))?.lastId ?? null;
      if (end === null) return;
      for (const row of await db.all<Record<string, unknown>>(outcomePage, [experimentId, after, end])) yield row;
      after = Number(end);
    }
  }

  // The columns are fixed, so an empty export still has its header. A failed read fails the CSV stream too.
  const toCsv = (rows: AsyncIterable<Record<string, unknown>>, columns: string[]) => {
    const csv = csvStream({ header: true, columns });
    const source = Readable.from(rows);
    source.once('error', (error) => csv.destroy(error));
    return source.pipe(csv);
  };

  return {
    assignmentsCsv: (experimentId: number): Readable => toCsv(assignmentRows(experimentId), ASSIGNMENT_COLUMNS),
    outcomesCsv: (experimentId: number): Readable => toCsv(outcomeRows(experimentId), OUTCOME_COLUMNS),
  };
}
