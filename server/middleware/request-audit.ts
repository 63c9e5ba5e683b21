import type { NextFunction, Request, Response } from 'express';
import type { AuditService } from '../audit-service.ts';

/**
 * Exactly one audit row per person-level request (docs/decisions/0031).
 *
 * `personLevel(action, entity)` goes first on a route that reads, changes or
 * exports a person's record. The handler then calls `auditRequest` once, when it
 * knows what happened (inside the write's transaction when there is one, and
 * always before anything is sent), naming the outcome if it differs from the
 * plan (`repeat-outcome`, `record-outcome-rejected`). If the request fails
 * before that (wrong role, not on the caseload, invalid, a conflict), the error
 * handler writes `<action>-refused` instead, so attempts are on record too.
 */
export interface RequestAudit {
  action: string;
  entity: AuditEntity;
  entityId: string | null;
  experimentKey: string | null;
  written: boolean;
}

/** What an audit row can be about: its entity id is a reference, a key or a week, never personal data. */
export type AuditEntity = 'contact' | 'contacts' | 'experiment' | 'weekly-report' | 'audit-log';

/** A pseudonymous reference as contacts are created with (experiments/contacts/contact-schema.ts); anything else is not kept. */
const REFERENCE = /^[A-Za-z0-9-]{4,32}$/;
const KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const WEEK = /^\d{4}-\d{2}-\d{2}$/;

function clean(value: unknown, pattern: RegExp): string | null {
  return typeof value === 'string' && pattern.test(value.trim()) ? value.trim() : null;
}

/** The entity id of a request: from the path, or for POST /api/outcomes the body's contact. */
function entityIdOf(req: Request, entity: AuditEntity): string | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (entity === 'contact') return clean(req.params.reference ?? body.contact, REFERENCE);
  if (entity === 'experiment') return clean(req.params.key, KEY);
  if (entity === 'weekly-report') return clean(req.params.weekEnding, WEEK);
  return null;
}

function experimentKeyOf(req: Request): string | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  // An assignment: the experiment is in the API path or the page form.
  if (req.params.reference !== undefined || body.contact !== undefined) return clean(req.params.key ?? body.experiment, KEY);
  return null;
}

export function personLevel(action: string, entity: AuditEntity) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.audit = { action, entity, entityId: entityIdOf(req, entity), experimentKey: experimentKeyOf(req), written: false } satisfies RequestAudit;
    next();
  };
}

/** Writes the request's one audit row. Throws if the route is not marked, or was already audited. */
export async function auditRequest(
  res: Response,
  audit: AuditService,
  userId: number,
  changes: { action?: string; entityId?: string | null; experimentKey?: string | null } = {},
): Promise<void> {
  const pending = res.locals.audit as RequestAudit | undefined;
  if (!pending) throw new Error('auditRequest on a route not marked personLevel');
  if (pending.written) throw new Error(`The request was already audited (${pending.action})`);
  const entityId = changes.entityId !== undefined ? changes.entityId : pending.entityId;
  // Marked before the write, so a second call cannot slip in while this one waits on the database.
  pending.written = true;
  try {
    await audit.record(userId, changes.action ?? pending.action, pending.entity, entityId, changes.experimentKey !== undefined ? changes.experimentKey : pending.experimentKey);
    // A rolled-back (or retried) transaction takes the row with it: the request may be audited again.
    audit.onRollback(() => (pending.written = false));
  } catch (error) {
    pending.written = false;
    throw error;
  }
}

/** For the error handler: a person-level request that failed before it was audited. */
export async function auditRefusal(req: Request, res: Response, audit: AuditService): Promise<void> {
  const pending = res.locals.audit as RequestAudit | undefined;
  // Nobody to attribute it to: signed-out requests are the sign-in's business.
  if (!pending || pending.written || !req.user) return;
  pending.written = true;
  await audit.record(req.user.id, `${pending.action}-refused`, pending.entity, pending.entityId, pending.experimentKey);
}

/**
 * For a person-level request whose service wrote the audit row itself, in the
 * same transaction as the change (corrections, opting back in): marks the
 * request audited, so the one row it has is not followed by a refusal row.
 */
export function auditedByService(res: Response): void {
  const pending = res.locals.audit as RequestAudit | undefined;
  if (pending) pending.written = true;
}
