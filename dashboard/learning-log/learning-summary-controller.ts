import type { Request, Response } from 'express';
import { NotFoundError } from '../../server/errors.ts';
import { dashboardContext, field, fields, render, type PageError } from '../page-context.ts';
import { formatDate } from '../format.ts';
import { latestCompletedWeek, weekContaining, weekEndingOn, type ReportWeek } from '../../experiments/calendar/reporting-calendar.ts';
import { checkDisclosure, type DisclosureWarning } from './disclosure-check.ts';
import { createDisclosureReadModel } from './disclosure-read-model.ts';
import { contactReferencesIn, createLearningNoteService } from './learning-note-service.ts';
import { createLearningSummaryService, draftDigest, MAX_SUMMARY_LENGTH, type LearningSummary } from './learning-summary-service.ts';

/** How many recent weeks the list offers, so a week with notes but no summary yet is easy to find. */
const RECENT_WEEKS = 12;
const DAY = 86_400_000;

function services(res: Response) {
  const { services } = dashboardContext(res);
  return {
    ...services,
    summaries: createLearningSummaryService(services.db, services.clock),
    notes: createLearningNoteService(services.db, services.clock),
  };
}

/** A week that has started (summaries are for this week or earlier); anything else is not a page. */
function weekFrom(req: Request, res: Response): ReportWeek {
  const week = weekEndingOn(String(req.params.weekEnding));
  const current = weekContaining(services(res).clock.now());
  if (!week || week.weekEnding > current.weekEnding) throw new NotFoundError('Week');
  return week;
}

async function warningsFor(res: Response, text: string): Promise<DisclosureWarning[]> {
  const { db } = services(res);
  if (!text.trim()) return [];
  const placeNames = await createDisclosureReadModel(db).placeNames();
  return checkDisclosure(text, { placeNames, isContactReference: await contactReferencesIn(db, text) });
}

function statusOf(summary: LearningSummary | null): { text: string; colour: string } {
  if (!summary) return { text: 'Not started', colour: 'grey' };
  if (summary.status === 'approved') return { text: 'Approved', colour: 'green' };
  return summary.approved ? { text: 'Changes not approved', colour: 'orange' } : { text: 'Draft', colour: 'blue' };
}

/** The weeks an analyst may want to summarise: the recent ones and any with a summary. */
export async function getList(req: Request, res: Response): Promise<void> {
  const s = services(res);
  const current = weekContaining(s.clock.now());
  const byWeek = new Map((await s.summaries.list()).map((row) => [row.weekEnding, row]));
  const weeks = new Set(byWeek.keys());
  for (let i = 0; i < RECENT_WEEKS; i++) weeks.add(new Date(current.end.getTime() - DAY - i * 7 * DAY).toISOString().slice(0, 10));
  const rows: { weekEnding: string; current: boolean; notes: number; status: { text: string; colour: string } }[] = [];
  for (const weekEnding of [...weeks].sort().reverse()) {
    const week = weekEndingOn(weekEnding)!;
    const summary = byWeek.has(weekEnding) ? await s.summaries.get(weekEnding) : null;
    rows.push({
      weekEnding,
      current: weekEnding === current.weekEnding,
      notes: (await s.notes.between(week.start, week.end)).length,
      status: statusOf(summary),
    });
  }
  render(req, res, 'learning-log/summaries.njk', {
    pageTitle: 'Weekly learning summaries',
    rows,
    latest: latestCompletedWeek(s.clock.now()).weekEnding,
  });
}

async function renderWeek(
  req: Request,
  res: Response,
  week: ReportWeek,
  options: { text?: string; selected?: string[]; copied?: number; errors?: PageError[]; status?: number } = {},
): Promise<void> {
  const s = services(res);
  const summary = await s.summaries.get(week.weekEnding);
  const text = options.text ?? summary?.text ?? '';
  const notes = await s.notes.between(week.start, week.end);
  const warnings = await warningsFor(res, text);
  const unsaved = options.text !== undefined && options.text.trim() !== (summary?.text ?? '');
  render(
    req,
    res,
    'learning-log/summary.njk',
    {
      pageTitle: `Learning summary: week ending ${formatDate(week.weekEnding)}`,
      week,
      summary,
      status: statusOf(summary),
      text,
      unsaved,
      notes: notes.map((n) => ({ ...n, checked: options.selected?.includes(String(n.id)) ?? false })),
      warnings,
      maxLength: MAX_SUMMARY_LENGTH,
      saved: req.query.saved === '1' && !options.errors?.length && options.text === undefined,
      approvedNow: req.query.approved === '1' && options.text === undefined,
      copied: options.copied ?? 0,
      errors: options.errors ?? [],
      backLink: { href: '/learning-log/summaries', text: 'All weekly summaries' },
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

/** A week's summary: write it, or copy notes from that week's learning log into it and edit them. */
export async function getWeek(req: Request, res: Response): Promise<void> {
  await renderWeek(req, res, weekFrom(req, res));
}

export async function postWeek(req: Request, res: Response): Promise<void> {
  const week = weekFrom(req, res);
  const s = services(res);
  const typed = String(req.body?.text ?? '');
  if (field(req.body, 'action') === 'copy-notes') {
    const selected = fields(req.body, 'notes');
    const chosen = (await s.notes.between(week.start, week.end)).filter((n) => selected.includes(String(n.id)));
    if (!chosen.length) return renderWeek(req, res, week, { text: typed, errors: [{ field: 'notes', message: 'Select the notes to copy into the draft' }] });
    // Copied, not saved: the analyst edits the raw notes into safe, aggregate language first.
    const text = [typed.trim(), ...chosen.map((n) => n.note)].filter(Boolean).join('\n\n');
    return renderWeek(req, res, week, { text, selected, copied: chosen.length });
  }
  const { summary, errors } = await s.summaries.saveDraft(req.user!, week.weekEnding, typed);
  if (!summary) return renderWeek(req, res, week, { text: typed, errors });
  res.redirect(303, `/learning-log/summaries/${week.weekEnding}?saved=1`);
}

async function renderApprove(req: Request, res: Response, week: ReportWeek, summary: LearningSummary, options: { errors?: PageError[]; status?: number } = {}): Promise<void> {
  const warnings = await warningsFor(res, summary.text);
  render(
    req,
    res,
    'learning-log/approve.njk',
    {
      pageTitle: `Approve the learning summary for the week ending ${formatDate(week.weekEnding)}?`,
      week,
      summary,
      digest: draftDigest(summary.text),
      warnings,
      errors: options.errors ?? [],
      backLink: { href: `/learning-log/summaries/${week.weekEnding}` },
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

/** The confirmation: the text exactly as ministers will read it, and the warnings to check. */
export async function getApprove(req: Request, res: Response): Promise<void> {
  const week = weekFrom(req, res);
  const summary = await services(res).summaries.get(week.weekEnding);
  if (!summary || summary.status === 'approved') return res.redirect(303, `/learning-log/summaries/${week.weekEnding}`);
  await renderApprove(req, res, week, summary);
}

export async function postApprove(req: Request, res: Response): Promise<void> {
  const week = weekFrom(req, res);
  const s = services(res);
  const summary = await s.summaries.get(week.weekEnding);
  // A second click, or a draft removed meanwhile: show the week rather than an error.
  if (!summary || summary.status === 'approved') return res.redirect(303, `/learning-log/summaries/${week.weekEnding}${summary ? '?approved=1' : ''}`);
  const digest = field(req.body, 'digest');
  if (digest !== draftDigest(summary.text))
    return renderApprove(req, res, week, summary, {
      status: 409,
      errors: [{ field: 'summary-text', message: 'The draft changed since you opened this page. Read it again before approving' }],
    });
  if ((await warningsFor(res, summary.text)).length > 0 && field(req.body, 'checked') !== 'yes')
    return renderApprove(req, res, week, summary, { errors: [{ field: 'checked', message: 'Confirm that you have checked the warnings, or go back and edit the draft' }] });
  const result = await s.summaries.approve(req.user!, week.weekEnding, digest);
  if (!result.approved && result.reason === 'changed')
    return renderApprove(req, res, week, (await s.summaries.get(week.weekEnding))!, {
      status: 409,
      errors: [{ field: 'summary-text', message: 'The draft changed since you opened this page. Read it again before approving' }],
    });
  res.redirect(303, `/learning-log/summaries/${week.weekEnding}?approved=1`);
}
