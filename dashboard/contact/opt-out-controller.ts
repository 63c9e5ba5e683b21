import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { ConflictError, HttpError } from '../../server/errors.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';
import { REASON_NOTE_MAX } from '../../experiments/outcomes/correction-schema.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';

/**
 * Opting out, and back in, with care (docs/decisions/0035). Opting out: a page
 * says what it means before it is recorded, and it is recorded once. Opting
 * back in: only when the person asks themselves, with a reason, audited.
 */
const reference = (req: Request) => String(req.params.reference);
const contactPath = (req: Request) => `/contacts/${encodeURIComponent(reference(req))}`;

/** What opting out means, and the button that records it. */
export async function getOptOut(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const contact = await services.contacts.get(req.user!, reference(req));
  if (contact.optedOutAt) return res.redirect(303, contactPath(req));
  render(req, res, 'contact/opt-out.njk', { pageTitle: `Record that ${contact.reference} does not want to be contacted`, reference: contact.reference, optOutKey: randomUUID(), backLink: { href: contactPath(req) } });
}

/** Records the opt-out once: a second submission, or one for someone already opted out, records nothing. */
export async function postOptOut(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const key = field(req.body, 'idempotencyKey');
  const contact = await services.contacts.get(user, ref);
  // The opt-out and its one audit row commit together (docs/decisions/0031).
  await services.db.withTransaction(async () => {
    if (contact.optedOutAt) return auditRequest(res, services.audit, user.id, { action: 'repeat-opt-out', entityId: contact.reference });
    const result = await services.outcomes.record(user, { contact: ref, stage: 'opted_out', idempotencyKey: /^[A-Za-z0-9_-]{8,128}$/.test(key) ? key : randomUUID() });
    await auditRequest(res, services.audit, user.id, { action: result.created ? 'opt-out' : 'repeat-opt-out', entityId: contact.reference });
  });
  res.redirect(303, `${contactPath(req)}?optedOut=1`);
}

function renderOptIn(req: Request, res: Response, values: { personAsked: boolean; reason: string }, errors: PageError[] = []) {
  render(
    req,
    res,
    'contact/opt-in.njk',
    { pageTitle: `Record that ${reference(req)} wants to be contacted again`, reference: reference(req), values, reasonMax: REASON_NOTE_MAX, errors, backLink: { href: contactPath(req) } },
    errors.length ? 400 : 200,
  );
}

/** Opting back in, only at the person's own request. */
export async function getOptIn(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const contact = await services.contacts.get(req.user!, reference(req));
  if (!contact.optedOutAt) throw new ConflictError('This person has not opted out, so there is nothing to undo.');
  renderOptIn(req, res, { personAsked: false, reason: '' });
}

export async function postOptIn(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const values = { personAsked: field(req.body, 'personAsked') === 'yes', reason: field(req.body, 'reason') };
  const errors: PageError[] = [];
  if (!values.personAsked) errors.push({ field: 'personAsked', message: 'Confirm that they asked you themselves to be contacted again' });
  if (!values.reason) errors.push({ field: 'reason', message: 'Say why they want to be contacted again' });
  else if (values.reason.length > REASON_NOTE_MAX) errors.push({ field: 'reason', message: `The reason must be ${REASON_NOTE_MAX} characters or fewer` });
  if (errors.length) return renderOptIn(req, res, values, errors);
  try {
    await services.optIns.optIn(req.user!, reference(req), { personAsked: true, reason: values.reason });
  } catch (error) {
    if (error instanceof HttpError && error.status === 400) return renderOptIn(req, res, values, error.errors.map((e) => ({ field: 'reason', message: e.message })));
    throw error;
  }
  res.redirect(303, `${contactPath(req)}?optedIn=1`);
}
