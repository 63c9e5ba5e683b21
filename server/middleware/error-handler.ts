import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';
import type { AuditService } from '../audit-service.ts';
import { auditRefusal } from './request-audit.ts';

/**
 * One error handler for the whole app. Known errors become 4xx with
 * field-level messages; anything else is a 500 with a reference the user can
 * quote, logged without request bodies (which may hold personal data).
 */
export function errorHandler(renderPage?: (req: Request, res: Response, status: number, message: string, reference?: string) => void, audit?: AuditService) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let message = 'Sorry, there is a problem with the service';
    let errors: { field: string; message: string }[] = [];
    let reference: string | undefined;
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
    } else {
      reference = randomUUID().slice(0, 8);
      console.error(`[error ${reference}] ${req.method} ${req.path}:`, error instanceof Error ? error.stack : error);
    }
    // A person-level request that failed still leaves its one audit row (request-audit.ts).
    if (audit) {
      try {
        auditRefusal(req, res, audit);
      } catch (auditError) {
        console.error('[audit] could not record a refused request:', auditError instanceof Error ? auditError.message : auditError);
      }
    }
    if (res.headersSent) return res.end();
    if (renderPage && !req.path.startsWith('/api/')) return renderPage(req, res, status, message, reference);
    res.status(status).json({ error: message, ...(errors.length ? { errors } : {}), ...(reference ? { reference } : {}) });
  };
}
