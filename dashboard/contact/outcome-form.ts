import {
  CHANNELS,
  DISENGAGED_REASONS,
  MEETING_PLACES,
  MEETING_TOPICS,
  NOT_ATTENDED_REASONS,
  PLAN_KINDS,
  STAGES,
  stageByKey,
  type StageDefinition,
} from '../../experiments/vocabulary.ts';
import type { OutcomeInput } from '../../experiments/outcomes/outcome-schema.ts';
import type { FieldError } from '../../server/errors.ts';
import { field, fields, type PageError } from '../page-context.ts';
import { humanise } from '../format.ts';
import { ukDateKey, ukWallClock } from '../../experiments/outcomes/uk-time.ts';

/**
 * The "record an outcome" form on the contact page: one radio per outcome,
 * each revealing only the detail that stage needs (channel, meeting place,
 * a reason…), as experiments/vocabulary.ts STAGES says.
 */

export interface OutcomeFormValues {
  stage: string;
  channel: string;
  place: string;
  meetingDay: string;
  meetingMonth: string;
  meetingYear: string;
  meetingTime: string;
  notAttendedReason: string;
  planKind: string;
  topics: string[];
  disengagedReason: string;
  values: Record<string, string>;
  when: string;
  whenDay: string;
  whenMonth: string;
  whenYear: string;
  idempotencyKey: string;
}

export const DETAIL_CHOICES = {
  channel: CHANNELS.map((v) => ({ value: v, text: humanise(v) })),
  place: MEETING_PLACES.map((v) => ({ value: v, text: v === 'phone' ? 'phone call' : v === 'online' ? 'online (video)' : humanise(v) })),
  notAttendedReason: NOT_ATTENDED_REASONS.map((v) => ({ value: v, text: humanise(v) })),
  planKind: PLAN_KINDS.map((v) => ({ value: v, text: v === 'none' ? 'no plan' : `${humanise(v)}${v === 'next_meeting_only' ? '' : ' plan'}` })),
  topics: MEETING_TOPICS.map((v) => ({ value: v, text: humanise(v) })),
  disengagedReason: DISENGAGED_REASONS.map((v) => ({ value: v, text: humanise(v) })),
};

export const RECORDABLE_STAGES = STAGES.filter((s) => s.key !== 'opted_out');

export function emptyOutcomeValues(idempotencyKey: string, defaults: { channel?: string | null; place?: string | null } = {}): OutcomeFormValues {
  return {
    stage: '',
    channel: defaults.channel ?? '',
    place: defaults.place ?? '',
    meetingDay: '',
    meetingMonth: '',
    meetingYear: '',
    meetingTime: '',
    notAttendedReason: '',
    planKind: '',
    topics: [],
    disengagedReason: '',
    values: {},
    when: 'today',
    whenDay: '',
    whenMonth: '',
    whenYear: '',
    idempotencyKey,
  };
}

export function outcomeValuesFromBody(body: unknown): OutcomeFormValues {
  const values = emptyOutcomeValues(field(body, 'idempotencyKey'));
  for (const name of ['stage', 'channel', 'place', 'meetingDay', 'meetingMonth', 'meetingYear', 'meetingTime', 'notAttendedReason', 'planKind', 'disengagedReason', 'when', 'whenDay', 'whenMonth', 'whenYear'] as const)
    values[name] = field(body, name);
  values.when ||= 'today';
  values.topics = fields(body, 'topics');
  for (const stage of STAGES) if ('value' in stage) values.values[stage.key] = field(body, `value-${stage.key}`);
  return values;
}

/** A calendar date from day, month and year fields, or null if it is not a real date. */
function dateParts(day: string, month: string, year: string): { year: number; month: number; day: number } | null {
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
  const parts = { year: Number(year), month: Number(month), day: Number(day) };
  return ukWallClock(parts.year, parts.month, parts.day) ? parts : null;
}

/** A time of day as typed ("10:30", "9.15", "2pm", "14:00"), or null if it is not a real time. */
export function timeOfDay(text: string): { hours: number; minutes: number } | null {
  const match = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(text.trim());
  if (!match) return null;
  let hours = Number(match[1]);
  const minutes = Number(match[2] ?? 0);
  const meridiem = match[3]?.toLowerCase();
  if (meridiem && (hours < 1 || hours > 12)) return null;
  if (meridiem === 'pm' && hours < 12) hours += 12;
  if (meridiem === 'am' && hours === 12) hours = 0;
  if (hours > 23 || minutes > 59) return null;
  return { hours, minutes };
}

/** Noon UK time on a day typed into a date input: an event whose time of day nobody wrote down. */
function noonOn(day: string, month: string, year: string): Date | null {
  const parts = dateParts(day, month, year);
  return parts ? ukWallClock(parts.year, parts.month, parts.day, 12, 0) : null;
}

const ATTENDANCE_STAGES = new Set(['meeting_attended', 'meeting_not_attended']);

/** What the form needs to know about the person to read "when" sensibly. */
export interface OutcomeFormContext {
  /** The time of the meeting they last agreed, if one was given. */
  meetingTime?: string | null;
}

/** Checks the form and builds the outcome service's input; errors name the form's field ids. */
export function outcomeInputFromForm(values: OutcomeFormValues, reference: string, now: Date, context: OutcomeFormContext = {}): { input: OutcomeInput | null; errors: PageError[] } {
  const errors: PageError[] = [];
  const stage = stageByKey.get(values.stage) as StageDefinition | undefined;
  if (!stage || values.stage === 'opted_out') return { input: null, errors: [{ field: 'stage', message: 'Select what happened' }] };
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(values.idempotencyKey))
    errors.push({ field: 'stage', message: 'The form was incomplete. Select what happened and record it again' });

  let detail: Record<string, unknown> | undefined;
  if (stage.detail === 'channel') {
    if (!(CHANNELS as readonly string[]).includes(values.channel)) errors.push({ field: 'channel', message: 'Select the channel you used' });
    detail = { channel: values.channel };
  } else if (stage.detail === 'meeting') {
    if (!(MEETING_PLACES as readonly string[]).includes(values.place)) errors.push({ field: 'place', message: 'Select where the meeting will be' });
    detail = { place: values.place };
    const anyDate = values.meetingDay || values.meetingMonth || values.meetingYear;
    const date = anyDate ? dateParts(values.meetingDay, values.meetingMonth, values.meetingYear) : null;
    const time = values.meetingTime ? timeOfDay(values.meetingTime) : null;
    if (anyDate && !date) errors.push({ field: 'meetingDate-day', message: 'Enter the meeting date as a real date, for example 27 3 2026' });
    if (!anyDate && values.meetingTime) errors.push({ field: 'meetingDate-day', message: 'Enter the date of the meeting, or leave the time blank' });
    if (values.meetingTime && !time) errors.push({ field: 'meetingTime', message: 'Enter a real time, for example 09:30' });
    // A meeting with no time given is taken to be at noon, like any other date without a time.
    if (date && (time || !values.meetingTime))
      detail.time = ukWallClock(date.year, date.month, date.day, time?.hours ?? 12, time?.minutes ?? 0)!.toISOString();
  } else if (stage.detail === 'notAttendedReason') {
    if (!(NOT_ATTENDED_REASONS as readonly string[]).includes(values.notAttendedReason)) errors.push({ field: 'notAttendedReason', message: 'Select why they could not come' });
    detail = { reason: values.notAttendedReason };
  } else if (stage.detail === 'plan') {
    if (!(PLAN_KINDS as readonly string[]).includes(values.planKind)) errors.push({ field: 'planKind', message: 'Select the kind of plan you agreed' });
    detail = { kind: values.planKind };
  } else if (stage.detail === 'topics') {
    if (values.topics.length === 0 || values.topics.some((t) => !(MEETING_TOPICS as readonly string[]).includes(t)))
      errors.push({ field: 'topics', message: 'Select the topics you covered' });
    detail = { topics: values.topics };
  } else if (stage.detail === 'disengagedReason') {
    if (!(DISENGAGED_REASONS as readonly string[]).includes(values.disengagedReason)) errors.push({ field: 'disengagedReason', message: 'Select why they stopped engaging' });
    detail = { reason: values.disengagedReason };
  }

  let value: number | undefined;
  if (stage.value) {
    const text = values.values[stage.key] ?? '';
    value = Number(text);
    const { min, max, label, integer } = stage.value;
    if (text === '' || !Number.isFinite(value)) errors.push({ field: `value-${stage.key}`, message: `Enter the ${label}` });
    else if (value < min || value > max || (integer && !Number.isInteger(value)))
      errors.push({ field: `value-${stage.key}`, message: `Enter the ${label} as ${integer ? 'a whole number ' : 'a number '}from ${min} to ${max}` });
  }

  let occurredAt: string | undefined;
  if (values.when === 'yesterday') {
    // Noon UK time yesterday, as if the date were typed: the same time however often the form is
    // sent that day, so a resent form matches its idempotency key's first outcome.
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'numeric', year: 'numeric' }).formatToParts(new Date(now.getTime() - 86_400_000));
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    occurredAt = noonOn(part('day'), part('month'), part('year'))?.toISOString();
  }
  else if (values.when === 'earlier') {
    const date = noonOn(values.whenDay, values.whenMonth, values.whenYear);
    if (!date) errors.push({ field: 'whenDate-day', message: 'Enter the date it happened, for example 27 3 2026' });
    else if (date.getTime() > now.getTime() && ukDateKey(date) !== ukDateKey(now)) errors.push({ field: 'whenDate-day', message: 'The date it happened must be today or in the past' });
    else occurredAt = new Date(Math.min(date.getTime(), now.getTime())).toISOString();
  }
  // "They came" on the day of a meeting means at the meeting, not at noon or this time yesterday.
  const meeting = context.meetingTime ? new Date(context.meetingTime) : null;
  if (occurredAt && meeting && ATTENDANCE_STAGES.has(stage.key) && ukDateKey(new Date(occurredAt)) === ukDateKey(meeting) && meeting <= now)
    occurredAt = meeting.toISOString();
  if (errors.length) return { input: null, errors };
  return {
    input: { contact: reference, stage: stage.key as OutcomeInput['stage'], value, detail, occurredAt, idempotencyKey: values.idempotencyKey },
    errors: [],
  };
}

/** Maps the outcome service's field names (`detail.channel`) to the form's field ids. */
export function mapOutcomeErrors(errors: FieldError[], values: Pick<OutcomeFormValues, 'stage' | 'when'>): PageError[] {
  const stage = values.stage;
  const byDetail: Record<string, string> = {
    'detail.channel': 'channel',
    'detail.place': 'place',
    'detail.time': 'meetingDate-day',
    'detail.reason': stage === 'disengaged' ? 'disengagedReason' : 'notAttendedReason',
    'detail.kind': 'planKind',
    'detail.topics': 'topics',
    value: `value-${stage}`,
    occurredAt: values.when === 'earlier' ? 'whenDate-day' : 'when',
  };
  return errors.map((e) => ({ field: byDetail[e.field] ?? 'stage', message: e.message }));
}
