/**
 * The group-sequential decision layer for trials with a planned end
 * (docs/decisions/0020-group-sequential-decision-rule.md). Import from here.
 */
export { alphaSpent, SPENDING_FUNCTION_NAMES, type SpendingFunctionName } from './alpha-spending.ts';
export {
  addLook,
  groupSequentialBoundaries,
  startGroupSequentialDesign,
  type GroupSequentialDesignSoFar,
  type GroupSequentialLook,
  type GroupSequentialOptions,
} from './group-sequential-boundaries.ts';
export {
  groupSequentialInflation,
  groupSequentialPower,
  groupSequentialSampleSize,
  type GroupSequentialSampleSize,
  type GroupSequentialSampleSizeOptions,
} from './group-sequential-sample-size.ts';
export { informationFractionFromCounts } from './information-fraction.ts';
export { cachedGroupSequentialBoundaries } from './cached-boundaries.ts';
export {
  lookDecision,
  repeatedConfidenceInterval,
  waldLookDecision,
  type LookDecision,
  type LookDecisionOptions,
  type LookSchedule,
} from './look-decision.ts';
export { MINIMUM_PEOPLE_PER_ARM, sequentialVerdict, type SequentialVerdict } from './sequential-verdict.ts';
export {
  scoreIntervalAt,
  simulateGroupSequentialTrials,
  type DifferenceIntervalAt,
  type GroupSequentialSimulation,
} from './simulate-group-sequential-trials.ts';
export { stageWiseInference, type StageWiseInference } from './stage-wise-inference.ts';
