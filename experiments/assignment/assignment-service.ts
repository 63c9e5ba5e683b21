import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ConflictError, NotFoundError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createContactLookup, visibleContact } from '../contacts/contact-service.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { screenForExperiment, type NotAssignedReason } from './eligibility.ts';
import { createClusterCodes } from './cluster-code.ts';
import { integerRatio, permutedBlock, stratumOf } from './permuted-blocks.ts';
import { createAssignmentStore, type AssignmentRecord, type BlockCounter } from './assignment-store.ts';
import { createAssignmentReadModel } from './assignment-read-model.ts';

export interface AssignmentView extends AssignmentRecord {
  experiment: string;
  contact: string;
  arm: { key: string; name: string; isControl: boolean; levels: Record<string, string> };
  phase: number;
}

export type { NotAssignedReason };

export type AssignmentResult =
  | { assigned: true; created: boolean; assignment: AssignmentView }
  | { assigned: false; reason: NotAssignedReason; message: string };

const REASONS: Record<NotAssignedReason, string> = {
  opted_out: 'This person has asked not to be contacted again, so they are not assigned to any experiment',
  not_eligible: "This person does not meet the experiment's eligibility condition",
  outside_coverage: "This person falls outside the experiment's coverage, so they are not in the experiment",
};

export function createAssignmentService(db: Db, clock: Clock, experimentService: ExperimentService, progress: ProgressProjection) {
  const store = createAssignmentStore(db);
  const readModel = createAssignmentReadModel(db);
  const contactLookup = createContactLookup(db);
  const clusterCode = createClusterCodes(db);

  async function existing(experiment: ExperimentView, contactId: number, reference: string): Promise<AssignmentView | null> {
    const row = await readModel.stored(experiment.id, contactId);
    if (!row) return null;
    const { armKey, armName, isControl, levels, phase, ...record } = row;
    return { experiment: experiment.key, contact: reference, arm: { key: armKey, name: armName, isControl: isControl === 1, levels: JSON.parse(levels) }, phase, ...record };
  }

  /**
   * The stratum's counter, locked until the transaction ends. A stratum's first
   * person creates it at slot 0 (or finds that another instance just did) and
   * then locks it, so two instances never both start the first block.
   */
  async function lockedCounter(phaseId: number, stratum: string): Promise<BlockCounter> {
    const counter = await store.lockedCounter(phaseId, stratum);
    if (counter) return counter;
    await store.startCounter(phaseId, stratum);
    return (await store.lockedCounter(phaseId, stratum))!;
  }

  /** The next place in the stratum's block sequence, and the counter's value once it is taken. */
  function nextInBlock(seed: string, stratum: string, weights: number[], counter: BlockCounter) {
    const ratio = integerRatio(weights);
    if (!ratio) throw new ConflictError('The weights of this phase cannot be used for permuted blocks');
    const block = permutedBlock(seed, stratum, counter.blockIndex, ratio);
    const armIndex = block[counter.blockPosition];
    const atEnd = counter.blockPosition + 1 >= block.length;
    return {
      armIndex,
      blockIndex: counter.blockIndex,
      blockPosition: counter.blockPosition,
      moved: atEnd ? { blockIndex: counter.blockIndex + 1, blockPosition: 0 } : { blockIndex: counter.blockIndex, blockPosition: counter.blockPosition + 1 },
    };
  }

  /** The stored arm of someone already assigned (created: false). */
  const storedResult = (assignment: AssignmentView): AssignmentResult => ({ assigned: true, created: false, assignment });

  async function assignNow(user: CurrentUser, experimentKey: string, reference: string): Promise<AssignmentResult> {
    // The experiment's fingerprint and the person in one read; the experiment's definition comes from cache while unchanged.
    const context = await readModel.context(experimentKey, reference);
    if (!context) throw new NotFoundError('Experiment');
    const experiment = await experimentService.getCurrent(experimentKey, context.fingerprint);
    const contact = visibleContact(user, context.contact);
    if (!contact) throw new NotFoundError('Contact');
    const running = experiment.status === 'running';
    const attributes = contactAttributes(contact);
    // Cluster-randomised (decision 0037): hash the coach's or site's code as it is now, so its people share one arm.
    const cluster = running ? await clusterCode(experiment.randomisationUnit, contact) : null;
    const screening = running ? screenForExperiment(experiment, contact, attributes, cluster) : null;
    const isBlocks = experiment.randomisation === 'blocks';

    // Someone already assigned keeps their arm whatever has changed since. A new
    // assignment by hashing finds out from its insert (one query fewer on the hot
    // path); everyone else is looked up first.
    if (!screening?.eligible || isBlocks) {
      const stored = await existing(experiment, contact.id, contact.reference);
      if (stored) return storedResult(stored);
    }
    if (!screening) throw new ConflictError(`The experiment is ${experiment.status}, so nobody new can be assigned`);
    if (!screening.eligible) {
      await store.recordScreening(experiment.id, contact.id, screening.reason, clock.now().toISOString());
      return { assigned: false, reason: screening.reason, message: REASONS[screening.reason] };
    }
    const { hashed } = screening;
    const phase = experiment.phase;

    let armIndex = hashed.armIndex;
    let block: (ReturnType<typeof nextInBlock> & { stratum: string }) | null = null;
    if (isBlocks) {
      const stratum = stratumOf(experiment.strata, attributes);
      block = { stratum, ...nextInBlock(phase.seed, stratum, phase.weights, await lockedCounter(phase.id, stratum)) };
      armIndex = block.armIndex;
    }
    const armKey = phase.armKeys[armIndex];
    const arm = experiment.arms.find((a) => a.key === armKey)!;
    const record: AssignmentRecord = {
      method: experiment.randomisation,
      seed: phase.seed,
      hashValue: hashed.bucket,
      stratum: block?.stratum ?? null,
      blockIndex: block?.blockIndex ?? null,
      blockPosition: block?.blockPosition ?? null,
      cluster,
      assignedAt: clock.now().toISOString(),
    };
    // The insert takes the progress source lock itself (assignment-store.ts).
    const inserted = await store.insert({ ...record, experimentId: experiment.id, contactId: contact.id, armId: arm.id, phaseId: phase.id, assignedBy: user.id });
    if (inserted === null) {
      // Another request (here or on another instance) assigned this person first:
      // theirs is the arm. The block counter has not moved, so no place in a block is used up.
      const stored = await existing(experiment, contact.id, contact.reference);
      if (!stored) throw new Error('An assignment that refused a second one could not be read back');
      return storedResult(stored);
    }
    // The counter moves only with the assignment that takes its place (the row is still locked).
    if (block) await store.moveCounter(phase.id, block.stratum, block.moved);
    // Exactly what `existing` would read back, without reading it back.
    const assignment: AssignmentView = {
      experiment: experiment.key,
      contact: contact.reference,
      arm: { key: arm.key, name: arm.name, isControl: arm.isControl, levels: { ...arm.levels } },
      phase: phase.number,
      ...record,
    };
    return { assigned: true, created: true, assignment };
  }

  return {
    /**
     * Assigns a person to an arm, once and for ever: asking again returns the
     * stored arm, whatever has changed since. Runs in one transaction (joining
     * the caller's, if any). The unique index on (experiment, person) decides
     * races between requests and server instances: the loser gets the stored
     * arm, never an error. Permuted blocks lock the stratum's counter, so each
     * place in a block goes to exactly one person.
     */
    async assign(user: CurrentUser, experimentKey: string, reference: string): Promise<AssignmentResult> {
      const result = await db.withTransaction(() => assignNow(user, experimentKey, reference));
      if (result.assigned && result.created) progress.scheduleCatchUp();
      return result;
    },

    /** The person's assignments across all experiments (for their page), oldest experiment first. */
    async forContact(user: CurrentUser, reference: string): Promise<AssignmentView[]> {
      // The same rule as every person-level read: the user's scope, never an erased person.
      const contact = await contactLookup.byReference(user, reference);
      if (!contact) throw new NotFoundError('Contact');
      const views: AssignmentView[] = [];
      for (const key of await readModel.experimentsOf(contact.id)) {
        const stored = await existing(await experimentService.getCurrent(key), contact.id, contact.reference);
        if (stored) views.push(stored);
      }
      return views;
    },
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;
