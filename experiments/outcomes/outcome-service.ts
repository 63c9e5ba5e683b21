import { and, asc, eq } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/client.ts';
import { contacts, outcomeEvents } from '../../server/db/schema.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { contactScope, createContactLookup } from '../contacts/contact-service.ts';
import { stageByKey } from '../vocabulary.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { detailSchemas, type OutcomeInput } from './outcome-schema.ts';
import { skippedStageWarning, type SkippedStageWarning } from './funnel-order.ts';
import { ukDateTimeWords, ukDateWords, ukDayStart } from './uk-time.ts';

export interface OutcomeView {
  id: number;
  contact: string;
  stage: string;
  value: number | null;
  detail: Record<string, unknown> | null;
  occurredAt: string;
  recordedAt: string;
  idempotencyKey: string;
}

/** Clocks on laptops drift; an event up to this far ahead of the server is accepted. */
const ALLOWED_CLOCK_SKEW_MS = 2 * 60_000;

/** Stages that mean contacting someone; refused once they have opted out. */
const CONTACTING_STAGES = new Set(['outreach_attempted', 'meeting_agreed']);

/** A meeting agreed but typed in late may be up to this many days in the past, never more. */
export const LATE_MEETING_ENTRY_DAYS = 7;
/** Further ahead than this, a meeting date is almost certainly a typing slip (2062 for 2026). */
const MEETING_HORIZON_DAYS = 366;
const DAY_MS = 86_400_000;

/** Whether they came, or not: only known once the meeting has started. */
const ATTENDANCE_STAGES = new Set(['meeting_attended', 'meeting_not_attended']);

export interface RecordResult {
  created: boolean;
  event: OutcomeView;
  /** Stages skipped on the funnel (recorded anyway); only on a newly created event. */
  warnings?: SkippedStageWarning[];
}

export function createOutcomeService(db: Db, clock: Clock, progress: ProgressProjection) {
  const toView = (row: typeof outcomeEvents.$inferSelect, reference: string): OutcomeView => ({
    id: row.id,
    contact: reference,
    stage: row.stage,
    value: row.value,
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    idempotencyKey: row.idempotencyKey,
  });

  // Recording is the busiest write (many a day per coach): prepared statements throughout.
  const contactLookup = createContactLookup(db);
  const eventByKey = db.$client.prepare(`
    SELECT id, contact_id AS contactId, stage, value, detail, occurred_at AS occurredAt, recorded_at AS recordedAt,
           recorded_by AS recordedBy, idempotency_key AS idempotencyKey
    FROM outcome_events WHERE idempotency_key = ?`);
  const insertEvent = db.$client.prepare(`
    INSERT INTO outcome_events (contact_id, stage, value, detail, occurred_at, recorded_at, recorded_by, idempotency_key)
    VALUES (@contactId, @stage, @value, @detail, @occurredAt, @recordedAt, @recordedBy, @idempotencyKey)`);
  const stagesReached = db.$client.prepare('SELECT DISTINCT stage FROM outcome_events WHERE contact_id = ?').pluck();
  // The meeting an attendance is about: the latest agreed by the time it happened.
  const meetingBefore = db.$client.prepare(`
    SELECT json_extract(detail, '$.time') FROM outcome_events
    WHERE contact_id = ? AND stage = 'meeting_agreed' AND occurred_at <= ?
    ORDER BY occurred_at DESC, id DESC LIMIT 1`).pluck();
  const markOptedOut = db.$client.prepare('UPDATE contacts SET opted_out_at = ?, updated_at = ? WHERE id = ? AND opted_out_at IS NULL');
  const recordInTransaction = db.$client.transaction((user: CurrentUser, input: OutcomeInput) => record(user, input));

  /** Everything wrong with an input, and the funnel stages it skips; nothing is written. */
  function validate(user: CurrentUser, input: OutcomeInput) {
    const now = clock.now();
    const errors: FieldError[] = [];
    const contact = contactLookup.byReference(user, input.contact);
    if (!contact) errors.push({ field: 'contact', message: 'No contact on your caseload has this reference' });
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
    if (occurredAt.getTime() > now.getTime() + ALLOWED_CLOCK_SKEW_MS) errors.push({ field: 'occurredAt', message: 'The date cannot be in the future' });
    if (contact && occurredAt.getTime() < new Date(contact.createdAt).getTime() - 365 * DAY_MS)
      errors.push({ field: 'occurredAt', message: 'The date is more than a year before this person joined the cohort' });
    const { errors: stageErrors, detail } = checkStage(input);
    errors.push(...stageErrors);
    if (stageErrors.length === 0) errors.push(...checkTimes(input.stage, detail, occurredAt, now, contact?.id));
    const reached = contact ? new Set(stagesReached.all(contact.id) as string[]) : new Set<string>();
    const warning = skippedStageWarning(input.stage, reached);
    return { now, contact, occurredAt, detail, errors, warnings: warning ? [warning] : [] };
  }

  /**
   * Dates that make sense: a meeting is agreed for the day it was agreed or
   * later, and no more than a week back (a late entry); attendance is
   * recorded only once the agreed meeting has started.
   */
  function checkTimes(stage: string, detail: Record<string, unknown> | null, occurredAt: Date, now: Date, contactId: number | undefined): FieldError[] {
    const errors: FieldError[] = [];
    if (stage === 'meeting_agreed' && typeof detail?.time === 'string') {
      const meeting = new Date(detail.time);
      const agreedDay = ukDayStart(occurredAt);
      if (meeting < agreedDay)
        errors.push({
          field: 'detail.time',
          message: agreedDay.getTime() === ukDayStart(now).getTime() ? 'The meeting must be today or later' : `The meeting must be on or after the day it was agreed (${ukDateWords(occurredAt)})`,
        });
      else if (meeting < ukDayStart(now, -LATE_MEETING_ENTRY_DAYS))
        errors.push({ field: 'detail.time', message: `The meeting must be no more than ${LATE_MEETING_ENTRY_DAYS} days ago` });
      else if (meeting.getTime() > now.getTime() + MEETING_HORIZON_DAYS * DAY_MS) errors.push({ field: 'detail.time', message: 'The meeting must be within the next year' });
    }
    if (ATTENDANCE_STAGES.has(stage) && contactId !== undefined) {
      const time = meetingBefore.get(contactId, occurredAt.toISOString()) as string | null | undefined;
      if (typeof time === 'string' && new Date(time).getTime() > occurredAt.getTime())
        errors.push({ field: 'occurredAt', message: `You can only record this once the meeting has started (${ukDateTimeWords(new Date(time))})` });
    }
    return errors;
  }

  function record(user: CurrentUser, input: OutcomeInput): RecordResult {
    const previous = eventByKey.get(input.idempotencyKey) as typeof outcomeEvents.$inferSelect | undefined;
    if (previous) {
      const owner = contactLookup.byId(user, previous.contactId);
      if (!owner) throw new ConflictError('That idempotency key has already been used', [{ field: 'idempotencyKey', message: 'Use a new idempotency key' }]);
      return { created: false, event: toView(previous, owner.reference) };
    }
    const { now, contact, occurredAt, detail, errors, warnings } = validate(user, input);
    if (errors.length) throw new ValidationError(errors, `The outcome has errors: ${errors.map((e) => e.message).join('; ')}`);
    if (contact!.optedOutAt && CONTACTING_STAGES.has(input.stage))
      throw new ConflictError('This person has asked not to be contacted again', [{ field: 'stage', message: 'Do not contact this person' }]);

    const row = {
      contactId: contact!.id,
      stage: input.stage,
      value: input.value ?? null,
      detail: detail ? JSON.stringify(detail) : null,
      occurredAt: occurredAt.toISOString(),
      recordedAt: now.toISOString(),
      recordedBy: user.id,
      idempotencyKey: input.idempotencyKey,
    };
    const id = Number(insertEvent.run(row).lastInsertRowid);
    progress.scheduleCatchUp();
    if (input.stage === 'opted_out') markOptedOut.run(row.occurredAt, row.recordedAt, row.contactId);
    return { created: true, event: toView({ id, ...row }, contact!.reference), warnings };
  }

  function checkStage(input: OutcomeInput): { errors: FieldError[]; detail: Record<string, unknown> | null } {
    const stage = stageByKey.get(input.stage)!;
    const errors: FieldError[] = [];
    if (stage.value) {
      const { min, max, label, integer } = stage.value;
      if (input.value === undefined) errors.push({ field: 'value', message: `Enter the ${label}` });
      else if (input.value < min || input.value > max || (integer && !Number.isInteger(input.value)))
        errors.push({ field: 'value', message: `The ${label} must be ${integer ? 'a whole number ' : ''}between ${min} and ${max}` });
    } else if (input.value !== undefined) {
      errors.push({ field: 'value', message: `${stage.label} does not take a value` });
    }
    let detail: Record<string, unknown> | null = null;
    if (stage.detail) {
      const parsed = detailSchemas[stage.detail].safeParse(input.detail ?? {});
      if (parsed.success) detail = parsed.data;
      else errors.push(...parsed.error.issues.map((issue) => ({ field: ['detail', ...issue.path].join('.'), message: issue.message })));
    } else if (input.detail && Object.keys(input.detail).length > 0) {
      errors.push({ field: 'detail', message: `${stage.label} does not take any detail` });
    }
    return { errors, detail };
  }

  return {
    /**
     * Appends an outcome event. A retry with the same idempotency key returns
     * the first event and records nothing. Recording an opt-out also marks the
     * person as opted out, in the same transaction.
     */
    record(user: CurrentUser, input: OutcomeInput): RecordResult {
      return recordInTransaction.immediate(user, input);
    },

    /**
     * What recording this would say, without recording it: the field errors
     * (as `record` would throw them) and the funnel stages it skips, so a form
     * can ask the coach to confirm a skip first. A key already used has
     * nothing to check: recording it again returns the first event.
     */
    check(user: CurrentUser, input: OutcomeInput): { errors: FieldError[]; warnings: SkippedStageWarning[] } {
      if (eventByKey.get(input.idempotencyKey)) return { errors: [], warnings: [] };
      const { errors, warnings } = validate(user, input);
      return { errors, warnings };
    },

    forContact(user: CurrentUser, reference: string): OutcomeView[] {
      const contact = db.select({ id: contacts.id }).from(contacts).where(and(contactScope(user), eq(contacts.reference, reference))).get();
      if (!contact) throw new NotFoundError('Contact');
      return db
        .select()
        .from(outcomeEvents)
        .where(eq(outcomeEvents.contactId, contact.id))
        .orderBy(asc(outcomeEvents.occurredAt), asc(outcomeEvents.id))
        .all()
        .map((row) => toView(row, reference));
    },
  };
}

export type OutcomeService = ReturnType<typeof createOutcomeService>;
