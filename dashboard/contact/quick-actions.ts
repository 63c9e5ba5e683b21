import { randomUUID } from 'node:crypto';
import { PLAN_KINDS } from '../../experiments/vocabulary.ts';
import { ukDateKey, ukDateWords } from '../../experiments/outcomes/uk-time.ts';
import { humanise } from '../format.ts';
import type { FunnelEvent } from './next-step.ts';

/**
 * One-click recording of the usual next step: a button that posts the
 * outcome with everything it needs already filled in (the arm's channel,
 * today's date, the meeting's date), used at the top of a person's page and
 * on each row of Today. Steps that need a detail the coach has to choose or
 * type (where and when a meeting is, a score) stay on the record form.
 */
export interface QuickAction {
  text: string;
  /** The record form's fields, as the button posts them. */
  fields: Record<string, string>;
  /** A second choice, drawn as a secondary button. */
  secondary?: boolean;
  /** Buttons in a group share a heading ("Plan agreed"). */
  group?: string;
}

const DAY_MS = 86_400_000;

/** The follow-up checkpoints after a first meeting, each due until the next one is. */
export const FOLLOW_UPS = [
  { stage: 'engaged_4w', fromWeeks: 4, untilWeeks: 8 },
  { stage: 'engaged_8w', fromWeeks: 8, untilWeeks: 13 },
  { stage: 'engaged_13w', fromWeeks: 13, untilWeeks: 17 },
] as const;

/**
 * The follow-up due now, if any: the latest checkpoint reached, unless it or a
 * later one is already recorded (a missed one is not chased once the next is due).
 * today-read-model.ts applies the same rule in SQL.
 */
export function dueFollowUp(firstMeetingAt: string, reached: ReadonlySet<string>, now: Date): (typeof FOLLOW_UPS)[number] | null {
  const weeks = (now.getTime() - new Date(firstMeetingAt).getTime()) / (7 * DAY_MS);
  const index = FOLLOW_UPS.findIndex((f) => weeks >= f.fromWeeks && weeks < f.untilWeeks);
  if (index < 0 || FOLLOW_UPS.slice(index).some((f) => reached.has(f.stage))) return null;
  return FOLLOW_UPS[index];
}

const today = { when: 'today' };

export function outreachAction(channel: string, again: boolean): QuickAction {
  return { text: `${again ? 'Tried again' : 'Outreach attempted'} by ${humanise(channel)} today`, fields: { stage: 'outreach_attempted', channel, ...today } };
}

export function respondedAction(): QuickAction {
  return { text: 'Responded today', fields: { stage: 'responded', ...today } };
}

/** "Attended": today for a meeting today, or on the meeting's day (the form takes the meeting's time). Null before the meeting starts. */
export function attendedAction(meetingTime: string | null, now: Date): QuickAction | null {
  if (!meetingTime) return { text: 'Attended today', fields: { stage: 'meeting_attended', ...today } };
  const meeting = new Date(meetingTime);
  if (meeting > now) return null;
  if (ukDateKey(meeting) === ukDateKey(now)) return { text: 'Attended today', fields: { stage: 'meeting_attended', ...today } };
  const [year, month, day] = ukDateKey(meeting).split('-').map(Number);
  return {
    text: `Attended on ${ukDateWords(meeting).replace(/ \d{4}$/, '')}`,
    fields: { stage: 'meeting_attended', when: 'earlier', whenDay: String(day), whenMonth: String(month), whenYear: String(year) },
  };
}

export function followUpAction(stage: string): QuickAction {
  return { text: humanise(stage), fields: { stage, ...today } };
}

function planActions(): QuickAction[] {
  const order = ['informal', 'written', 'signed', 'next_meeting_only', 'none'] as const satisfies readonly (typeof PLAN_KINDS)[number][];
  const words: Record<(typeof order)[number], string> = { informal: 'Informal plan', written: 'Written plan', signed: 'Signed plan', next_meeting_only: 'Next meeting only', none: 'No plan' };
  return order.map((kind) => ({ text: words[kind], fields: { stage: 'plan_agreed', planKind: kind, ...today }, secondary: true, group: 'Plan agreed' }));
}

function latest(events: FunnelEvent[], stage: string): FunnelEvent | undefined {
  let found: FunnelEvent | undefined;
  for (const event of events) if (event.stage === stage && (!found || event.occurredAt >= found.occurredAt)) found = event;
  return found;
}

/**
 * The buttons at the top of a person's page for their usual next step, from
 * their funnel so far. `channel` is the one their arm (or, failing that, their
 * preference) says to use; without one, outreach goes through the form.
 */
export function contactQuickActions(events: FunnelEvent[], optedOut: boolean, channel: string | null, now: Date): QuickAction[] {
  if (optedOut) return [];
  const reached = new Set(events.map((e) => e.stage));
  if (reached.has('disengaged')) return [];
  if (!reached.has('outreach_attempted')) return channel ? [outreachAction(channel, false)] : [];
  if (!reached.has('meeting_attended')) {
    const agreed = latest(events, 'meeting_agreed');
    const missed = latest(events, 'meeting_not_attended');
    if (agreed && (!missed || missed.occurredAt < agreed.occurredAt)) {
      const attended = attendedAction(typeof agreed.detail?.time === 'string' ? agreed.detail.time : null, now);
      return attended ? [attended] : [];
    }
    if (agreed || reached.has('responded')) return [];
    return [respondedAction(), ...(channel ? [{ ...outreachAction(channel, true), secondary: true }] : [])];
  }
  const actions: QuickAction[] = [];
  if (!reached.has('wants_to_continue')) actions.push(followUpAction('wants_to_continue'));
  if (!reached.has('plan_agreed')) actions.push(...planActions());
  const firstMeeting = events.filter((e) => e.stage === 'meeting_attended').map((e) => e.occurredAt).sort()[0];
  const followUp = dueFollowUp(firstMeeting, reached, now);
  if (followUp) actions.push(followUpAction(followUp.stage));
  return actions;
}

/** A quick action's form: its fields plus a fresh idempotency key, so a double-click records once. */
export function quickActionForm(action: QuickAction, extra: Record<string, string> = {}) {
  return { ...action, hidden: Object.entries({ ...action.fields, ...extra, idempotencyKey: randomUUID() }).map(([name, value]) => ({ name, value })) };
}
