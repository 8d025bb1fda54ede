import type { ValidationError } from '../../platform/errors.js';
import type { Field } from '../catalogue/definition.js';
import { componentFor, readField } from '../forms/fields.js';

/**
 * The questions My Account asks, read and rendered by the form engine's field types so their
 * checks and messages are the ones every other form gives — with the GOV.UK sign-in wording
 * where it differs — plus passwords, which are never trimmed or shown back.
 */

type Body = Record<string, unknown>;

const NAME: Field = {
  type: 'text',
  name: 'name',
  label: 'Your name',
  optional: false,
  autocomplete: 'name',
  maxLength: 100,
};

const EMAIL: Field = {
  type: 'email',
  name: 'email',
  label: 'Email address',
  optional: false,
};

export interface Reading {
  value: string;
  /** What was typed, to show back. */
  raw: string;
  error?: string | undefined;
}

function read(field: Field, body: Body, missing?: string): Reading {
  const reading = readField(field, body);
  const raw = typeof reading.raw === 'string' ? reading.raw : '';
  const error = reading.error && missing && !raw.trim() ? missing : reading.error;
  return { value: typeof reading.value === 'string' ? reading.value : '', raw, error };
}

export const readName = (body: Body): Reading => read(NAME, body);
export const readEmail = (body: Body): Reading => read(EMAIL, body, 'Enter your email address');

/** A password exactly as typed: spaces count. */
export function readPassword(body: Body): string {
  const value = body.password;
  return typeof value === 'string' ? value : '';
}

/** govukInput parameters for the name and email questions. */
export function nameInput(raw: string, error?: string, hint?: string) {
  return withHint(componentFor(NAME, raw, error).params, hint);
}

export function emailInput(raw: string, error?: string, hint?: string) {
  return withHint(componentFor(EMAIL, raw, error).params, hint);
}

function withHint(params: Record<string, unknown>, hint: string | undefined) {
  return hint ? { ...params, hint: { text: hint } } : params;
}

/** govukPasswordInput parameters: the show/hide button comes with JavaScript, and is not needed without. */
export function passwordInput(options: {
  label: string;
  autocomplete: 'current-password' | 'new-password';
  hint?: string;
  error?: string | undefined;
}) {
  return {
    id: 'password',
    name: 'password',
    label: { text: options.label, classes: 'govuk-label--s' },
    autocomplete: options.autocomplete,
    ...(options.hint ? { hint: { text: options.hint } } : {}),
    ...(options.error ? { errorMessage: { text: options.error } } : {}),
  };
}

/**
 * A same-site path to go back to after signing in, or undefined for anything else: another
 * site ("//evil.example", "https://…", "/\evil.example"), control characters, or a page about
 * signing in or out, which would only loop.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 1000) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = 'http://shire.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  if (/^\/account\/(sign-|signed-out|verify|password|check-email)/.test(url.pathname))
    return undefined;
  return url.pathname + url.search;
}

/** One error summary entry per field with an error, linking to the field. */
export function errorSummary(errors: Record<string, string | undefined>) {
  return Object.entries(errors)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([field, text]) => ({ text, href: `#${field}` }));
}

/**
 * A refused change, for a page: each field's message beside it and in the summary; a
 * message about no field, in the summary only.
 */
export function validationProblems(error: ValidationError | undefined) {
  const errors = Object.fromEntries(
    (error?.fieldErrors ?? []).map((e) => [e.field, e.message]),
  ) as Record<string, string>;
  const summary =
    error && error.fieldErrors.length === 0 ? [{ text: error.message }] : errorSummary(errors);
  return { errors, errorSummary: summary };
}
