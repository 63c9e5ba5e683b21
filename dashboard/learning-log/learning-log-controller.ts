import type { Request, Response } from 'express';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { createLearningNoteService, MAX_NOTE_LENGTH } from './learning-note-service.ts';

const PAGE_SIZE = 30;

function service(res: Response) {
  const { services } = dashboardContext(res);
  return createLearningNoteService(services.db, services.clock);
}

async function renderLog(req: Request, res: Response, options: { values?: { note: string; tag: string }; errors?: PageError[] } = {}): Promise<void> {
  const { services } = dashboardContext(res);
  const page = Math.max(1, Math.floor(Number(req.query.page) || 1));
  const { notes, total } = await service(res).list({ limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
  const tagItems = [{ value: '', text: 'Not about a particular experiment' }];
  for (const experiment of (await services.experiments.list()).filter((e) => e.status !== 'draft')) {
    tagItems.push({ value: experiment.key, text: `${experiment.name}: any arm` });
    for (const arm of experiment.arms) tagItems.push({ value: `${experiment.key}/${arm.key}`, text: `${experiment.name}: ${arm.name}` });
  }
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  render(
    req,
    res,
    'learning-log/learning-log.njk',
    {
      pageTitle: 'Learning log',
      notes,
      values: options.values ?? { note: '', tag: '' },
      tagItems,
      maxLength: MAX_NOTE_LENGTH,
      added: req.query.added === '1',
      page,
      pagination: {
        previous: page > 1 ? { href: `/learning-log?page=${page - 1}` } : undefined,
        next: page < pages ? { href: `/learning-log?page=${page + 1}` } : undefined,
      },
      pages,
      errors: options.errors ?? [],
    },
    options.errors?.length ? 400 : 200,
  );
}

/** The team's reflective notes, newest first, with a short form to add one. */
export async function get(req: Request, res: Response): Promise<void> {
  await renderLog(req, res);
}

export async function post(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const values = { note: String(req.body?.note ?? ''), tag: field(req.body, 'tag') };
  const { note, errors } = await service(res).add(req.user!, values);
  if (!note) return renderLog(req, res, { values, errors });
  await services.audit.record(req.user!.id, 'create', 'learning-note', note.id);
  res.redirect(303, '/learning-log?added=1');
}
