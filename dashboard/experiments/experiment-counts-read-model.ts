import type { Db } from '../../server/db/database.ts';

const ASSIGNED_BY_ARM = 'SELECT arm_id AS "armId", COUNT(*) AS n FROM assignments WHERE experiment_id = ? GROUP BY arm_id';
const CONTACTS_ADDED_SINCE = 'SELECT COUNT(*) AS n FROM contacts WHERE created_at >= ?';
const ASSIGNED_SINCE = 'SELECT COUNT(*) AS n FROM assignments WHERE assigned_at >= ?';

/**
 * The head counts behind the experiment pages, read straight from contacts and
 * assignments: people assigned to each arm on the experiment's page, and the
 * recent intake the design page's power calculator plans with.
 */
export function createExperimentCountsReadModel(db: Db) {
  return {
    /** People assigned to each arm of an experiment, in all phases, by arm id (arms with nobody are absent). */
    async assignedByArm(experimentId: number): Promise<Map<number, number>> {
      return new Map((await db.all<{ armId: number; n: number }>(ASSIGNED_BY_ARM, [experimentId])).map((r) => [r.armId, r.n]));
    },
    async contactsAddedSince(since: string): Promise<number> {
      return (await db.get<{ n: number }>(CONTACTS_ADDED_SINCE, [since]))!.n;
    },
    async assignedSince(since: string): Promise<number> {
      return (await db.get<{ n: number }>(ASSIGNED_SINCE, [since]))!.n;
    },
  };
}

export type ExperimentCountsReadModel = ReturnType<typeof createExperimentCountsReadModel>;
