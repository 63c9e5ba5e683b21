import type { Db, Dialect } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import { STAGES } from '../vocabulary.ts';
import { ASSIGNED, DIMENSIONS, NOT_RECORDED, OVERALL } from './read-model-names.ts';
import { effectiveColumn, latestCorrectionJoin, notWithdrawn } from '../outcomes/effective-outcomes.ts';
import { settledSourceIds } from './source-guard.ts';

/**
 * Keeps the reports' read model in step with the raw records (decision 0003):
 *
 * - `assignment_progress`: a row per assignment with the person's baseline
 *   characteristics and, per funnel stage, the days from assignment to the first
 *   such event after it (plus the first score, for scored stages);
 * - `progress_tallies`: those rows counted by experiment, arm, stage and UTC day,
 *   and for the primary metric also by each characteristic and by work coach.
 *
 * It follows the append-only tables from a checkpoint, like any projection:
 * writers only call `scheduleCatchUp` (a catch-up a moment later, for a batch of
 * writes in one transaction), and every reader awaits `catchUp` first, so reports
 * are always exact. `rebuild` recomputes everything from assignments,
 * outcome_events and outcome_corrections alone, so every report figure can be
 * reproduced from the raw data.
 *
 * Several instances may share one PostgreSQL database. A catch-up takes in rows
 * only up to the ids `settledSourceIds` returns (nothing at or below them can
 * still appear), runs on one instance at a time (`db.exclusively`), and moves
 * its checkpoints and tallies in one transaction. A reader that finds another
 * instance catching up waits for it and looks again, so it never reads figures
 * that miss a record committed before it asked.
 *
 * Events count as they stand after their latest correction (docs/decisions/0035):
 * a withdrawn event does not count, a corrected one counts with its corrected
 * date and score. A correction can move a person's first day of a stage either
 * way, so it recomputes that person's rows from the raw records and moves the
 * tallies by the difference (−old row, +new row).
 */
const VALUED = new Set<string>(STAGES.filter((s) => 'value' in s).map((s) => s.key));

/** julianday() of a time, as SQLite computes it. */
export const toJulianDay = (date: Date) => date.getTime() / 86_400_000 + 2_440_587.5;

/**
 * The julian day of an ISO-8601 text expression, as a double on both engines
 * (PostgreSQL's arithmetic on it would otherwise be exact decimal, and the read
 * model's sums must round the same way in SQL as in TypeScript).
 */
export const julianDaySql = (dialect: Dialect, expression: string) => `CAST(${dialectSql(dialect).julianDay(expression)} AS DOUBLE PRECISION)`;

/**
 * The UTC day (days since 1970-01-01) of a julian day. Stage days are sums of
 * julian days, which carry floating-point error of about 1e-9 days; the offset
 * of 5e-9 days (0.4 ms) keeps an event at exactly midnight on its own day while
 * an event at 23:59:59.999 still stays on its day (timestamps are whole
 * milliseconds, 1.16e-8 days). The same expression is used in SQL, so both agree.
 */
const DAY_OFFSET = 5e-9;
export const unixDay = (julianDay: number) => Math.trunc(julianDay - 2_440_587.5 + DAY_OFFSET);
/**
 * The same as `unixDay`, in SQL, for a julian-day expression: the same day on
 * both engines (days after 1970 are positive, so truncating is flooring).
 */
export const unixDaySql = (dialect: Dialect, julian: string) => dialectSql(dialect).floorInteger(`${julian} - 2440587.5 + ${DAY_OFFSET}`);

export { ASSIGNED, DIMENSIONS, NOT_RECORDED, OVERALL };
const dimensionValueSql = (column: string) =>
  column === 'caring'
    ? `CASE caring WHEN 1 THEN 'caring' WHEN 0 THEN 'not caring' ELSE '${NOT_RECORDED}' END`
    : `COALESCE(CAST(${column} AS TEXT), '${NOT_RECORDED}')`;
const dimensionValue = (column: string, row: Record<string, unknown>) =>
  row[column] === null || row[column] === undefined ? NOT_RECORDED : column === 'caring' ? (row.caring ? 'caring' : 'not caring') : String(row[column]);
/** The characteristics kept in the read model, cleared when a person is erased (the coach is kept: it is the unit of clustering). */
const CHARACTERISTIC_DIMENSIONS = Object.entries(DIMENSIONS).filter(([dimension]) => dimension !== 'coach');

interface ProgressRow {
  experiment_id: number;
  assignment_id: number;
  arm_id: number;
  assigned_day: number;
  primary_metric: string;
  [column: string]: unknown;
}

/** How long writes may gather before the read model takes them in. */
const CATCH_UP_DELAY_MS = 25;
/** The job name under which catch-ups (and rebuilds) run one at a time across instances. */
export const CATCH_UP_JOB = 'progress-catch-up';
/** How long a reader waits for another instance's catch-up before it gives up with an error. */
const WAIT_LIMIT_MS = 60_000;

/**
 * The statement each engine needs, first in a transaction that changes the read
 * model, so that such transactions take turns: PostgreSQL, a transaction-level
 * advisory lock (an erasure holds it until it commits, so a catch-up on another
 * instance cannot write back the characteristics it is removing); SQLite runs
 * one transaction at a time already.
 */
const READ_MODEL_LOCK = 72_150_011;
const readModelLockSql: Record<Dialect, string | null> = {
  sqlite: null,
  postgres: 'SELECT pg_advisory_xact_lock(?) AS "locked"',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const projections = new WeakMap<Db, ProgressProjection>();

/**
 * The projection for a database, created once per database (it builds many
 * statements). Closing the database first stops its scheduled catch-ups.
 */
export function progressProjectionFor(db: Db): ProgressProjection {
  let projection = projections.get(db);
  if (!projection) {
    const created = createProgressProjection(db);
    projection = created;
    projections.set(db, created);
    // A catch-up scheduled for just after the last write must not run on a closed database.
    const close = db.close.bind(db);
    db.close = async () => {
      await created.stop();
      await close();
    };
  }
  return projection;
}

/** Brings the read model up to date; every reader of it awaits this first. */
export async function catchUpProgress(db: Db): Promise<void> {
  await progressProjectionFor(db).catchUp();
}

interface Latest {
  assignments: number;
  events: number;
  corrections: number;
}

type TallyKey = { experimentId: number; dimension: string; dimensionValue: string; stage: string; armId: number; day: number };
type TallyChange = TallyKey & { people: number; valueSum: number; valueSumSquares: number };

function createProgressProjection(db: Db) {
  const d = dialectSql(db.dialect);
  const julian = (expression: string) => julianDaySql(db.dialect, expression);
  const lockSql = readModelLockSql[db.dialect];
  /** First in every transaction that changes the read model (see readModelLockSql). */
  const lockReadModel = async () => {
    if (lockSql) await db.get(lockSql, [READ_MODEL_LOCK]);
  };

  const checkpointsSql = `SELECT
      (SELECT last_id FROM projection_checkpoints WHERE source = 'assignments') AS assignments,
      (SELECT last_id FROM projection_checkpoints WHERE source = 'events') AS events,
      (SELECT last_id FROM projection_checkpoints WHERE source = 'corrections') AS corrections`;
  const saveCheckpointSql =
    'INSERT INTO projection_checkpoints (source, last_id) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id';
  const latestSql = `SELECT (SELECT COALESCE(MAX(id), 0) FROM assignments) AS assignments, (SELECT COALESCE(MAX(id), 0) FROM outcome_events) AS events,
       (SELECT COALESCE(MAX(id), 0) FROM outcome_corrections) AS corrections`;
  // One look for a reader: the newest ids beside the checkpoints.
  const behindSql = `SELECT
      (SELECT COALESCE(MAX(id), 0) FROM assignments) AS assignments,
      (SELECT COALESCE(MAX(id), 0) FROM outcome_events) AS events,
      (SELECT COALESCE(MAX(id), 0) FROM outcome_corrections) AS corrections,
      (SELECT last_id FROM projection_checkpoints WHERE source = 'assignments') AS "assignmentsAt",
      (SELECT last_id FROM projection_checkpoints WHERE source = 'events') AS "eventsAt",
      (SELECT last_id FROM projection_checkpoints WHERE source = 'corrections') AS "correctionsAt"`;

  const readCheckpoints = async (): Promise<Latest> => {
    const row = await db.get<{ assignments: number | null; events: number | null; corrections: number | null }>(checkpointsSql);
    return { assignments: row?.assignments ?? 0, events: row?.events ?? 0, corrections: row?.corrections ?? 0 };
  };
  const saveCheckpoint = (source: keyof Latest, lastId: number) => db.run(saveCheckpointSql, [source, lastId]);
  const readLatest = async (): Promise<Latest> => (await db.get<Latest>(latestSql))!;

  /**
   * True when the checkpoints are at or past every id visible now. A checkpoint
   * only ever moves to ids that were settled, so everything at or below it is
   * in the read model: a record committed before this look is already counted.
   */
  async function upToDate(): Promise<boolean> {
    const row = (await db.get<Latest & { assignmentsAt: number | null; eventsAt: number | null; correctionsAt: number | null }>(behindSql))!;
    return (row.assignmentsAt ?? 0) >= row.assignments && (row.eventsAt ?? 0) >= row.events && (row.correctionsAt ?? 0) >= row.corrections;
  }

  // New events as they now count: one corrected or withdrawn before this catch-up is taken in corrected, or not at all.
  const occurredAt = effectiveColumn('occurred_at');
  const newEventsSql = `
    SELECT o.id AS id, o.contact_id AS "contactId", o.stage AS stage, ${effectiveColumn('value')} AS value, ${julian(occurredAt)} AS "julianDay"
    FROM outcome_events o ${latestCorrectionJoin()}
    WHERE o.id > ? AND o.id <= ? AND ${notWithdrawn()} ORDER BY o.id`;
  const correctedContactsSql =
    'SELECT DISTINCT o.contact_id AS contact_id FROM outcome_corrections k JOIN outcome_events o ON o.id = k.event_id WHERE k.id > ? AND k.id <= ? ORDER BY o.contact_id';

  const addTallySql = `
    INSERT INTO progress_tallies (experiment_id, dimension, dimension_value, stage, arm_id, day, people, value_sum, value_sum_squares)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (experiment_id, dimension, dimension_value, stage, arm_id, day) DO UPDATE SET
      people = progress_tallies.people + excluded.people,
      value_sum = progress_tallies.value_sum + excluded.value_sum,
      value_sum_squares = progress_tallies.value_sum_squares + excluded.value_sum_squares`;

  /**
   * Changes to tallies over one batch, summed in memory and written once per
   * tally when the batch ends (inside its transaction). One per batch, so two
   * batches never share pending changes.
   */
  function tallyBatch() {
    const pending = new Map<string, TallyChange>();
    function change(key: TallyKey, sign: 1 | -1, value: number | null) {
      const id = `${key.experimentId}|${key.dimension}|${key.dimensionValue}|${key.stage}|${key.armId}|${key.day}`;
      const entry = pending.get(id) ?? { ...key, people: 0, valueSum: 0, valueSumSquares: 0 };
      entry.people += sign;
      entry.valueSum += sign * (value ?? 0);
      entry.valueSumSquares += sign * (value ?? 0) ** 2;
      pending.set(id, entry);
    }
    /** Adds (sign +1) or removes (−1) one person reaching `stage` on `day`, in every tally it belongs to. */
    function tally(row: ProgressRow, stage: string, day: number, value: number | null, sign: 1 | -1) {
      const key = { experimentId: row.experiment_id, stage, armId: row.arm_id, day };
      change({ ...key, dimension: OVERALL, dimensionValue: OVERALL }, sign, value);
      if (stage === ASSIGNED || stage === row.primary_metric)
        for (const [dimension, column] of Object.entries(DIMENSIONS)) change({ ...key, dimension, dimensionValue: dimensionValue(column, row) }, sign, value);
    }
    /** Every stage a progress row has reached, added to (+1) or taken from (−1) the tallies. */
    function tallyRow(row: ProgressRow, sign: 1 | -1) {
      tally(row, ASSIGNED, unixDay(row.assigned_day), null, sign);
      for (const stage of STAGES) {
        const stageDay = row[`${stage.key}_day`] as number | null;
        if (stageDay !== null) tally(row, stage.key, unixDay(row.assigned_day + stageDay), (row[`${stage.key}_value`] as number | null) ?? null, sign);
      }
    }
    async function flush() {
      for (const e of pending.values())
        if (e.people !== 0 || e.valueSum !== 0 || e.valueSumSquares !== 0)
          await db.run(addTallySql, [e.experimentId, e.dimension, e.dimensionValue, e.stage, e.armId, e.day, e.people, e.valueSum, e.valueSumSquares]);
      pending.clear();
    }
    return { change, tally, tallyRow, flush };
  }
  type TallyBatch = ReturnType<typeof tallyBatch>;

  const rowsForContactSql = `
    SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.contact_id = ? AND p.assigned_day <= ? ORDER BY p.assignment_id`;
  const updateStageSql = new Map<string, string>(
    STAGES.map((stage) => [
      stage.key as string,
      `UPDATE assignment_progress SET ${stage.key}_day = ?${VALUED.has(stage.key) ? `, ${stage.key}_value = ?` : ''}
         WHERE experiment_id = ? AND assignment_id = ?`,
    ]),
  );

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
  const rowsForAssignmentsSql = `
    SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.assignment_id IN ${d.jsonList('integer')} ORDER BY p.assignment_id`;
  const assignmentsWithoutRowsSql =
    'SELECT a.id AS id FROM assignments a WHERE a.id > ? AND a.id <= ? AND NOT EXISTS (SELECT 1 FROM assignment_progress p WHERE p.assignment_id = a.id) ORDER BY a.id';
  const recomputeExperimentSql = recomputeProgress('a.experiment_id = ?');
  const progressRowsOfContactSql = `
    SELECT p.*, e.primary_metric AS primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.contact_id = ? ORDER BY p.assignment_id`;
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

  async function rebuildExperiment(experimentId: number, primaryMetric: string) {
    await db.run('DELETE FROM assignment_progress WHERE experiment_id = ?', [experimentId]);
    await db.run('DELETE FROM progress_tallies WHERE experiment_id = ?', [experimentId]);
    await db.run(recomputeExperimentSql, [experimentId]);
    for (const statement of [...overallTallies, ...dimensionTalliesFor(ASSIGNED), ...dimensionTalliesFor(primaryMetric)]) await db.run(statement, [experimentId]);
  }

  /**
   * Adds the progress rows and tallies of new assignments up to `upTo` (one
   * grouped recompute for the batch), taking in any events already after them.
   * Rows already there, from a rebuild, are left as they are.
   */
  async function recordAssignments(afterId: number, upTo: number, batch: TallyBatch): Promise<number> {
    const ids = (await db.all<{ id: number }>(assignmentsWithoutRowsSql, [afterId, upTo])).map((row) => row.id);
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    await db.run(recomputeAssignmentsSql, [list]);
    for (const row of await db.all<ProgressRow>(rowsForAssignmentsSql, [list])) batch.tallyRow(row, 1);
    return ids.length;
  }

  /**
   * Moves on every assignment the person has that began before the event, when
   * the event is their first of that stage (or earlier than the one recorded).
   * Taking in an event twice changes nothing, so the order of catch-up does not matter.
   */
  async function recordEvent(event: { contactId: number; stage: string; julianDay: number; value: number | null }, batch: TallyBatch): Promise<void> {
    const eventDay = event.julianDay;
    for (const row of await db.all<ProgressRow>(rowsForContactSql, [event.contactId, eventDay])) {
      const stageDay = eventDay - row.assigned_day;
      const previous = row[`${event.stage}_day`] as number | null;
      if (previous !== null && previous <= stageDay) continue;
      if (previous !== null) batch.tally(row, event.stage, unixDay(row.assigned_day + previous), (row[`${event.stage}_value`] as number | null) ?? null, -1);
      const params = VALUED.has(event.stage) ? [stageDay, event.value, row.experiment_id, row.assignment_id] : [stageDay, row.experiment_id, row.assignment_id];
      await db.run(updateStageSql.get(event.stage)!, params);
      batch.tally(row, event.stage, unixDay(row.assigned_day + stageDay), VALUED.has(event.stage) ? event.value : null, 1);
    }
  }

  const clearCharacteristicsSql = `
    UPDATE assignment_progress SET ${CHARACTERISTIC_DIMENSIONS.map(([, column]) => `${column} = NULL`).join(', ')} WHERE contact_id = ?`;
  const dropEmptyTalliesSql =
    "DELETE FROM progress_tallies WHERE experiment_id = ? AND dimension <> '' AND people = 0 AND abs(value_sum) < 1e-9 AND abs(value_sum_squares) < 1e-9";

  /**
   * Moves a person, in every characteristic breakdown, to "not recorded", and
   * clears their characteristics from their progress rows. Overall tallies and
   * the coach breakdown are not touched, so no overall figure changes.
   */
  async function forgetContact(contactId: number, experiments: Set<number>, batch: TallyBatch): Promise<void> {
    for (const row of await db.all<ProgressRow>(progressRowsOfContactSql, [contactId])) {
      experiments.add(row.experiment_id);
      const primaryDay = row[`${row.primary_metric}_day`] as number | null;
      const moves: [string, number, number | null][] = [[ASSIGNED, unixDay(row.assigned_day), null]];
      if (primaryDay !== null) moves.push([row.primary_metric, unixDay(row.assigned_day + primaryDay), (row[`${row.primary_metric}_value`] as number | null) ?? null]);
      for (const [stage, day, value] of moves) {
        for (const [dimension, column] of CHARACTERISTIC_DIMENSIONS) {
          const key = { experimentId: row.experiment_id, stage, armId: row.arm_id, day, dimension };
          batch.change({ ...key, dimensionValue: dimensionValue(column, row) }, -1, value);
          batch.change({ ...key, dimensionValue: NOT_RECORDED }, 1, value);
        }
      }
    }
    await db.run(clearCharacteristicsSql, [contactId]);
  }

  /**
   * After a correction: recomputes the person's progress rows from the raw records
   * and moves the tallies by −old row, +new row. Doing it twice changes nothing.
   */
  async function recomputeContact(contactId: number, batch: TallyBatch): Promise<void> {
    const before = await db.all<ProgressRow>(progressRowsOfContactSql, [contactId]);
    if (before.length === 0) return;
    const ids = JSON.stringify(before.map((row) => row.assignment_id));
    await db.run(deleteAssignmentRowsSql, [ids]);
    await db.run(recomputeAssignmentsSql, [ids]);
    for (const row of before) batch.tallyRow(row, -1);
    for (const row of await db.all<ProgressRow>(rowsForAssignmentsSql, [ids])) batch.tallyRow(row, 1);
  }

  /**
   * One batch: every assignment, event and correction after the checkpoints and
   * at or below `latest` (settled ids), with the checkpoint moves and tally
   * changes in one transaction. Checkpoints never move back, so a batch whose
   * ids another has already passed changes nothing.
   */
  async function takeIn(latest: Latest): Promise<number> {
    return db.withTransaction(async () => {
      await lockReadModel();
      const batch = tallyBatch();
      const at = await readCheckpoints();
      let assigned = 0;
      if (latest.assignments > at.assignments) {
        assigned = await recordAssignments(at.assignments, latest.assignments, batch);
        await saveCheckpoint('assignments', latest.assignments);
      }
      let events = 0;
      if (latest.events > at.events) {
        const rows = await db.all<{ id: number; contactId: number; stage: string; julianDay: number; value: number | null }>(newEventsSql, [at.events, latest.events]);
        for (const event of rows) await recordEvent(event, batch);
        events = rows.length;
        // Withdrawn events are not in `rows`, so the checkpoint moves to the newest settled event.
        await saveCheckpoint('events', latest.events);
      }
      let corrected = 0;
      if (latest.corrections > at.corrections) {
        const contacts = (await db.all<{ contact_id: number }>(correctedContactsSql, [at.corrections, latest.corrections])).map((row) => row.contact_id);
        for (const contactId of contacts) await recomputeContact(contactId, batch);
        corrected = contacts.length;
        await saveCheckpoint('corrections', latest.corrections);
      }
      await batch.flush();
      return assigned + events + corrected;
    });
  }

  // The run holding CATCH_UP_JOB in this process, if any: readers here wait for it rather than poll.
  let running: Promise<unknown> | null = null;
  async function holding<T>(work: () => Promise<T>): Promise<T> {
    const run = work();
    running = run;
    try {
      return await run;
    } finally {
      if (running === run) running = null;
    }
  }

  /** A catch-up up to the ids settled now, unless another is running (`ran: false` then). */
  const catchUpOnce = () => db.exclusively(CATCH_UP_JOB, () => holding(async () => takeIn(await settledSourceIds(db, readLatest))));

  /**
   * Runs `attempt` (work under CATCH_UP_JOB) until it runs, waiting while
   * another catch-up holds the job: this process's own, awaited; another
   * instance's, polled with short pauses. Gives up with an error after
   * WAIT_LIMIT_MS, never with stale figures. `done` ends the wait early.
   */
  async function whenFree<T>(attempt: () => Promise<{ ran: true; result: T } | { ran: false }>, done?: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      if (done) {
        const early = await done();
        if (early !== undefined) return early;
      }
      const outcome = await attempt();
      if (outcome.ran) return outcome.result;
      if (Date.now() >= deadline) throw new Error('The reports could not be brought up to date: another instance has been updating them for over a minute. Try again shortly.');
      const own = running;
      if (own) await own.then(() => undefined, () => undefined);
      else await sleep(pause);
    }
  }

  let scheduled: NodeJS.Timeout | null = null;
  let scheduledRun: Promise<void> | null = null;
  let stopped = false;

  return {
    /**
     * Takes in every assignment, event and correction committed before the call;
     * returns how many it took in (0 when another instance did it). Waits for
     * another instance's catch-up rather than return stale figures.
     */
    async catchUp(): Promise<number> {
      // Readers call this on every report: look first, and take the job only when behind.
      return whenFree(catchUpOnce, async () => ((await upToDate()) ? 0 : undefined));
    },

    /** Asks for a catch-up shortly, so a burst of writes is taken in together. Never throws. */
    scheduleCatchUp(): void {
      if (scheduled || stopped) return;
      // Writers call this inside their transactions: the timer must not join them.
      scheduled = db.outsideTransaction(() => setTimeout(() => {
        scheduled = null;
        if (stopped) return;
        const run = (async () => {
          try {
            // Another instance catching up already will take these in, or the next reader will.
            if (!(await upToDate())) await catchUpOnce();
          } catch (error) {
            // Readers catch up for themselves, so nothing is lost; say so without personal data.
            console.error(`[progress] catch-up failed, readers will retry: ${(error as Error).message}`);
          }
        })();
        scheduledRun = run;
        void run.then(() => {
          if (scheduledRun === run) scheduledRun = null;
        });
      }, CATCH_UP_DELAY_MS));
      scheduled.unref();
    },

    /** Cancels any scheduled catch-up and waits for one under way (before the database closes). */
    async stop(): Promise<void> {
      stopped = true;
      if (scheduled) clearTimeout(scheduled);
      scheduled = null;
      if (scheduledRun) await scheduledRun;
    },

    /**
     * Removes the characteristics of erased people from the read model (see
     * forgetContact). Run inside the erasure's transaction, before their
     * contacts rows lose their characteristics: it does not catch up (no
     * catch-up runs inside a write transaction), and it need not, since rows
     * taken in later read the erased contact (null characteristics). Holds the
     * read model's lock until the erasure commits, so no catch-up on another
     * instance can write back what it removed.
     */
    async forgetCharacteristics(contactIds: readonly number[]): Promise<void> {
      await db.withTransaction(async () => {
        await lockReadModel();
        const batch = tallyBatch();
        const experiments = new Set<number>();
        for (const contactId of contactIds) await forgetContact(contactId, experiments, batch);
        await batch.flush();
        // A rebuild makes no tally for a subgroup nobody is in: neither does this.
        for (const experimentId of [...experiments].sort((a, b) => a - b)) await db.run(dropEmptyTalliesSql, [experimentId]);
      });
    },

    /** Recomputes an experiment's read model (or every experiment's) from assignments, outcome events and their corrections. */
    async rebuild(experimentId?: number): Promise<void> {
      await whenFree(() =>
        db.exclusively(CATCH_UP_JOB, () => holding(async () => {
          const latest = await settledSourceIds(db, readLatest);
          await db.withTransaction(async () => {
            await lockReadModel();
            const list =
              experimentId === undefined
                ? await db.all<{ id: number; primaryMetric: string }>('SELECT id, primary_metric AS "primaryMetric" FROM experiments ORDER BY id')
                : await db.all<{ id: number; primaryMetric: string }>('SELECT id, primary_metric AS "primaryMetric" FROM experiments WHERE id = ?', [experimentId]);
            for (const experiment of list) await rebuildExperiment(experiment.id, experiment.primaryMetric);
            // A full rebuild has taken in everything up to the settled ids (rows after them that it
            // saw are taken in again by the next catch-up, which changes nothing). After one
            // experiment's, the checkpoints stay where they were: catching up again changes
            // nothing in the rebuilt rows.
            if (experimentId === undefined) {
              await saveCheckpoint('assignments', latest.assignments);
              await saveCheckpoint('events', latest.events);
              await saveCheckpoint('corrections', latest.corrections);
            }
          });
        })),
      );
    },
  };
}

export type ProgressProjection = ReturnType<typeof createProgressProjection>;
