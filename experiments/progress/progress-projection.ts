import type { Db } from '../../server/db/database.ts';
import { BREAKDOWN_COLUMNS, STAGES } from '../vocabulary.ts';
import { effectiveColumn, latestCorrectionJoin, notWithdrawn } from '../outcomes/effective-outcomes.ts';

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
 * writes in one transaction), and every reader calls `catchUp` first, so reports
 * are always exact. `rebuild` recomputes everything from assignments,
 * outcome_events and outcome_corrections alone, so every report figure can be
 * reproduced from the raw data.
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
 * The UTC day (days since 1970-01-01) of a julian day. Stage days are sums of
 * julian days, which carry floating-point error of about 1e-9 days; the offset
 * of 5e-9 days (0.4 ms) keeps an event at exactly midnight on its own day while
 * an event at 23:59:59.999 still stays on its day (timestamps are whole
 * milliseconds, 1.16e-8 days). The same expression is used in SQL, so both agree.
 */
const DAY_OFFSET = 5e-9;
export const unixDay = (julianDay: number) => Math.trunc(julianDay - 2_440_587.5 + DAY_OFFSET);
/** The same as `unixDay`, in SQL, for a julian-day expression. */
export const unixDaySql = (julian: string) => `CAST(${julian} - 2440587.5 + ${DAY_OFFSET} AS INTEGER)`;

export const ASSIGNED = '_assigned';
export const OVERALL = '';

/** Breakdowns kept for the primary metric: name → column of assignment_progress. */
export const DIMENSIONS = { ...BREAKDOWN_COLUMNS, coach: 'coach_id' } as const;
/**
 * The subgroup of a person whose characteristics are not held: an erased
 * person's are removed, so they move here in every breakdown (docs/decisions/0033).
 */
export const NOT_RECORDED = 'not_recorded';
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

const projections = new WeakMap<object, ProgressProjection>();

/** The projection for a database, created once per connection (it prepares many statements). */
export function progressProjectionFor(db: Db): ProgressProjection {
  let projection = projections.get(db.$client);
  if (!projection) {
    projection = createProgressProjection(db);
    projections.set(db.$client, projection);
  }
  return projection;
}

/** Brings the read model up to date; every reader of it calls this first. */
export function catchUpProgress(db: Db): void {
  progressProjectionFor(db).catchUp();
}

function createProgressProjection(db: Db) {
  const sqlite = db.$client;
  const checkpoint = sqlite.prepare('SELECT last_id FROM projection_checkpoints WHERE source = ?').pluck();
  const saveCheckpoint = sqlite.prepare(
    'INSERT INTO projection_checkpoints (source, last_id) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id',
  );
  // New events as they now count: one corrected or withdrawn before this catch-up is taken in corrected, or not at all.
  const newEvents = sqlite.prepare(`
    SELECT o.id, o.contact_id AS contactId, o.stage, ${effectiveColumn('occurred_at')} AS occurredAt, ${effectiveColumn('value')} AS value
    FROM outcome_events o ${latestCorrectionJoin()}
    WHERE o.id > ? AND o.id <= ? AND ${notWithdrawn()} ORDER BY o.id`);
  const correctedContacts = sqlite
    .prepare('SELECT DISTINCT o.contact_id FROM outcome_corrections k JOIN outcome_events o ON o.id = k.event_id WHERE k.id > ? AND k.id <= ?')
    .pluck();
  const maxIds = sqlite.prepare(
    `SELECT (SELECT COALESCE(MAX(id), 0) FROM assignments) AS assignments, (SELECT COALESCE(MAX(id), 0) FROM outcome_events) AS events,
       (SELECT COALESCE(MAX(id), 0) FROM outcome_corrections) AS corrections`,
  );
  type Latest = { assignments: number; events: number; corrections: number };
  let scheduled: NodeJS.Timeout | null = null;

  const addTally = sqlite.prepare(`
    INSERT INTO progress_tallies (experiment_id, dimension, dimension_value, stage, arm_id, day, people, value_sum, value_sum_squares)
    VALUES (@experimentId, @dimension, @dimensionValue, @stage, @armId, @day, @people, @valueSum, @valueSumSquares)
    ON CONFLICT DO UPDATE SET people = people + excluded.people, value_sum = value_sum + excluded.value_sum,
      value_sum_squares = value_sum_squares + excluded.value_sum_squares`);

  /** Adds (sign +1) or removes (−1) one person reaching `stage` on `day`, in every tally it belongs to. */
  // Changes to tallies are summed in memory over a catch-up and written once per tally.
  type TallyChange = { experimentId: number; dimension: string; dimensionValue: string; stage: string; armId: number; day: number; people: number; valueSum: number; valueSumSquares: number };
  const pending = new Map<string, TallyChange>();
  function change(key: Omit<TallyChange, 'people' | 'valueSum' | 'valueSumSquares'>, sign: 1 | -1, value: number | null) {
    const id = `${key.experimentId}|${key.dimension}|${key.dimensionValue}|${key.stage}|${key.armId}|${key.day}`;
    const entry = pending.get(id) ?? { ...key, people: 0, valueSum: 0, valueSumSquares: 0 };
    entry.people += sign;
    entry.valueSum += sign * (value ?? 0);
    entry.valueSumSquares += sign * (value ?? 0) ** 2;
    pending.set(id, entry);
  }
  function tally(row: ProgressRow, stage: string, day: number, value: number | null, sign: 1 | -1) {
    const key = { experimentId: row.experiment_id, stage, armId: row.arm_id, day };
    change({ ...key, dimension: OVERALL, dimensionValue: OVERALL }, sign, value);
    if (stage === ASSIGNED || stage === row.primary_metric)
      for (const [dimension, column] of Object.entries(DIMENSIONS)) change({ ...key, dimension, dimensionValue: dimensionValue(column, row) }, sign, value);
  }
  function flushTallies() {
    for (const entry of pending.values()) if (entry.people !== 0 || entry.valueSum !== 0 || entry.valueSumSquares !== 0) addTally.run(entry);
    pending.clear();
  }

  const rowsForContact = sqlite.prepare(`
    SELECT p.*, e.primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.contact_id = ? AND p.assigned_day <= ?`);
  const julianOf = sqlite.prepare('SELECT julianday(?) AS day').pluck();
  const updateStage = new Map<string, ReturnType<typeof sqlite.prepare>>(
    STAGES.map((stage) => [
      stage.key as string,
      sqlite.prepare(
        `UPDATE assignment_progress SET ${stage.key}_day = @stageDay${VALUED.has(stage.key) ? `, ${stage.key}_value = @value` : ''}
         WHERE experiment_id = @experimentId AND assignment_id = @assignmentId`,
      ),
    ]),
  );

  // Recomputes progress rows from the raw records in one grouped join over a person's events.
  // A scored stage's first value comes from the earliest event: ISO timestamps have a fixed
  // width (toISOString), so MIN over "timestamp|value" orders by time.
  const occurredAt = effectiveColumn('occurred_at');
  const stageAggregates = STAGES.flatMap((stage) => {
    const after = `o.stage = '${stage.key}' AND ${notWithdrawn()} AND julianday(${occurredAt}) >= julianday(a.assigned_at)`;
    const parts = [`MIN(CASE WHEN ${after} THEN julianday(${occurredAt}) END) - julianday(a.assigned_at)`];
    if (VALUED.has(stage.key)) parts.push(`CAST(substr(MIN(CASE WHEN ${after} THEN ${occurredAt} || '|' || ${effectiveColumn('value')} END), 26) AS REAL)`);
    return parts;
  });
  // An erased person's row in contacts holds a placeholder, never their characteristics: null here.
  const characteristicsSql = ['health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work']
    .map((column) => `CASE WHEN c.erased_at IS NULL THEN c.${column} END`)
    .join(', ');
  const stageColumns = STAGES.flatMap((stage) => (VALUED.has(stage.key) ? [`${stage.key}_day`, `${stage.key}_value`] : [`${stage.key}_day`]));
  const recomputeProgress = (where: string) =>
    sqlite.prepare(`
      INSERT INTO assignment_progress (experiment_id, assignment_id, contact_id, arm_id, coach_id, health_group, age_band, sex,
        ethnicity_group, caring, time_on_benefits, previous_work, assigned_day, ${stageColumns.join(', ')})
      SELECT a.experiment_id, a.id, a.contact_id, a.arm_id, c.coach_id, ${characteristicsSql}, julianday(a.assigned_at), ${stageAggregates.join(', ')}
      FROM assignments a
      JOIN contacts c ON c.id = a.contact_id
      LEFT JOIN outcome_events o ON o.contact_id = a.contact_id
      ${latestCorrectionJoin()}
      WHERE ${where}
      GROUP BY a.id`);
  const recomputeAssignments = recomputeProgress('a.id IN (SELECT value FROM json_each(?))');
  const rowsForAssignments = sqlite.prepare(`
    SELECT p.*, e.primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id
    WHERE p.assignment_id IN (SELECT value FROM json_each(?))`);
  const assignmentsWithoutRows = sqlite
    .prepare('SELECT a.id FROM assignments a WHERE a.id > ? AND NOT EXISTS (SELECT 1 FROM assignment_progress p WHERE p.assignment_id = a.id) ORDER BY a.id')
    .pluck();
  const recomputeExperiment = recomputeProgress('a.experiment_id = ?');
  const progressRowsOfContact = sqlite.prepare(`
    SELECT p.*, e.primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id WHERE p.contact_id = ?`);
  const deleteAssignmentRows = sqlite.prepare('DELETE FROM assignment_progress WHERE assignment_id IN (SELECT value FROM json_each(?))');

  // Rebuilds an experiment's tallies from its progress rows with grouped inserts.
  const tallyInsert = (dimension: string, dimensionColumn: string | null, stage: string) => {
    const dayExpression = stage === ASSIGNED ? 'assigned_day' : `assigned_day + ${stage}_day`;
    const value = VALUED.has(stage) ? `${stage}_value` : '0';
    return sqlite.prepare(`
      INSERT INTO progress_tallies (experiment_id, dimension, dimension_value, stage, arm_id, day, people, value_sum, value_sum_squares)
      SELECT experiment_id, '${dimension}', ${dimensionColumn ? dimensionValueSql(dimensionColumn) : "''"}, '${stage}', arm_id,
        ${unixDaySql(dayExpression)}, COUNT(*), TOTAL(${value}), TOTAL(${value} * ${value})
      FROM assignment_progress
      WHERE experiment_id = @experimentId ${stage === ASSIGNED ? '' : `AND ${stage}_day IS NOT NULL`}
      GROUP BY 2, 3, 4, 5, 6`);
  };
  const overallTallies = [ASSIGNED, ...STAGES.map((s) => s.key as string)].map((stage) => tallyInsert(OVERALL, null, stage));
  const dimensionTallies = new Map<string, ReturnType<typeof sqlite.prepare>[]>();
  const dimensionTalliesFor = (stage: string) => {
    if (!dimensionTallies.has(stage))
      dimensionTallies.set(stage, Object.entries(DIMENSIONS).map(([dimension, column]) => tallyInsert(dimension, column, stage)));
    return dimensionTallies.get(stage)!;
  };

  function rebuildExperiment(experimentId: number, primaryMetric: string) {
    sqlite.prepare('DELETE FROM assignment_progress WHERE experiment_id = ?').run(experimentId);
    sqlite.prepare('DELETE FROM progress_tallies WHERE experiment_id = ?').run(experimentId);
    recomputeExperiment.run(experimentId);
    for (const statement of [...overallTallies, ...dimensionTalliesFor(ASSIGNED), ...dimensionTalliesFor(primaryMetric)]) statement.run({ experimentId });
  }

  /**
   * Adds the progress rows and tallies of new assignments (one grouped recompute for
   * the batch), taking in any events already after them. Rows already there, from a
   * rebuild, are left as they are.
   */
  function recordAssignments(afterId: number): number {
    const ids = assignmentsWithoutRows.all(afterId) as number[];
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    recomputeAssignments.run(list);
    for (const row of rowsForAssignments.all(list) as ProgressRow[]) tallyRow(row, 1);
    return ids.length;
  }

  /**
   * Moves on every assignment the person has that began before the event, when
   * the event is their first of that stage (or earlier than the one recorded).
   * Taking in an event twice changes nothing, so the order of catch-up does not matter.
   */
  function recordEvent(event: { contactId: number; stage: string; occurredAt: string; value: number | null }): void {
      const eventDay = julianOf.get(event.occurredAt) as number;
      for (const row of rowsForContact.all(event.contactId, eventDay) as ProgressRow[]) {
        const stageDay = eventDay - row.assigned_day;
        const previous = row[`${event.stage}_day`] as number | null;
        if (previous !== null && previous <= stageDay) continue;
        if (previous !== null) tally(row, event.stage, unixDay(row.assigned_day + previous), (row[`${event.stage}_value`] as number | null) ?? null, -1);
        updateStage.get(event.stage)!.run({ stageDay, value: event.value, experimentId: row.experiment_id, assignmentId: row.assignment_id });
        tally(row, event.stage, unixDay(row.assigned_day + stageDay), VALUED.has(event.stage) ? event.value : null, 1);
      }
  }

  const rowsForContactAll = sqlite.prepare(`
    SELECT p.*, e.primary_metric FROM assignment_progress p JOIN experiments e ON e.id = p.experiment_id WHERE p.contact_id = ?`);
  const clearCharacteristics = sqlite.prepare(`
    UPDATE assignment_progress SET ${CHARACTERISTIC_DIMENSIONS.map(([, column]) => `${column} = NULL`).join(', ')} WHERE contact_id = ?`);
  const dropEmptyTallies = sqlite.prepare(
    "DELETE FROM progress_tallies WHERE experiment_id = ? AND dimension <> '' AND people = 0 AND abs(value_sum) < 1e-9 AND abs(value_sum_squares) < 1e-9",
  );

  /**
   * Moves a person, in every characteristic breakdown, to "not recorded", and
   * clears their characteristics from their progress rows. Overall tallies and
   * the coach breakdown are not touched, so no overall figure changes.
   */
  function forgetCharacteristics(contactId: number, experiments: Set<number>): void {
    for (const row of rowsForContactAll.all(contactId) as ProgressRow[]) {
      experiments.add(row.experiment_id);
      const primaryDay = row[`${row.primary_metric}_day`] as number | null;
      const moves: [string, number, number | null][] = [[ASSIGNED, unixDay(row.assigned_day), null]];
      if (primaryDay !== null) moves.push([row.primary_metric, unixDay(row.assigned_day + primaryDay), (row[`${row.primary_metric}_value`] as number | null) ?? null]);
      for (const [stage, day, value] of moves) {
        for (const [dimension, column] of CHARACTERISTIC_DIMENSIONS) {
          const key = { experimentId: row.experiment_id, stage, armId: row.arm_id, day, dimension };
          change({ ...key, dimensionValue: dimensionValue(column, row) }, -1, value);
          change({ ...key, dimensionValue: NOT_RECORDED }, 1, value);
        }
      }
    }
    clearCharacteristics.run(contactId);
  }

  /** Every stage a progress row has reached, added to (+1) or taken from (−1) the tallies. */
  function tallyRow(row: ProgressRow, sign: 1 | -1) {
    tally(row, ASSIGNED, unixDay(row.assigned_day), null, sign);
    for (const stage of STAGES) {
      const stageDay = row[`${stage.key}_day`] as number | null;
      if (stageDay !== null) tally(row, stage.key, unixDay(row.assigned_day + stageDay), (row[`${stage.key}_value`] as number | null) ?? null, sign);
    }
  }

  /**
   * After a correction: recomputes the person's progress rows from the raw records
   * and moves the tallies by −old row, +new row. Doing it twice changes nothing.
   */
  function recomputeContact(contactId: number): void {
    const before = progressRowsOfContact.all(contactId) as ProgressRow[];
    if (before.length === 0) return;
    const ids = JSON.stringify(before.map((row) => row.assignment_id));
    deleteAssignmentRows.run(ids);
    recomputeAssignments.run(ids);
    for (const row of before) tallyRow(row, -1);
    for (const row of rowsForAssignments.all(ids) as ProgressRow[]) tallyRow(row, 1);
  }

  const catchUpInTransaction = sqlite.transaction(() => {
    const latest = maxIds.get() as Latest;
    const lastAssignment = (checkpoint.get('assignments') as number | undefined) ?? 0;
    const assigned = latest.assignments > lastAssignment ? recordAssignments(lastAssignment) : 0;
    if (latest.assignments > lastAssignment) saveCheckpoint.run('assignments', latest.assignments);
    const lastEvent = (checkpoint.get('events') as number | undefined) ?? 0;
    const events = newEvents.all(lastEvent, latest.events) as { id: number; contactId: number; stage: string; occurredAt: string; value: number | null }[];
    for (const event of events) recordEvent(event);
    // Withdrawn events are not in `events`, so the checkpoint moves to the newest event written.
    if (latest.events > lastEvent) saveCheckpoint.run('events', latest.events);
    const lastCorrection = (checkpoint.get('corrections') as number | undefined) ?? 0;
    const contactsCorrected = latest.corrections > lastCorrection ? (correctedContacts.all(lastCorrection, latest.corrections) as number[]) : [];
    for (const contactId of contactsCorrected) recomputeContact(contactId);
    if (latest.corrections > lastCorrection) saveCheckpoint.run('corrections', latest.corrections);
    flushTallies();
    return assigned + events.length + contactsCorrected.length;
  });

  return {
    /** Takes in every assignment and event written since the last catch-up; returns how many. */
    catchUp(): number {
      // Readers call this on every report: look first, and take the write lock only when behind.
      const latest = maxIds.get() as Latest;
      const upToDate =
        ((checkpoint.get('assignments') as number | undefined) ?? 0) >= latest.assignments &&
        ((checkpoint.get('events') as number | undefined) ?? 0) >= latest.events &&
        ((checkpoint.get('corrections') as number | undefined) ?? 0) >= latest.corrections;
      return upToDate ? 0 : catchUpInTransaction.immediate();
    },

    /** Asks for a catch-up shortly, so a burst of writes is taken in together. */
    scheduleCatchUp(): void {
      if (scheduled) return;
      scheduled = setTimeout(() => {
        scheduled = null;
        if (!sqlite.open) return;
        try {
          catchUpInTransaction.immediate();
        } catch (error) {
          // Readers catch up for themselves, so nothing is lost; say so without personal data.
          console.error(`[progress] catch-up failed, readers will retry: ${(error as Error).message}`);
        }
      }, CATCH_UP_DELAY_MS);
      scheduled.unref();
    },

    /**
     * Takes in everything written so far, then removes the characteristics of
     * erased people from the read model (see forgetCharacteristics). Run inside
     * the erasure's transaction.
     */
    forgetCharacteristics(contactIds: readonly number[]): void {
      sqlite.transaction(() => {
        catchUpInTransaction();
        const experiments = new Set<number>();
        for (const contactId of contactIds) forgetCharacteristics(contactId, experiments);
        flushTallies();
        // A rebuild makes no tally for a subgroup nobody is in: neither does this.
        for (const experimentId of experiments) dropEmptyTallies.run(experimentId);
      }).immediate();
    },

    /** Recomputes an experiment's read model (or every experiment's) from assignments and outcome events. */
    /** Recomputes an experiment's read model (or every experiment's) from assignments, outcome events and their corrections. */
    rebuild(experimentId?: number): void {
      const experiments = sqlite.prepare(`SELECT id, primary_metric AS primaryMetric FROM experiments ${experimentId === undefined ? '' : 'WHERE id = ?'}`);
      const list = (experimentId === undefined ? experiments.all() : experiments.all(experimentId)) as { id: number; primaryMetric: string }[];
      sqlite.transaction(() => {
        const latest = maxIds.get() as Latest;
        for (const experiment of list) rebuildExperiment(experiment.id, experiment.primaryMetric);
        // A full rebuild has taken in everything. After one experiment's, the checkpoints stay
        // where they were: catching up again changes nothing in the rebuilt rows.
        if (experimentId === undefined) {
          saveCheckpoint.run('assignments', latest.assignments);
          saveCheckpoint.run('events', latest.events);
          saveCheckpoint.run('corrections', latest.corrections);
        }
      }).immediate();
    },
  };
}

export type ProgressProjection = ReturnType<typeof createProgressProjection>;
