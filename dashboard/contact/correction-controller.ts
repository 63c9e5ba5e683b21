import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { HttpError, NotFoundError, type FieldError } from '../../server/errors.ts';
import { stageByKey } from '../../experiments/vocabulary.ts';
import { CORRECTION_REASONS, REASON_NOTE_MAX, type CorrectionInput, type CorrectionKind } from '../../experiments/outcomes/correction-schema.ts';
import type { OutcomeView } from '../../experiments/outcomes/outcome-service.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { formatDateTime, stageLabel } from '../format.ts';
import { describeEvent } from './contact-controller.ts';
import { DETAIL_CHOICES, emptyOutcomeValues, mapOutcomeErrors, outcomeInputFromForm, outcomeValuesFromBody, type OutcomeFormValues } from './outcome-form.ts';

/**
 * Correcting or withdrawing one of a person's recorded outcomes
 * (docs/decisions/0035): a form with the reason, a page to check it, then
 * back to the contact page with a banner. The entry itself is never changed:
 * the correction is appended beside it. The quick "Undo" after recording posts
 * straight to the withdraw route with no reason: within UNDO_MINUTES of the
 * coach recording it, that is taken as "Recorded by mistake (undo)".
 */
export const UNDO_MINUTES = 10;

const reference = (req: Request) => String(req.params.reference);
const validKey = (key: string) => (/^[A-Za-z0-9_-]{8,128}$/.test(key) ? key : randomUUID());

/** UK date parts of a time, as the date inputs show them. */
function ukParts(iso: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return { day: parts.day, month: parts.month, year: parts.year, time: `${parts.hour}:${parts.minute}` };
}

/** The record-an-outcome form's values for an entry as it now counts, so the correction form starts from it. */
function valuesFromEvent(event: OutcomeView, idempotencyKey: string): OutcomeFormValues {
  const values = emptyOutcomeValues(idempotencyKey);
  const when = ukParts(event.occurredAt);
  const detail = event.detail ?? {};
  Object.assign(values, { stage: event.stage, when: 'earlier', whenDay: when.day, whenMonth: when.month, whenYear: when.year });
  if (typeof detail.channel === 'string') values.channel = detail.channel;
  if (typeof detail.place === 'string') values.place = detail.place;
  if (typeof detail.time === 'string') {
    const meeting = ukParts(detail.time);
    Object.assign(values, { meetingDay: meeting.day, meetingMonth: meeting.month, meetingYear: meeting.year, meetingTime: meeting.time });
  }
  if (typeof detail.reason === 'string') values[event.stage === 'disengaged' ? 'disengagedReason' : 'notAttendedReason'] = detail.reason;
  if (typeof detail.kind === 'string') values.planKind = detail.kind;
  if (Array.isArray(detail.topics)) values.topics = detail.topics.map(String);
  if (event.value !== null) values.values[event.stage] = String(event.value);
  return values;
}

interface CorrectionPage {
  kind: CorrectionKind;
  event: OutcomeView;
  values: OutcomeFormValues;
  reason: string;
  reasonNote: string;
}

async function loadEvent(req: Request, res: Response): Promise<OutcomeView> {
  const { services } = dashboardContext(res);
  const id = Number(req.params.eventId);
  if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError('Outcome');
  const right = await services.corrections.rightFor(req.user!, id);
  if (right.event.contact !== reference(req)) throw new NotFoundError('Outcome');
  if (!right.allowed) throw new HttpError(right.status, right.message);
  return right.event;
}

function renderForm(req: Request, res: Response, page: CorrectionPage, errors: PageError[] = []) {
  const stage = stageByKey.get(page.event.stage)!;
  const ref = reference(req);
  const verb = page.kind === 'correct' ? 'Correct' : 'Withdraw';
  render(
    req,
    res,
    'contact/correction.njk',
    {
      pageTitle: `${verb} an entry for ${ref}`,
      reference: ref,
      kind: page.kind,
      entry: { ...describeEvent(page.event), recordedAt: page.event.recordedAt },
      stage: { key: stage.key, label: stage.label, detail: 'detail' in stage ? stage.detail : null, value: 'value' in stage ? stage.value : null },
      outcome: page.values,
      choices: DETAIL_CHOICES,
      reasons: Object.entries(CORRECTION_REASONS[page.kind]).map(([value, text]) => ({ value, text, checked: value === page.reason })),
      reasonNote: page.reasonNote,
      reasonNoteMax: REASON_NOTE_MAX,
      action: `/contacts/${encodeURIComponent(ref)}/outcomes/${page.event.id}/${page.kind === 'correct' ? 'correct' : 'withdraw'}`,
      errors,
      backLink: { href: `/contacts/${encodeURIComponent(ref)}` },
    },
    errors.length ? 400 : 200,
  );
}

/** The correction the form describes, or the form's own errors. */
function inputFromForm(req: Request, res: Response, page: CorrectionPage): { input: CorrectionInput | null; errors: PageError[] } {
  const { services } = dashboardContext(res);
  const errors: PageError[] = [];
  const reasons = CORRECTION_REASONS[page.kind] as Record<string, string>;
  if (!(page.reason in reasons)) errors.push({ field: 'reason', message: page.kind === 'correct' ? 'Select what was wrong' : 'Select why you are withdrawing this entry' });
  else if (page.reason === 'other' && !page.reasonNote) errors.push({ field: 'reasonNote', message: 'Say briefly what was wrong' });
  if (page.reasonNote.length > REASON_NOTE_MAX) errors.push({ field: 'reasonNote', message: `The note must be ${REASON_NOTE_MAX} characters or fewer` });
  const base = { reason: page.reason, reasonNote: page.reasonNote || undefined, idempotencyKey: page.values.idempotencyKey };
  if (page.kind === 'withdraw') return errors.length ? { input: null, errors } : { input: { kind: 'withdraw', ...base }, errors };

  const form = outcomeInputFromForm({ ...page.values, stage: page.event.stage, when: 'earlier' }, reference(req), services.clock.now());
  errors.push(...form.errors);
  if (!form.input) return { input: null, errors };
  // The same day as before keeps the time first recorded; another day is taken at noon, as when recording.
  const before = ukParts(page.event.occurredAt);
  const sameDay = Number(page.values.whenDay) === Number(before.day) && Number(page.values.whenMonth) === Number(before.month) && page.values.whenYear === before.year;
  const input: CorrectionInput = { kind: 'correct', ...base, occurredAt: sameDay ? undefined : form.input.occurredAt, value: form.input.value, detail: form.input.detail };
  return errors.length ? { input: null, errors } : { input, errors };
}

const pageErrors = (errors: FieldError[], stage: string): PageError[] =>
  errors.map((e) => (e.field === 'reason' || e.field === 'reasonNote' ? { field: e.field, message: e.message } : mapOutcomeErrors([e], { stage, when: 'earlier' })[0]));

function pageFromBody(req: Request, kind: CorrectionKind, event: OutcomeView): CorrectionPage {
  const values = outcomeValuesFromBody(req.body);
  values.idempotencyKey = validKey(values.idempotencyKey);
  return { kind, event, values: { ...values, stage: event.stage, when: 'earlier' }, reason: field(req.body, 'reason'), reasonNote: field(req.body, 'reasonNote') };
}

function renderCheck(req: Request, res: Response, page: CorrectionPage, after: { occurredAt: string | null; value: number | null; detail: Record<string, unknown> | null }) {
  const ref = reference(req);
  const before = describeEvent(page.event);
  const corrected = page.kind === 'correct' ? describeEvent({ ...page.event, occurredAt: after.occurredAt!, value: after.value, detail: after.detail }) : null;
  // Everything the form sent goes round again, so "Change" brings the form back as it was.
  const hidden = Object.entries(req.body as Record<string, unknown>)
    .filter(([name]) => !['_csrf', 'action', 'idempotencyKey'].includes(name))
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => ({ name, value: String(v) })));
  hidden.push({ name: 'idempotencyKey', value: page.values.idempotencyKey });
  render(req, res, 'contact/check-correction.njk', {
    pageTitle: page.kind === 'correct' ? `Check your correction for ${ref}` : `Withdraw this entry for ${ref}?`,
    reference: ref,
    kind: page.kind,
    before: { ...before, when: formatDateTime(page.event.occurredAt) },
    after: corrected ? { ...corrected, when: formatDateTime(corrected.occurredAt) } : null,
    reason: (CORRECTION_REASONS[page.kind] as Record<string, string>)[page.reason],
    reasonNote: page.reasonNote,
    action: `/contacts/${encodeURIComponent(ref)}/outcomes/${page.event.id}/${page.kind}`,
    hidden,
    backLink: { href: `/contacts/${encodeURIComponent(ref)}` },
  });
}

function handlePost(kind: CorrectionKind) {
  return async (req: Request, res: Response): Promise<void> => {
    const { services } = dashboardContext(res);
    const user = req.user!;
    const ref = reference(req);
    const event = await loadEvent(req, res);
    const page = pageFromBody(req, kind, event);
    const action = field(req.body, 'action');

    // The quick undo right after recording: no form, the reason is that it was a mistake.
    const undo = kind === 'withdraw' && !action && !page.reason;
    if (undo) {
      const recentlyMine = services.clock.now().getTime() - new Date(event.recordedAt).getTime() <= UNDO_MINUTES * 60_000;
      if (!recentlyMine) return renderForm(req, res, page, [{ field: 'reason', message: 'Select why you are withdrawing this entry' }]);
      page.reason = 'recorded_by_mistake';
    }
    if (action === 'change') return renderForm(req, res, page);
    const { input, errors } = inputFromForm(req, res, page);
    if (!input) return renderForm(req, res, page, errors);
    try {
      if (action === 'confirm' || undo) {
        await services.corrections.correct(user, event.id, input);
        return res.redirect(303, `/contacts/${encodeURIComponent(ref)}?${kind === 'correct' ? 'corrected' : 'withdrawn'}=${event.id}`);
      }
      const checked = await services.corrections.check(user, event.id, input);
      if (checked.errors.length) return renderForm(req, res, page, pageErrors(checked.errors, event.stage));
      renderCheck(req, res, page, checked.after);
    } catch (error) {
      if (error instanceof HttpError && error.status === 400) return renderForm(req, res, page, pageErrors(error.errors, event.stage));
      throw error;
    }
  };
}

/** The form to correct an entry: its date, detail or score, and what was wrong. */
export async function getCorrect(req: Request, res: Response): Promise<void> {
  const event = await loadEvent(req, res);
  renderForm(req, res, { kind: 'correct', event, values: valuesFromEvent(event, randomUUID()), reason: '', reasonNote: '' });
}

/** The form to withdraw an entry that should not have been recorded, and why. */
export async function getWithdraw(req: Request, res: Response): Promise<void> {
  const event = await loadEvent(req, res);
  renderForm(req, res, { kind: 'withdraw', event, values: emptyOutcomeValues(randomUUID()), reason: '', reasonNote: '' });
}

export const postCorrect = handlePost('correct');
export const postWithdraw = handlePost('withdraw');
