import { pipeline, Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { csvStream } from '../../server/csv.ts';
import type { AuditFilter, AuditRow } from '../../server/audit-service.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';
import { dashboardContext, render, type PageError } from '../page-context.ts';

const PAGE_SIZE = 50;
const CSV_COLUMNS = ['at', 'username', 'user_id', 'action', 'entity', 'entity_id', 'experiment_key'] as const;

/** What the admin typed, as the form shows it again. */
interface FilterValues {
  user: string;
  reference: string;
  action: string;
  fromDay: string;
  fromMonth: string;
  fromYear: string;
  toDay: string;
  toMonth: string;
  toYear: string;
}

const text = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).trim().slice(0, 64) : '');

/** Midnight UTC of a day typed as day, month and year; undefined when nothing was typed, null when it is not a date. */
function dayFrom(day: string, month: string, year: string): Date | null | undefined {
  if (!day && !month && !year) return undefined;
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCDate() === Number(day) && date.getUTCMonth() === Number(month) - 1 ? date : null;
}

/** The filter from the query string, with a message for each part that is not right. */
export function auditFilterFrom(req: Request): { values: FilterValues; filter: AuditFilter; errors: PageError[] } {
  const values: FilterValues = {
    user: text(req, 'user'),
    reference: text(req, 'reference'),
    action: text(req, 'action'),
    fromDay: text(req, 'fromDay'),
    fromMonth: text(req, 'fromMonth'),
    fromYear: text(req, 'fromYear'),
    toDay: text(req, 'toDay'),
    toMonth: text(req, 'toMonth'),
    toYear: text(req, 'toYear'),
  };
  const errors: PageError[] = [];
  const from = dayFrom(values.fromDay, values.fromMonth, values.fromYear);
  const to = dayFrom(values.toDay, values.toMonth, values.toYear);
  if (from === null) errors.push({ field: 'from-fromDay', message: 'Enter the ‘from’ date as a real date, for example 27 3 2026' });
  if (to === null) errors.push({ field: 'to-toDay', message: 'Enter the ‘to’ date as a real date, for example 27 3 2026' });
  if (from && to && to < from) errors.push({ field: 'to-toDay', message: 'The ‘to’ date must be the same as or after the ‘from’ date' });
  const filter: AuditFilter = {
    username: values.user || undefined,
    reference: values.reference || undefined,
    action: values.action || undefined,
    from: from ? from.toISOString() : undefined,
    // The 'to' day is included: rows before the start of the next day.
    before: to ? new Date(to.getTime() + 86_400_000).toISOString() : undefined,
  };
  return { values, filter, errors };
}

/** The query string of the filter as typed (for the pages and the CSV link). */
function queryOf(values: FilterValues, extra: Record<string, string> = {}): string {
  const entries = Object.entries({ ...values, ...extra }).filter(([, v]) => v !== '');
  return new URLSearchParams(entries).toString();
}

/**
 * Admins: who saw and changed what. Filters by user, person (reference),
 * action and date range; pages of 50; the same rows as CSV. Viewing and
 * exporting are themselves audited.
 */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const { values, filter, errors } = auditFilterFrom(req);
  const page = Math.max(1, Math.floor(Number(req.query.page) || 1));
  const { rows, total } = errors.length ? { rows: [] as AuditRow[], total: 0 } : await services.audit.search(filter, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
  await auditRequest(res, services.audit, req.user!.id, { entityId: filter.reference ?? null });
  const users = (await services.accounts.list()).map(({ username, displayName }) => ({ username, displayName }));
  const actions = await services.audit.actions();
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (n: number) => `/admin/audit?${queryOf(values, { page: String(n) })}`;
  render(
    req,
    res,
    'admin/audit.njk',
    {
      pageTitle: 'Audit log',
      values,
      rows,
      total,
      page,
      pages,
      users,
      actions,
      csvHref: `/admin/audit.csv${queryOf(values) ? `?${queryOf(values)}` : ''}`,
      pagination: {
        previous: page > 1 ? { href: link(page - 1) } : undefined,
        next: page < pages ? { href: link(page + 1) } : undefined,
        items: Array.from({ length: pages }, (_, i) => i + 1)
          .filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 2)
          .flatMap((n, i, list) => [...(i > 0 && n - list[i - 1] > 1 ? [{ ellipsis: true }] : []), { number: n, href: link(n), current: n === page }]),
      },
      errors,
    },
    errors.length ? 400 : 200,
  );
}

/** The filtered rows as CSV, newest first, streamed in batches. */
export async function getCsv(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const { values, filter, errors } = auditFilterFrom(req);
  if (errors.length) {
    await auditRequest(res, services.audit, req.user!.id, { action: 'export-rejected', entityId: null });
    return res.redirect(303, `/admin/audit?${queryOf(values)}`);
  }
  await auditRequest(res, services.audit, req.user!.id, { entityId: filter.reference ?? null });
  const csvRow = (row: AuditRow) => ({ at: row.at, username: row.username, user_id: row.userId, action: row.action, entity: row.entity, entity_id: row.entityId, experiment_key: row.experimentKey });
  // The first batch is read before anything is sent, so a database that cannot be reached is still a 503.
  const batches = services.audit.iterate(filter);
  const first = await batches.next();
  const rows = (async function* () {
    if (first.done) return;
    yield csvRow(first.value);
    for await (const row of batches) yield csvRow(row);
  })();
  res.set('Cache-Control', 'no-store');
  res.type('text/csv; charset=utf-8').attachment('eiu-audit-log.csv');
  // Headers are sent with the first rows, so a failure part-way (the database gone) can only cut the download short.
  pipeline(Readable.from(rows), csvStream({ header: true, columns: [...CSV_COLUMNS] }), res, (error) => {
    if (error && !res.destroyed) res.destroy();
    if (error) console.error('[audit csv] the export stopped part-way:', error instanceof Error ? error.message : String(error));
  });
}
