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
    /** Every field that is wrong, when there is more than one (the message names the first). */
    readonly fieldErrors: { field: string; message: string }[] = field ? [{ field, message }] : [],
  ) {
    super(message, 400, 'There is a problem');
  }

  /** One error for several wrong fields, e.g. an API call with three bad answers. */
  static forFields(errors: { field: string; message: string }[]): ValidationError {
    const [first] = errors;
    return new ValidationError(
      first?.message ?? 'Some of what you sent is not valid.',
      first?.field,
      errors,
    );
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
