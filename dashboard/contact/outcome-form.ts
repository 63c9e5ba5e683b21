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

/** A date from day, month and year fields, at noon UK time on that day unless a time is given. */
function dateFrom(day: string, month: string, year: string, time = ''): Date | null {
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
  const timeMatch = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(time.trim());
  let hours = 12;
  let minutes = 0;
  if (time.trim()) {
    if (!timeMatch) return null;
    hours = Number(timeMatch[1]);
    minutes = Number(timeMatch[2] ?? 0);
    const meridiem = timeMatch[3]?.toLowerCase();
    if (meridiem === 'pm' && hours < 12) hours += 12;
    if (meridiem === 'am' && hours === 12) hours = 0;
    if (hours > 23 || minutes > 59) return null;
  }
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), hours, minutes));
  if (date.getUTCDate() !== Number(day) || date.getUTCMonth() !== Number(month) - 1) return null;
  // Europe/London is UTC+1 in summer: shift so the time typed is UK time.
  const offsetHours = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: 'numeric', hourCycle: 'h23' }).format(date)) - date.getUTCHours();
  return new Date(date.getTime() - ((offsetHours + 24) % 24) * 3_600_000);
}

/** Checks the form and builds the outcome service's input; errors name the form's field ids. */
export function outcomeInputFromForm(values: OutcomeFormValues, reference: string, now: Date): { input: OutcomeInput | null; errors: PageError[] } {
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
    if (anyDate || values.meetingTime) {
      const time = dateFrom(values.meetingDay, values.meetingMonth, values.meetingYear, values.meetingTime || '');
      if (!anyDate) errors.push({ field: 'meetingDate', message: 'Enter the date of the meeting, or leave the time blank' });
      else if (!time) errors.push({ field: 'meetingDate', message: 'Enter the meeting date as a real date, and a time like 10:30 or 2pm' });
      else detail.time = time.toISOString();
    }
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
    occurredAt = dateFrom(part('day'), part('month'), part('year'))?.toISOString();
  }
  else if (values.when === 'earlier') {
    const date = dateFrom(values.whenDay, values.whenMonth, values.whenYear);
    if (!date) errors.push({ field: 'whenDate', message: 'Enter the date it happened, for example 27 3 2026' });
    else if (date.getTime() > now.getTime()) errors.push({ field: 'whenDate', message: 'The date it happened must be today or in the past' });
    else occurredAt = date.toISOString();
  }
  if (errors.length) return { input: null, errors };
  return {
    input: { contact: reference, stage: stage.key as OutcomeInput['stage'], value, detail, occurredAt, idempotencyKey: values.idempotencyKey },
    errors: [],
  };
}

/** Maps the outcome service's field names (`detail.channel`) to the form's field ids. */
export function mapOutcomeErrors(errors: FieldError[], stage: string): PageError[] {
  const byDetail: Record<string, string> = {
    'detail.channel': 'channel',
    'detail.place': 'place',
    'detail.time': 'meetingDate',
    'detail.reason': stage === 'disengaged' ? 'disengagedReason' : 'notAttendedReason',
    'detail.kind': 'planKind',
    'detail.topics': 'topics',
    value: `value-${stage}`,
    occurredAt: 'whenDate',
  };
  return errors.map((e) => ({ field: byDetail[e.field] ?? 'stage', message: e.message }));
}
