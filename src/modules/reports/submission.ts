import type { Council } from '../../platform/config.js';
import type { Gazetteer } from '../../platform/geo/gazetteer.js';
import type { Field } from '../catalogue/definition.js';
import { inputNamesOf, rawFromAnswer, readField } from '../forms/fields.js';
import { applicableAnswers, fieldApplies, type Answers } from '../forms/journey.js';
import type { DraftLocation, ReportContact } from './draft.js';
import { resolveWhere, responsibilityFor } from './location.js';
import { questionsPage, type Category } from './service.js';

/**
 * Reading a report that another system sends (the JSON API at /api/v1 and Open311 at
 * /open311/v2): where it is and whose it is, the category's answers and the reporter. Each
 * API spells its fields its own way, so every error names the field as that caller sent it.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** What a caller sent for where the problem is, and the names their API gives those fields. */
export interface SentWhere {
  place: string;
  lat: string;
  lng: string;
}

export type Placed =
  { ok: true; location: DraftLocation; area: string | null } | { ok: false; error: FieldError };

/** One point inside the council's area that the council looks after, or why not. */
export function placeSentReport(
  sent: SentWhere,
  names: SentWhere,
  council: Council,
  gazetteer: Gazetteer,
): Placed {
  const where = resolveWhere({ ...sent, photoPoint: null, photoGiven: false }, gazetteer);
  if (where.kind === 'error')
    return {
      ok: false,
      error: {
        field: names[where.field === 'place' ? 'place' : where.field],
        message: where.message,
      },
    };
  if (where.kind === 'choose')
    return {
      ok: false,
      error: {
        field: names.place,
        message: `More than one place matches: ${where.places.map((p) => p.label).join('; ')}. Send ${names.lat} and ${names.lng} instead.`,
      },
    };
  const responsibility = responsibilityFor(council, gazetteer, where.location, where.place);
  if (responsibility.kind === 'outside')
    return {
      ok: false,
      error: { field: names.lat, message: `This location is outside ${council.name}'s area.` },
    };
  if (responsibility.kind === 'other-body')
    return {
      ok: false,
      error: {
        field: names.lat,
        message: `${responsibility.body.name} looks after this place (${responsibility.body.looksAfter}); report it to them.`,
      },
    };
  return { ok: true, location: where.location, area: responsibility.area };
}

/** The body key a category question is answered in: Open311's `attribute[code]`. */
export function attributeKey(code: string): string {
  return `attribute[${code}]`;
}

/**
 * A category's answers as an API sends them: attribute[name] (attribute[name][] for several
 * answers), a date as one ISO date (2026-12-07), a question in parts one attribute per part
 * (attribute[where-postcode]), as GET services/{code} lists them. `plainNames` also takes a
 * bare name, as /api/v1 always has; Open311 does not, since its own fields (email,
 * description) could be taken for a question's.
 */
export function readSentAnswers(
  category: Category,
  fields: Record<string, unknown>,
  options: { plainNames: boolean },
): { answers: Answers; errors: FieldError[] } {
  const page = questionsPage(category);
  const errors: FieldError[] = [];
  const sent = (name: string) =>
    fields[attributeKey(name)] ??
    fields[`${attributeKey(name)}[]`] ??
    (options.plainNames ? fields[name] : undefined);

  const given: Record<string, unknown> = {};
  for (const field of page.fields) {
    if (field.type !== 'date') {
      for (const input of inputNamesOf(field)) {
        const value = sent(input);
        if (value !== undefined) given[input] = value;
      }
      continue;
    }
    const value = sent(field.name);
    if (value === undefined || value === '') continue;
    const date =
      typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/.exec(value.trim()) : null;
    if (!date) {
      errors.push({
        field: attributeKey(field.name),
        message: `${field.label}: send a date like 2026-12-07`,
      });
      continue;
    }
    const [, year = '', month = '', day = ''] = date;
    Object.assign(given, {
      [`${field.name}-day`]: day,
      [`${field.name}-month`]: month,
      [`${field.name}-year`]: year,
    });
  }

  const answers: Answers = {};
  for (const field of page.fields) {
    if (!fieldApplies(field, answers) || errors.some((e) => e.field === attributeKey(field.name)))
      continue;
    if (field.type === 'file') {
      // An API sends photos, not a category's own files: a required one needs the website.
      if (!field.optional)
        errors.push({
          field: attributeKey(field.name),
          message: `${field.label}: this category needs a file, which can only be sent on the website`,
        });
      continue;
    }
    const reading = readField(field, given);
    if (reading.error) errors.push({ field: attributeKey(field.name), message: reading.error });
    else if (reading.value !== undefined) answers[field.name] = reading.value;
  }
  return { answers: applicableAnswers({ pages: [page] }, answers), errors };
}

/**
 * A report's answers as another system is sent them: the reverse of readSentAnswers, so a
 * report sent from one Shire to another arrives with the same answers.
 */
export function sentAttributes(category: Category, answers: Answers): [string, string][] {
  return questionsPage(category).fields.flatMap((field): [string, string][] => {
    const answer = answers[field.name];
    if (answer === undefined || field.type === 'file') return [];
    if (field.type === 'date')
      return typeof answer === 'string' ? [[attributeKey(field.name), answer]] : [];
    const raw = rawFromAnswer(field, answer);
    if (raw === undefined) return [];
    if (typeof raw === 'string') return [[attributeKey(field.name), raw]];
    if (Array.isArray(raw)) return raw.map((value) => [`${attributeKey(field.name)}[]`, value]);
    return Object.entries(raw).map(([part, value]) => [
      attributeKey(`${field.name}-${part}`),
      value,
    ]);
  });
}

/** Every attribute code a category's questions are answered with, as readSentAnswers reads them. */
export function attributeCodes(category: Category): string[] {
  return questionsPage(category).fields.flatMap((field) =>
    field.type === 'file' ? [] : field.type === 'date' ? [field.name] : inputNamesOf(field),
  );
}

/** The reporter's name, email and phone as sent; whether an email is needed is the API's choice. */
export function readSentContact(
  sent: { name: unknown; email: unknown; phone: unknown; showName: boolean },
  names: { name: string; email: string; phone: string },
  options: { emailRequired: boolean },
): { contact: ReportContact | null; errors: FieldError[] } {
  const fields: Field[] = [
    { type: 'text', name: 'name', label: 'name', optional: true, maxLength: 100 },
    { type: 'email', name: 'email', label: 'email', optional: !options.emailRequired },
    { type: 'phone', name: 'phone', label: 'phone', optional: true },
  ];
  const values: Record<string, string | undefined> = {};
  const errors: FieldError[] = [];
  for (const field of fields) {
    const reading = readField(field, sent);
    const key = field.name as keyof typeof names;
    if (reading.error) errors.push({ field: names[key], message: reading.error });
    values[key] = typeof reading.value === 'string' ? reading.value : undefined;
  }
  // With no way to reach them and no name, there is no one to tell: an anonymous report.
  if (!values.email && !values.name && !values.phone) return { contact: null, errors };
  return {
    contact: {
      name: values.name ?? '',
      email: values.email ?? '',
      phone: values.phone ?? null,
      showName: sent.showName,
    },
    errors,
  };
}
