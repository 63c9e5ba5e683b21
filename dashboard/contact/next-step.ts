import type { StageKey } from '../../experiments/vocabulary.ts';
import { formatDate, formatDateTime } from '../format.ts';

/**
 * "What is due next" for a person, from their funnel so far: the step the
 * coach should take, and the outcomes most likely to be recorded next (offered
 * first on the contact page, so recording usually takes one or two clicks).
 */
export interface FunnelEvent {
  stage: string;
  occurredAt: string;
  detail: Record<string, unknown> | null;
}

export interface NextStep {
  title: string;
  detail: string | null;
  /** Outcomes to offer first, most likely first. */
  suggestedStages: StageKey[];
  /** Nothing to do (opted out): no contact actions are offered. */
  doNotContact: boolean;
}

/** Stages that can sensibly be recorded more than once. */
export const REPEATABLE_STAGES = new Set<string>(['outreach_attempted', 'meeting_agreed', 'meeting_not_attended', 'working_alliance', 'health_self_rating', 'complaint']);

const PHASE_2: StageKey[] = ['wants_to_continue', 'found_useful', 'more_optimistic', 'plan_agreed', 'topics_covered'];
const PHASE_3: StageKey[] = ['engaged_4w', 'engaged_8w', 'engaged_13w', 'working_alliance', 'health_self_rating', 'started_work', 'in_work_13w', 'in_work_26w', 'disengaged'];

function latest(events: FunnelEvent[], stage: string): FunnelEvent | undefined {
  let found: FunnelEvent | undefined;
  for (const event of events) if (event.stage === stage && (!found || event.occurredAt >= found.occurredAt)) found = event;
  return found;
}

export function nextStep(events: FunnelEvent[], optedOutAt: string | null): NextStep {
  if (optedOutAt)
    return { title: 'Do not contact', detail: `They asked not to be contacted again on ${formatDate(optedOutAt)}.`, suggestedStages: [], doNotContact: true };
  const reached = new Set(events.map((e) => e.stage));
  const notYet = (stages: StageKey[]) => stages.filter((s) => REPEATABLE_STAGES.has(s) || !reached.has(s));
  const step = (title: string, detail: string | null, suggestedStages: StageKey[]): NextStep => ({ title, detail, suggestedStages, doNotContact: false });

  if (reached.has('disengaged')) return step('No longer engaged', 'They have stopped engaging. Record anything new if they get back in touch.', notYet(['responded', 'meeting_agreed', 'started_work']));
  if (!reached.has('outreach_attempted')) return step('Make first contact', 'Use the channel and message for their arm, below.', ['outreach_attempted']);

  if (!reached.has('meeting_attended')) {
    const agreed = latest(events, 'meeting_agreed');
    const missed = latest(events, 'meeting_not_attended');
    if (agreed && (!missed || missed.occurredAt < agreed.occurredAt)) {
      const time = typeof agreed.detail?.time === 'string' ? agreed.detail.time : null;
      return step(time ? `First meeting on ${formatDateTime(time)}` : 'First meeting agreed', 'Record whether they came.', ['meeting_attended', 'meeting_not_attended']);
    }
    if (agreed && missed) return step('Offer another meeting', 'They could not make the last one. Offer another time or place if they would like one.', ['meeting_agreed', 'outreach_attempted']);
    if (reached.has('responded')) return step('Agree a first meeting', 'Offer the meeting place for their arm, and a time that suits them.', ['meeting_agreed']);
    const attempts = events.filter((e) => e.stage === 'outreach_attempted');
    const last = latest(events, 'outreach_attempted')!;
    return step(
      'Wait for a reply, or try again',
      `${attempts.length} contact attempt${attempts.length === 1 ? '' : 's'} so far, the last on ${formatDate(last.occurredAt)}.`,
      ['responded', 'meeting_agreed', 'outreach_attempted'],
    );
  }

  const phase2 = notYet(PHASE_2).filter((s) => !REPEATABLE_STAGES.has(s));
  if (phase2.length > 0) return step('Record how the first meeting went', 'Ask how useful it was and how they feel now, and record any plan you agreed.', phase2);
  if (reached.has('started_work')) return step('Keep in touch about work', 'Check in at 13 and 26 weeks.', notYet(['in_work_13w', 'in_work_26w', 'working_alliance', 'health_self_rating', 'disengaged']));
  return step('Keep in touch', 'Record engagement at 4, 8 and 13 weeks, and any move into work.', notYet(PHASE_3));
}
