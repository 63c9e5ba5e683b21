import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { contactScope, createContactLookup } from '../contacts/contact-service.ts';
import { stageByKey } from '../vocabulary.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { guardProgressSources } from '../progress/source-guard.ts';
import { detailSchemas, type OutcomeInput } from './outcome-schema.ts';
import { createOutcomeStore, type EventRow } from './outcome-store.ts';
import { createContactStore } from '../contacts/contact-store.ts';
import { createOutcomeHistoryReadModel, type CorrectionRow } from './outcome-history-read-model.ts';
import { outcomeDifferences, outcomePayloadHash } from './outcome-payload.ts';
import { CORRECTION_REASONS, type CorrectionKind } from './correction-schema.ts';
import { skippedStageWarning, type SkippedStageWarning } from './funnel-order.ts';
import { ukDateTimeWords, ukDateWords, ukDayStart } from './uk-time.ts';

/** A correction of an event, as shown beside it (docs/decisions/0035). */
export interface CorrectionView {
  id: number;
  kind: CorrectionKind;
  reason: string;
  /** The reason in words, from CORRECTION_REASONS. */
  reasonLabel: string;
  reasonNote: string | null;
  /** For 'correct': the corrected record. */
  occurredAt: string | null;
  value: number | null;
  detail: Record<string, unknown> | null;
  correctedBy: string;
  correctedAt: string;
}

/**
 * An outcome event as it now counts: `value`, `detail` and `occurredAt` are
 * the corrected ones when it has been corrected; `original` keeps what was
 * first recorded. `status` says whether it still counts.
 */
export interface OutcomeView {
  id: number;
  contact: string;
  stage: string;
  value: number | null;
  detail: Record<string, unknown> | null;
  occurredAt: string;
  recordedAt: string;
  idempotencyKey: string;
  status: 'recorded' | 'corrected' | 'withdrawn';
  original: { value: number | null; detail: Record<string, unknown> | null; occurredAt: string } | null;
  corrections: CorrectionView[];
}

const parseDetail = (detail: string | null) => (detail ? (JSON.parse(detail) as Record<string, unknown>) : null);

/** Checks a stage's value and detail; returns field errors and the parsed detail. */
export function checkStage(input: { stage: string; value?: number; detail?: Record<string, unknown> }): { errors: FieldError[]; detail: Record<string, unknown> | null } {
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

/** Checks when something happened: not in the future, and not long before the person joined the cohort. */
export function checkOccurredAt(occurredAt: Date, now: Date, contactCreatedAt: string): FieldError[] {
  if (occurredAt.getTime() > now.getTime() + ALLOWED_CLOCK_SKEW_MS) return [{ field: 'occurredAt', message: 'The date cannot be in the future' }];
  if (occurredAt.getTime() < new Date(contactCreatedAt).getTime() - 365 * 86_400_000)
    return [{ field: 'occurredAt', message: 'The date is more than a year before this person joined the cohort' }];
  return [];
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
  const store = createOutcomeStore(db);
  const contacts = createContactStore(db);
  const history = createOutcomeHistoryReadModel(db);

  const toCorrectionView = ({ eventId: _eventId, ...row }: CorrectionRow): CorrectionView => ({
    ...row,
    reasonLabel: (CORRECTION_REASONS[row.kind] as Record<string, string>)[row.reason] ?? row.reason,
    detail: parseDetail(row.detail),
  });
  const toView = (row: EventRow, reference: string, corrections: CorrectionView[] = []): OutcomeView => ({
    id: row.id,
    contact: reference,
    stage: row.stage,
    value: row.value,
    detail: parseDetail(row.detail),
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    idempotencyKey: row.idempotencyKey,
    status: row.latestKind === 'withdraw' ? 'withdrawn' : row.latestKind === 'correct' ? 'corrected' : 'recorded',
    original: row.latestKind === null ? null : { value: row.originalValue, detail: parseDetail(row.originalDetail), occurredAt: row.originalOccurredAt },
    corrections,
  });
  const viewOf = async (row: EventRow, reference: string) => {
    const corrections = (await history.correctionsOfContact(row.contactId)).filter((c) => c.eventId === row.id).map(toCorrectionView);
    return toView(row, reference, corrections);
  };

  const contactLookup = createContactLookup(db);
  type Contact = Awaited<ReturnType<typeof contactLookup.byReference>>;

  /** Everything wrong with an input, and the funnel stages it skips; nothing is written. */
  async function validate(user: CurrentUser, input: OutcomeInput, contact: Contact) {
    const now = clock.now();
    const errors: FieldError[] = [];
    if (!contact) errors.push({ field: 'contact', message: 'No contact on your caseload has this reference' });
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
    if (contact) errors.push(...checkOccurredAt(occurredAt, now, contact.createdAt));
    else errors.push(...checkOccurredAt(occurredAt, now, now.toISOString()).filter((e) => /future/.test(e.message)));
    const { errors: stageErrors, detail } = checkStage(input);
    errors.push(...stageErrors);
    if (stageErrors.length === 0) errors.push(...(await checkTimes(input.stage, detail, occurredAt, now, contact?.id)));
    const reached = contact ? new Set(await store.stagesReached(contact.id)) : new Set<string>();
    const warning = skippedStageWarning(input.stage, reached);
    return { now, occurredAt, detail, errors, warnings: warning ? [warning] : [] };
  }

  /**
   * Dates that make sense: a meeting is agreed for the day it was agreed or
   * later, and no more than a week back (a late entry); attendance is
   * recorded only once the agreed meeting has started.
   */
  async function checkTimes(stage: string, detail: Record<string, unknown> | null, occurredAt: Date, now: Date, contactId: number | undefined): Promise<FieldError[]> {
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
      const time = await store.meetingTimeBefore(contactId, occurredAt.toISOString());
      if (typeof time === 'string' && new Date(time).getTime() > occurredAt.getTime())
        errors.push({ field: 'occurredAt', message: `You can only record this once the meeting has started (${ukDateTimeWords(new Date(time))})` });
    }
    return errors;
  }

  /** A key already recorded: the first event when this is the same outcome as first sent (before any correction), else the 409. */
  async function repeated(user: CurrentUser, previous: EventRow, contact: Contact, input: OutcomeInput): Promise<RecordResult> {
    const owner = await contactLookup.byId(user, previous.contactId);
    const sent = { contactId: previous.contactId, stage: previous.stage, value: previous.originalValue, detail: previous.originalDetail, occurredAt: previous.originalOccurredAt, payloadHash: previous.payloadHash };
    const differences = owner ? outcomeDifferences(sent, contact?.id, input) : ['contact'];
    if (differences.length > 0 || !owner) throw reusedKey(owner ? differences : []);
    return { created: false, event: await viewOf(previous, owner.reference) };
  }

  async function record(user: CurrentUser, input: OutcomeInput): Promise<RecordResult> {
    const contact = await contactLookup.byReference(user, input.contact);
    const previous = await store.eventByKey(input.idempotencyKey);
    if (previous) return repeated(user, previous, contact, input);
    // An opt-out is recorded once per person: repeats, with any key, return the one in force.
    if (contact?.optedOutAt && input.stage === 'opted_out') {
      const current = await store.currentOptOut(contact.id);
      if (current) return { created: false, event: await viewOf(current, contact.reference) };
    }
    const { now, occurredAt, detail, errors, warnings } = await validate(user, input, contact);
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
    await guardProgressSources(db);
    if (input.stage === 'opted_out') {
      // Marked first: an opt-out sent at the same moment with another key (PostgreSQL) waits here for this one, finds them opted out, and returns it.
      const changes = await contacts.markOptedOut(row.contactId, row.occurredAt, row.recordedAt);
      if (changes === 0) {
        const current = await store.currentOptOut(row.contactId);
        if (current) return { created: false, event: await viewOf(current, contact!.reference) };
      }
    }
    const inserted = await store.insertEvent({ ...row, payloadHash: outcomePayloadHash(row.contactId, input) });
    if (!inserted) {
      // Another request recorded this key since it was looked up: answer as its retry.
      const stored = await store.eventByKey(input.idempotencyKey);
      if (!stored) throw new Error('An outcome event with this idempotency key was neither recorded nor found');
      return repeated(user, stored, contact, input);
    }
    progress.scheduleCatchUp();
    const view = toView(
      { ...row, id: Number(inserted.id), originalValue: row.value, originalDetail: row.detail, originalOccurredAt: row.occurredAt, latestKind: null, payloadHash: null },
      contact!.reference,
    );
    return { created: true, event: view, warnings };
  }

  /** The 409 for a key already used for another outcome. Fields are named only when the caller can see the first event. */
  function reusedKey(differences: string[]): ConflictError {
    const which = differences.length ? ` (${differences.join(', ')} ${differences.length === 1 ? 'differs' : 'differ'})` : '';
    return new ConflictError(
      `This idempotency key was already used for a different outcome${which}. Nothing was recorded: send a new outcome with a new idempotency key.`,
      [{ field: 'idempotencyKey', message: 'Use a new idempotency key for a different outcome' }],
    );
  }

  return {
    /**
     * Appends an outcome event. A retry with the same idempotency key and the
     * same payload returns the first event and records nothing; the same key
     * with a different payload is a 409 and records nothing, also when the two
     * requests arrive at the same moment. Recording an opt-out also marks the
     * person as opted out, in the same transaction; while they are opted out,
     * another opt-out (with any key) returns the first and records nothing.
     * Joins the caller's transaction when there is one.
     */
    record(user: CurrentUser, input: OutcomeInput): Promise<RecordResult> {
      return db.withTransaction(() => record(user, input));
    },

    /**
     * What recording this would say, without recording it: the field errors
     * (as `record` would throw them) and the funnel stages it skips, so a form
     * can ask the coach to confirm a skip first. A key already used has
     * nothing to check: recording it again returns the first event (or a 409).
     */
    async check(user: CurrentUser, input: OutcomeInput): Promise<{ errors: FieldError[]; warnings: SkippedStageWarning[] }> {
      if (await store.eventByKey(input.idempotencyKey)) return { errors: [], warnings: [] };
      const { errors, warnings } = await validate(user, input, await contactLookup.byReference(user, input.contact));
      return { errors, warnings };
    },

    /**
     * The person's events as they now count, oldest first, each with its
     * corrections; withdrawn events only when asked for (the page's history).
     */
    async forContact(user: CurrentUser, reference: string, options: { includeWithdrawn?: boolean } = {}): Promise<OutcomeView[]> {
      const scope = contactScope(user, 'c');
      const contact = await history.contactIdInScope(scope, reference);
      if (!contact) throw new NotFoundError('Contact');
      const corrections = new Map<number, CorrectionView[]>();
      for (const row of await history.correctionsOfContact(contact.id))
        corrections.set(row.eventId, [...(corrections.get(row.eventId) ?? []), toCorrectionView(row)]);
      return (await store.eventsOfContact(contact.id))
        .filter((row) => options.includeWithdrawn || row.latestKind !== 'withdraw')
        .sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : a.id - b.id))
        .map((row) => toView(row, reference, corrections.get(row.id) ?? []));
    },

    /** One event as it now counts, with the raw facts a correction needs (who recorded it, when); null when the user may not see it. */
    async event(user: CurrentUser, eventId: number): Promise<{ view: OutcomeView; recordedBy: number; contactId: number; contactCreatedAt: string; optedOut: boolean } | null> {
      const row = await store.eventById(eventId);
      if (!row) return null;
      const contact = await contactLookup.byId(user, row.contactId);
      if (!contact) return null;
      return { view: await viewOf(row, contact.reference), recordedBy: row.recordedBy, contactId: row.contactId, contactCreatedAt: contact.createdAt, optedOut: contact.optedOutAt !== null };
    },
  };
}

export type OutcomeService = ReturnType<typeof createOutcomeService>;
