/**
 * Typed errors that the HTTP layer maps once: to a GOV.UK-style error page for people
 * and to RFC 9457 problem JSON for API callers. Domain code throws these, never HTTP codes.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    /** HTTP status the error maps to. */
    readonly status: number,
    /** Short, stable title for the problem JSON `title` and the page heading. */
    readonly title: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'We could not find that page.') {
    super(message, 404, 'Page not found');
  }
}

/** Input a person or caller can correct; `field` says which one, for an error summary link. */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message, 400, 'There is a problem');
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You do not have permission to do that.') {
    super(message, 403, 'You cannot do that');
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super(message, 409, 'That has changed');
  }
}
