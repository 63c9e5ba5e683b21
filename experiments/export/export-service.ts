import { Readable } from 'node:stream';
import type { Db } from '../../server/db/client.ts';
import { csvStream } from '../../server/csv.ts';

/**
 * CSV exports for analysts: one row per assignment (with the person's
 * pseudonymous reference and analysis characteristics) and one row per outcome
 * event of an assigned person, labelled with their arm. Rows stream straight
 * from SQLite, so large exports never sit in memory.
 */
export function createExportService(db: Db) {
  const assignmentRows = db.$client.prepare(`
    SELECT e.key AS experiment, c.reference AS contact, r.key AS arm, r.is_control AS is_control,
           p.number AS phase, a.method, a.seed, a.hash_value, a.stratum, a.block_index, a.block_position, a.cluster AS randomised_cluster,
           a.assigned_at, w.code AS coach, s.code AS site, c.health_group, c.age_band, c.sex,
           c.ethnicity_group, c.caring, c.time_on_benefits, c.previous_work, c.benefit_type,
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
           ROUND(julianday(o.occurred_at) - julianday(a.assigned_at), 3) AS days_since_assignment
    FROM assignments a
    JOIN experiments e ON e.id = a.experiment_id
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN contacts c ON c.id = a.contact_id
    JOIN outcome_events o ON o.contact_id = a.contact_id
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
