import type { Request, Response } from 'express';
import { ForbiddenError } from '../../server/errors.ts';
import { CONTACT_CSV_COLUMNS, type RejectedRow } from '../../experiments/contacts/contact-import.ts';
import { importContactsOffThread } from '../../experiments/contacts/contact-import-job.ts';
import { dashboardContext, render, type PageError } from '../page-context.ts';
import { safeEqual } from '../page-guards.ts';
import { parseMultipartForm } from './multipart-form.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';

const SHOWN_REJECTIONS = 20;

async function renderDataPage(
  req: Request,
  res: Response,
  extra: { errors?: PageError[]; rejected?: RejectedRow[]; rejectedRows?: number; imported?: number | null } = {},
  status = 200,
): Promise<void> {
  const { services } = dashboardContext(res);
  const experiments = (await services.experiments.list()).filter((e) => e.status !== 'draft');
  const rejected = extra.rejected ?? [];
  render(
    req,
    res,
    'data/data.njk',
    {
      pageTitle: 'Data',
      experiments,
      columns: CONTACT_CSV_COLUMNS,
      imported: extra.imported ?? null,
      rejected: rejected.slice(0, SHOWN_REJECTIONS),
      moreRejected: Math.max(0, (extra.rejectedRows ?? rejected.length) - SHOWN_REJECTIONS),
      errors: extra.errors ?? [],
    },
    status,
  );
}

/** Import a cohort and export each experiment's assignments and outcomes. */
export async function get(req: Request, res: Response): Promise<void> {
  const imported = typeof req.query.imported === 'string' && /^\d+$/.test(req.query.imported) ? Number(req.query.imported) : null;
  await renderDataPage(req, res, { imported });
}

/** The cohort upload: all rows or none, every wrong row reported with its line. */
export async function postImport(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const form = await parseMultipartForm(req.body as Buffer, req.headers['content-type']);
  if (!form || !req.csrfToken || !safeEqual(form.fields._csrf ?? '', req.csrfToken))
    throw new ForbiddenError('This form has expired or did not come from this service. Go back, refresh the page and try again.');
  const file = form.files.cohortFile;
  const rejected = async () => auditRequest(res, services.audit, req.user!.id, { action: 'import-rejected' });
  if (!file || file.content.length === 0) {
    await rejected();
    return renderDataPage(req, res, { errors: [{ field: 'cohortFile', message: 'Select a cohort CSV file' }] }, 400);
  }
  if (!/\.csv$/i.test(file.filename) && !/csv|text\/plain/i.test(file.contentType)) {
    await rejected();
    return renderDataPage(req, res, { errors: [{ field: 'cohortFile', message: 'The selected file must be a CSV' }] }, 400);
  }
  // Parsed, checked and saved in a worker thread: a large cohort must not stall everyone else.
  const report = await importContactsOffThread(services, file.content, { shownRejections: SHOWN_REJECTIONS });
  if (report.imported === 0) {
    const errors: PageError[] = [
      { field: 'cohortFile', message: report.rejectedRows === 1 && report.rejected[0].line === 1 ? report.rejected[0].errors[0].message : `Nothing was imported: ${report.rejectedRows} row${report.rejectedRows === 1 ? ' has' : 's have'} problems. Correct them and upload the file again` },
    ];
    await rejected();
    return renderDataPage(req, res, { errors, rejected: report.rejected, rejectedRows: report.rejectedRows }, 400);
  }
  await auditRequest(res, services.audit, req.user!.id, { entityId: String(report.imported) });
  res.redirect(303, `/data?imported=${report.imported}`);
}

async function sendCsv(req: Request, res: Response, kind: 'assignments' | 'outcomes'): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  await auditRequest(res, services.audit, req.user!.id, { entityId: experiment.key });
  res.type('text/csv; charset=utf-8').attachment(`${experiment.key}-${kind}.csv`);
  const stream = kind === 'assignments' ? services.exports.assignmentsCsv(experiment.id) : services.exports.outcomesCsv(experiment.id);
  stream.pipe(res);
}

export async function getAssignmentsCsv(req: Request, res: Response): Promise<void> {
  await sendCsv(req, res, 'assignments');
}

export async function getOutcomesCsv(req: Request, res: Response): Promise<void> {
  await sendCsv(req, res, 'outcomes');
}
