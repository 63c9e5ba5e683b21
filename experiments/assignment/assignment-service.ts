import { and, eq } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { assignments, contacts } from '../../server/db/schema.ts';
import { ConflictError, NotFoundError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { contactScope, createContactLookup } from '../contacts/contact-service.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
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

export function createAssignmentService(db: Db, clock: Clock, experimentService: ExperimentService, progress: ProgressProjection) {
  const existingStatement = db.$client.prepare(`
    SELECT a.method, a.seed, a.hash_value AS hashValue, a.stratum, a.block_index AS blockIndex,
           a.block_position AS blockPosition, a.cluster, a.assigned_at AS assignedAt, p.number AS phase,
           r.key AS armKey, r.name AS armName, r.is_control AS isControl, r.levels
    FROM assignments a
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN experiment_phases p ON p.id = a.phase_id
    WHERE a.experiment_id = ? AND a.contact_id = ?`);

  function existing(experiment: ExperimentView, contactId: number, reference: string): AssignmentView | null {
    const row = existingStatement.get(experiment.id, contactId) as
      | { method: string; seed: string; hashValue: number | null; stratum: string | null; blockIndex: number | null; blockPosition: number | null; cluster: string | null; assignedAt: string; phase: number; armKey: string; armName: string; isControl: number; levels: string }
      | undefined;
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

  // The hot path uses prepared statements rather than the query builder: an
  // assignment is a handful of indexed lookups, and building SQL each time cost
  // more than running it (see bench/).
  const contactLookup = createContactLookup(db);
  const recordScreening = db.$client.prepare('INSERT OR IGNORE INTO screenings (experiment_id, contact_id, reason, screened_at) VALUES (?, ?, ?, ?)');
  const blockCounter = db.$client.prepare('SELECT block_index AS blockIndex, block_position AS blockPosition FROM block_counters WHERE phase_id = ? AND stratum = ?');
  const saveBlockCounter = db.$client.prepare(`
    INSERT INTO block_counters (phase_id, stratum, block_index, block_position) VALUES (?, ?, ?, ?)
    ON CONFLICT (phase_id, stratum) DO UPDATE SET block_index = excluded.block_index, block_position = excluded.block_position`);
  const insertAssignment = db.$client.prepare(`
    INSERT INTO assignments (experiment_id, contact_id, arm_id, phase_id, method, seed, hash_value, stratum, block_index, block_position, cluster, assigned_at, assigned_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const clusterCode = createClusterCodes(db);

  /** Takes the next place in the stratum's block sequence and moves the counter on. */
  function nextInBlock(phaseId: number, seed: string, stratum: string, weights: number[]) {
    const ratio = integerRatio(weights);
    if (!ratio) throw new ConflictError('The weights of this phase cannot be used for permuted blocks');
    const counter = (blockCounter.get(phaseId, stratum) as { blockIndex: number; blockPosition: number } | undefined) ?? { blockIndex: 0, blockPosition: 0 };
    const block = permutedBlock(seed, stratum, counter.blockIndex, ratio);
    const armIndex = block[counter.blockPosition];
    const atEnd = counter.blockPosition + 1 >= block.length;
    saveBlockCounter.run(phaseId, stratum, atEnd ? counter.blockIndex + 1 : counter.blockIndex, atEnd ? 0 : counter.blockPosition + 1);
    return { armIndex, blockIndex: counter.blockIndex, blockPosition: counter.blockPosition };
  }

  function assignNow(user: CurrentUser, experimentKey: string, reference: string): AssignmentResult {
    const experiment = experimentService.getCurrent(experimentKey);
    const contact = contactLookup.byReference(user, reference);
    if (!contact) throw new NotFoundError('Contact');
    const stored = existing(experiment, contact.id, contact.reference);
    if (stored) return { assigned: true, created: false, assignment: stored };
    if (experiment.status !== 'running')
      throw new ConflictError(`The experiment is ${experiment.status}, so nobody new can be assigned`);
    const notAssigned = (reason: NotAssignedReason): AssignmentResult => {
      recordScreening.run(experiment.id, contact.id, reason, clock.now().toISOString());
      return { assigned: false, reason, message: REASONS[reason] };
    };
    const attributes = contactAttributes(contact);
    // Cluster-randomised (decision 0037): hash the coach's or site's code as it is now, so its people share one arm.
    const cluster = clusterCode(experiment.randomisationUnit, contact);
    const screening = screenForExperiment(experiment, contact, attributes, cluster);
    if (!screening.eligible) return notAssigned(screening.reason);
    const { hashed } = screening;
    const phase = experiment.phase;

    let armIndex = hashed.armIndex;
    let block: { stratum: string; blockIndex: number; blockPosition: number } | null = null;
    if (experiment.randomisation === 'blocks') {
      const stratum = stratumOf(experiment.strata, attributes);
      const next = nextInBlock(phase.id, phase.seed, stratum, phase.weights);
      armIndex = next.armIndex;
      block = { stratum, blockIndex: next.blockIndex, blockPosition: next.blockPosition };
    }
    const armKey = phase.armKeys[armIndex];
    const arm = experiment.arms.find((a) => a.key === armKey)!;
    const assignedAt = clock.now().toISOString();
    insertAssignment.run(
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
    );
    progress.scheduleCatchUp();
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

  const assignInTransaction = db.$client.transaction(assignNow);

  return {
    /**
     * Assigns a person to an arm, once and for ever: asking again returns the
     * stored arm, whatever has changed since. Runs in one IMMEDIATE transaction,
     * so concurrent requests for the same person end with one assignment.
     */
    assign(user: CurrentUser, experimentKey: string, reference: string): AssignmentResult {
      return assignInTransaction.immediate(user, experimentKey, reference);
    },

    /** The person's assignments across all experiments (for their page). */
    forContact(user: CurrentUser, reference: string): AssignmentView[] {
      const contact = db
        .select({ id: contacts.id, reference: contacts.reference })
        .from(contacts)
        .where(and(contactScope(user), eq(contacts.reference, reference)))
        .get();
      if (!contact) throw new NotFoundError('Contact');
      const assignedTo = new Set(
        db.select({ experimentId: assignments.experimentId }).from(assignments).where(eq(assignments.contactId, contact.id)).all().map((r) => r.experimentId),
      );
      return experimentService
        .list()
        .filter((e) => assignedTo.has(e.id))
        .map((e) => existing(e, contact.id, contact.reference)!);
    },
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;
