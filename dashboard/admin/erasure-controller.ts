import type { Request, Response } from 'express';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { isTombstone } from '../../experiments/contacts/contact-erasure-service.ts';

/**
 * Admins: erasing one person on request (docs/decisions/0033). Three steps,
 * each a page: enter the reference; a confirmation page saying what will be
 * removed and what kept, with counts only (admins never see a person's
 * details); then the erasure, and Post/Redirect/Get to a page naming only the
 * tombstone, so the reference never appears in a URL or the browser history.
 */

function renderStart(req: Request, res: Response, values: { reference: string } = { reference: '' }, errors: PageError[] = []) {
  const erased = typeof req.query.erased === 'string' && isTombstone(req.query.erased) ? req.query.erased : null;
  render(req, res, 'admin/erasure.njk', { pageTitle: 'Erase a person’s data', values, errors, erased }, errors.length ? 400 : 200);
}

async function checkReference(req: Request, res: Response): Promise<{ reference: string; errors: PageError[] }> {
  const { services } = dashboardContext(res);
  const reference = field(req.body, 'reference');
  if (!reference) return { reference, errors: [{ field: 'reference', message: 'Enter the person’s reference' }] };
  if (!/^[A-Za-z0-9-]{4,32}$/.test(reference))
    return { reference, errors: [{ field: 'reference', message: 'Enter a reference of 4 to 32 letters, digits or hyphens, for example EIU-7K2Q9D' }] };
  const preview = await services.erasure.preview(reference);
  if (!preview) return { reference, errors: [{ field: 'reference', message: 'No one has this reference: check it, or they may already have been erased' }] };
  if (preview.erased) return { reference, errors: [{ field: 'reference', message: 'This person has already been erased: there is nothing more to remove' }] };
  return { reference: preview.reference, errors: [] };
}

export function get(req: Request, res: Response): void {
  renderStart(req, res);
}

/** Checks the reference and shows what erasing will do; nothing changes yet. */
export async function postCheck(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const { reference, errors } = await checkReference(req, res);
  if (errors.length) return renderStart(req, res, { reference }, errors);
  const preview = (await services.erasure.preview(reference))!;
  await services.audit.record(req.user!.id, 'preview-erasure', 'contact', null);
  render(req, res, 'admin/erasure-confirm.njk', { pageTitle: 'Are you sure you want to erase this person’s data?', preview });
}

/** Erases, then redirects to a page that names only the tombstone. */
export async function postConfirm(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const { reference, errors } = await checkReference(req, res);
  if (errors.length) return renderStart(req, res, { reference }, errors);
  const result = await services.erasure.erase(reference, { userId: req.user!.id });
  if (result.status === 'not-found') return renderStart(req, res, { reference }, [{ field: 'reference', message: 'No one has this reference: they may already have been erased' }]);
  res.redirect(303, `/admin/erasure?erased=${encodeURIComponent(result.tombstone)}`);
}
