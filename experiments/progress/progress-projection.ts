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
  const insertRow = sqlite.prepare(`
    INSERT INTO assignment_progress (experiment_id, assignment_id, contact_id, arm_id, coach_id, health_group, age_band, sex,
      ethnicity_group, caring, time_on_benefits, previous_work, assigned_day)
    SELECT a.experiment_id, a.id, a.contact_id, a.arm_id, c.coach_id, c.health_group, c.age_band, c.sex,
      c.ethnicity_group, c.caring, c.time_on_benefits, c.previous_work, julianday(a.assigned_at)
    FROM assignments a JOIN contacts c ON c.id = a.contact_id
    WHERE a.id = ?`);

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

  const stageRecompute = STAGES.map((stage) => {
    const first = `(SELECT MIN(julianday(o.occurred_at)) FROM outcome_events o WHERE o.contact_id = p.contact_id AND o.stage = '${stage.key}' AND julianday(o.occurred_at) >= p.assigned_day)`;
    const parts = [`${stage.key}_day = ${first} - p.assigned_day`];
    if (VALUED.has(stage.key))
      parts.push(
        `${stage.key}_value = (SELECT o.value FROM outcome_events o WHERE o.contact_id = p.contact_id AND o.stage = '${stage.key}' AND julianday(o.occurred_at) >= p.assigned_day ORDER BY o.occurred_at, o.id LIMIT 1)`,
      );
    return parts.join(',\n');
  }).join(',\n');
  const recomputeForAssignment = sqlite.prepare(`UPDATE assignment_progress AS p SET ${stageRecompute} WHERE p.assignment_id = ?`);
  const recomputeForExperiment = sqlite.prepare(`UPDATE assignment_progress AS p SET ${stageRecompute} WHERE p.experiment_id = ?`);

  return {
    /** Adds the row for a new assignment, taking in any events already after it. */
    recordAssignment(assignmentId: number): void {
      insertRow.run(assignmentId);
      recomputeForAssignment.run(assignmentId);
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
          for (const { id } of sqlite.prepare('SELECT id FROM assignments ORDER BY id').all() as { id: number }[]) insertRow.run(id);
          for (const { id } of sqlite.prepare('SELECT id FROM experiments').all() as { id: number }[]) recomputeForExperiment.run(id);
        } else {
          sqlite.prepare('DELETE FROM assignment_progress WHERE experiment_id = ?').run(experimentId);
          sqlite
            .prepare(
              `INSERT INTO assignment_progress (experiment_id, assignment_id, contact_id, arm_id, coach_id, health_group, age_band, sex,
                 ethnicity_group, caring, time_on_benefits, previous_work, assigned_day)
               SELECT a.experiment_id, a.id, a.contact_id, a.arm_id, c.coach_id, c.health_group, c.age_band, c.sex,
                 c.ethnicity_group, c.caring, c.time_on_benefits, c.previous_work, julianday(a.assigned_at)
               FROM assignments a JOIN contacts c ON c.id = a.contact_id WHERE a.experiment_id = ?`,
            )
            .run(experimentId);
          recomputeForExperiment.run(experimentId);
        }
      })();
    },
  };
}

export type ProgressProjection = ReturnType<typeof createProgressProjection>;
