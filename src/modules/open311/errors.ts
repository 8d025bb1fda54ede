import type { FastifyError } from 'fastify';
import { DomainError, ValidationError } from '../../platform/errors.js';
import { problemFor } from '../../platform/http/errors.js';
import { List, type Document } from './format.js';

/** A call without a valid key: Open311 says 403. */
export class KeyError extends DomainError {
  constructor(message: string) {
    super(message, 403, 'Forbidden');
  }
}

/** Too many calls with one key in a minute. */
export class KeyRateError extends DomainError {
  constructor(
    perMinute: number,
    /** When the key may call again. */
    readonly seconds: number,
  ) {
    super(
      `This key may make ${String(perMinute)} calls a minute; wait ${String(seconds)} seconds and try again.`,
      429,
      'Too Many Requests',
    );
  }
}

export interface Open311Failure {
  status: number;
  document: Document;
}

/**
 * Any error as Open311's `<errors>` (a JSON array of { code, description }): one entry for
 * each wrong field, naming it as the caller sent it. The code is the HTTP status, as in the
 * spec's examples. Anything unexpected is a 500 that says nothing of why.
 */
export function open311Failure(error: FastifyError | Error): Open311Failure {
  const problem = problemFor(error);
  const entries =
    error instanceof ValidationError && error.fieldErrors.length > 0
      ? error.fieldErrors.map((e) => `${e.field}: ${e.message}`)
      : (problem.errors?.length ?? 0) > 0 && problem.status === 400
        ? (problem.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.message}` : e.message))
        : [problem.detail];
  return {
    status: problem.status,
    document: {
      root: 'errors',
      value: new List(
        'error',
        entries.map((description) => ({ code: problem.status, description })),
      ),
    },
  };
}
