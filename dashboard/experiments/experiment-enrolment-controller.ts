import type { Request, Response } from 'express';
import { auditRequest } from '../../server/middleware/request-audit.ts';
import { parse } from 'csv-parse/sync';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import { safeEqual } from '../page-guards.ts';
import { createContactStore } from '../../experiments/contacts/contact-store.ts';
import { CHUNK_SIZE, EXCLUSION_REASONS, type EnrolmentSelection, type ExclusionReason } from '../../experiments/enrolment/enrolment-service.ts';
import { dashboardContext, fields, render, type PageError } from '../page-context.ts';
import { parseMultipartForm } from '../data/multipart-form.ts';
import { formatNumber } from '../format.ts';

/**
 * "Enrol people" on a running experiment (docs/decisions/0036): choose sites
 * or caseloads, or upload a CSV of references; a preview says how many would
 * join, by arm, and why the others would not; confirming runs the enrolment
 * in chunks and shows its progress.
 */

export const EXCLUSION_WORDS: Record<ExclusionReason, string> = {
  already_in: 'Already in this experiment',
  opted_out: 'Asked not to be contacted',
  in_other_experiment: 'Already in another experiment of the same journey phase',
  past_this_point: 'Past the point of the journey this experiment tests',
  not_eligible: 'Not eligible',
  outside_coverage: 'Outside the experiment’s coverage',
  not_found: 'References that match nobody',
};

const MAX_REFERENCES = 100_000;

/** What these pages use of the staff service's sites and coaches. */
type SiteRow = { id: number; name: string };
type CoachRow = { id: number; name: string; code: string };

async function runningExperiment(req: Request, res: Response) {
  const { services } = dashboardContext(res);
  const experiment = await services.experiments.get(String(req.params.key));
  return experiment;
}

async function renderChoose(req: Request, res: Response, options: { errors?: PageError[]; sites?: string[]; coaches?: string[]; status?: number } = {}): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await runningExperiment(req, res);
  if (experiment.status !== 'running') return res.redirect(303, `/experiments/${experiment.key}`);
  const contacts = createContactStore(services.db);
  const bySite = await contacts.peopleBySite();
  const byCoach = await contacts.peopleByCoach();
  const sites: SiteRow[] = await services.staff.sites();
  const coaches: CoachRow[] = await services.staff.coaches();
  render(
    req,
    res,
    'experiments/enrol.njk',
    {
      pageTitle: 'Enrol people',
      experiment,
      sites: sites.map((s) => ({ value: String(s.id), text: s.name, hint: `${formatNumber(bySite.get(s.id) ?? 0)} people`, checked: options.sites?.includes(String(s.id)) })),
      coaches: coaches.map((c) => ({ value: String(c.id), text: `${c.name} (${c.code})`, hint: `${formatNumber(byCoach.get(c.id) ?? 0)} people`, checked: options.coaches?.includes(String(c.id)) })),
      errors: options.errors ?? [],
      backLink: { href: `/experiments/${experiment.key}` },
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

async function renderPreview(req: Request, res: Response, selection: EnrolmentSelection, description: string): Promise<void> {
  const { services } = dashboardContext(res);
  const experiment = await runningExperiment(req, res);
  if (experiment.status !== 'running') return res.redirect(303, `/experiments/${experiment.key}`);
  const preview = await services.enrolments.preview(experiment.key, selection);
  const batchId = preview.toEnrol > 0 ? await services.enrolments.prepare(experiment.key, selection, description, req.user!.id, preview.toEnrol) : null;
  await services.audit.record(req.user!.id, 'preview-enrolment', 'experiment', experiment.key);
  render(req, res, 'experiments/enrol-preview.njk', {
    pageTitle: preview.toEnrol > 0 ? `Enrol ${formatNumber(preview.toEnrol)} ${preview.toEnrol === 1 ? 'person' : 'people'}?` : 'Nobody to enrol',
    experiment,
    preview,
    description,
    batchId,
    exclusions: EXCLUSION_REASONS.filter((r) => preview.excluded[r] > 0).map((r) => ({ reason: EXCLUSION_WORDS[r], count: preview.excluded[r] })),
    chunked: preview.toEnrol > CHUNK_SIZE,
    backLink: { href: `/experiments/${experiment.key}/enrol` },
  });
}

export async function get(req: Request, res: Response): Promise<void> {
  await renderChoose(req, res);
}

/** Sites or caseloads chosen: the preview. */
export async function postChoose(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const sites = fields(req.body, 'sites');
  const coaches = fields(req.body, 'coaches');
  if (sites.length === 0 && coaches.length === 0)
    return renderChoose(req, res, { errors: [{ field: 'sites', message: 'Select at least one site or caseload, or upload a list of references' }] });
  const siteRows = ((await services.staff.sites()) as SiteRow[]).filter((s) => sites.includes(String(s.id)));
  const coachRows = ((await services.staff.coaches()) as CoachRow[]).filter((c) => coaches.includes(String(c.id)));
  const description = [...siteRows.map((s) => s.name), ...coachRows.map((c) => `${c.name}’s caseload`)].join(', ');
  await renderPreview(req, res, { siteIds: siteRows.map((s) => s.id), coachIds: coachRows.map((c) => c.id), references: [] }, description);
}

/** Reads references from a CSV: the `reference` column if there is one, else the first column. */
export function referencesFromCsv(text: string): string[] {
  const rows = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as string[][];
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.toLowerCase());
  const column = header.indexOf('reference');
  const body = column >= 0 ? rows.slice(1) : rows;
  return body.map((row) => row[Math.max(column, 0)] ?? '').filter((reference) => reference !== '');
}

/** A CSV of references uploaded: the preview. */
export async function postUpload(req: Request, res: Response): Promise<void> {
  const form = await parseMultipartForm(req.body as Buffer, req.headers['content-type']);
  if (!form || !req.csrfToken || !safeEqual(form.fields._csrf ?? '', req.csrfToken))
    throw new ForbiddenError('This form has expired or did not come from this service. Go back, refresh the page and try again.');
  const file = form.files.referencesFile;
  if (!file || file.content.length === 0) return renderChoose(req, res, { errors: [{ field: 'referencesFile', message: 'Select a CSV file of references' }] });
  let references: string[];
  try {
    references = referencesFromCsv(file.content.toString('utf8'));
  } catch {
    return renderChoose(req, res, { errors: [{ field: 'referencesFile', message: 'The selected file could not be read as a CSV' }] });
  }
  if (references.length === 0) return renderChoose(req, res, { errors: [{ field: 'referencesFile', message: 'The selected file has no references in it' }] });
  if (references.length > MAX_REFERENCES)
    return renderChoose(req, res, { errors: [{ field: 'referencesFile', message: `The file has more than ${formatNumber(MAX_REFERENCES)} references: split it into smaller files` }] });
  await renderPreview(req, res, { siteIds: [], coachIds: [], references }, `${formatNumber(references.length)} references from ${file.filename || 'the uploaded file'}`);
}

async function batchOf(req: Request, res: Response) {
  const { services } = dashboardContext(res);
  const id = Number(req.params.id);
  if (!Number.isInteger(id)) throw new NotFoundError('Enrolment');
  const batch = await services.enrolments.get(id);
  if (batch.experimentKey !== String(req.params.key)) throw new NotFoundError('Enrolment');
  return batch;
}

/** Confirms a previewed enrolment; a small one finishes before the page comes back. */
export async function postConfirm(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const batch = await batchOf(req, res);
  const user = req.user!;
  if (batch.status === 'previewed') {
    // Started once its checks have passed (a refusal is this request's error page); it then runs in the background.
    const { work } = await services.enrolments.begin(batch.id, user);
    // Its failure is taken at once, so one while the audit row is written is never an unhandled rejection.
    const failure = work.then(
      () => null,
      (error: unknown) => error,
    );
    await auditRequest(res, services.audit, user.id);
    if (batch.total <= CHUNK_SIZE) {
      const error = await failure;
      if (error) throw error;
    } else void failure.then((error) => error && console.error(`Enrolment ${batch.id} failed: ${(error as Error).message}`));
  } else await auditRequest(res, services.audit, user.id, { action: 'enrol-repeat' }); // a second click: nothing more is enrolled
  res.redirect(303, `/experiments/${batch.experimentKey}/enrolments/${batch.id}`);
}

/** Where an enrolment has got to. */
export async function getProgress(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  let batch = await batchOf(req, res);
  if (await services.enrolments.resumeIfStalled(batch.id)) batch = await services.enrolments.get(batch.id);
  const experiment = await services.experiments.get(batch.experimentKey);
  render(req, res, 'experiments/enrol-progress.njk', {
    pageTitle: batch.status === 'finished' ? 'Enrolment finished' : batch.status === 'stopped' ? 'Enrolment stopped' : 'Enrolling people',
    experiment,
    batch,
    notAssigned: EXCLUSION_REASONS.filter((r) => (batch.notAssigned[r] ?? 0) > 0).map((r) => ({ reason: EXCLUSION_WORDS[r], count: batch.notAssigned[r]! })),
    percentDone: batch.total > 0 ? Math.floor((batch.done / batch.total) * 100) : 100,
    backLink: { href: `/experiments/${experiment.key}`, text: 'Experiment' },
  });
}


