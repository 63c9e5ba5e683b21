/**
 * Errors the API turns into 4xx responses. Messages say what to do and never
 * carry personal data (contact references are pseudonymous, but even those are
 * kept out of messages where the field name is enough).
 */
export interface FieldError {
  field: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

export class ValidationError extends HttpError {
  constructor(errors: FieldError[], message = 'The request has errors') {
    super(400, message, errors);
  }
}

export class NotFoundError extends HttpError {
  constructor(what: string) {
    super(404, `${what} not found`);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, errors: FieldError[] = []) {
    super(409, message, errors);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'You do not have permission to do that') {
    super(403, message);
  }
}
