/**
 * Whether a person is at the point of their journey an experiment of a given
 * journey phase tests: before first contact for phase 1, once a first meeting
 * is agreed (and before it) for phase 2, after it for phase 3. So the arm
 * always comes before what it changes. `reached` holds the stages recorded.
 */
export function readyForJourneyPhase(journeyPhase: number, reached: ReadonlySet<string>): boolean {
  if (journeyPhase === 1) return !reached.has('outreach_attempted');
  if (journeyPhase === 2) return reached.has('meeting_agreed') && !reached.has('meeting_attended');
  if (journeyPhase === 3) return reached.has('meeting_attended');
  return false;
}

/** The stages that decide the journey point. */
export const JOURNEY_POINT_STAGES = ['outreach_attempted', 'meeting_agreed', 'meeting_attended'] as const;
