import type { Request, Response } from 'express';
import { ADJUSTMENTS, CHANNELS } from '../../experiments/vocabulary.ts';
import { contactPreferencesSchema } from '../../experiments/contacts/contact-schema.ts';
import { dashboardContext, field, fields, render, type PageError } from '../page-context.ts';
import { humanise } from '../format.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';

const reference = (req: Request) => String(req.params.reference);

function renderForm(req: Request, res: Response, values: { preferredChannel: string; adjustments: string[] }, errors: PageError[] = []) {
  render(
    req,
    res,
    'contact/preferences.njk',
    {
      pageTitle: `Preferences and adjustments for ${reference(req)}`,
      reference: reference(req),
      values,
      channels: CHANNELS.map((c) => ({ value: c, text: humanise(c) })),
      adjustments: ADJUSTMENTS.map((a) => ({ value: a, text: humanise(a) })),
      errors,
      backLink: { href: `/contacts/${encodeURIComponent(reference(req))}` },
    },
    errors.length ? 400 : 200,
  );
}

/** How a person wants to be contacted and the adjustments they need; every change is kept in the history. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const contact = await services.contacts.get(req.user!, reference(req));
  await auditRequest(res, services.audit, req.user!.id, { entityId: contact.reference });
  renderForm(req, res, { preferredChannel: contact.preferredChannel ?? 'none', adjustments: contact.adjustments });
}

export async function post(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const values = { preferredChannel: field(req.body, 'preferredChannel'), adjustments: fields(req.body, 'adjustments') };
  const parsed = contactPreferencesSchema.safeParse({
    preferredChannel: values.preferredChannel === 'none' ? null : values.preferredChannel,
    adjustments: values.adjustments,
  });
  const rejected = async () => auditRequest(res, services.audit, user.id, { action: 'update-rejected' });
  if (!values.preferredChannel) {
    await rejected();
    return renderForm(req, res, values, [{ field: 'preferredChannel', message: 'Select how they prefer to be contacted, or “No preference”' }]);
  }
  if (!parsed.success) {
    await rejected();
    return renderForm(req, res, values, [{ field: parsed.error.issues[0].path[0] === 'adjustments' ? 'adjustments' : 'preferredChannel', message: 'Select from the options shown' }]);
  }
  const contact = await services.db.withTransaction(async () => {
    const updated = await services.contacts.updatePreferences(user, reference(req), parsed.data);
    await auditRequest(res, services.audit, user.id, { entityId: updated.reference });
    return updated;
  });
  res.redirect(303, `/contacts/${encodeURIComponent(contact.reference)}`);
}
