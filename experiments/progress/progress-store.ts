import type { Db, Dialect } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import { STAGES } from '../vocabulary.ts';
import { ASSIGNED, DIMENSIONS, NOT_RECORDED, OVERALL } from './read-model-names.ts';
import { effectiveColumn, latestCorrectionJoin, notWithdrawn } from '../outcomes/outcome-store.ts';

/** The stages that carry a score, whose first value the read model keeps beside the day. */
export const VALUED = new Set<string>(STAGES.filter((s) => 'value' in s).map((s) => s.key));

/**
 * The julian day of an ISO-8601 text expression, as a double on both engines
 * (PostgreSQL's arithmetic on it would otherwise be exact decimal, and the read
 * model's sums must round the same way in SQL as in TypeScript).
 */
export const julianDaySql = (dialect: Dialect, expression: string) => `CAST(${dialectSql(dialect).julianDay(expression)} AS DOUBLE PRECISION)`;

/**
 * Stage days are sums of julian days, which carry floating-point error of about
 * 1e-9 days; the offset of 5e-9 days (0.4 ms) keeps an event at exactly midnight
 * on its own day while an event at 23:59:59.999 still stays on its day
 * (timestamps are whole milliseconds, 1.16e-8 days). The projection's unixDay
 * uses the same offset, so SQL and TypeScript agree.
 */
export const DAY_OFFSET = 5e-9;
/**
 * The UTC day (days since 1970-01-01) of a julian-day expression, in SQL: the
 * same day on both engines (days after 1970 are positive, so truncating is flooring).
 */
export const unixDaySql = (dialect: Dialect, julian: string) => dialectSql(dialect).floorInteger(`${julian} - 2440587.5 + ${DAY_OFFSET}`);

const dimensionValueSql = (column: string) =>
  column === 'caring'
    ? `CASE caring WHEN 1 THEN 'caring' WHEN 0 THEN 'not caring' ELSE '${NOT_RECORDED}' END`
    : `COALESCE(CAST(${column} AS TEXT), '${NOT_RECORDED}')`;
/** The characteristics kept in the read model, cleared when a person is erased (the coach is kept: it is the unit of clustering). */
export const CHARACTERISTIC_DIMENSIONS = Object.entries(DIMENSIONS).filter(([dimension]) => dimension !== 'coach');

/** A row of assignment_progress with its experiment's primary metric. */
export interface ProgressRow {
  experiment_id: number;
  assignment_id: number;
  arm_id: number;
  assigned_day: number;
  primary_metric: string;
  [column: string]: unknown;
}

/** The newest id taken in (or present) per source table. */
export interface Latest {
  assignments: number;
  events: number;
  corrections: number;
}

/** An outcome event as it now counts, as the read model takes it in. */
export interface NewEvent {
  id: number;
  contactId: number;
  stage: string;
  julianDay: number;
  value: number | null;
}

export type TallyKey = { experimentId: number; dimension: string; dimensionValue: string; stage: string; armId: number; day: number };
export type TallyChange = TallyKey & { people: number; valueSum: number; valueSumSquares: number };

/**
 * The statement each engine needs, first in a transaction that changes the read
 * model, so that such transactions take turns: PostgreSQL, a transaction-level
 * advisory lock (an erasure holds it until it commits, so a catch-up on another
 * instance cannot write back the characteristics it is removing); SQLite runs
 * one transaction at a time already.
 */
const READ_MODEL_LOCK = 72_150_011;
const lockStatements: Record<Dialect, { readModelLock: string | null }> = {
  sqlite: { readModelLock: null },
  postgres: { readModelLock: 'SELECT pg_advisory_xact_lock(?) AS "locked"' },
};

const CHECKPOINTS = `SELECT
    (SELECT last_id FROM projection_checkpoints WHERE source = 'assignments') AS assignments,
    (SELECT last_id FROM projection_checkpoints WHERE source = 'events') AS events,
    (SELECT last_id FROM projection_checkpoints WHERE source = 'corrections') AS corrections`;
const SAVE_CHECKPOINT =
  'INSERT INTO projection_checkpoints (source, last_id) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id';
const LATEST = `SELECT (SELECT COALESCE(MAX(id), 0) FROM assignments) AS assignments, (SELECT COALESCE(MAX(id), 0) FROM outcome_events) AS events,
     (SELECT COALESCE(MAX(id), 0) FROM outcome_corrections) AS corrections`;
// One look for a reader: the newest ids beside the checkpoints.
const BEHIND = `SELECT
    (SELECT COALESCE(MAX(id), 0) FROM assignments) AS assignments,
    (SELECT COALESCE(MAX(id), 0) FROM outcome_events) AS events,
    (SELECT COALESCE(MAX(id), 0) FROM outcome_corrections) AS corrections,
    (SELECT last_id FROM projection_checkpoints WHERE source = 'assignments') AS "assignmentsAt",
    (SELECT last_id FROM projection_checkpoints WHERE source = 'events') AS "eventsAt",
    (SELECT last_id FROM projection_checkpoints WHERE source = 'corrections') AS "correctionsAt"`;
const CORRECTED_CONTACTS =
  'SELECT DISTINCT o.contact_id AS contact_id FROM outcome_corrections k JOIN outcome_events o ON o.id = k.event_id WHERE k.id > ? AND k.id <= ? ORDER BY o.contact_id';
const ADD_TALLY = `
  INSERT INTO progress_tallies (experiment_id, dimension, dimension_value, stage, arm_id, day, people, value_sum, value_sum_squares)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (experiment_id, dimension, dimension_value, stage, arm_id, day) DO UPDATE SET
    people = progress_tallies.people + excluded.people,
    value_sum = progress_tallies.value_sum + excluded.value_sum,
    value_sum_squares = progress_tallies.value_sum_squares + excluded.value_sum_squares`;
const ROWS_FOR_CONTACT = `
  SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
  WHERE p.contact_id = ? AND p.assigned_day <= ? ORDER BY p.assignment_id`;
const UPDATE_STAGE = new Map<string, string>(
  STAGES.map((stage) => [
    stage.key as string,
    `UPDATE assignment_progress SET ${stage.key}_day = ?${VALUED.has(stage.key) ? `, ${stage.key}_value = ?` : ''}
       WHERE experiment_id = ? AND assignment_id = ?`,
  ]),
);
const ASSIGNMENTS_WITHOUT_ROWS =
  'SELECT a.id AS id FROM assignments a WHERE a.id > ? AND a.id <= ? AND NOT EXISTS (SELECT 1 FROM assignment_progress p WHERE p.assignment_id = a.id) ORDER BY a.id';
const PROGRESS_ROWS_OF_CONTACT = `
  SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
  WHERE p.contact_id = ? ORDER BY p.assignment_id`;
const CLEAR_CHARACTERISTICS = `
  UPDATE assignment_progress SET ${CHARACTERISTIC_DIMENSIONS.map(([, column]) => `${column} = NULL`).join(', ')} WHERE contact_id = ?`;
const DROP_EMPTY_TALLIES =
  "DELETE FROM progress_tallies WHERE experiment_id = ? AND dimension <> '' AND people = 0 AND abs(value_sum) < 1e-9 AND abs(value_sum_squares) < 1e-9";
const DELETE_EXPERIMENT_ROWS = 'DELETE FROM assignment_progress WHERE experiment_id = ?';
const DELETE_EXPERIMENT_TALLIES = 'DELETE FROM progress_tallies WHERE experiment_id = ?';
const ALL_EXPERIMENTS = 'SELECT id, primary_metric AS "primaryMetric" FROM experiments ORDER BY id';
const ONE_EXPERIMENT = 'SELECT id, primary_metric AS "primaryMetric" FROM experiments WHERE id = ?';

/**
 * Reads and writes of the reports' read model: assignment_progress,
 * progress_tallies and projection_checkpoints, and the reads of assignments,
 * outcome_events and outcome_corrections it follows. Build one per database
 * (it builds many statements); the projection does.
 */
export function createProgressStore(db: Db) {
  const d = dialectSql(db.dialect);
  const julian = (expression: string) => julianDaySql(db.dialect, expression);
  const { readModelLock } = lockStatements[db.dialect];

  // New events as they now count: one corrected or withdrawn before this catch-up is taken in corrected, or not at all.
  const occurredAt = effectiveColumn('occurred_at');
  const newEventsSql = `
    SELECT o.id AS id, o.contact_id AS "contactId", o.stage AS stage, ${effectiveColumn('value')} AS value, ${julian(occurredAt)} AS "julianDay"
    FROM outcome_events o ${latestCorrectionJoin()}
    WHERE o.id > ? AND o.id <= ? AND ${notWithdrawn()} ORDER BY o.id`;

  // Recomputes progress rows from the raw records in one grouped join over a person's events.
  // A scored stage's first value comes from the earliest event: ISO timestamps have a fixed
  // width (toISOString), so MIN over "timestamp|value" orders by time.
  const stageAggregates = STAGES.flatMap((stage) => {
    const after = `o.stage = '${stage.key}' AND ${notWithdrawn()} AND ${julian(occurredAt)} >= ${julian('a.assigned_at')}`;
    const parts = [`MIN(CASE WHEN ${after} THEN ${julian(occurredAt)} END) - ${julian('a.assigned_at')}`];
    if (VALUED.has(stage.key))
      parts.push(`CAST(substr(MIN(CASE WHEN ${after} THEN ${occurredAt} || '|' || ${effectiveColumn('value')} END), 26) AS DOUBLE PRECISION)`);
    return parts;
  });
  // An erased person's row in contacts holds a placeholder, never their characteristics: null here.
  const characteristicsSql = ['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work']
    .map((column) => `CASE WHEN c.erased_at IS NULL THEN c.${column} END`)
    .join(', ');
  const stageColumns = STAGES.flatMap((stage) => (VALUED.has(stage.key) ? [`${stage.key}_day`, `${stage.key}_value`] : [`${stage.key}_day`]));
  const recomputeProgress = (where: string) => `
      INSERT INTO assignment_progress (experiment_id, assignment_id, contact_id, arm_id, coach_id, health_group, age_band, sex,
        ethnicity_group, caring, time_on_benefits, previous_work, assigned_day, ${stageColumns.join(', ')})
      SELECT a.experiment_id, a.id, a.contact_id, a.arm_id, c.coach_id, ${characteristicsSql}, ${julian('a.assigned_at')}, ${stageAggregates.join(', ')}
      FROM assignments a
      JOIN contacts c ON c.id = a.contact_id
      LEFT JOIN outcome_events o ON o.contact_id = a.contact_id
      ${latestCorrectionJoin()}
      WHERE ${where}
      GROUP BY a.id, c.id`;
  const recomputeAssignmentsSql = recomputeProgress(`a.id IN ${d.jsonList('integer')}`);
  const recomputeExperimentSql = recomputeProgress('a.experiment_id = ?');
  const rowsForAssignmentsSql = `
    SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.assignment_id IN ${d.jsonList('integer')} ORDER BY p.assignment_id`;
  const deleteAssignmentRowsSql = `DELETE FROM assignment_progress WHERE assignment_id IN ${d.jsonList('integer')}`;

  // Rebuilds an experiment's tallies from its progress rows with grouped inserts.
  const tallyInsert = (dimension: string, dimensionColumn: string | null, stage: string) => {
    const dayExpression = stage === ASSIGNED ? 'assigned_day' : `assigned_day + ${stage}_day`;
    const value = VALUED.has(stage) ? `${stage}_value` : '0';
    const dimensionExpression = dimensionColumn ? dimensionValueSql(dimensionColumn) : "''";
    const dayGroup = unixDaySql(db.dialect, dayExpression);
    return `
      INSERT INTO progress_tallies (experiment_id, dimension, dimension_value, stage, arm_id, day, people, value_sum, value_sum_squares)
      SELECT experiment_id, CAST('${dimension}' AS TEXT), ${dimensionExpression}, CAST('${stage}' AS TEXT), arm_id,
        ${dayGroup}, COUNT(*), COALESCE(SUM(${value}), 0), COALESCE(SUM(${value} * ${value}), 0)
      FROM assignment_progress
      WHERE experiment_id = ? ${stage === ASSIGNED ? '' : `AND ${stage}_day IS NOT NULL`}
      GROUP BY experiment_id, ${dimensionColumn ? `${dimensionExpression}, ` : ''}arm_id, ${dayGroup}`;
  };
  const overallTallies = [ASSIGNED, ...STAGES.map((s) => s.key as string)].map((stage) => tallyInsert(OVERALL, null, stage));
  const dimensionTallies = new Map<string, string[]>();
  const dimensionTalliesFor = (stage: string) => {
    if (!dimensionTallies.has(stage))
      dimensionTallies.set(stage, Object.entries(DIMENSIONS).map(([dimension, column]) => tallyInsert(dimension, column, stage)));
    return dimensionTallies.get(stage)!;
  };

  return {
    /** First in every transaction that changes the read model (see lockStatements). */
    async lockReadModel(): Promise<void> {
      if (readModelLock) await db.get(readModelLock, [READ_MODEL_LOCK]);
    },

    async checkpoints(): Promise<Latest> {
      const row = await db.get<{ assignments: number | null; events: number | null; corrections: number | null }>(CHECKPOINTS);
      return { assignments: row?.assignments ?? 0, events: row?.events ?? 0, corrections: row?.corrections ?? 0 };
    },
    async saveCheckpoint(source: keyof Latest, lastId: number): Promise<void> {
      await db.run(SAVE_CHECKPOINT, [source, lastId]);
    },
    /** The newest id in each source table. */
    async latest(): Promise<Latest> {
      return (await db.get<Latest>(LATEST))!;
    },
    /** The newest ids beside the checkpoints, in one look. */
    async latestAndCheckpoints(): Promise<Latest & { assignmentsAt: number | null; eventsAt: number | null; correctionsAt: number | null }> {
      return (await db.get<Latest & { assignmentsAt: number | null; eventsAt: number | null; correctionsAt: number | null }>(BEHIND))!;
    },

    /** Events after `afterId` up to `upTo`, as they now count (withdrawn ones left out), by id. */
    newEvents(afterId: number, upTo: number): Promise<NewEvent[]> {
      return db.all<NewEvent>(newEventsSql, [afterId, upTo]);
    },
    /** The people whose events were corrected by corrections after `afterId` up to `upTo`. */
    async correctedContacts(afterId: number, upTo: number): Promise<number[]> {
      return (await db.all<{ contact_id: number }>(CORRECTED_CONTACTS, [afterId, upTo])).map((row) => row.contact_id);
    },
    /** Assignments after `afterId` up to `upTo` that have no progress row yet. */
    async assignmentsWithoutRows(afterId: number, upTo: number): Promise<number[]> {
      return (await db.all<{ id: number }>(ASSIGNMENTS_WITHOUT_ROWS, [afterId, upTo])).map((row) => row.id);
    },

    /** Adds a change to a tally, creating it if need be. */
    async addTally(e: TallyChange): Promise<void> {
      await db.run(ADD_TALLY, [e.experimentId, e.dimension, e.dimensionValue, e.stage, e.armId, e.day, e.people, e.valueSum, e.valueSumSquares]);
    },
    async dropEmptyTallies(experimentId: number): Promise<void> {
      await db.run(DROP_EMPTY_TALLIES, [experimentId]);
    },

    /** The person's progress rows for assignments made by `julianDay`. */
    rowsForContactBefore(contactId: number, julianDay: number): Promise<ProgressRow[]> {
      return db.all<ProgressRow>(ROWS_FOR_CONTACT, [contactId, julianDay]);
    },
    rowsOfContact(contactId: number): Promise<ProgressRow[]> {
      return db.all<ProgressRow>(PROGRESS_ROWS_OF_CONTACT, [contactId]);
    },
    rowsForAssignments(assignmentIds: number[]): Promise<ProgressRow[]> {
      return db.all<ProgressRow>(rowsForAssignmentsSql, [JSON.stringify(assignmentIds)]);
    },
    /** Sets the day (and, for a scored stage, the value) a row reached `stage`. */
    async setStage(row: ProgressRow, stage: string, stageDay: number, value: number | null): Promise<void> {
      const params = VALUED.has(stage) ? [stageDay, value, row.experiment_id, row.assignment_id] : [stageDay, row.experiment_id, row.assignment_id];
      await db.run(UPDATE_STAGE.get(stage)!, params);
    },
    /** Writes the progress rows of assignments from the raw records. */
    async recomputeAssignments(assignmentIds: number[]): Promise<void> {
      await db.run(recomputeAssignmentsSql, [JSON.stringify(assignmentIds)]);
    },
    async deleteAssignmentRows(assignmentIds: number[]): Promise<void> {
      await db.run(deleteAssignmentRowsSql, [JSON.stringify(assignmentIds)]);
    },
    async clearCharacteristics(contactId: number): Promise<void> {
      await db.run(CLEAR_CHARACTERISTICS, [contactId]);
    },

    /** Every experiment, or the one asked for, with its primary metric. */
    experiments(experimentId?: number): Promise<{ id: number; primaryMetric: string }[]> {
      return experimentId === undefined
        ? db.all<{ id: number; primaryMetric: string }>(ALL_EXPERIMENTS)
        : db.all<{ id: number; primaryMetric: string }>(ONE_EXPERIMENT, [experimentId]);
    },
    /** Replaces an experiment's progress rows and tallies with ones recomputed from the raw records. */
    async rebuildExperiment(experimentId: number, primaryMetric: string): Promise<void> {
      await db.run(DELETE_EXPERIMENT_ROWS, [experimentId]);
      await db.run(DELETE_EXPERIMENT_TALLIES, [experimentId]);
      await db.run(recomputeExperimentSql, [experimentId]);
      for (const statement of [...overallTallies, ...dimensionTalliesFor(ASSIGNED), ...dimensionTalliesFor(primaryMetric)]) await db.run(statement, [experimentId]);
    },
  };
}

export type ProgressStore = ReturnType<typeof createProgressStore>;
