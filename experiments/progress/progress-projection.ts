import type { Db } from '../../server/db/database.ts';
import { STAGES } from '../vocabulary.ts';
import { ASSIGNED, DIMENSIONS, NOT_RECORDED, OVERALL } from './read-model-names.ts';
import { CHARACTERISTIC_DIMENSIONS, createProgressStore, DAY_OFFSET, VALUED, type Latest, type ProgressRow, type TallyChange, type TallyKey } from './progress-store.ts';
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

/** julianday() of a time, as SQLite computes it. */
export const toJulianDay = (date: Date) => date.getTime() / 86_400_000 + 2_440_587.5;

/**
 * The UTC day (days since 1970-01-01) of a julian day, as the store's unixDaySql
 * computes it in SQL (see DAY_OFFSET), so both agree.
 */
export const unixDay = (julianDay: number) => Math.trunc(julianDay - 2_440_587.5 + DAY_OFFSET);

export { ASSIGNED, DIMENSIONS, NOT_RECORDED, OVERALL };
const dimensionValue = (column: string, row: Record<string, unknown>) =>
  row[column] === null || row[column] === undefined ? NOT_RECORDED : column === 'caring' ? (row.caring ? 'caring' : 'not caring') : String(row[column]);

/** How long writes may gather before the read model takes them in. */
const CATCH_UP_DELAY_MS = 25;
/** The job name under which catch-ups (and rebuilds) run one at a time across instances. */
export const CATCH_UP_JOB = 'progress-catch-up';
/** How long a reader waits for another instance's catch-up before it gives up with an error. */
const WAIT_LIMIT_MS = 60_000;

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

function createProgressProjection(db: Db) {
  const store = createProgressStore(db);

  /**
   * True when the checkpoints are at or past every id visible now. A checkpoint
   * only ever moves to ids that were settled, so everything at or below it is
   * in the read model: a record committed before this look is already counted.
   */
  async function upToDate(): Promise<boolean> {
    const row = await store.latestAndCheckpoints();
    return (row.assignmentsAt ?? 0) >= row.assignments && (row.eventsAt ?? 0) >= row.events && (row.correctionsAt ?? 0) >= row.corrections;
  }

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
        if (e.people !== 0 || e.valueSum !== 0 || e.valueSumSquares !== 0) await store.addTally(e);
      pending.clear();
    }
    return { change, tally, tallyRow, flush };
  }
  type TallyBatch = ReturnType<typeof tallyBatch>;

  /**
   * Adds the progress rows and tallies of new assignments up to `upTo` (one
   * grouped recompute for the batch), taking in any events already after them.
   * Rows already there, from a rebuild, are left as they are.
   */
  async function recordAssignments(afterId: number, upTo: number, batch: TallyBatch): Promise<number> {
    const ids = await store.assignmentsWithoutRows(afterId, upTo);
    if (ids.length === 0) return 0;
    await store.recomputeAssignments(ids);
    for (const row of await store.rowsForAssignments(ids)) batch.tallyRow(row, 1);
    return ids.length;
  }

  /**
   * Moves on every assignment the person has that began before the event, when
   * the event is their first of that stage (or earlier than the one recorded).
   * Taking in an event twice changes nothing, so the order of catch-up does not matter.
   */
  async function recordEvent(event: { contactId: number; stage: string; julianDay: number; value: number | null }, batch: TallyBatch): Promise<void> {
    const eventDay = event.julianDay;
    for (const row of await store.rowsForContactBefore(event.contactId, eventDay)) {
      const stageDay = eventDay - row.assigned_day;
      const previous = row[`${event.stage}_day`] as number | null;
      if (previous !== null && previous <= stageDay) continue;
      if (previous !== null) batch.tally(row, event.stage, unixDay(row.assigned_day + previous), (row[`${event.stage}_value`] as number | null) ?? null, -1);
      await store.setStage(row, event.stage, stageDay, event.value);
      batch.tally(row, event.stage, unixDay(row.assigned_day + stageDay), VALUED.has(event.stage) ? event.value : null, 1);
    }
  }

  /**
   * Moves a person, in every characteristic breakdown, to "not recorded", and
   * clears their characteristics from their progress rows. Overall tallies and
   * the coach breakdown are not touched, so no overall figure changes.
   */
  async function forgetContact(contactId: number, experiments: Set<number>, batch: TallyBatch): Promise<void> {
    for (const row of await store.rowsOfContact(contactId)) {
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
    await store.clearCharacteristics(contactId);
  }

  /**
   * After a correction: recomputes the person's progress rows from the raw records
   * and moves the tallies by −old row, +new row. Doing it twice changes nothing.
   */
  async function recomputeContact(contactId: number, batch: TallyBatch): Promise<void> {
    const before = await store.rowsOfContact(contactId);
    if (before.length === 0) return;
    const ids = before.map((row) => row.assignment_id);
    await store.deleteAssignmentRows(ids);
    await store.recomputeAssignments(ids);
    for (const row of before) batch.tallyRow(row, -1);
    for (const row of await store.rowsForAssignments(ids)) batch.tallyRow(row, 1);
  }

  /**
   * One batch: every assignment, event and correction after the checkpoints and
   * at or below `latest` (settled ids), with the checkpoint moves and tally
   * changes in one transaction. Checkpoints never move back, so a batch whose
   * ids another has already passed changes nothing.
   */
  async function takeIn(latest: Latest): Promise<number> {
    return db.withTransaction(async () => {
      await store.lockReadModel();
      const batch = tallyBatch();
      const at = await store.checkpoints();
      let assigned = 0;
      if (latest.assignments > at.assignments) {
        assigned = await recordAssignments(at.assignments, latest.assignments, batch);
        await store.saveCheckpoint('assignments', latest.assignments);
      }
      let events = 0;
      if (latest.events > at.events) {
        const rows = await store.newEvents(at.events, latest.events);
        for (const event of rows) await recordEvent(event, batch);
        events = rows.length;
        // Withdrawn events are not in `rows`, so the checkpoint moves to the newest settled event.
        await store.saveCheckpoint('events', latest.events);
      }
      let corrected = 0;
      if (latest.corrections > at.corrections) {
        const contacts = await store.correctedContacts(at.corrections, latest.corrections);
        for (const contactId of contacts) await recomputeContact(contactId, batch);
        corrected = contacts.length;
        await store.saveCheckpoint('corrections', latest.corrections);
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
  const catchUpOnce = () => db.exclusively(CATCH_UP_JOB, () => holding(async () => takeIn(await settledSourceIds(db, store.latest))));

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
        await store.lockReadModel();
        const batch = tallyBatch();
        const experiments = new Set<number>();
        for (const contactId of contactIds) await forgetContact(contactId, experiments, batch);
        await batch.flush();
        // A rebuild makes no tally for a subgroup nobody is in: neither does this.
        for (const experimentId of [...experiments].sort((a, b) => a - b)) await store.dropEmptyTallies(experimentId);
      });
    },

    /** Recomputes an experiment's read model (or every experiment's) from assignments, outcome events and their corrections. */
    async rebuild(experimentId?: number): Promise<void> {
      await whenFree(() =>
        db.exclusively(CATCH_UP_JOB, () => holding(async () => {
          const latest = await settledSourceIds(db, store.latest);
          await db.withTransaction(async () => {
            await store.lockReadModel();
            for (const experiment of await store.experiments(experimentId)) await store.rebuildExperiment(experiment.id, experiment.primaryMetric);
            // A full rebuild has taken in everything up to the settled ids (rows after them that it
            // saw are taken in again by the next catch-up, which changes nothing). After one
            // experiment's, the checkpoints stay where they were: catching up again changes
            // nothing in the rebuilt rows.
            if (experimentId === undefined) {
              await store.saveCheckpoint('assignments', latest.assignments);
              await store.saveCheckpoint('events', latest.events);
              await store.saveCheckpoint('corrections', latest.corrections);
            }
          });
        })),
      );
    },
  };
}

export type ProgressProjection = ReturnType<typeof createProgressProjection>;
