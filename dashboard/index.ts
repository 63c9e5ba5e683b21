import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Services } from '../server/services.ts';
import { NotFoundError } from '../server/errors.ts';
import { requireTextFormFields } from '../server/middleware/body-shape.ts';
import { createNunjucksEnvironment, GOVUK_FRONTEND_DIST, govukTemplateScriptHash } from './nunjucks-environment.ts';
import { type DashboardContext, render } from './page-context.ts';
import { requirePageRole, verifyCsrf } from './page-guards.ts';
import { START_PAGES } from './navigation.ts';
import { defaultReportBuilder, type ReportBuilder } from './report-source.ts';
import * as signIn from './sign-in/sign-in-controller.ts';
import * as info from './info/info-controller.ts';
import * as experimentList from './experiments/experiment-list-controller.ts';
import * as experimentDesign from './experiments/experiment-design-controller.ts';
import * as experimentPage from './experiments/experiment-controller.ts';
import * as experimentLifecycle from './experiments/experiment-lifecycle-controller.ts';
import * as experimentResults from './experiments/experiment-results-controller.ts';
import * as enrolment from './experiments/experiment-enrolment-controller.ts';
import * as steering from './experiments/experiment-steering-controller.ts';
import * as data from './data/data-controller.ts';
import * as caseload from './caseload/caseload-controller.ts';
import * as today from './caseload/today-controller.ts';
import * as contact from './contact/contact-controller.ts';
import * as preferences from './contact/preferences-controller.ts';
import * as correction from './contact/correction-controller.ts';
import * as optOut from './contact/opt-out-controller.ts';
import * as learningLog from './learning-log/learning-log-controller.ts';
import * as learningSummary from './learning-log/learning-summary-controller.ts';
import * as report from './report/report-controller.ts';
import * as admin from './admin/admin-controller.ts';
import * as erasure from './admin/erasure-controller.ts';
import * as adminUser from './admin/user-controller.ts';
import * as account from './account/account-controller.ts';
import * as auditLog from './admin/audit-controller.ts';
import { PERSON_LEVEL_PAGES } from './person-level-pages.ts';
import { personLevel } from '../server/middleware/request-audit.ts';
import * as caseloadMoves from './admin/caseload-moves-controller.ts';

const here = dirname(fileURLToPath(import.meta.url));
const GOVUK = resolve(GOVUK_FRONTEND_DIST, 'govuk');
const CHART_JS = resolve(here, '../node_modules/chart.js/dist/chart.umd.min.js');

export interface DashboardOptions {
  /** Tests may build reports from fixtures; the app uses analysis/experiment-report.ts. */
  buildReport?: ReportBuilder;
}

export type RenderErrorPage = (req: Request, res: Response, status: number, message: string, reference?: string) => void;

/**
 * The web dashboard: server-rendered GOV.UK pages for analysts, work coaches,
 * ministers and admins. Mounted after the API and before the error handler;
 * returns the error-page renderer to give to `errorHandler`.
 */
export function setUpDashboard(app: Express, services: Services, options: DashboardOptions = {}): { renderErrorPage: RenderErrorPage } {
  const context: DashboardContext = {
    services,
    env: createNunjucksEnvironment(),
    buildReport: options.buildReport ?? defaultReportBuilder,
  };
  const scriptHash = govukTemplateScriptHash();
  const router = Router();

  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.locals.dashboard = context;
    // Allow exactly one inline script: govuk/template.njk's js-enabled line.
    const policy = res.getHeader('Content-Security-Policy');
    if (typeof policy === 'string' && !policy.includes(scriptHash))
      res.setHeader('Content-Security-Policy', policy.replace("script-src 'self'", `script-src 'self' ${scriptHash}`));
    next();
  });

  // Assets: govuk-frontend's precompiled CSS and JS, its fonts and images, chart.js, ours.
  const cached = { maxAge: '1d', immutable: false, index: false as const, fallthrough: false };
  // Assets are the same for everyone: undo the no-store that signed-in users' responses get (server/middleware/security-headers.ts).
  router.use(['/govuk-frontend.min.css', '/govuk-frontend.min.js', '/vendor', '/assets', '/static'], (_req: Request, res: Response, next: NextFunction) => {
    res.removeHeader('Cache-Control');
    next();
  });
  router.get('/govuk-frontend.min.css', (_req, res) => res.sendFile(resolve(GOVUK, 'govuk-frontend.min.css'), { maxAge: '1d' }));
  router.get('/govuk-frontend.min.js', (_req, res) => res.type('text/javascript').sendFile(resolve(GOVUK, 'govuk-frontend.min.js'), { maxAge: '1d' }));
  router.get('/vendor/chart.umd.min.js', (_req, res) => res.sendFile(CHART_JS, { maxAge: '1d' }));
  router.use('/assets', express.static(resolve(GOVUK, 'assets'), cached));
  router.use('/static', express.static(resolve(here, 'static'), { maxAge: 0, index: false, fallthrough: false }));

  router.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 2000 }));
  router.use(requireTextFormFields());

  // Pages that show, change or export people's records: one audit row per request,
  // including refused ones, so the marker goes before the role check.
  const registered = new Set<string>();
  const audited = (method: 'get' | 'post', path: string, ...handlers: RequestHandler[]) => {
    const page = PERSON_LEVEL_PAGES.find((p) => p.method === method && p.path === path);
    if (!page) throw new Error(`${method.toUpperCase()} ${path} is not listed in dashboard/person-level-pages.ts`);
    registered.add(`${method} ${path}`);
    router[method](path, personLevel(page.action, page.entity), ...handlers);
  };

  router.get('/', (req, res) => res.redirect(303, req.user && req.csrfToken ? START_PAGES[req.user.role] : '/sign-in'));
  router.get('/sign-in', signIn.get);
  router.post('/sign-in', signIn.post);
  const everyone = requirePageRole('analyst', 'coach', 'minister', 'admin');
  router.post('/sign-out', everyone, verifyCsrf, signIn.signOut);
  router.get('/account', everyone, account.get);
  router.post('/account/tokens/:id/revoke', everyone, verifyCsrf, account.postRevokeToken);
  router.get('/account/password', everyone, account.getPassword);
  router.post('/account/password', everyone, verifyCsrf, account.postPassword);
  router.get('/accessibility', info.accessibility);
  router.get('/privacy', info.privacy);

  const analyst = requirePageRole('analyst');
  router.get('/experiments', analyst, experimentList.get);
  router.get('/experiments/new', analyst, experimentDesign.getNew);
  router.post('/experiments/new', analyst, verifyCsrf, experimentDesign.postNew);
  router.get('/experiments/:key', analyst, experimentPage.get);
  router.get('/experiments/:key/edit', analyst, experimentDesign.getEdit);
  router.post('/experiments/:key/edit', analyst, verifyCsrf, experimentDesign.postEdit);
  router.get('/experiments/:key/results', analyst, experimentResults.get);
  router.get('/experiments/:key/enrol', analyst, enrolment.get);
  router.post('/experiments/:key/enrol', analyst, verifyCsrf, enrolment.postChoose);
  router.post('/experiments/:key/enrol/upload', analyst, express.raw({ type: 'multipart/form-data', limit: '10mb' }), enrolment.postUpload);
  audited('post', '/experiments/:key/enrolments/:id/confirm', analyst, verifyCsrf, enrolment.postConfirm);
  router.get('/experiments/:key/enrolments/:id', analyst, enrolment.getProgress);
  router.get('/experiments/:key/allocation', analyst, steering.getAllocation);
  router.post('/experiments/:key/allocation', analyst, verifyCsrf, steering.postAllocation);
  router.get('/experiments/:key/instructions', analyst, steering.getInstructions);
  router.post('/experiments/:key/instructions', analyst, verifyCsrf, steering.postInstructions);
  for (const action of experimentLifecycle.ACTIONS) {
    router.get(`/experiments/:key/${action}`, analyst, experimentLifecycle.get(action));
    router.post(`/experiments/:key/${action}`, analyst, verifyCsrf, experimentLifecycle.post(action));
  }
  router.get('/data', analyst, data.get);
  audited('post', '/data/import', analyst, express.raw({ type: 'multipart/form-data', limit: '50mb' }), data.postImport);
  audited('get', '/data/:key/assignments.csv', analyst, data.getAssignmentsCsv);
  audited('get', '/data/:key/outcomes.csv', analyst, data.getOutcomesCsv);

  const coach = requirePageRole('coach');
  router.get('/today', coach, today.get);
  audited('get', '/caseload', coach, caseload.get);
  audited('get', '/contacts/:reference', coach, contact.get);
  audited('post', '/contacts/:reference/outcomes', coach, verifyCsrf, contact.postOutcome);
  router.get('/contacts/:reference/opt-out', coach, optOut.getOptOut);
  audited('post', '/contacts/:reference/opt-out', coach, verifyCsrf, optOut.postOptOut);
  router.get('/contacts/:reference/opt-in', coach, optOut.getOptIn);
  // Opting back in and corrections write their own audit row, in the same transaction as the change.
  router.post('/contacts/:reference/opt-in', coach, verifyCsrf, optOut.postOptIn);
  router.get('/contacts/:reference/outcomes/:eventId/correct', coach, correction.getCorrect);
  router.post('/contacts/:reference/outcomes/:eventId/correct', coach, verifyCsrf, correction.postCorrect);
  router.get('/contacts/:reference/outcomes/:eventId/withdraw', coach, correction.getWithdraw);
  // Also the quick "Undo" after recording: posted with no reason, shortly after.
  router.post('/contacts/:reference/outcomes/:eventId/withdraw', coach, verifyCsrf, correction.postWithdraw);
  audited('post', '/contacts/:reference/assignments', coach, verifyCsrf, contact.postAssignment);
  audited('get', '/contacts/:reference/preferences', coach, preferences.get);
  audited('post', '/contacts/:reference/preferences', coach, verifyCsrf, preferences.post);

  const team = requirePageRole('coach', 'analyst');
  router.get('/learning-log', team, learningLog.get);
  router.post('/learning-log', team, verifyCsrf, learningLog.post);
  // Only analysts write and approve what ministers read about the unit's learning (docs/decisions/0027).
  router.get('/learning-log/summaries', analyst, learningSummary.getList);
  router.get('/learning-log/summaries/:weekEnding', analyst, learningSummary.getWeek);
  router.post('/learning-log/summaries/:weekEnding', analyst, verifyCsrf, learningSummary.postWeek);
  router.get('/learning-log/summaries/:weekEnding/approve', analyst, learningSummary.getApprove);
  router.post('/learning-log/summaries/:weekEnding/approve', analyst, verifyCsrf, learningSummary.postApprove);

  const readers = requirePageRole('minister', 'analyst');
  router.get('/report', readers, report.getLatest);
  router.get('/report/current', requirePageRole('analyst'), report.getCurrent);
  router.get('/report/weeks', readers, report.getWeeks);
  audited('get', '/report/weeks/:weekEnding.csv', readers, report.getCsv);
  router.get('/report/weeks/:weekEnding', readers, report.getWeek);

  const admins = requirePageRole('admin');
  router.get('/admin', admins, admin.get);
  router.post('/admin/users', admins, verifyCsrf, admin.postUser);
  router.get('/admin/erasure', admins, erasure.get);
  router.post('/admin/erasure', admins, verifyCsrf, erasure.postCheck);
  router.post('/admin/erasure/confirm', admins, verifyCsrf, erasure.postConfirm);
  router.get('/admin/users/:username', admins, adminUser.get);
  for (const action of ['disable', 'enable', 'reset-password'] as const) {
    router.get(`/admin/users/:username/${action}`, admins, adminUser.getConfirm(action));
    router.post(`/admin/users/:username/${action}`, admins, verifyCsrf, adminUser.postConfirm(action));
  }
  router.get('/admin/users/:username/role', admins, adminUser.getRole);
  router.post('/admin/users/:username/role', admins, verifyCsrf, adminUser.postRole);
  router.post('/admin/users/:username/role/confirm', admins, verifyCsrf, adminUser.postRoleConfirm);
  router.post('/admin/users/:username/tokens/:id/revoke', admins, verifyCsrf, adminUser.postRevokeToken);
  audited('get', '/admin/audit', admins, auditLog.get);
  audited('get', '/admin/audit.csv', admins, auditLog.getCsv);
  audited('get', '/admin/moves', admins, caseloadMoves.get);
  audited('post', '/admin/moves', admins, verifyCsrf, caseloadMoves.post);

  const missing = PERSON_LEVEL_PAGES.filter((p) => !registered.has(`${p.method} ${p.path}`));
  if (missing.length) throw new Error(`Person-level pages listed but not registered: ${missing.map((p) => p.path).join(', ')}`);

  router.use(() => {
    throw new NotFoundError('Page');
  });
  app.use(router);

  return { renderErrorPage: createErrorPageRenderer(context) };
}

const TITLES: Record<number, string> = {
  400: 'There is a problem with what was sent',
  403: 'You do not have permission to see this page',
  404: 'Page not found',
  409: 'That cannot be done now',
  413: 'The file is too large',
  503: 'Sorry, the service is unavailable',
};

/** GOV.UK error pages for non-API paths: a reference for 500s, never a stack trace; a 503 (database unreachable) says to try again in a minute. */
function createErrorPageRenderer(context: DashboardContext): RenderErrorPage {
  return (req, res, status, message, reference) => {
    if (status === 401) return res.redirect(303, '/sign-in');
    res.locals.dashboard ??= context;
    const home = req.user ? START_PAGES[req.user.role] : '/sign-in';
    const paragraphs =
      status === 404
        ? ['If you typed the web address, check it is correct.', 'If you pasted the web address, check you copied the entire address.']
        : status === 503
          ? [message, 'Nothing you sent has been lost if you saw no confirmation: check before entering it again.']
          : status >= 500
            ? ['Try again later. Nothing you sent has been lost if you saw no confirmation: check before entering it again.']
            : [message];
    try {
      render(
        req,
        res,
        'errors/error.njk',
        {
          pageTitle: TITLES[status] ?? (status >= 500 ? 'Sorry, there is a problem with the service' : 'There is a problem'),
          paragraphs,
          reference,
          homeHref: home,
          homeText: req.user ? 'Go to your start page' : 'Sign in',
        },
        status,
      );
    } catch (error) {
      console.error('[error page] could not render:', error instanceof Error ? error.message : error);
      res.status(status).type('text').send(`${status}: ${reference ? `reference ${reference}` : message}`);
    }
  };
}
