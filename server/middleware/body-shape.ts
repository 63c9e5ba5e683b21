import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '../errors.ts';

/**
 * Bad input must be a 400, never a 500. Two shapes broke handlers that were
 * written for sensible bodies: JSON nested hundreds of levels deep (recursive
 * code ran out of stack) and dashboard forms posted as JSON with an object
 * where a text field belongs (String() on an object without a usable toString
 * throws). Both are refused here, before any handler sees them.
 */

/** No real body or eligibility condition comes near this; a few levels is normal. */
export const MAX_NESTING_DEPTH = 32;

/**
 * The first place where `value` nests objects or arrays more than `maxDepth`
 * deep, as the top-level field it sits under ('(body)' for the body itself),
 * or null. Walks with its own stack, so the check itself cannot overflow.
 */
export function tooDeepField(value: unknown, maxDepth = MAX_NESTING_DEPTH): string | null {
  const stack: { node: unknown; depth: number; field: string }[] = [{ node: value, depth: 0, field: '(body)' }];
  while (stack.length > 0) {
    const { node, depth, field } = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (depth + 1 > maxDepth) return field;
    const topLevel = depth === 0 && !Array.isArray(node);
    for (const [key, child] of Object.entries(node)) stack.push({ node: child, depth: depth + 1, field: topLevel ? key : field });
  }
  return null;
}

/** Refuses JSON bodies nested more than MAX_NESTING_DEPTH deep, naming the field. */
export function limitNestingDepth(maxDepth = MAX_NESTING_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const field = req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? tooDeepField(req.body, maxDepth) : null;
    if (field) throw new ValidationError([{ field, message: `This is nested more than ${maxDepth} levels deep: simplify it` }]);
    next();
  };
}

const SHOWABLE_NAME = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * Dashboard forms send text: each field a string, or a list of strings when a
 * field repeats (checkboxes). Anything else (an object or number in a JSON
 * body) is a 400 with the GOV.UK error page rather than a crash in a handler.
 */
export function requireTextFormFields() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const body = req.body as unknown;
    if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) return next();
    if (Array.isArray(body)) throw new ValidationError([{ field: '(body)', message: 'Send the form from the service’s page' }], 'Send the form from the service’s page');
    for (const [name, value] of Object.entries(body)) {
      const text = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
      if (text) continue;
      const message = SHOWABLE_NAME.test(name) ? `The form field “${name}” must be text: send the form from the service’s page` : 'A form field was not text: send the form from the service’s page';
      throw new ValidationError([{ field: SHOWABLE_NAME.test(name) ? name : '(body)', message }], message);
    }
    next();
  };
}
