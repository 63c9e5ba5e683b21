import { stageByKey, type StageKey } from '../vocabulary.ts';

/**
 * The order of the funnel, for warnings when a stage is recorded before the
 * one that normally comes first ("First meeting attended" with no meeting
 * agreed). A warning, not a refusal: people do walk in without a letter, and
 * a coach may be catching up on paper notes; but an unintended skip makes the
 * funnel's conversion rates wrong, so the coach is asked to confirm it.
 */
const COMES_AFTER: Partial<Record<StageKey, StageKey>> = {
  responded: 'outreach_attempted',
  meeting_agreed: 'responded',
  meeting_attended: 'meeting_agreed',
  meeting_not_attended: 'meeting_agreed',
  wants_to_continue: 'meeting_attended',
  found_useful: 'meeting_attended',
  more_optimistic: 'meeting_attended',
  plan_agreed: 'meeting_attended',
  topics_covered: 'meeting_attended',
  engaged_4w: 'meeting_attended',
  engaged_8w: 'meeting_attended',
  engaged_13w: 'meeting_attended',
  in_work_13w: 'started_work',
  in_work_26w: 'started_work',
};

const MISSING_WORDS: Partial<Record<StageKey, string>> = {
  outreach_attempted: 'no outreach was recorded',
  responded: 'they have not responded yet',
  meeting_agreed: 'no meeting was agreed',
  meeting_attended: 'they have not attended a first meeting',
  started_work: 'they have not started work',
};

export interface SkippedStageWarning {
  /** The stage being recorded. */
  stage: StageKey;
  /** The stage that normally comes before it and has not been recorded. */
  missing: StageKey;
  message: string;
}

/**
 * The warning for recording `stage` when `reached` (the stages already
 * recorded for the person) lacks the stage before it; null when in order.
 * A stage already recorded once is not warned about again.
 * @example skippedStageWarning('meeting_attended', new Set(['outreach_attempted', 'responded']))?.message
 * // "You are recording 'First meeting attended' but no meeting was agreed. Continue?"
 */
export function skippedStageWarning(stage: string, reached: ReadonlySet<string>): SkippedStageWarning | null {
  const before = COMES_AFTER[stage as StageKey];
  if (!before || reached.has(before) || reached.has(stage)) return null;
  const label = stageByKey.get(stage)?.label ?? stage;
  return { stage: stage as StageKey, missing: before, message: `You are recording '${label}' but ${MISSING_WORDS[before]}. Continue?` };
}
