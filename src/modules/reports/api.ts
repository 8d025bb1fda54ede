import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { fieldText, readBody, type Body, type Upload } from '../../platform/http/multipart.js';
import { InvalidReferenceError } from '../cases/reference.js';
import type { Case } from '../cases/service.js';
import type { Field } from '../catalogue/definition.js';
import { readField } from '../forms/fields.js';
import { applicableAnswers, fieldApplies, type Answers } from '../forms/journey.js';
import type { DraftLocation } from './draft.js';
import { resolveWhere, responsibilityFor } from './location.js';
import { MAX_PHOTOS, processPhoto, type StoredPhoto } from './photos.js';
import { parseState, type ReportsOptions } from './public.js';
import { readPoint, readRadius } from './query.js';
import { PUBLIC_STATUSES, questionsPage, type NewReport, type PublicReport } from './service.js';

type FieldError = { field: string; message: string };

/** The longest description a report may have, in characters. */
export const MAX_DESCRIPTION = 2000;

/**
 * Report It for the app and partners: make a report (multipart, photos included), list
 * reports near a point, read one. Errors are RFC 9457 problem JSON naming each bad field.
 */
export function reportsApi(
  app: FastifyInstance,
  { services, files, config, reports, gazetteer }: ReportsOptions,
  done: () => void,
): void {
  const { cases } = services;
  const base = config.publicUrl;

  const toJson = (report: PublicReport) => ({
    ref: report.ref,
    url: `${base}/reports/${report.ref}`,
    service_code: report.category,
    category: report.categoryName,
    status: report.status,
    status_label: report.statusLabel,
    open: report.open,
    location: report.location,
    description: report.description,
    details: report.details,
    photos: report.photos.map((p) => ({
      width: p.width,
      height: p.height,
      thumb: `${base}/reports/${report.ref}/photos/${p.id}/thumb.jpg`,
      display: `${base}/reports/${report.ref}/photos/${p.id}/display.jpg`,
      full: `${base}/reports/${report.ref}/photos/${p.id}/full.jpg`,
    })),
    reported_by: report.reportedBy,
    expected_fix_date: report.expectedFixDate,
    created_at: report.createdAt.toISOString(),
    updated_at: report.updatedAt.toISOString(),
  });
  const publicJson = async (found: Case) => {
    const report = await reports.publicReport(found);
    if (!report) throw new NotFoundError(`There is no report ${found.ref}.`);
    return toJson(report);
  };

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v1/reports',
    async (request) => {
      const query = request.query;
      const point = readPoint(query);
      const radius = readRadius(query.radius, 250);
      const limit = whole(query.limit, 20, 1, 100, 'limit');
      const offset = whole(query.offset, 0, 0, 10_000, 'offset');
      const category = query.category ? reports.category(query.category) : undefined;
      if (query.category && !category)
        throw new ValidationError(`There is no report category "${query.category}".`, 'category');
      if (query.status && !parseState(query.status))
        throw new ValidationError('status must be open or closed', 'status');
      const found = await cases.near(point, radius, {
        kind: 'report',
        serviceCodes: category ? [category.code] : undefined,
        state: parseState(query.status),
        statuses: PUBLIC_STATUSES,
        limit,
        offset,
      });
      return {
        reports: await Promise.all(
          found.map(async (n) => ({
            ...(await publicJson(n.case)),
            distance_metres: n.distanceMetres,
          })),
        ),
      };
    },
  );

  app.get<{ Params: { ref: string } }>('/api/v1/reports/:ref', async (request) => {
    let found: Case | undefined;
    try {
      found = await cases.getByRef(request.params.ref);
    } catch (err) {
      if (err instanceof InvalidReferenceError) throw new ValidationError(err.message, 'ref');
      throw err;
    }
    if (found?.kind !== 'report')
      throw new NotFoundError(`There is no report ${request.params.ref}.`);
    return publicJson(found);
  });

  app.post(
    '/api/v1/reports',
    { config: { rateLimit: { max: 20, timeWindow: 60 * 60_000 } } },
    async (request, reply) => {
      const { fields, uploads } = await readBody(request);
      const submission = await readReportSubmission(fields, uploads, {
        reports,
        gazetteer,
        config,
        files,
      });
      const key = request.headers['idempotency-key'];
      const opened = await reports.submit({
        id: idempotencyKey(key) ?? randomUUID(),
        ...submission,
        accountId: null,
        channel: 'api',
        actor: { type: 'resident' },
      });
      return reply
        .code(201)
        .header('location', `/api/v1/reports/${opened.ref}`)
        .send(await publicJson(opened));
    },
  );
  done();
}

/** The Idempotency-Key header, when it is one a client could mean (8 to 100 characters). */
export function idempotencyKey(header: unknown): string | undefined {
  return typeof header === 'string' && header.length >= 8 && header.length <= 100
    ? header
    : undefined;
}

export type ReportSubmission = Pick<
  NewReport,
  'category' | 'location' | 'area' | 'answers' | 'description' | 'photos' | 'contact'
>;

/**
 * A whole report sent at once, as the API and the app send it: `service_code` (or
 * `category`), `lat` and `lng` or `address_string` (or `place`), each question as
 * `attribute[name]` (Open311's spelling) or plain `name`, `description`, `name`, `email`,
 * `phone`, `show_name` and up to MAX_PHOTOS `photos`. Throws a ValidationError naming
 * every bad field. Contact details are needed unless `signedIn` (the account is the contact).
 */
export async function readReportSubmission(
  fields: Body,
  uploads: Record<string, Upload[]>,
  {
    reports,
    gazetteer,
    config,
    files,
  }: Pick<ReportsOptions, 'reports' | 'gazetteer' | 'config' | 'files'>,
  { signedIn = false }: { signedIn?: boolean } = {},
): Promise<ReportSubmission> {
  const text = (name: string) => fieldText(fields, name).trim();
  const errors: FieldError[] = [];

  const category = reports.category(text('service_code'));
  if (!category)
    errors.push({
      field: 'service_code',
      message: text('service_code')
        ? `There is no report category "${text('service_code')}"`
        : 'Select what the problem is',
    });

  const where = resolveWhere(
    {
      place: text('address_string'),
      lat: text('lat'),
      lng: text('lng'),
      photoPoint: null,
      photoGiven: false,
    },
    gazetteer,
  );
  let location: DraftLocation | undefined;
  let area: string | null = null;
  if (where.kind === 'error')
    errors.push({
      field: where.field === 'place' ? 'address_string' : where.field,
      message: where.message,
    });
  else if (where.kind === 'choose')
    errors.push({
      field: 'address_string',
      message: `More than one place matches: ${where.places.map((p) => p.label).join('; ')}. Give a fuller place name, or the point (lat and lng).`,
    });
  else {
    const responsibility = responsibilityFor(
      config.council,
      gazetteer,
      where.location,
      where.place,
    );
    if (responsibility.kind === 'outside')
      errors.push({
        field: 'lat',
        message: `This location is outside ${config.council.name}'s area.`,
      });
    else if (responsibility.kind === 'other-body')
      errors.push({
        field: 'lat',
        message: `${responsibility.body.name} looks after this place (${responsibility.body.looksAfter}); report it to them.`,
      });
    else {
      location = where.location;
      area = responsibility.area;
    }
  }

  // Category questions arrive as attribute[name] (Open311's spelling) or plain name.
  const answers: Answers = {};
  const page = category ? questionsPage(category) : { id: 'questions', title: '', fields: [] };
  const given: Record<string, unknown> = {};
  for (const field of page.fields) {
    const value =
      fields[`attribute[${field.name}]`] ??
      fields[`attribute[${field.name}][]`] ??
      fields[field.name];
    if (value !== undefined) given[field.name] = value;
  }
  for (const field of page.fields) {
    if (!fieldApplies(field, answers)) continue;
    const reading = readField(field, given);
    if (reading.error) errors.push({ field: `attribute[${field.name}]`, message: reading.error });
    else if (reading.value !== undefined) answers[field.name] = reading.value;
  }

  const contact = signedIn ? null : readContact(fields, errors);
  const description = text('description');
  if (description.length > MAX_DESCRIPTION)
    errors.push({
      field: 'description',
      message: `Description must be ${String(MAX_DESCRIPTION)} characters or fewer`,
    });

  const photoUploads = uploads.photos ?? uploads.media ?? [];
  if (photoUploads.length > MAX_PHOTOS)
    errors.push({ field: 'photos', message: `Add at most ${String(MAX_PHOTOS)} photos` });
  if (errors.length > 0 || !location || !category) throw ValidationError.forFields(errors);

  const photos: StoredPhoto[] = [];
  for (const [index, upload] of photoUploads.entries()) {
    const result = await processPhoto(upload.bytes, files);
    if (!result.ok)
      throw new ValidationError(`Photo ${String(index + 1)}: ${result.error}`, 'photos');
    photos.push(result.photo);
  }
  return {
    category,
    location,
    area,
    answers: applicableAnswers({ pages: [page] }, answers),
    description: description || null,
    photos,
    contact,
  };
}

const contactFields: Field[] = [
  { type: 'text', name: 'name', label: 'name', optional: true, maxLength: 100 },
  { type: 'email', name: 'email', label: 'email', optional: false },
  { type: 'phone', name: 'phone', label: 'phone', optional: true },
];

function readContact(fields: Record<string, unknown>, errors: FieldError[]) {
  const values: Record<string, string | undefined> = {};
  for (const field of contactFields) {
    const reading = readField(field, fields);
    if (reading.error) errors.push({ field: field.name, message: reading.error });
    values[field.name] = typeof reading.value === 'string' ? reading.value : undefined;
  }
  return {
    name: values.name ?? '',
    email: values.email ?? '',
    phone: values.phone ?? null,
    showName: fields.show_name === 'true',
  };
}

function whole(
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(
      `${name} must be a whole number from ${String(min)} to ${String(max)}`,
      name,
    );
  return n;
}
