import type { Role } from '../vocabulary.ts';
import type { AssignmentResult, AssignmentView } from '../assignment/assignment-service.ts';
import type { ExperimentView } from './experiment-service.ts';

/**
 * Allocation concealment (docs/decisions/0031). Anyone who knows an
 * experiment's seed and weights can compute the arm a person would get before
 * deciding to enrol them, and so choose whom to enrol: that breaks the
 * randomisation. Only analysts see how allocation works; everyone else gets
 * these views, built from an allow-list, so a field added to the full views
 * later stays hidden until someone decides otherwise.
 */
export function seesAllocation(role: Role): boolean {
  return role === 'analyst';
}

/** An experiment without its seeds, weights, coverage, randomisation method or strata. */
export function concealedExperimentView(view: ExperimentView) {
  return {
    id: view.id,
    key: view.key,
    name: view.name,
    hypothesis: view.hypothesis,
    journeyPhase: view.journeyPhase,
    status: view.status,
    factors: view.factors,
    eligibility: view.eligibility,
    primaryMetric: view.primaryMetric,
    secondaryMetrics: view.secondaryMetrics,
    guardrailMetrics: view.guardrailMetrics,
    plannedSampleSize: view.plannedSampleSize,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    launchedAt: view.launchedAt,
    concludedAt: view.concludedAt,
    arms: view.arms.map((arm) => ({ id: arm.id, key: arm.key, name: arm.name, isControl: arm.isControl, levels: arm.levels })),
    phase: { number: view.phase.number, startedAt: view.phase.startedAt, endedAt: view.phase.endedAt },
  };
}

/** A person's arm once they have it, without the hash bucket, seed or block position that produced it. */
export function concealedAssignmentView(view: AssignmentView) {
  return { experiment: view.experiment, contact: view.contact, arm: { ...view.arm }, phase: view.phase, assignedAt: view.assignedAt };
}

export function experimentFor(role: Role, view: ExperimentView) {
  return seesAllocation(role) ? view : concealedExperimentView(view);
}

export function assignmentFor(role: Role, view: AssignmentView) {
  return seesAllocation(role) ? view : concealedAssignmentView(view);
}

export function assignmentResultFor(role: Role, result: AssignmentResult) {
  return result.assigned ? { ...result, assignment: assignmentFor(role, result.assignment) } : result;
}
