import { stageByKey } from '../experiments/vocabulary.ts';
import type { ClusterArmStats } from './types.ts';

/**
 * What the cluster-level analysis of one binary stage needs from the read
 * model, counted by the coach or site code stored on each assignment and by
 * UTC day (days since 1970-01-01), so that the cells at the end of any day can
 * be worked out without going back to the database (the weekly series asks for
 * every week's). The read model fills it (experiments/progress/report-read-model.ts).
 */
export interface ClusterProgress {
  stage: string;
  windowDays: number | null;
  /**
   * People assigned per cluster, arm and day of assignment; with a window, also
   * how many of them reached the stage within `windowDays` of assignment.
   */
  assigned: { cluster: string; armId: number; day: number; people: number; reachedInWindow: number }[];
  /**
   * Without a window: people reaching the stage per cluster, arm and day, the
   * day being the later of the day they were assigned and the day they reached
   * it (so a count up to a day holds only people assigned by then). Empty with a window.
   */
  reached: { cluster: string; armId: number; day: number; people: number }[];
}

/** Checks a stage and window before the read model counts them. */
export function checkClusterStage(stage: string, windowDays: number | null): void {
  if (!stageByKey.has(stage)) throw new RangeError(`Unknown stage ${stage}`);
  if (windowDays !== null && !(Number.isInteger(windowDays) && windowDays >= 0)) throw new RangeError('windowDays must be a whole number of days');
}

/** Text order by UTF-16 code units, the same on every engine and locale. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
 * report's windowed rule). Pure: a function of the read model's counts.
 *
 * @example
 * clusterRandomisedCells(progress, { lastDay: 20_700, armKeyById: new Map([[7, 'standard'], [8, 'warm']]) });
 * // [{ cluster: 'WC01', arm: 'warm', n: 12, successes: 5 }, { cluster: 'WC02', arm: 'standard', n: 9, successes: 2 }, ...]
 */
export function clusterRandomisedCells(progress: ClusterProgress, options: { lastDay: number; armKeyById: Map<number, string> }): ClusterArmStats[] {
  checkClusterStage(progress.stage, progress.windowDays);
  const window = progress.windowDays;
  const cutOff = window === null ? options.lastDay : options.lastDay - window;
  const cells = new Map<string, { cluster: string; armId: number; n: number; successes: number }>();
  const cell = (cluster: string, armId: number) => {
    const id = `${cluster}\u0000${armId}`;
    let found = cells.get(id);
    if (!found) cells.set(id, (found = { cluster, armId, n: 0, successes: 0 }));
    return found;
  };
  for (const row of progress.assigned) {
    if (row.day > cutOff) continue;
    const target = cell(row.cluster, row.armId);
    target.n += row.people;
    if (window !== null) target.successes += row.reachedInWindow;
  }
  if (window === null) for (const row of progress.reached) if (row.day <= cutOff) cell(row.cluster, row.armId).successes += row.people;
  return [...cells.values()]
    .sort((a, b) => byCode(a.cluster, b.cluster) || a.armId - b.armId)
    .filter((row) => row.n > 0 && options.armKeyById.has(row.armId))
    .map((row) => ({ cluster: row.cluster, arm: options.armKeyById.get(row.armId)!, n: row.n, successes: row.successes }));
}
