import type { Db } from '../server/db/database.ts';
import { stageByKey } from '../experiments/vocabulary.ts';
import { unixDaySql } from '../experiments/progress/progress-projection.ts';
import type { ClusterArmStats } from './types.ts';

/**
 * Per-cluster-per-arm counts of one binary stage for a cluster-randomised
 * experiment (decision 0037), as the analysis at the level that was randomised
 * needs them: people assigned and people reaching the stage, by the coach or
 * site code stored on each assignment. That is the cluster as it was when the
 * person was randomised, so someone who later moved caseload stays in the
 * cluster (and arm) they were randomised with: intention to treat.
 *
 * Counts match the report's other figures: without a window, people assigned
 * by the end of `lastDay` and those who reached the stage by then (the day
 * tallies' rule); with a window, people assigned at least `windowDays` before
 * and those who reached the stage within `windowDays` of assignment (the
 * report's windowed rule). One grouped scan of the experiment's rows.
 *
 * @example
 * clusterRandomisedCells(db, { experimentId: 3, stage: 'responded', lastDay: 20_700, windowDays: null, armKeyById: new Map([[7, 'standard'], [8, 'warm']]) });
 * // [{ cluster: 'WC01', arm: 'warm', n: 12, successes: 5 }, { cluster: 'WC02', arm: 'standard', n: 9, successes: 2 }, ...]
 */
export function clusterRandomisedCells(
  db: Db,
  options: { experimentId: number; stage: string; lastDay: number; windowDays: number | null; armKeyById: Map<number, string> },
): ClusterArmStats[] {
  if (!stageByKey.has(options.stage)) throw new RangeError(`Unknown stage ${options.stage}`);
  const column = `p.${options.stage}_day`;
  const assignedDay = unixDaySql('p.assigned_day');
  const window = options.windowDays;
  if (window !== null && !(Number.isInteger(window) && window >= 0)) throw new RangeError('windowDays must be a whole number of days');
  const inCount = window === null ? `${assignedDay} <= @lastDay` : `${assignedDay} <= @lastDay - ${window}`;
  const reached =
    window === null
      ? `${column} IS NOT NULL AND ${unixDaySql(`p.assigned_day + ${column}`)} <= @lastDay`
      : `${column} IS NOT NULL AND ${column} <= ${window}`;
  const rows = db.$client
    .prepare(
      `SELECT a.cluster AS cluster, p.arm_id AS armId, SUM(${inCount}) AS n, SUM(${inCount} AND ${reached}) AS successes
       FROM assignment_progress p JOIN assignments a ON a.id = p.assignment_id
       WHERE p.experiment_id = @experimentId AND a.cluster IS NOT NULL
       GROUP BY a.cluster, p.arm_id ORDER BY a.cluster, p.arm_id`,
    )
    .all({ experimentId: options.experimentId, lastDay: options.lastDay }) as { cluster: string; armId: number; n: number; successes: number }[];
  return rows
    .filter((row) => row.n > 0 && options.armKeyById.has(row.armId))
    .map((row) => ({ cluster: row.cluster, arm: options.armKeyById.get(row.armId)!, n: row.n, successes: row.successes }));
}
