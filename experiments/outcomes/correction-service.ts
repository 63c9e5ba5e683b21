import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import { containsIdentifier } from '../../dashboard/learning-log/disclosure-check.ts';
import { contactReferencesIn } from '../../dashboard/learning-log/learning-note-service.ts';
import type { ProgressProjection } from '../progress/progress-projection.ts';
import { guardProgressSources } from '../progress/source-guard.ts';
import { createOutcomeStore } from './outcome-store.ts';
import { createAuditStore } from '../../server/audit-store.ts';
import { checkOccurredAt, checkStage, type CorrectionView, type OutcomeService, type OutcomeView } from './outcome-service.ts';
import { COACH_CORRECTION_DAYS, CORRECTION_REASONS, type CorrectionInput } from './correction-schema.ts';

const DAY_MS = 86_400_000;

/** Whether a user may correct or withdraw an event, and if not, what to do instead. */
export type CorrectionRight = { allowed: true } | { allowed: false; status: 403 | 409; message: string };

/**
 * Corrections of outcome events, appended beside the event (docs/decisions/0035).
 * A coach may correct or withdraw an entry they recorded themselves, for
 * COACH_CORRECTION_DAYS days after recording it; an analyst may correct any
 * entry. Opt-outs are not corrected here: a person opts back in only when they
 * ask (experiments/contacts/opt-in-service.ts). Every correction is audited,
 * and the reports' read model takes it in (experiments/progress).
 */
export function createCorrectionService(db: Db, clock: Clock, outcomes: OutcomeService, progress: ProgressProjection) {
  const store = createOutcomeStore(db);
  const auditLog = createAuditStore(db);

  function rightFor(user: CurrentUser, event: { view: OutcomeView; recordedBy: number }): CorrectionRight {
    if (event.view.status === 'withdrawn') return { allowed: false, status: 409, message: 'This entry has been withdrawn. If it did happen, record it again.' };
    if (event.view.stage === 'opted_out')
      return { allowed: false, status: 409, message: 'An opt-out cannot be corrected or withdrawn. If they ask to be contacted again, record that they have opted back in.' };
    if (user.role === 'analyst') return { allowed: true };
    if (user.role !== 'coach') return { allowed: false, status: 403, message: 'Your role cannot correct records' };
    if (event.recordedBy !== user.id) return { allowed: false, status: 403, message: 'You can only correct entries you recorded yourself. Ask an analyst to correct this one.' };
    if (clock.now().getTime() - new Date(event.view.recordedAt).getTime() > COACH_CORRECTION_DAYS * DAY_MS)
      return { allowed: false, status: 403, message: `You can correct your own entries for ${COACH_CORRECTION_DAYS} days after recording them. Ask an analyst to correct this one.` };
    return { allowed: true };
  }

  async function load(user: CurrentUser, eventId: number) {
    const event = await outcomes.event(user, eventId);
    if (!event) throw new NotFoundError('Outcome');
    return event;
  }

  async function checkReason(input: CorrectionInput): Promise<FieldError[]> {
    const reasons = CORRECTION_REASONS[input.kind] as Record<string, string>;
    if (!(input.reason in reasons)) return [{ field: 'reason', message: `Select a reason: one of ${Object.keys(reasons).join(', ')}` }];
    const note = input.reasonNote ?? '';
    if (input.reason === 'other' && !note) return [{ field: 'reasonNote', message: 'Say briefly what was wrong' }];
    if (note && (await containsIdentifier(note, await contactReferencesIn(db, note))))
      return [{ field: 'reasonNote', message: 'Remove the person’s reference or National Insurance number: say what was wrong, not who it was about' }];
    return [];
  }

  /** Checks the user's right and the input; returns the record the correction would hold. */
  async function validate(user: CurrentUser, event: Awaited<ReturnType<typeof load>>, input: CorrectionInput) {
    const right = rightFor(user, event);
    if (!right.allowed) throw right.status === 403 ? new ForbiddenError(right.message) : new ConflictError(right.message);
    const errors = await checkReason(input);
    let record = { occurredAt: null as string | null, value: null as number | null, detail: null as string | null };
    if (input.kind === 'correct') {
      const now = clock.now();
      const occurredAt = input.occurredAt ? new Date(input.occurredAt) : new Date(event.view.occurredAt);
      const value = input.value !== undefined ? input.value : (event.view.value ?? undefined);
      const stage = checkStage({ stage: event.view.stage, value, detail: input.detail ?? event.view.detail ?? undefined });
      errors.push(...(input.occurredAt ? checkOccurredAt(occurredAt, now, event.contactCreatedAt) : []), ...stage.errors);
      record = { occurredAt: occurredAt.toISOString(), value: value ?? null, detail: stage.detail ? JSON.stringify(stage.detail) : null };
      const unchanged =
        record.occurredAt === new Date(event.view.occurredAt).toISOString() &&
        record.value === event.view.value &&
        record.detail === (event.view.detail ? JSON.stringify(event.view.detail) : null);
      if (!errors.length && unchanged) errors.push({ field: 'occurredAt', message: 'Change the date, detail or score, or withdraw the entry instead' });
    } else if (input.occurredAt !== undefined || input.value !== undefined || input.detail !== undefined) {
      errors.push({ field: 'kind', message: 'A withdrawal takes only a reason: to change the date, detail or score, correct the entry instead' });
    }
    return { errors, record };
  }

  type CorrectResult = { created: boolean; correction: CorrectionView; event: OutcomeView };

  /** A key already used: the correction it made, when it was for this event; else the 409. */
  async function repeated(user: CurrentUser, eventId: number, previous: { id: number; eventId: number }): Promise<CorrectResult> {
    if (previous.eventId !== eventId) throw new ConflictError('That idempotency key has already been used', [{ field: 'idempotencyKey', message: 'Use a new idempotency key' }]);
    const { view } = await load(user, eventId);
    return { created: false, correction: view.corrections.find((c) => c.id === previous.id)!, event: view };
  }

  async function correctNow(user: CurrentUser, eventId: number, input: CorrectionInput): Promise<CorrectResult> {
    if (input.idempotencyKey) {
      const previous = await store.correctionByKey(input.idempotencyKey);
      if (previous) return repeated(user, eventId, previous);
    }
    const event = await load(user, eventId);
    const latest = event.view.corrections.at(-1);
    // Withdrawing twice (a double-clicked undo) returns the first withdrawal.
    if (event.view.status === 'withdrawn' && input.kind === 'withdraw' && latest) return { created: false, correction: latest, event: event.view };
    const { errors, record } = await validate(user, event, input);
    if (errors.length) throw new ValidationError(errors, `The correction has errors: ${errors.map((e) => e.message).join('; ')}`);

    const correctedAt = clock.now().toISOString();
    await guardProgressSources(db);
    const inserted = await store.insertCorrection({
      eventId,
      kind: input.kind,
      ...record,
      reason: input.reason,
      reasonNote: input.reasonNote || null,
      correctedBy: user.id,
      correctedAt,
      idempotencyKey: input.idempotencyKey ?? null,
    });
    if (!inserted) {
      // Another request used this key since it was looked up: answer as its retry.
      const stored = input.idempotencyKey ? await store.correctionByKey(input.idempotencyKey) : undefined;
      if (!stored) throw new Error('A correction with this idempotency key was neither recorded nor found');
      return repeated(user, eventId, stored);
    }
    const id = Number(inserted.id);
    await auditLog.insert(user.id, input.kind === 'withdraw' ? 'withdraw-outcome' : 'correct-outcome', 'outcome_event', String(eventId), null, correctedAt);
    progress.scheduleCatchUp();
    const { view } = await load(user, eventId);
    return { created: true, correction: view.corrections.find((c) => c.id === id)!, event: view };
  }

  return {
    /**
     * Appends a correction or withdrawal of one event; the event itself is never
     * changed. Throws 403 when the user may not correct it, 409 when it cannot
     * be corrected (withdrawn, an opt-out), 400 for a bad reason or record.
     */
    correct(user: CurrentUser, eventId: number, input: CorrectionInput): Promise<CorrectResult> {
      return db.withTransaction(() => correctNow(user, eventId, input));
    },

    /**
     * Checks a correction without recording it (for the confirmation page):
     * field errors, and the record it would hold. Throws like `correct` when the
     * user may not correct the event.
     */
    async check(
      user: CurrentUser,
      eventId: number,
      input: CorrectionInput,
    ): Promise<{ errors: FieldError[]; event: OutcomeView; after: { occurredAt: string | null; value: number | null; detail: Record<string, unknown> | null } }> {
      const event = await load(user, eventId);
      const { errors, record } = await validate(user, event, input);
      return { errors, event: event.view, after: { ...record, detail: record.detail ? (JSON.parse(record.detail) as Record<string, unknown>) : null } };
    },

    /** Whether the user may correct this event now (for showing the links and guarding the pages). */
    async rightFor(user: CurrentUser, eventId: number): Promise<CorrectionRight & { event: OutcomeView }> {
      const event = await load(user, eventId);
      return { ...rightFor(user, event), event: event.view };
    },

    /** Which of the person's events the user may correct now: event id → right. */
    async rightsFor(user: CurrentUser, events: OutcomeView[]): Promise<Map<number, CorrectionRight>> {
      const rights = new Map<number, CorrectionRight>();
      for (const view of events) {
        const event = await outcomes.event(user, view.id);
        if (event) rights.set(view.id, rightFor(user, event));
      }
      return rights;
    },
  };
}

export type CorrectionService = ReturnType<typeof createCorrectionService>;
