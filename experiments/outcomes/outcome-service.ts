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
import { outcomeDifferences, outcomePayloadHash, type StoredOutcome } from './outcome-payload.ts';

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

export function createOutcomeService(db: Db, clock: Clock, progress: ProgressProjection) {
  const toView = (row: Omit<typeof outcomeEvents.$inferSelect, 'payloadHash'>, reference: string): OutcomeView => ({
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
           recorded_by AS recordedBy, idempotency_key AS idempotencyKey, payload_hash AS payloadHash
    FROM outcome_events WHERE idempotency_key = ?`);
  const insertEvent = db.$client.prepare(`
    INSERT INTO outcome_events (contact_id, stage, value, detail, occurred_at, recorded_at, recorded_by, idempotency_key, payload_hash)
    VALUES (@contactId, @stage, @value, @detail, @occurredAt, @recordedAt, @recordedBy, @idempotencyKey, @payloadHash)`);
  const markOptedOut = db.$client.prepare('UPDATE contacts SET opted_out_at = ?, updated_at = ? WHERE id = ? AND opted_out_at IS NULL');
  const recordInTransaction = db.$client.transaction((user: CurrentUser, input: OutcomeInput) => record(user, input));

  function record(user: CurrentUser, input: OutcomeInput): { created: boolean; event: OutcomeView } {
    const contact = contactLookup.byReference(user, input.contact);
    const previous = eventByKey.get(input.idempotencyKey) as (typeof outcomeEvents.$inferSelect & StoredOutcome) | undefined;
    if (previous) {
      // A retry is the same outcome again; the same key for anything else is refused and stores nothing.
      const owner = contactLookup.byId(user, previous.contactId);
      const differences = owner ? outcomeDifferences(previous, contact?.id, input) : ['contact'];
      if (differences.length > 0 || !owner) throw reusedKey(owner ? differences : []);
      return { created: false, event: toView(previous, owner.reference) };
    }
    const now = clock.now();
    const errors: FieldError[] = [];
    if (!contact) errors.push({ field: 'contact', message: 'No contact on your caseload has this reference' });
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
    if (occurredAt.getTime() > now.getTime() + ALLOWED_CLOCK_SKEW_MS) errors.push({ field: 'occurredAt', message: 'The date cannot be in the future' });
    if (contact && occurredAt.getTime() < new Date(contact.createdAt).getTime() - 365 * 86_400_000)
      errors.push({ field: 'occurredAt', message: 'The date is more than a year before this person joined the cohort' });
    const { errors: stageErrors, detail } = checkStage(input);
    errors.push(...stageErrors);
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
    const id = Number(insertEvent.run({ ...row, payloadHash: outcomePayloadHash(row.contactId, input) }).lastInsertRowid);
    progress.scheduleCatchUp();
    if (input.stage === 'opted_out') markOptedOut.run(row.occurredAt, row.recordedAt, row.contactId);
    return { created: true, event: toView({ id, ...row }, contact!.reference) };
  }

  /** The 409 for a key already used for another outcome. Fields are named only when the caller can see the first event. */
  function reusedKey(differences: string[]): ConflictError {
    const which = differences.length ? ` (${differences.join(', ')} ${differences.length === 1 ? 'differs' : 'differ'})` : '';
    return new ConflictError(
      `This idempotency key was already used for a different outcome${which}. Nothing was recorded: send a new outcome with a new idempotency key.`,
      [{ field: 'idempotencyKey', message: 'Use a new idempotency key for a different outcome' }],
    );
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
     * Appends an outcome event. A retry with the same idempotency key and the
     * same payload returns the first event and records nothing; the same key
     * with a different payload is a 409 and records nothing. Recording an opt-out also marks the
     * person as opted out, in the same transaction.
     */
    record(user: CurrentUser, input: OutcomeInput): { created: boolean; event: OutcomeView } {
      return recordInTransaction.immediate(user, input);
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
