import type { Db } from '../../server/db/client.ts';
import { STAGES } from '../vocabulary.ts';

/**
 * Keeps `assignment_progress` (the reports' read model) in step with the raw
 * records: a row per assignment with the person's baseline characteristics and,
 * per funnel stage, the days from assignment to the first such event after it
 * (plus the first score, for scored stages).
 *
 * Writers call `recordAssignment` and `recordEvent` inside their own
 * transactions; `rebuild` recomputes everything from assignments and
 * outcome_events, so any report figure can be reproduced from the raw data.
 */
const VALUED = new Set<string>(STAGES.filter((s) => 'value' in s).map((s) => s.key));

/** julianday() of an ISO timestamp, as SQLite computes it. */
export const toJulianDay = (date: Date) => date.getTime() / 86_400_000 + 2_440_587.5;

export function createProgressProjection(db: Db) {
  const sqlite = db.$client;
  // One statement per stage; stage keys come from the vocabulary, never from input.
  const eventStatements = new Map<string, ReturnType<typeof sqlite.prepare>>(
    STAGES.map((stage) => {
      const day = `${stage.key}_day`;
      const value = VALUED.has(stage.key) ? `, ${stage.key}_value = @value` : '';
      return [
        stage.key as string,
        sqlite.prepare(`
          UPDATE assignment_progress SET ${day} = julianday(@at) - assigned_day${value}
          WHERE contact_id = @contactId AND julianday(@at) >= assigned_day
            AND (${day} IS NULL OR ${day} > julianday(@at) - assigned_day)`),
      ];
    }),
  );

  // Recomputes rows from the raw records in one grouped join over a person's events.
  // A scored stage's first value is taken from the earliest event: ISO timestamps have a
  // fixed width (toISOString), so MIN over "timestamp|value" orders by time.
  const stageAggregates = STAGES.map((stage) => {
    const after = `o.stage = '${stage.key}' AND julianday(o.occurred_at) >= julianday(a.assigned_at)`;
    const parts = [`MIN(CASE WHEN ${after} THEN julianday(o.occurred_at) END) - julianday(a.assigned_at)`];
    if (VALUED.has(stage.key)) parts.push(`CAST(substr(MIN(CASE WHEN ${after} THEN o.occurred_at || '|' || o.value END), 26) AS REAL)`);
    return parts;
  }).flat();
  const stageColumns = STAGES.flatMap((stage) => (VALUED.has(stage.key) ? [`${stage.key}_day`, `${stage.key}_value`] : [`${stage.key}_day`]));
  const recompute = (where: string) =>
    sqlite.prepare(`
      INSERT INTO assignment_progress (experiment_id, assignment_id, contact_id, arm_id, coach_id, health_group, age_band, sex,
        ethnicity_group, caring, time_on_benefits, previous_work, assigned_day, ${stageColumns.join(', ')})
      SELECT a.experiment_id, a.id, a.contact_id, a.arm_id, c.coach_id, c.health_group, c.age_band, c.sex,
        c.ethnicity_group, c.caring, c.time_on_benefits, c.previous_work, julianday(a.assigned_at), ${stageAggregates.join(', ')}
      FROM assignments a
      JOIN contacts c ON c.id = a.contact_id
      LEFT JOIN outcome_events o ON o.contact_id = a.contact_id
      WHERE ${where}
      GROUP BY a.id`);
  const recomputeAssignment = recompute('a.id = ?');
  const recomputeExperiment = recompute('a.experiment_id = ?');
  const recomputeAll = recompute('1 = 1');

  return {
    /** Adds the row for a new assignment, taking in any events already after it. */
    recordAssignment(assignmentId: number): void {
      recomputeAssignment.run(assignmentId);
    },

    /** Moves on the rows of every assignment the person has that began before the event. */
    recordEvent(event: { contactId: number; stage: string; occurredAt: string; value: number | null }): void {
      eventStatements.get(event.stage)!.run({ contactId: event.contactId, at: event.occurredAt, value: event.value });
    },

    /** Recomputes an experiment's rows (or all) from assignments and outcome events. */
    rebuild(experimentId?: number): void {
      sqlite.transaction(() => {
        if (experimentId === undefined) {
          sqlite.prepare('DELETE FROM assignment_progress').run();
          recomputeAll.run();
        } else {
          sqlite.prepare('DELETE FROM assignment_progress WHERE experiment_id = ?').run(experimentId);
          recomputeExperiment.run(experimentId);
        }
      })();
    },
  };
}

export type ProgressProjection = ReturnType<typeof createProgressProjection>;
