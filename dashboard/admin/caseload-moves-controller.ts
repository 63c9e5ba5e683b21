import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';
import type { MoveRequest } from '../../experiments/staff/caseload-move-service.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';

/**
 * Admins move one person, or a whole caseload, to another work coach: a form,
 * a confirmation page saying what will happen, then the move (kept in
 * caseload_moves and audited). docs/decisions/0036.
 *
 * Person-level pages (dashboard/person-level-pages.ts): the list of recent
 * moves names people, and every post writes its one audit row: `preview-move`,
 * `move-person` or `move-caseload` (in the move's transaction) with how many
 * people, or `move-rejected` when the form comes back with errors.
 */

interface MoveFormValues {
  kind: string;
  reference: string;
  fromCoach: string;
  toCoach: string;
  reason: string;
}

const empty: MoveFormValues = { kind: '', reference: '', fromCoach: '', toCoach: '', reason: '' };

function valuesFromBody(body: unknown): MoveFormValues {
  return { kind: field(body, 'kind'), reference: field(body, 'reference'), fromCoach: field(body, 'fromCoach'), toCoach: field(body, 'toCoach'), reason: field(body, 'reason') };
}

function requestFrom(values: MoveFormValues): MoveRequest {
  return { reference: values.kind === 'person' ? values.reference : null, fromCoach: values.kind === 'caseload' ? values.fromCoach : null, toCoach: values.toCoach, reason: values.reason };
}

async function renderForm(req: Request, res: Response, values: MoveFormValues = empty, errors: PageError[] = [], status?: number): Promise<void> {
  const { services } = dashboardContext(res);
  await auditRequest(res, services.audit, req.user!.id, req.method === 'GET' ? {} : { action: 'move-rejected' });
  const coaches = await services.staff.coaches();
  const moves = await services.caseloadMoves.recent();
  const moved = typeof req.query.moved === 'string' && /^\d+$/.test(req.query.moved) ? Number(req.query.moved) : null;
  render(
    req,
    res,
    'admin/moves.njk',
    {
      pageTitle: 'Move people between caseloads',
      values,
      coaches,
      moves,
      moved,
      movedTo: typeof req.query.to === 'string' ? (coaches.find((c: { code: string; name: string }) => c.code === req.query.to)?.name ?? null) : null,
      errors,
      backLink: { href: '/admin', text: 'Users' },
    },
    status ?? (errors.length ? 400 : 200),
  );
}

export async function get(req: Request, res: Response): Promise<void> {
  await renderForm(req, res);
}

/** "Continue" shows what the move does; "Move" makes it. */
export async function post(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const values = valuesFromBody(req.body);
  if (values.kind !== 'person' && values.kind !== 'caseload') return await renderForm(req, res, values, [{ field: 'kind', message: 'Select whether you are moving one person or a whole caseload' }]);
  try {
    if (field(req.body, 'action') === 'confirm') {
      const result = await services.db.withTransaction(async () => {
        const moved = await services.caseloadMoves.move(requestFrom(values), req.user!.id);
        await auditRequest(res, services.audit, req.user!.id, { action: moved.kind === 'person' ? 'move-person' : 'move-caseload', entityId: String(moved.people) });
        return moved;
      });
      return res.redirect(303, `/admin/moves?moved=${result.people}&to=${encodeURIComponent(result.to.code)}`);
    }
    const plan = await services.caseloadMoves.plan(requestFrom(values));
    await auditRequest(res, services.audit, req.user!.id, { action: 'preview-move', entityId: String(plan.people) });
    render(req, res, 'admin/move-confirm.njk', { pageTitle: 'Confirm the move', plan, values, backLink: { href: '/admin/moves' } });
  } catch (error) {
    if (error instanceof HttpError && error.status < 500 && error.errors.length > 0) return await renderForm(req, res, values, error.errors, error.status);
    throw error;
  }
}
