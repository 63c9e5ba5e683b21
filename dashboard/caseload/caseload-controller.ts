import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { nextStep } from '../contact/next-step.ts';
import { stageLabel } from '../format.ts';
import { createCaseloadReadModel } from './caseload-read-model.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';

const PAGE_SIZE = 50;
const readModels = new WeakMap<object, ReturnType<typeof createCaseloadReadModel>>();

/** A coach's own caseload, searchable by reference, with what is due next for each person. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  let readModel = readModels.get(services.db);
  if (!readModel) readModels.set(services.db, (readModel = createCaseloadReadModel(services.db)));
  const search = typeof req.query.search === 'string' ? req.query.search.trim().slice(0, 40) : '';
  const page = Math.max(1, Math.floor(Number(req.query.page) || 1));
  const { contacts, total } = await services.contacts.list(user, { search: search || undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
  await auditRequest(res, services.audit, user.id);
  // A search that finds exactly one person goes straight to them: one click fewer.
  if (search && total === 1 && contacts[0].reference.toLowerCase() === search.toLowerCase())
    return res.redirect(303, `/contacts/${encodeURIComponent(contacts[0].reference)}`);
  const { events, arms } = await readModel.forContacts(contacts.map((c) => c.id));
  const rows = contacts.map((contact) => {
    const history = events.get(contact.id) ?? [];
    const last = history.at(-1);
    return {
      reference: contact.reference,
      arms: arms.get(contact.id) ?? [],
      last: last ? { label: stageLabel(last.stage), at: last.occurredAt } : null,
      next: nextStep(history, contact.optedOutAt),
      optedOut: contact.optedOutAt !== null,
    };
  });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (n: number) => `/caseload?${new URLSearchParams({ ...(search ? { search } : {}), page: String(n) }).toString()}`;
  render(req, res, 'caseload/caseload.njk', {
    pageTitle: 'My caseload',
    search,
    rows,
    total,
    page,
    pages,
    pagination: {
      previous: page > 1 ? { href: link(page - 1) } : undefined,
      next: page < pages ? { href: link(page + 1) } : undefined,
      items: Array.from({ length: pages }, (_, i) => i + 1)
        .filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 2)
        .flatMap((n, i, list) => [...(i > 0 && n - list[i - 1] > 1 ? [{ ellipsis: true }] : []), { number: n, href: link(n), current: n === page }]),
    },
  });
}
