import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ConflictError, NotFoundError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createContactLookup } from '../contacts/contact-service.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { guardProgressSources } from '../progress/source-guard.ts';
import { rowLockSql } from '../experiment/row-lock.ts';
import { screenForExperiment, type NotAssignedReason } from './eligibility.ts';
import { createClusterCodes } from './cluster-code.ts';
import { integerRatio, permutedBlock, stratumOf } from './permuted-blocks.ts';

export interface AssignmentView {
  experiment: string;
  contact: string;
  arm: { key: string; name: string; isControl: boolean; levels: Record<string, string> };
  phase: number;
  method: string;
  seed: string;
  hashValue: number | null;
  stratum: string | null;
  blockIndex: number | null;
  blockPosition: number | null;
  /** Cluster-randomised designs: the coach or site code that was hashed (its arm is every member's arm). */
  cluster: string | null;
  assignedAt: string;
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

const EXISTING = `
  SELECT a.method, a.seed, a.hash_value AS "hashValue", a.stratum, a.block_index AS "blockIndex",
         a.block_position AS "blockPosition", a.cluster, a.assigned_at AS "assignedAt", p.number AS phase,
         r.key AS "armKey", r.name AS "armName", r.is_control AS "isControl", r.levels
  FROM assignments a
  JOIN experiment_arms r ON r.id = a.arm_id
  JOIN experiment_phases p ON p.id = a.phase_id
  WHERE a.experiment_id = ? AND a.contact_id = ?`;
const RECORD_SCREENING = 'INSERT INTO screenings (experiment_id, contact_id, reason, screened_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
const START_BLOCK_COUNTER = `
  INSERT INTO block_counters (phase_id, stratum, block_index, block_position) VALUES (?, ?, 0, 0)
  ON CONFLICT (phase_id, stratum) DO NOTHING`;
const MOVE_BLOCK_COUNTER = 'UPDATE block_counters SET block_index = ?, block_position = ? WHERE phase_id = ? AND stratum = ?';
// One assignment per person and experiment, by the unique index: the loser of a race inserts nothing.
const INSERT_ASSIGNMENT = `
  INSERT INTO assignments (experiment_id, contact_id, arm_id, phase_id, method, seed, hash_value, stratum, block_index, block_position, cluster, assigned_at, assigned_by)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (experiment_id, contact_id) DO NOTHING RETURNING id`;
const EXPERIMENTS_OF_CONTACT = `
  SELECT e.key FROM assignments a JOIN experiments e ON e.id = a.experiment_id
  WHERE a.contact_id = ? ORDER BY e.created_at, e.id`;

interface StoredRow extends Pick<AssignmentView, 'method' | 'seed' | 'hashValue' | 'stratum' | 'blockIndex' | 'blockPosition' | 'cluster' | 'assignedAt' | 'phase'> {
  armKey: string;
  armName: string;
  isControl: number;
  levels: string;
}

export function createAssignmentService(db: Db, clock: Clock, experimentService: ExperimentService, progress: ProgressProjection) {
  // The block counter, locked for the rest of the transaction (FOR UPDATE on PostgreSQL;
  // SQLite's IMMEDIATE transaction already has the database to itself).
  const lockBlockCounter = `SELECT block_index AS "blockIndex", block_position AS "blockPosition" FROM block_counters
    WHERE phase_id = ? AND stratum = ?${rowLockSql(db.dialect).forUpdate}`;
  const contactLookup = createContactLookup(db);
  const clusterCode = createClusterCodes(db);

  async function existing(experiment: ExperimentView, contactId: number, reference: string): Promise<AssignmentView | null> {
    const row = await db.get<StoredRow>(EXISTING, [experiment.id, contactId]);
    if (!row) return null;
    return {
      experiment: experiment.key,
      contact: reference,
      arm: { key: row.armKey, name: row.armName, isControl: row.isControl === 1, levels: JSON.parse(row.levels) },
      phase: row.phase,
      method: row.method,
      seed: row.seed,
      hashValue: row.hashValue,
      stratum: row.stratum,
      blockIndex: row.blockIndex,
      blockPosition: row.blockPosition,
      cluster: row.cluster,
      assignedAt: row.assignedAt,
    };
  }

  /**
   * The stratum's counter, locked until the transaction ends. A stratum's first
   * person creates it at slot 0 (or finds that another instance just did) and
   * then locks it, so two instances never both start the first block.
   */
  async function lockedCounter(phaseId: number, stratum: string): Promise<{ blockIndex: number; blockPosition: number }> {
    const counter = await db.get<{ blockIndex: number; blockPosition: number }>(lockBlockCounter, [phaseId, stratum]);
    if (counter) return counter;
    await db.run(START_BLOCK_COUNTER, [phaseId, stratum]);
    return (await db.get<{ blockIndex: number; blockPosition: number }>(lockBlockCounter, [phaseId, stratum]))!;
  }

  /** The next place in the stratum's block sequence, and the counter's value once it is taken. */
  function nextInBlock(seed: string, stratum: string, weights: number[], counter: { blockIndex: number; blockPosition: number }) {
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
    const experiment = await experimentService.getCurrent(experimentKey);
    const contact = await contactLookup.byReference(user, reference);
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
      await db.run(RECORD_SCREENING, [experiment.id, contact.id, screening.reason, clock.now().toISOString()]);
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
    const assignedAt = clock.now().toISOString();
    await guardProgressSources(db);
    const inserted = await db.get<{ id: number }>(INSERT_ASSIGNMENT, [
      experiment.id,
      contact.id,
      arm.id,
      phase.id,
      experiment.randomisation,
      phase.seed,
      hashed.bucket,
      block?.stratum ?? null,
      block?.blockIndex ?? null,
      block?.blockPosition ?? null,
      cluster,
      assignedAt,
      user.id,
    ]);
    if (!inserted) {
      // Another request (here or on another instance) assigned this person first:
      // theirs is the arm. The block counter has not moved, so no place in a block is used up.
      const stored = await existing(experiment, contact.id, contact.reference);
      if (!stored) throw new Error('An assignment that refused a second one could not be read back');
      return storedResult(stored);
    }
    // The counter moves only with the assignment that takes its place (the row is still locked).
    if (block) await db.run(MOVE_BLOCK_COUNTER, [block.moved.blockIndex, block.moved.blockPosition, phase.id, block.stratum]);
    // Exactly what `existing` would read back, without reading it back.
    const assignment: AssignmentView = {
      experiment: experiment.key,
      contact: contact.reference,
      arm: { key: arm.key, name: arm.name, isControl: arm.isControl, levels: { ...arm.levels } },
      phase: phase.number,
      method: experiment.randomisation,
      seed: phase.seed,
      hashValue: hashed.bucket,
      stratum: block?.stratum ?? null,
      blockIndex: block?.blockIndex ?? null,
      blockPosition: block?.blockPosition ?? null,
      cluster,
      assignedAt,
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
      for (const { key } of await db.all<{ key: string }>(EXPERIMENTS_OF_CONTACT, [contact.id])) {
        const stored = await existing(await experimentService.getCurrent(key), contact.id, contact.reference);
        if (stored) views.push(stored);
      }
      return views;
    },
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;
