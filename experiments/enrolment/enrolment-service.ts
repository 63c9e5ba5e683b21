import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, HttpError, NotFoundError } from '../../server/errors.ts';
import type { ContactRow } from '../contacts/contact-service.ts';
import { createContactStore } from '../contacts/contact-store.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { AssignmentService } from '../assignment/assignment-service.ts';
import { screenForExperiment } from '../assignment/eligibility.ts';
import { createClusterCodes } from '../assignment/cluster-code.ts';
import { JOURNEY_POINT_STAGES, readyForJourneyPhase } from '../assignment/journey-point.ts';
import { createEnrolmentStore } from './enrolment-store.ts';
import { createEnrolmentReadModel } from './enrolment-read-model.ts';

/**
 * Enrolling many people into a running experiment at once: everyone at some
 * sites, on some coaches' caseloads, or in a list of references. A preview
 * says how many would join and why the others would not, without writing;
 * the enrolment then runs through the assignment service (so every rule of
 * permanent assignment applies) in chunks of CHUNK_SIZE per transaction, with
 * the event loop let go between chunks, so other users are never held up.
 * Starting or resuming a batch claims it with a conditional update, so only one
 * server instance runs it. See docs/decisions/0036.
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

/** The state a starter saw the batch in, which it must still be in for the start to land. */
interface Claim {
  status: 'previewed' | 'running';
  heartbeatAt: string | null;
}

type StoredBatch = EnrolmentBatch & { selection: EnrolmentSelection; heartbeatAt: string | null };

export function createEnrolmentService(db: Db, clock: Clock, experiments: ExperimentService, assignments: AssignmentService) {
  const clusterCode = createClusterCodes(db);
  const contacts = createContactStore(db);
  const store = createEnrolmentStore(db);
  const people = createEnrolmentReadModel(db);
  const running = new Map<number, Promise<EnrolmentBatch>>();

  /** Sorts the people a selection names into those to put forward and the reasons the others are left out. */
  async function classify(experiment: ExperimentView, selection: EnrolmentSelection) {
    const typed = new Map<string, string>();
    for (const reference of selection.references) if (normalised(reference) && !typed.has(normalised(reference))) typed.set(normalised(reference), reference.trim());
    const wanted = [...typed.keys()];
    const rows = (await contacts.selected({ siteIds: selection.siteIds, coachIds: selection.coachIds, compactReferences: wanted })).map(
      (row) => ({ ...row, caring: row.caring === 1 }) as ContactRow,
    );
    const found = new Set(rows.map((r) => normalised(r.reference)));
    const notFound = wanted.filter((r) => !found.has(r)).map((r) => typed.get(r)!);
    const already = await people.assignedTo(experiment.id);
    const otherOfPhase = await people.inOtherOfPhase(experiment.journeyPhase, experiment.id);
    const reached = await people.reachedStages(JOURNEY_POINT_STAGES);
    const excluded = emptyExclusions();
    excluded.not_found = notFound.length;
    const toEnrol: { row: ContactRow; armIndex: number }[] = [];
    const none = new Set<string>();
    // One lookup per coach or site, not per person.
    const codes = new Map<number, string | null>();
    const clusterOf = async (row: ContactRow) => {
      if (experiment.randomisationUnit === 'person') return null;
      const id = experiment.randomisationUnit === 'coach' ? row.coachId : row.siteId;
      if (!codes.has(id)) codes.set(id, await clusterCode(experiment.randomisationUnit, row));
      return codes.get(id)!;
    };
    for (const row of rows) {
      let reason: ExclusionReason | null = null;
      let armIndex = -1;
      if (already.has(row.id)) reason = 'already_in';
      else if (row.optedOutAt) reason = 'opted_out';
      else if (otherOfPhase.has(row.id)) reason = 'in_other_experiment';
      else if (!readyForJourneyPhase(experiment.journeyPhase, reached.get(row.id) ?? none)) reason = 'past_this_point';
      else {
        const screening = screenForExperiment(experiment, row, contactAttributes(row), await clusterOf(row));
        if (screening.eligible) armIndex = screening.hashed.armIndex;
        else reason = screening.reason;
      }
      if (reason) excluded[reason]++;
      else toEnrol.push({ row, armIndex });
    }
    return { rows, toEnrol, excluded, notFound };
  }

  async function storedBatch(batchId: number): Promise<StoredBatch> {
    const row = await store.byId(batchId);
    if (!row) throw new NotFoundError('Enrolment');
    return { ...(row as unknown as EnrolmentBatch & { heartbeatAt: string | null }), selection: JSON.parse(row.selection as string), notAssigned: JSON.parse(row.notAssigned as string) };
  }

  async function run(batchId: number, user: CurrentUser, chunkSize: number, claim: Claim): Promise<EnrolmentBatch> {
    const batch = await storedBatch(batchId);
    const experiment = await experiments.get(batch.experimentKey);
    const { toEnrol, excluded } = await classify(experiment, batch.selection);
    // A resumed batch keeps what it did; people it already assigned are now simply "already in".
    const resumed = batch.status === 'running';
    let counts: Partial<Record<ExclusionReason, number>> = resumed ? batch.notAssigned : Object.fromEntries(Object.entries(excluded).filter(([, n]) => n > 0));
    let done = resumed ? batch.done : 0;
    let assigned = resumed ? batch.assigned : 0;
    const at = () => clock.now().toISOString();
    const started = await store.markStarted(batchId, { total: done + toEnrol.length, notAssigned: JSON.stringify(counts), at: at(), heartbeatAt: at() }, claim);
    // Another instance started or resumed it first: that one runs it.
    if (!started) return storedBatch(batchId);
    try {
      for (let start = 0; start < toEnrol.length; start += chunkSize) {
        const chunk = toEnrol.slice(start, start + chunkSize);
        // The tallies move only once the chunk has committed (PostgreSQL may run a chunk again after a deadlock).
        const tally = await db.withTransaction(async () => {
          const next = { done: done + chunk.length, assigned, counts: { ...counts } };
          for (const { row } of chunk) {
            const result = await assignments.assign(user, experiment.key, row.reference);
            if (result.assigned) next.assigned += result.created ? 1 : 0;
            else next.counts[result.reason] = (next.counts[result.reason] ?? 0) + 1;
          }
          await store.saveProgress(batchId, { done: next.done, assigned: next.assigned, notAssigned: JSON.stringify(next.counts) }, at());
          return next;
        });
        ({ done, assigned, counts } = tally);
        // Let other requests in between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await store.finish(batchId, 'finished', null, at(), at());
    } catch (error) {
      const message = error instanceof HttpError && error.status < 500 ? error.message : 'The enrolment stopped because of an unexpected error';
      await store.finish(batchId, 'stopped', message, at(), at());
      if (!(error instanceof HttpError && error.status < 500)) throw error;
    }
    return storedBatch(batchId);
  }

  function launch(batchId: number, user: CurrentUser, chunkSize: number, claim: Claim): Promise<EnrolmentBatch> {
    const work = run(batchId, user, chunkSize, claim).finally(() => running.delete(batchId));
    running.set(batchId, work);
    return work;
  }

  /**
   * Checks a previewed enrolment may start and starts it in the background;
   * resolves once it has started, with its promise (settled when the last chunk
   * is in). Starting it twice does nothing more.
   */
  async function begin(batchId: number, user: CurrentUser, options: { chunkSize?: number } = {}): Promise<{ work: Promise<EnrolmentBatch> }> {
    const batch = await storedBatch(batchId);
    const inFlight = running.get(batchId);
    if (inFlight) return { work: inFlight };
    if (batch.status !== 'previewed') return { work: Promise.resolve(batch) };
    if (batch.createdBy !== user.id) throw new ConflictError('Only the analyst who previewed this enrolment can confirm it');
    return { work: launch(batchId, user, options.chunkSize ?? CHUNK_SIZE, { status: 'previewed', heartbeatAt: batch.heartbeatAt }) };
  }

  return {
    /** What enrolling this selection would do now, writing nothing. */
    async preview(experimentKey: string, selection: EnrolmentSelection): Promise<EnrolmentPreview> {
      const experiment = await experiments.get(experimentKey);
      const { rows, toEnrol, excluded, notFound } = await classify(experiment, selection);
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
    async prepare(experimentKey: string, selection: EnrolmentSelection, description: string, userId: number, expected: number): Promise<number> {
      const experiment = await experiments.get(experimentKey);
      if (experiment.status !== 'running') throw new ConflictError(`The experiment is ${experiment.status}, so nobody new can be enrolled`);
      return store.insert({ experimentId: experiment.id, selection: JSON.stringify(selection), description, total: expected, createdBy: userId }, clock.now().toISOString());
    },

    begin,

    /**
     * Starts a previewed enrolment in the background and returns its promise
     * (settled when the last chunk is in). Starting it twice does nothing more.
     */
    async start(batchId: number, user: CurrentUser, options: { chunkSize?: number } = {}): Promise<EnrolmentBatch> {
      return (await begin(batchId, user, options)).work;
    },

    async get(batchId: number): Promise<EnrolmentBatch> {
      const { selection: _selection, heartbeatAt: _heartbeat, ...batch } = await storedBatch(batchId);
      return batch;
    },

    /**
     * Picks up a batch whose process stopped mid-way (no progress for a minute
     * and not running here): assignment is idempotent, so it carries on safely.
     * Of several instances noticing it at once, one carries it on.
     */
    async resumeIfStalled(batchId: number): Promise<boolean> {
      const batch = await storedBatch(batchId);
      if (batch.status !== 'running' || running.has(batchId)) return false;
      if (batch.heartbeatAt && clock.now().getTime() - new Date(batch.heartbeatAt).getTime() < STALLED_MS) return false;
      const row = (await store.user(batch.createdBy))!;
      launch(batchId, { ...row, coachId: null }, CHUNK_SIZE, { status: 'running', heartbeatAt: batch.heartbeatAt }).catch((error) =>
        console.error(`Enrolment ${batchId} failed: ${(error as Error).message}`),
      );
      return true;
    },

    /** Waits for a batch running in this process (for tests and short batches). */
    settled(batchId: number): Promise<EnrolmentBatch | null> {
      return running.get(batchId) ?? Promise.resolve(null);
    },
  };
}

export type EnrolmentService = ReturnType<typeof createEnrolmentService>;
