import { evalCondition } from '@growthbook/growthbook';
import { hashAssignment, type HashAssignment } from './hash-assignment.ts';

/** Why someone put forward for an experiment was not assigned to it. */
export type NotAssignedReason = 'opted_out' | 'not_eligible' | 'outside_coverage';

export interface ScreeningExperiment {
  key: string;
  eligibility: Record<string, unknown>;
  phase: { seed: string; weights: number[]; coverage: number };
}

export type Screening = { eligible: true; hashed: HashAssignment } | { eligible: false; reason: NotAssignedReason };

/**
 * The one screening rule every route into an experiment uses (the assignment
 * service, the coach's "Add to experiment" offers, the analyst's enrolment
 * preview): opted out first, then the GrowthBook eligibility condition, then
 * the current phase's coverage by the person's hash. Pure: writes nothing.
 * A cluster-randomised experiment passes the coach's or site's code as
 * `cluster` (experiments/assignment/cluster-code.ts): that is what is hashed.
 */
export function screenForExperiment(
  experiment: ScreeningExperiment,
  person: { reference: string; optedOutAt: string | null },
  attributes: Record<string, unknown>,
  cluster: string | null = null,
): Screening {
  if (person.optedOutAt) return { eligible: false, reason: 'opted_out' };
  if (!evalCondition(attributes, experiment.eligibility as never)) return { eligible: false, reason: 'not_eligible' };
  const phase = experiment.phase;
  const hashed = hashAssignment({ experimentKey: experiment.key, seed: phase.seed, weights: phase.weights, coverage: phase.coverage, reference: cluster ?? person.reference });
  if (!hashed.inExperiment) return { eligible: false, reason: 'outside_coverage' };
  return { eligible: true, hashed };
}
