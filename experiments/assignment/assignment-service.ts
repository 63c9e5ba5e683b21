import { and, eq } from 'drizzle-orm';
import { evalCondition } from '@growthbook/growthbook';
import type { Clock } from '../../server/clock.ts';
import { inTransaction, type Db } from '../../server/db/client.ts';
import { assignments, blockCounters, contacts } from '../../server/db/schema.ts';
import { ConflictError, NotFoundError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { contactScope } from '../contacts/contact-service.ts';
import { contactAttributes } from '../contacts/contact-attributes.ts';
import type { ExperimentService, ExperimentView } from '../experiment/experiment-service.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { hashAssignment } from './hash-assignment.ts';
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
  assignedAt: string;
}

export type NotAssignedReason = 'opted_out' | 'not_eligible' | 'outside_coverage';

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
           a.block_position AS blockPosition, a.assigned_at AS assignedAt, p.number AS phase,
           r.key AS armKey, r.name AS armName, r.is_control AS isControl, r.levels
    FROM assignments a
    JOIN experiment_arms r ON r.id = a.arm_id
    JOIN experiment_phases p ON p.id = a.phase_id
    WHERE a.experiment_id = ? AND a.contact_id = ?`);

  function existing(experiment: ExperimentView, contactId: number, reference: string): AssignmentView | null {
    const row = existingStatement.get(experiment.id, contactId) as
      | { method: string; seed: string; hashValue: number | null; stratum: string | null; blockIndex: number | null; blockPosition: number | null; assignedAt: string; phase: number; armKey: string; armName: string; isControl: number; levels: string }
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
      assignedAt: row.assignedAt,
    };
  }

  /** Takes the next place in the stratum's block sequence and moves the counter on. */
  function nextInBlock(phaseId: number, seed: string, stratum: string, weights: number[]) {
    const ratio = integerRatio(weights);
    if (!ratio) throw new ConflictError('The weights of this phase cannot be used for permuted blocks');
    const counter = db
      .select()
      .from(blockCounters)
      .where(and(eq(blockCounters.phaseId, phaseId), eq(blockCounters.stratum, stratum)))
      .get() ?? { phaseId, stratum, blockIndex: 0, blockPosition: 0 };
    const block = permutedBlock(seed, stratum, counter.blockIndex, ratio);
    const armIndex = block[counter.blockPosition];
    const atEnd = counter.blockPosition + 1 >= block.length;
    const next = { blockIndex: atEnd ? counter.blockIndex + 1 : counter.blockIndex, blockPosition: atEnd ? 0 : counter.blockPosition + 1 };
    db.insert(blockCounters)
      .values({ phaseId, stratum, ...next })
      .onConflictDoUpdate({ target: [blockCounters.phaseId, blockCounters.stratum], set: next })
      .run();
    return { armIndex, blockIndex: counter.blockIndex, blockPosition: counter.blockPosition };
  }

  return {
    /**
     * Assigns a person to an arm, once and for ever: asking again returns the
     * stored arm, whatever has changed since. Runs in one IMMEDIATE transaction,
     * so concurrent requests for the same person end with one assignment.
     */
    assign(user: CurrentUser, experimentKey: string, reference: string): AssignmentResult {
      return inTransaction(db, () => {
        const experiment = experimentService.get(experimentKey);
        const contact = db
          .select()
          .from(contacts)
          .where(and(contactScope(user), eq(contacts.reference, reference)))
          .get();
        if (!contact) throw new NotFoundError('Contact');
        const stored = existing(experiment, contact.id, contact.reference);
        if (stored) return { assigned: true, created: false, assignment: stored };
        if (experiment.status !== 'running')
          throw new ConflictError(`The experiment is ${experiment.status}, so nobody new can be assigned`);
        if (contact.optedOutAt) return { assigned: false, reason: 'opted_out', message: REASONS.opted_out };
        const attributes = contactAttributes(contact);
        if (!evalCondition(attributes, experiment.eligibility as never)) return { assigned: false, reason: 'not_eligible', message: REASONS.not_eligible };

        const phase = experiment.phase;
        const hashed = hashAssignment({ experimentKey: experiment.key, seed: phase.seed, weights: phase.weights, coverage: phase.coverage, reference: contact.reference });
        if (!hashed.inExperiment) return { assigned: false, reason: 'outside_coverage', message: REASONS.outside_coverage };

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
        const { id: assignmentId } = db
          .insert(assignments)
          .values({
            experimentId: experiment.id,
            contactId: contact.id,
            armId: arm.id,
            phaseId: phase.id,
            method: experiment.randomisation,
            seed: phase.seed,
            hashValue: hashed.bucket,
            stratum: block?.stratum ?? null,
            blockIndex: block?.blockIndex ?? null,
            blockPosition: block?.blockPosition ?? null,
            assignedAt: clock.now().toISOString(),
            assignedBy: user.id,
          })
          .returning({ id: assignments.id })
          .get();
        progress.recordAssignment(assignmentId);
        return { assigned: true, created: true, assignment: existing(experiment, contact.id, contact.reference)! };
      });
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
