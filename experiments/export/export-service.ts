import { Readable } from 'node:stream';
import type { Db } from '../../server/db/database.ts';
import { csvStream } from '../../server/csv.ts';

/**
 * CSV exports for analysts: one row per assignment (with the person's
 * pseudonymous reference and analysis characteristics) and one row per outcome
 * event of an assigned person, labelled with their arm. Rows stream straight
 * from SQLite, so large exports never sit in memory.
 *
 * Outcome rows are the events as they now count (docs/decisions/0035): a
 * corrected event shows its corrected date, value and detail with
 * `corrected` = 1; a withdrawn event is left out. The originals and the
 * corrections stay in the database (outcome_events, outcome_corrections).
 */
export function createExportService(db: Db) {
  const assignmentRows = db.$client.prepare(`
    SELECT e.key AS experiment, c.reference AS contact, r.key AS arm, r.is_control AS is_control,
           p.number AS phase, a.method, a.seed, a.hash_value, a.stratum, a.block_index, a.block_position, a.cluster AS randomised_cluster,
           a.assigned_at, w.code AS coach, s.code AS site, ${['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work', 'benefit_type']
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
    WHERE a.experiment_id = ?
    ORDER BY a.id`);

  const outcomeRows = db.$client.prepare(`
    SELECT e.key AS experiment, c.reference AS contact, r.key AS arm, a.assigned_at,
           o.stage, o.value, o.detail, o.occurred_at, o.recorded_at,
           ROUND(julianday(o.occurred_at) - julianday(a.assigned_at), 3) AS days_since_assignment,
           o.corrected
    FROM assignments a
    JOIN experiments e ON e.id = a.experiment_id
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN contacts c ON c.id = a.contact_id
    JOIN effective_outcome_events o ON o.contact_id = a.contact_id
    WHERE a.experiment_id = ?
    ORDER BY a.id, o.occurred_at, o.id`);

  // Columns come from the statement, so an empty export still has its header.
  const toCsv = (statement: typeof assignmentRows, experimentId: number) =>
    Readable.from(statement.iterate(experimentId) as Iterable<Record<string, unknown>>).pipe(
      csvStream({ header: true, columns: statement.columns().map((c) => c.name) }),
    );

  return {
    assignmentsCsv: (experimentId: number): Readable => toCsv(assignmentRows, experimentId),
    outcomesCsv: (experimentId: number): Readable => toCsv(outcomeRows, experimentId),
  };
}
