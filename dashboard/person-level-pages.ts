import type { AuditEntity } from '../server/middleware/request-audit.ts';

/**
 * The pages that show, change or export people's records, and the other
 * downloads kept on record (a minister's weekly CSV). Each request to one of
 * them writes exactly one audit row (server/middleware/request-audit.ts).
 * dashboard/index.ts registers these through `personLevel` and refuses to
 * start if one is listed but not registered, or registered but not listed;
 * tests/security/audit-coverage.test.ts calls every one.
 */
export const PERSON_LEVEL_PAGES = [
  { method: 'get', path: '/caseload', action: 'list', entity: 'contacts' },
  { method: 'get', path: '/contacts/:reference', action: 'view', entity: 'contact' },
  { method: 'post', path: '/contacts/:reference/outcomes', action: 'record-outcome', entity: 'contact' },
  { method: 'post', path: '/contacts/:reference/opt-out', action: 'opt-out', entity: 'contact' },
  { method: 'post', path: '/contacts/:reference/assignments', action: 'assign', entity: 'contact' },
  { method: 'get', path: '/contacts/:reference/preferences', action: 'view-preferences', entity: 'contact' },
  { method: 'post', path: '/contacts/:reference/preferences', action: 'update', entity: 'contact' },
  { method: 'post', path: '/data/import', action: 'import', entity: 'contacts' },
  { method: 'post', path: '/experiments/:key/enrolments/:id/confirm', action: 'enrol', entity: 'experiment' },
  { method: 'get', path: '/data/:key/assignments.csv', action: 'export-assignments', entity: 'experiment' },
  { method: 'get', path: '/data/:key/outcomes.csv', action: 'export-outcomes', entity: 'experiment' },
  { method: 'get', path: '/report/weeks/:weekEnding.csv', action: 'download', entity: 'weekly-report' },
  { method: 'get', path: '/admin/audit', action: 'view', entity: 'audit-log' },
  { method: 'get', path: '/admin/audit.csv', action: 'export', entity: 'audit-log' },
  { method: 'get', path: '/admin/moves', action: 'list-moves', entity: 'contacts' },
  { method: 'post', path: '/admin/moves', action: 'move', entity: 'contacts' },
] as const satisfies readonly { method: 'get' | 'post'; path: string; action: string; entity: AuditEntity }[];

export type PersonLevelPage = (typeof PERSON_LEVEL_PAGES)[number];
