import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, HttpError, NotFoundError } from '../../server/errors.ts';
import type { Role } from '../vocabulary.ts';
import type { ContactRow } from '../contacts/contact-service.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { AssignmentService } from '../assignment/assignment-service.ts';
import { screenForExperiment } from '../assignment/eligibility.ts';
import { createClusterCodes } from '../assignment/cluster-code.ts';
import { JOURNEY_POINT_STAGES, readyForJourneyPhase } from '../assignment/journey-point.ts';

/**
 * Enrolling many people into a running experiment at once: everyone at some
 * sites, on some coaches' caseloads, or in a list of references. A preview
 * says how many would join and why the others would not, without writing;
 * the enrolment then runs through the assignment service (so every rule of
 * permanent assignment applies) in chunks of CHUNK_SIZE per transaction, with
 * the event loop let go between chunks, so other users are never held up.
 * See docs/decisions/0036.
 */

export const CHUNK_SIZE = 500;

export interface EnrolmentSelection {
  siteIds: number[];
  coachIds: number[];
  references: string[];
}

/** Why someone selected is not put forward, or not assigned. */
export const EXCLUSION_REASONS = ['already_in', 'opted_out', 'in_other_experiment', 'past_this_point', 'not_eligible', 'outside_coverage', 'not_found'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface EnrolmentPreview {
  /** People the selection names (found). */
  selected: number;
  toEnrol: number;
  /** By arm: predicted with the real hash for hashing; expected from the weights for permuted blocks. */
  byArm: { key: string; name: string; count: number }[];
  armCounts: 'predicted' | 'expected';
  excluded: Record<ExclusionReason, number>;
  /** References in the list that match nobody (the first 20). */
  notFound: string[];
}

export interface EnrolmentBatch {
  id: number;
  experimentKey: string;
  description: string;
  status: 'previewed' | 'running' | 'finished' | 'stopped';
  total: number;
  done: number;
  assigned: number;
  notAssigned: Partial<Record<ExclusionReason, number>>;
  message: string | null;
  createdBy: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const STALLED_MS = 60_000;
const normalised = (reference: string) => reference.trim().toUpperCase().replace(/-/g, '');

const emptyExclusions = (): Record<ExclusionReason, number> => Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;

export function createEnrolmentService(db: Db, clock: Clock, experiments: ExperimentService, assignments: AssignmentService) {
  const sqlite = db.$client;
  const clusterCode = createClusterCodes(db);
  const selectContacts = sqlite.prepare(`
    SELECT id, reference, coach_id AS coachId, site_id AS siteId, health_group AS healthGroup, age_band AS ageBand, sex,
      ethnicity_group AS ethnicityGroup, caring, time_on_benefits AS timeOnBenefits, previous_work AS previousWork,
      benefit_type AS benefitType, preferred_channel AS preferredChannel, adjustments, opted_out_at AS optedOutAt,
      created_at AS createdAt, updated_at AS updatedAt
    FROM contacts
    WHERE site_id IN (SELECT value FROM json_each(@sites))
       OR coach_id IN (SELECT value FROM json_each(@coaches))
       OR replace(upper(reference), '-', '') IN (SELECT value FROM json_each(@references))
    ORDER BY id`);
  const assignedHere = sqlite.prepare('SELECT contact_id AS id FROM assignments WHERE experiment_id = ?').pluck();
  // Someone in another experiment of the same journey phase that has not concluded gets no second arm (as for coaches).
  const inOtherOfPhase = sqlite
    .prepare(
      `SELECT DISTINCT a.contact_id FROM assignments a JOIN experiments e ON e.id = a.experiment_id
       WHERE e.journey_phase = ? AND e.status != 'concluded' AND e.id != ?`,
    )
    .pluck();
  const reachedStages = sqlite.prepare(
    `SELECT DISTINCT contact_id AS contactId, stage FROM outcome_events WHERE stage IN (SELECT value FROM json_each(?))`,
  );
  const insertBatch = sqlite.prepare(`
    INSERT INTO enrolment_batches (experiment_id, selection, description, status, total, created_by, created_at)
    VALUES (?, ?, ?, 'previewed', ?, ?, ?) RETURNING id`);
  const batchRow = sqlite.prepare(`
    SELECT b.id, e.key AS experimentKey, b.selection, b.description, b.status, b.total, b.done, b.assigned, b.not_assigned AS notAssigned,
      b.message, b.created_by AS createdBy, b.created_at AS createdAt, b.started_at AS startedAt, b.heartbeat_at AS heartbeatAt, b.finished_at AS finishedAt
    FROM enrolment_batches b JOIN experiments e ON e.id = b.experiment_id WHERE b.id = ?`);
  const markStarted = sqlite.prepare(`UPDATE enrolment_batches SET status = 'running', total = ?, not_assigned = ?, started_at = coalesce(started_at, ?), heartbeat_at = ? WHERE id = ?`);
  const saveProgress = sqlite.prepare('UPDATE enrolment_batches SET done = ?, assigned = ?, not_assigned = ?, heartbeat_at = ? WHERE id = ?');
  const finish = sqlite.prepare('UPDATE enrolment_batches SET status = ?, message = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?');
  const userRow = sqlite.prepare('SELECT id, username, display_name AS displayName, role FROM users WHERE id = ?');
  const running = new Map<number, Promise<EnrolmentBatch>>();

  /** Sorts the people a selection names into those to put forward and the reasons the others are left out. */
  function classify(experiment: ExperimentView, selection: EnrolmentSelection) {
    const typed = new Map<string, string>();
    for (const reference of selection.references) if (normalised(reference) && !typed.has(normalised(reference))) typed.set(normalised(reference), reference.trim());
    const wanted = [...typed.keys()];
    const rows = (selectContacts.all({ sites: JSON.stringify(selection.siteIds), coaches: JSON.stringify(selection.coachIds), references: JSON.stringify(wanted) }) as (Omit<ContactRow, 'caring'> & { caring: number })[]).map(
      (row) => ({ ...row, caring: row.caring === 1 }) as ContactRow,
    );
    const found = new Set(rows.map((r) => normalised(r.reference)));
    const notFound = wanted.filter((r) => !found.has(r)).map((r) => typed.get(r)!);
    const already = new Set(assignedHere.all(experiment.id) as number[]);
    const otherOfPhase = new Set(inOtherOfPhase.all(experiment.journeyPhase, experiment.id) as number[]);
    const reached = new Map<number, Set<string>>();
    for (const { contactId, stage } of reachedStages.all(JSON.stringify(JOURNEY_POINT_STAGES)) as { contactId: number; stage: string }[]) {
      if (!reached.has(contactId)) reached.set(contactId, new Set());
      reached.get(contactId)!.add(stage);
    }
    const excluded = emptyExclusions();
    excluded.not_found = notFound.length;
    const toEnrol: { row: ContactRow; armIndex: number }[] = [];
    const none = new Set<string>();
    for (const row of rows) {
      let reason: ExclusionReason | null = null;
      let armIndex = -1;
      if (already.has(row.id)) reason = 'already_in';
      else if (row.optedOutAt) reason = 'opted_out';
      else if (otherOfPhase.has(row.id)) reason = 'in_other_experiment';
      else if (!readyForJourneyPhase(experiment.journeyPhase, reached.get(row.id) ?? none)) reason = 'past_this_point';
      else {
        const screening = screenForExperiment(experiment, row, contactAttributes(row), clusterCode(experiment.randomisationUnit, row));
        if (screening.eligible) armIndex = screening.hashed.armIndex;
        else reason = screening.reason;
      }
      if (reason) excluded[reason]++;
      else toEnrol.push({ row, armIndex });
    }
    return { rows, toEnrol, excluded, notFound };
  }

  function toBatch(row: Record<string, unknown> | undefined): EnrolmentBatch & { selection: EnrolmentSelection; heartbeatAt: string | null } {
    if (!row) throw new NotFoundError('Enrolment');
    return { ...(row as unknown as EnrolmentBatch & { heartbeatAt: string | null }), selection: JSON.parse(row.selection as string), notAssigned: JSON.parse(row.notAssigned as string) };
  }

  async function run(batchId: number, user: CurrentUser, chunkSize: number): Promise<EnrolmentBatch> {
    const batch = toBatch(batchRow.get(batchId) as never);
    const experiment = experiments.get(batch.experimentKey);
    const { toEnrol, excluded } = classify(experiment, batch.selection);
    // A resumed batch keeps what it did; people it already assigned are now simply "already in".
    const resumed = batch.status === 'running';
    const counts: Partial<Record<ExclusionReason, number>> = resumed ? batch.notAssigned : Object.fromEntries(Object.entries(excluded).filter(([, n]) => n > 0));
    let done = resumed ? batch.done : 0;
    let assigned = resumed ? batch.assigned : 0;
    const at = () => clock.now().toISOString();
    markStarted.run(done + toEnrol.length, JSON.stringify(counts), at(), at(), batchId);
    try {
      for (let start = 0; start < toEnrol.length; start += chunkSize) {
        const chunk = toEnrol.slice(start, start + chunkSize);
        sqlite
          .transaction(() => {
            for (const { row } of chunk) {
              const result = assignments.assign(user, experiment.key, row.reference);
              if (result.assigned) assigned += result.created ? 1 : 0;
              else counts[result.reason] = (counts[result.reason] ?? 0) + 1;
            }
            done += chunk.length;
            saveProgress.run(done, assigned, JSON.stringify(counts), at(), batchId);
          })
          .immediate();
        // Let other requests in between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      finish.run('finished', null, at(), at(), batchId);
    } catch (error) {
      const message = error instanceof HttpError && error.status < 500 ? error.message : 'The enrolment stopped because of an unexpected error';
      finish.run('stopped', message, at(), at(), batchId);
      if (!(error instanceof HttpError && error.status < 500)) throw error;
    }
    return toBatch(batchRow.get(batchId) as never);
  }

  function launch(batchId: number, user: CurrentUser, chunkSize: number): Promise<EnrolmentBatch> {
    const work = run(batchId, user, chunkSize).finally(() => running.delete(batchId));
    running.set(batchId, work);
    return work;
  }

  return {
    /** What enrolling this selection would do now, writing nothing. */
    preview(experimentKey: string, selection: EnrolmentSelection): EnrolmentPreview {
      const experiment = experiments.get(experimentKey);
      const { rows, toEnrol, excluded, notFound } = classify(experiment, selection);
      const phase = experiment.phase;
      // Permuted blocks: the next arms depend on the order people arrive in, and showing
      // them would reveal the block sequence, so the preview gives the split the weights expect.
      const predicted = experiment.randomisation === 'hash';
      const byArm = phase.armKeys.map((key, i) => ({
        key,
        name: experiment.arms.find((a) => a.key === key)?.name ?? key,
        count: predicted ? toEnrol.filter((p) => p.armIndex === i).length : Math.round(toEnrol.length * phase.weights[i]),
      }));
      return { selected: rows.length, toEnrol: toEnrol.length, byArm, armCounts: predicted ? 'predicted' : 'expected', excluded, notFound: notFound.slice(0, 20) };
    },

    /** Keeps a previewed selection, so the confirmation enrols exactly what was previewed. */
    prepare(experimentKey: string, selection: EnrolmentSelection, description: string, userId: number, expected: number): number {
      const experiment = experiments.get(experimentKey);
      if (experiment.status !== 'running') throw new ConflictError(`The experiment is ${experiment.status}, so nobody new can be enrolled`);
      return (insertBatch.get(experiment.id, JSON.stringify(selection), description, expected, userId, clock.now().toISOString()) as { id: number }).id;
    },

    /**
     * Starts a previewed enrolment in the background and returns its promise
     * (settled when the last chunk is in). Starting it twice does nothing more.
     */
    start(batchId: number, user: CurrentUser, options: { chunkSize?: number } = {}): Promise<EnrolmentBatch> {
      const batch = toBatch(batchRow.get(batchId) as never);
      const inFlight = running.get(batchId);
      if (inFlight) return inFlight;
      if (batch.status !== 'previewed') return Promise.resolve(batch);
      if (batch.createdBy !== user.id) throw new ConflictError('Only the analyst who previewed this enrolment can confirm it');
      return launch(batchId, user, options.chunkSize ?? CHUNK_SIZE);
    },

    get(batchId: number): EnrolmentBatch {
      const { selection: _selection, heartbeatAt: _heartbeat, ...batch } = toBatch(batchRow.get(batchId) as never);
      return batch;
    },

    /**
     * Picks up a batch whose process stopped mid-way (no progress for a minute
     * and not running here): assignment is idempotent, so it carries on safely.
     */
    resumeIfStalled(batchId: number): boolean {
      const batch = toBatch(batchRow.get(batchId) as never);
      if (batch.status !== 'running' || running.has(batchId)) return false;
      if (batch.heartbeatAt && clock.now().getTime() - new Date(batch.heartbeatAt).getTime() < STALLED_MS) return false;
      const row = userRow.get(batch.createdBy) as { id: number; username: string; displayName: string; role: Role };
      launch(batchId, { ...row, coachId: null }, CHUNK_SIZE).catch((error) => console.error(`Enrolment ${batchId} failed: ${(error as Error).message}`));
      return true;
    },

    /** Waits for a batch running in this process (for tests and short batches). */
    settled(batchId: number): Promise<EnrolmentBatch | null> {
      return running.get(batchId) ?? Promise.resolve(null);
    },
  };
}

export type EnrolmentService = ReturnType<typeof createEnrolmentService>;
