import type { Caller } from './hardening-server.ts';

/**
 * Who may reach each route: the plan, written down, keyed "METHOD /path" with
 * Express path patterns. The role × route matrix test insists every route the
 * app answers has an entry here and that no one outside it gets through; the
 * fuzz test signs in as one of the planned callers.
 */
const everyone: Caller[] = ['analyst', 'coach', 'minister', 'admin', 'anonymous'];
const signedIn: Caller[] = ['analyst', 'coach', 'minister', 'admin'];
const analyst: Caller[] = ['analyst'];
const analystCoach: Caller[] = ['analyst', 'coach'];
const readers: Caller[] = ['analyst', 'coach', 'minister'];

export const PLANNED: Record<string, Caller[]> = {
  'GET /health': everyone,
  // The API (bearer tokens).
  'GET /api/openapi.json': everyone,
  'POST /api/tokens': everyone,
  // Everyone sees and revokes their own tokens; an admin may revoke anyone's, and list a user's.
  'GET /api/tokens': signedIn,
  'DELETE /api/tokens/:id': signedIn,
  'GET /api/me': signedIn,
  'POST /api/users': ['admin'],
  'GET /api/users/:username/tokens': ['admin'],
  'GET /api/experiments': readers,
  'POST /api/experiments': analyst,
  'GET /api/experiments/:key': readers,
  'PUT /api/experiments/:key': analyst,
  'POST /api/experiments/:key/launch': analyst,
  'POST /api/experiments/:key/pause': analyst,
  'POST /api/experiments/:key/resume': analyst,
  'POST /api/experiments/:key/conclude': analyst,
  'POST /api/experiments/:key/allocation': analyst,
  'POST /api/experiments/:key/assignments': analystCoach,
  'GET /api/experiments/:key/report': analyst,
  'GET /api/experiments/:key/export/assignments.csv': analyst,
  'GET /api/experiments/:key/export/outcomes.csv': analyst,
  'GET /api/contacts': analystCoach,
  'POST /api/contacts': analyst,
  'POST /api/contacts/import': analyst,
  'GET /api/contacts/:reference': analystCoach,
  'PATCH /api/contacts/:reference': analystCoach,
  'GET /api/contacts/:reference/history': analystCoach,
  'GET /api/contacts/:reference/outcomes': analystCoach,
  'GET /api/contacts/:reference/assignments': analystCoach,
  'POST /api/contacts/:reference/opt-out': analystCoach,
  'POST /api/contacts/:reference/opt-in': analystCoach,
  'POST /api/outcomes': analystCoach,
  // Coaches correct their own recent entries, analysts any (the service checks which).
  'POST /api/outcomes/:id/corrections': analystCoach,
  // Pages (browser sessions).
  'GET /govuk-frontend.min.css': everyone,
  'GET /govuk-frontend.min.js': everyone,
  'GET /vendor/chart.umd.min.js': everyone,
  'GET /': signedIn,
  'GET /sign-in': everyone,
  'POST /sign-in': everyone,
  'POST /sign-out': signedIn,
  // Each person's own account: their password and their API tokens.
  'GET /account': signedIn,
  'POST /account/tokens/:id/revoke': signedIn,
  'GET /account/password': signedIn,
  'POST /account/password': signedIn,
  'GET /accessibility': everyone,
  'GET /privacy': everyone,
  'GET /experiments': analyst,
  'GET /experiments/new': analyst,
  'POST /experiments/new': analyst,
  'GET /experiments/:key': analyst,
  'GET /experiments/:key/edit': analyst,
  'POST /experiments/:key/edit': analyst,
  'GET /experiments/:key/results': analyst,
  // Enrolling people and steering a launched experiment: analysts only (decision 0036).
  'GET /experiments/:key/enrol': analyst,
  'POST /experiments/:key/enrol': analyst,
  'POST /experiments/:key/enrol/upload': analyst,
  'POST /experiments/:key/enrolments/:id/confirm': analyst,
  'GET /experiments/:key/enrolments/:id': analyst,
  'GET /experiments/:key/allocation': analyst,
  'POST /experiments/:key/allocation': analyst,
  'GET /experiments/:key/instructions': analyst,
  'POST /experiments/:key/instructions': analyst,
  ...Object.fromEntries(
    ['launch', 'pause', 'resume', 'conclude'].flatMap((action) => [
      [`GET /experiments/:key/${action}`, analyst],
      [`POST /experiments/:key/${action}`, analyst],
    ]),
  ),
  'GET /data': analyst,
  'POST /data/import': analyst,
  'GET /data/:key/assignments.csv': analyst,
  'GET /data/:key/outcomes.csv': analyst,
  // Coaches' own caseload: analysts use the API and exports instead (decision 0014).
  'GET /caseload': ['coach'],
  // The coach's start page: what is due on their own caseload today (decision 0034).
  'GET /today': ['coach'],
  'GET /contacts/:reference': ['coach'],
  'POST /contacts/:reference/outcomes': ['coach'],
  'GET /contacts/:reference/opt-out': ['coach'],
  'POST /contacts/:reference/opt-out': ['coach'],
  'GET /contacts/:reference/opt-in': ['coach'],
  'POST /contacts/:reference/opt-in': ['coach'],
  ...Object.fromEntries(
    ['correct', 'withdraw'].flatMap((action) => [
      [`GET /contacts/:reference/outcomes/:eventId/${action}`, ['coach']],
      [`POST /contacts/:reference/outcomes/:eventId/${action}`, ['coach']],
    ]),
  ),
  'POST /contacts/:reference/assignments': ['coach'],
  'GET /contacts/:reference/preferences': ['coach'],
  'POST /contacts/:reference/preferences': ['coach'],
  'GET /learning-log': analystCoach,
  'POST /learning-log': analystCoach,
  'GET /learning-log/summaries': analyst,
  'GET /learning-log/summaries/:weekEnding': analyst,
  'POST /learning-log/summaries/:weekEnding': analyst,
  'GET /learning-log/summaries/:weekEnding/approve': analyst,
  'POST /learning-log/summaries/:weekEnding/approve': analyst,
  'GET /report': ['minister', 'analyst'],
  'GET /report/current': analyst,
  'GET /report/weeks': ['minister', 'analyst'],
  'GET /report/weeks/:weekEnding.csv': ['minister', 'analyst'],
  'GET /report/weeks/:weekEnding': ['minister', 'analyst'],
  'GET /admin': ['admin'],
  'POST /admin/users': ['admin'],
  'GET /admin/users/:username': ['admin'],
  ...Object.fromEntries(
    ['disable', 'enable', 'reset-password', 'role'].flatMap((action) => [
      [`GET /admin/users/:username/${action}`, ['admin']],
      [`POST /admin/users/:username/${action}`, ['admin']],
    ]),
  ),
  'POST /admin/users/:username/role/confirm': ['admin'],
  'POST /admin/users/:username/tokens/:id/revoke': ['admin'],
  // Erasure (docs/decisions/0033) and reading the audit log are the administrator's.
  'GET /admin/erasure': ['admin'],
  // Moving a person or a caseload to another coach (decision 0036).
  'GET /admin/moves': ['admin'],
  'POST /admin/moves': ['admin'],
  'POST /admin/erasure': ['admin'],
  'POST /admin/erasure/confirm': ['admin'],
  'GET /admin/audit': ['admin'],
  'GET /admin/audit.csv': ['admin'],
};
