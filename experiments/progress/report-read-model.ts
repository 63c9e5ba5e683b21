import type { Db, Dialect } from '../../server/db/database.ts';
import { fixedClock } from '../../server/clock.ts';
import { createExperimentService, type ExperimentView } from '../experiment/experiment-service.ts';
import { stageByKey } from '../vocabulary.ts';
import { utcDayOf } from '../calendar/reporting-calendar.ts';
import { composeExperimentReport, reportMetrics, type ExperimentReportData, type ReportOptions, type TallyDailyRow, type TallyTotalRow } from '../../analysis/experiment-report.ts';
import { checkClusterStage, clusterRandomisedCells, type ClusterProgress } from '../../analysis/cluster-randomised-cells.ts';
import type { ExperimentReport } from '../../analysis/report-types.ts';
import type { ClusterArmStats } from '../../analysis/types.ts';
import { ASSIGNED, catchUpProgress } from './progress-projection.ts';
import { julianDaySql, unixDaySql } from './progress-store.ts';

/**
 * What an experiment's report counts, read from the database: the day tallies
 * and progress rows of the reports' read model (brought up to date first), the
 * screenings, the current phase's assignments and the coaches' codes. The
 * report itself is a pure function of this data (analysis/experiment-report.ts).
 *
 * The reads after the catch-up run in one transaction that sees one state of
 * the database (on PostgreSQL, a read-only snapshot), so every figure of a
 * report counts the same records even while others write.
 */

/**
 * The statement that gives a transaction one snapshot for all its reads. SQLite's
 * transaction holds the one connection, so nothing changes under it.
 */
const snapshotSql: Record<Dialect, string | null> = {
  sqlite: null,
  postgres: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
};

interface Statements {
  totals: string;
  daily: string;
  screenings: string;
  phasePeople: string;
  phaseClusters: string;
  coachCodes: string;
  clusterCount: string;
  windowed: (stages: string[]) => string;
  clusterAssigned: (stage: string, windowDays: number | null) => string;
  clusterReached: (stage: string) => string;
}

/** The read model's statements for one dialect, built once. */
const statementsByDialect = new Map<Dialect, Statements>();
function statementsFor(dialect: Dialect): Statements {
  let statements = statementsByDialect.get(dialect);
  if (statements) return statements;
  const day = (julian: string) => unixDaySql(dialect, julian);
  const assignedDay = day('p.assigned_day');
  const windowedCache = new Map<string, string>();
  const clusterAssignedCache = new Map<string, string>();
  const clusterReachedCache = new Map<string, string>();
  statements = {
    totals: `
      SELECT dimension, dimension_value AS "dimensionValue", stage, arm_id AS "armId", SUM(people) AS people,
        COALESCE(SUM(value_sum), 0) AS "valueSum", COALESCE(SUM(value_sum_squares), 0) AS "valueSumSquares"
      FROM progress_tallies WHERE experiment_id = ? AND day <= ?
      GROUP BY dimension, dimension_value, stage, arm_id`,
    daily: `
      SELECT stage, arm_id AS "armId", day, people FROM progress_tallies
      WHERE experiment_id = ? AND dimension = '' AND day <= ? AND stage IN (?, ?) AND people <> 0
      ORDER BY stage, arm_id, day`,
    // Someone screened out (say, opted out) and assigned later (after opting back in) counts once, as assigned.
    screenings: `
      SELECT s.reason AS reason, COUNT(*) AS n FROM screenings s
      WHERE s.experiment_id = ? AND ${day(julianDaySql(dialect, 's.screened_at'))} <= ?
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.experiment_id = s.experiment_id AND a.contact_id = s.contact_id
          AND ${day(julianDaySql(dialect, 'a.assigned_at'))} <= ?)
      GROUP BY s.reason`,
    phasePeople: 'SELECT arm_id AS "armId", COUNT(*) AS n FROM assignments WHERE experiment_id = ? AND phase_id = ? GROUP BY arm_id',
    // Cluster-randomised: the weights share out clusters, not people.
    phaseClusters: 'SELECT arm_id AS "armId", COUNT(DISTINCT cluster) AS n FROM assignments WHERE experiment_id = ? AND phase_id = ? GROUP BY arm_id',
    coachCodes: 'SELECT id, code FROM work_coaches ORDER BY id',
    clusterCount: 'SELECT COUNT(DISTINCT cluster) AS n FROM assignments WHERE experiment_id = ? AND cluster IS NOT NULL',
    // Per arm, for each windowed metric i: people assigned at least its window before the report day (n_i),
    // and those of them who reached the stage within the window (s_i). One scan of the experiment's rows.
    windowed: (stages) => {
      const id = stages.join(',');
      let sql = windowedCache.get(id);
      if (!sql) {
        const parts = stages.flatMap((stage, i) => [
          `SUM(CASE WHEN ${assignedDay} <= CAST(? AS DOUBLE PRECISION) THEN 1 ELSE 0 END) AS n${i}`,
          `SUM(CASE WHEN ${assignedDay} <= CAST(? AS DOUBLE PRECISION) AND p.${stage}_day IS NOT NULL AND p.${stage}_day <= CAST(? AS DOUBLE PRECISION) THEN 1 ELSE 0 END) AS s${i}`,
        ]);
        sql = `SELECT p.arm_id AS "armId", ${parts.join(', ')} FROM assignment_progress p WHERE p.experiment_id = ? GROUP BY p.arm_id ORDER BY p.arm_id`;
        windowedCache.set(id, sql);
      }
      return sql;
    },
    clusterAssigned: (stage, windowDays) => {
      const id = `${stage}|${windowDays === null ? '' : 'window'}`;
      let sql = clusterAssignedCache.get(id);
      if (!sql) {
        const column = `p.${stage}_day`;
        const inWindow = windowDays === null ? '0' : `SUM(CASE WHEN ${column} IS NOT NULL AND ${column} <= CAST(? AS DOUBLE PRECISION) THEN 1 ELSE 0 END)`;
        sql = `
          SELECT a.cluster AS cluster, p.arm_id AS "armId", ${assignedDay} AS day, COUNT(*) AS people, ${inWindow} AS "reachedInWindow"
          FROM assignment_progress p JOIN assignments a ON a.id = p.assignment_id
          WHERE p.experiment_id = ? AND a.cluster IS NOT NULL
          GROUP BY a.cluster, p.arm_id, ${assignedDay}`;
        clusterAssignedCache.set(id, sql);
      }
      return sql;
    },
    clusterReached: (stage) => {
      let sql = clusterReachedCache.get(stage);
      if (!sql) {
        const column = `p.${stage}_day`;
        const reachedDay = day(`p.assigned_day + ${column}`);
        // The later of the day assigned and the day reached: a count up to a day holds only people assigned by then.
        const counted = `CASE WHEN ${reachedDay} >= ${assignedDay} THEN ${reachedDay} ELSE ${assignedDay} END`;
        sql = `
          SELECT a.cluster AS cluster, p.arm_id AS "armId", ${counted} AS day, COUNT(*) AS people
          FROM assignment_progress p JOIN assignments a ON a.id = p.assignment_id
          WHERE p.experiment_id = ? AND a.cluster IS NOT NULL AND ${column} IS NOT NULL
          GROUP BY a.cluster, p.arm_id, ${counted}`;
        clusterReachedCache.set(stage, sql);
      }
      return sql;
    },
  };
  statementsByDialect.set(dialect, statements);
  return statements;
}

/**
 * Runs `read` in one transaction that sees a single state of the database.
 * Call only after the read model has caught up, never inside a write transaction.
 */
async function inOneSnapshot<T>(db: Db, read: () => Promise<T>): Promise<T> {
  const snapshot = snapshotSql[db.dialect];
  return db.withTransaction(async () => {
    if (snapshot) await db.run(snapshot);
    return read();
  });
}

/**
 * The primary metric of a cluster-randomised experiment counted by cluster,
 * arm and day (analysis/cluster-randomised-cells.ts says how it is used).
 */
async function readClusterProgress(db: Db, experimentId: number, stage: string, windowDays: number | null): Promise<ClusterProgress> {
  checkClusterStage(stage, windowDays);
  const statements = statementsFor(db.dialect);
  const assigned = await db.all<ClusterProgress['assigned'][number]>(
    statements.clusterAssigned(stage, windowDays),
    windowDays === null ? [experimentId] : [windowDays, experimentId],
  );
  const reached = windowDays === null ? await db.all<ClusterProgress['reached'][number]>(statements.clusterReached(stage), [experimentId]) : [];
  return { stage, windowDays, assigned, reached };
}

/** Reads what `composeExperimentReport` needs for one experiment (its view, and the read model after a catch-up). */
export async function readExperimentReportData(db: Db, experimentKey: string, options: ReportOptions = {}): Promise<ExperimentReportData> {
  const asOf = options.asOf ?? new Date();
  const experiment: ExperimentView = await createExperimentService(db, fixedClock(asOf.toISOString())).get(experimentKey);
  return readReportDataOf(db, experiment, { ...options, asOf });
}

/** The same for an experiment whose view the caller already holds. */
export async function readReportDataOf(db: Db, experiment: ExperimentView, options: ReportOptions = {}): Promise<ExperimentReportData> {
  const asOf = options.asOf ?? new Date();
  const asOfDay = utcDayOf(asOf);
  const metrics = reportMetrics(experiment, options);
  const windowedMetrics = metrics.filter((m) => m.windowDays !== null);
  for (const m of windowedMetrics) if (!stageByKey.has(m.definition.key)) throw new RangeError(`Unknown stage ${m.definition.key}`);
  const primaryWindow = metrics[0].windowDays;
  const clusterDesign = experiment.randomisationUnit !== 'person';
  const statements = statementsFor(db.dialect);

  await catchUpProgress(db);
  return inOneSnapshot(db, async () => {
    const totals = await db.all<TallyTotalRow>(statements.totals, [experiment.id, asOfDay]);
    const daily = await db.all<TallyDailyRow>(statements.daily, [experiment.id, asOfDay, ASSIGNED, experiment.primaryMetric]);

    let windowed: ExperimentReportData['windowed'] = [];
    if (windowedMetrics.length > 0) {
      const stages = windowedMetrics.map((m) => m.definition.key);
      const params = windowedMetrics.flatMap((m) => {
        const window = Number(m.windowDays);
        return [asOfDay - window, asOfDay - window, window];
      });
      const rows = await db.all<Record<string, number>>(statements.windowed(stages), [...params, experiment.id]);
      windowed = rows.flatMap((row) => stages.map((stage, i) => ({ stage, armId: row.armId, n: row[`n${i}`] ?? 0, successes: row[`s${i}`] ?? 0 })));
    }

    const coachCodes = await db.all<{ id: number; code: string }>(statements.coachCodes);
    const screenings = await db.all<{ reason: string; n: number }>(statements.screenings, [experiment.id, asOfDay, asOfDay]);
    const phaseAssignments = await db.all<{ armId: number; n: number }>(clusterDesign ? statements.phaseClusters : statements.phasePeople, [experiment.id, experiment.phase.id]);
    let clusters: ExperimentReportData['clusters'] = null;
    if (clusterDesign) {
      const count = (await db.get<{ n: number }>(statements.clusterCount, [experiment.id]))?.n ?? 0;
      const primaryIsBinary = metrics[0].definition.kind === 'binary';
      clusters = { count, progress: primaryIsBinary ? await readClusterProgress(db, experiment.id, experiment.primaryMetric, primaryWindow) : null };
    }
    return { experiment, asOf, tallies: { totals, daily }, windowed, coachCodes, screenings, phaseAssignments, clusters };
  });
}

/**
 * The full report of one experiment as of `options.asOf` (default now): reads
 * the read model (after bringing it up to date) and builds the report from it.
 */
export async function buildExperimentReport(db: Db, experimentKey: string, options: ReportOptions = {}): Promise<ExperimentReport> {
  return composeExperimentReport(await readExperimentReportData(db, experimentKey, options), options);
}

/**
 * Per-cluster-per-arm counts of one binary stage for a cluster-randomised
 * experiment as of the end of `lastDay` (see analysis/cluster-randomised-cells.ts),
 * read from the read model after a catch-up.
 */
export async function readClusterRandomisedCells(
  db: Db,
  options: { experimentId: number; stage: string; lastDay: number; windowDays: number | null; armKeyById: Map<number, string> },
): Promise<ClusterArmStats[]> {
  checkClusterStage(options.stage, options.windowDays);
  await catchUpProgress(db);
  const progress = await inOneSnapshot(db, () => readClusterProgress(db, options.experimentId, options.stage, options.windowDays));
  return clusterRandomisedCells(progress, { lastDay: options.lastDay, armKeyById: options.armKeyById });
}
