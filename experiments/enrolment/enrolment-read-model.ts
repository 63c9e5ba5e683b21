import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { JourneyPhase } from '../vocabulary.ts';

const ASSIGNED_HERE = 'SELECT contact_id AS id FROM assignments WHERE experiment_id = ?';
// Someone in another experiment of the same journey phase that has not concluded gets no second arm (as for coaches).
const IN_OTHER_OF_PHASE = `SELECT DISTINCT a.contact_id AS id FROM assignments a JOIN experiments e ON e.id = a.experiment_id
  WHERE e.journey_phase = ? AND e.status != 'concluded' AND e.id != ?`;

/**
 * What the enrolment preview needs to know about everyone at once, to sort
 * the people a selection names: who is already in this experiment, who is in
 * another of its journey phase, and the journey stages each person has reached.
 */
export function createEnrolmentReadModel(db: Db) {
  const d = dialectSql(db.dialect);
  const REACHED_STAGES = `SELECT DISTINCT contact_id AS "contactId", stage FROM outcome_events WHERE stage IN ${d.jsonList('text')}`;
  const ids = async (sql: string, params: unknown[]) => new Set((await db.all<{ id: number }>(sql, params)).map((r) => r.id));
  return {
    /** Contact ids. */
    assignedTo: (experimentId: number): Promise<Set<number>> => ids(ASSIGNED_HERE, [experimentId]),
    /** Contact ids in an experiment of `journeyPhase` other than `experimentId` that has not concluded. */
    inOtherOfPhase: (journeyPhase: JourneyPhase, experimentId: number): Promise<Set<number>> => ids(IN_OTHER_OF_PHASE, [journeyPhase, experimentId]),
    /** Which of `stages` each contact has an outcome event for. */
    async reachedStages(stages: readonly string[]): Promise<Map<number, Set<string>>> {
      const reached = new Map<number, Set<string>>();
      for (const { contactId, stage } of await db.all<{ contactId: number; stage: string }>(REACHED_STAGES, [JSON.stringify(stages)])) {
        if (!reached.has(contactId)) reached.set(contactId, new Set());
        reached.get(contactId)!.add(stage);
      }
      return reached;
    },
  };
}

export type EnrolmentReadModel = ReturnType<typeof createEnrolmentReadModel>;
