import { BREAKDOWN_COLUMNS } from '../vocabulary.ts';

/**
 * The names the reports' read model (progress-projection.ts) files its tallies
 * under, in a module of their own so that the pure report code in analysis/
 * can use them without importing anything that touches the database.
 */

/** The stage under which people assigned are tallied. */
export const ASSIGNED = '_assigned';
/** The dimension (and subgroup) of the overall tallies. */
export const OVERALL = '';

/** Breakdowns kept for the primary metric: name → column of assignment_progress. */
export const DIMENSIONS = { ...BREAKDOWN_COLUMNS, coach: 'coach_id' } as const;

/**
 * The subgroup of a person whose characteristics are not held: an erased
 * person's are removed, so they move here in every breakdown (docs/decisions/0033).
 */
export const NOT_RECORDED = 'not_recorded';
