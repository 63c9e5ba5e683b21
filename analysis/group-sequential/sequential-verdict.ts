import type { LookDecision } from './look-decision.ts';

/** What a weekly report says about one arm against control under the group-sequential rule. */
export type SequentialVerdict = 'better' | 'worse' | 'not_enough_evidence' | 'too_early';

/** Fewer people than this in either arm and we do not look at all. */
export const MINIMUM_PEOPLE_PER_ARM = 10;

/**
 * The plain verdict for a look: 'too_early' while either arm has fewer than
 * `minimumPerArm` people (the look is not taken and spends no α), 'better' or
 * 'worse' once the repeated confidence interval has crossed, otherwise
 * 'not_enough_evidence'.
 *
 * @example
 * sequentialVerdict({ armN: 120, controlN: 118, decision: { crossed: 'upper' } }) // 'better'
 */
export function sequentialVerdict(options: {
  armN: number;
  controlN: number;
  decision: Pick<LookDecision, 'crossed'> | null;
  minimumPerArm?: number;
}): SequentialVerdict {
  const { armN, controlN, decision, minimumPerArm = MINIMUM_PEOPLE_PER_ARM } = options;
  if (armN < minimumPerArm || controlN < minimumPerArm || decision === null) return 'too_early';
  if (decision.crossed === 'upper') return 'better';
  if (decision.crossed === 'lower') return 'worse';
  return 'not_enough_evidence';
}
