import type { Request, Response } from 'express';
import type nunjucks from 'nunjucks';
import type { Services } from '../server/services.ts';
import type { ReportBuilder } from './report-source.ts';
import { navigationFor } from './navigation.ts';

/** What every page controller needs, put on `res.locals.dashboard` by setUpDashboard. */
export interface DashboardContext {
  services: Services;
  env: nunjucks.Environment;
  buildReport: ReportBuilder;
}

export function dashboardContext(res: Response): DashboardContext {
  const context = res.locals.dashboard as DashboardContext | undefined;
  if (!context) throw new Error('The dashboard context is missing: is setUpDashboard mounted?');
  return context;
}

/** A field-level problem shown in the error summary and beside its field. */
export interface PageError {
  /** The id of the field the summary links to. */
  field: string;
  message: string;
}

/** Errors as govukErrorSummary's list and a field → message lookup for the macros. */
export function errorView(errors: PageError[]) {
  const byField: Record<string, { text: string }> = {};
  for (const error of errors) byField[error.field] ??= { text: error.message };
  return {
    errorList: errors.map((e) => ({ text: e.message, href: `#${e.field}` })),
    errorFor: byField,
  };
}

/** Renders a page with the layout's common values (user, navigation, CSRF token). */
export function render(req: Request, res: Response, template: string, data: Record<string, unknown> = {}, status = 200): void {
  const { env } = dashboardContext(res);
  const errors = (data.errors as PageError[] | undefined) ?? [];
  const html = env.render(template, {
    user: req.user,
    csrfToken: req.csrfToken,
    currentPath: req.path,
    navigation: navigationFor(req.user?.role, req.path),
    ...errorView(errors),
    ...data,
  });
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.send(html);
}

/** A single value from a urlencoded form field (first of repeated fields). */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return String(value[0] ?? '').trim();
  return value === undefined || value === null ? '' : String(value).trim();
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v).trim()).filter((v) => v !== '');
}
