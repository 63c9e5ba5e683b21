import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';
import { DatabaseUnavailableError } from '../db/database.ts';
import type { AuditService } from '../audit-service.ts';
import { auditRefusal } from './request-audit.ts';

/** What a contact reference in a logged path or message becomes. */
export const REDACTED_REFERENCE = '[reference]';

// `/contacts/<reference>` in the API and the pages; `/contacts/import` is a route, not a person.
const CONTACT_SEGMENT = /(\/contacts\/)(?!import(?:\/|$))([^/?#]+)/gi;

/**
 * A request path fit for a log line: every contact reference in it replaced by
 * REDACTED_REFERENCE. Logs are read by more people, and kept longer, than the
 * records they describe, so they must not link a person to an error.
 */
export function redactPath(path: string): string {
  return path.replace(CONTACT_SEGMENT, (_match, prefix: string) => `${prefix}${REDACTED_REFERENCE}`);
}

/** The contact references a path names (decoded), so they can be taken out of logged messages too. */
function referencesIn(path: string): string[] {
  return [...path.matchAll(CONTACT_SEGMENT)].map((m) => {
    try {
      return decodeURIComponent(m[2]);
    } catch {
      return m[2];
    }
  });
}

/** `text` with each of the references replaced by REDACTED_REFERENCE. */
function withoutReferences(text: string, references: string[]): string {
  let result = text;
  for (const reference of references) if (reference.length >= 3) result = result.split(reference).join(REDACTED_REFERENCE);
  return result;
}

/** Seconds a client is told to wait (Retry-After) when the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 30;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The service is not available at the moment because its database cannot be reached. Try again in a minute.';

/**
 * True when the error means the database could not be reached (PostgreSQL down,
 * restarting, or out of connections), not that the request or the query was
 * wrong. The PostgreSQL implementation wraps such failures in
 * DatabaseUnavailableError; a raw driver error that slipped past it is
 * recognised by postgres-database.ts's own check, imported only when an error
 * carries a code (so SQLite-only runs never load the PostgreSQL driver for it).
 */
export async function isDatabaseUnavailable(error: unknown): Promise<boolean> {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code.startsWith('SQLITE_')) return false;
  const { isConnectionFailure } = await import('../db/postgres-database.ts');
  return isConnectionFailure(error);
}

/**
 * One error handler for the whole app. Known errors become 4xx with
 * field-level messages. A database that cannot be reached is a 503 with
 * Retry-After and a message saying to try again (never a 500); it is logged in
 * one line with no request details. Anything else is a 500 with a reference
 * the user can quote, logged without request bodies (which may hold personal
 * data) and with contact references in the path replaced by a fixed token.
 */
export function errorHandler(renderPage?: (req: Request, res: Response, status: number, message: string, reference?: string) => void, audit?: AuditService) {
  return async (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let message = 'Sorry, there is a problem with the service';
    let errors: { field: string; message: string }[] = [];
    let reference: string | undefined;
    let databaseDown = false;
    const bodyParserError = error as { type?: string; status?: number };
    if (error instanceof HttpError) {
      status = error.status;
      message = error.message;
      errors = error.errors;
    } else if (bodyParserError.type === 'entity.parse.failed') {
      status = 400;
      message = 'The request body is not valid JSON';
    } else if (bodyParserError.type === 'entity.too.large') {
      status = 413;
      message = 'The request is too large';
    } else if (typeof bodyParserError.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500) {
      status = bodyParserError.status;
      message = 'The request could not be read';
    } else if (await isDatabaseUnavailable(error)) {
      databaseDown = true;
      status = 503;
      message = DATABASE_UNAVAILABLE_MESSAGE;
      // The method and the redacted path only: the driver's message can name hosts, never people.
      console.error(`[database unavailable] ${req.method} ${redactPath(req.path)}: answered 503`);
    } else {
      reference = randomUUID().slice(0, 8);
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`[error ${reference}] ${req.method} ${redactPath(req.path)}: ${withoutReferences(detail, referencesIn(req.path))}`);
    }
    // A person-level request that failed still leaves its one audit row (request-audit.ts),
    // unless the database is down, when it cannot be written either.
    if (audit && !databaseDown) {
      try {
        await auditRefusal(req, res, audit);
      } catch (auditError) {
        console.error('[audit] could not record a refused request:', auditError instanceof Error ? auditError.message : auditError);
      }
    }
    if (res.headersSent) return res.end();
    if (databaseDown) res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    if (renderPage && !req.path.startsWith('/api/')) return renderPage(req, res, status, message, reference);
    res.status(status).json({ error: message, ...(errors.length ? { errors } : {}), ...(reference ? { reference } : {}) });
  };
}
