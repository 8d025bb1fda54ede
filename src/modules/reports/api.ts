import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { fieldText, readBody, type Body, type Upload } from '../../platform/http/multipart.js';
import { InvalidReferenceError } from '../cases/reference.js';
import { MAX_DESCRIPTION } from './draft.js';
import type { Case } from '../cases/service.js';
import { MAX_PHOTOS, processPhoto, type StoredPhoto } from './photos.js';
import { parseState, type ReportsOptions } from './public.js';
import { readPoint, readRadius } from './query.js';
import { PUBLIC_STATUSES, type NewReport, type PublicReport } from './service.js';
import {
  placeSentReport,
  readSentAnswers,
  readSentContact,
  type FieldError,
} from './submission.js';

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

/** An Idempotency-Key a client could mean: 8 to 100 characters. */
export function idempotencyKey(value: unknown): string | undefined {
  return typeof value === 'string' && value.length >= 8 && value.length <= 100 ? value : undefined;
}

export type ReportSubmission = Pick<
  NewReport,
  'category' | 'location' | 'area' | 'answers' | 'description' | 'photos' | 'contact'
>;

/**
 * A whole report sent at once, as /api/v1 and the app's one-page form send it:
 * `service_code`, `lat` and `lng` or `address_string`, each question as `attribute[name]`
 * or plain `name`, `description`, `name`, `email`, `phone`, `show_name` and up to
 * MAX_PHOTOS `photos`. Throws a ValidationError naming every bad field. An email is needed
 * unless the resident is `signedIn` (their account is then the contact).
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

  const placed = placeSentReport(
    { place: text('address_string'), lat: text('lat'), lng: text('lng') },
    { place: 'address_string', lat: 'lat', lng: 'lng' },
    config.council,
    gazetteer,
  );
  if (!placed.ok) errors.push(placed.error);

  const read = category
    ? readSentAnswers(category, fields, { plainNames: true })
    : { answers: {}, errors: [] };
  errors.push(...read.errors);

  const sent = readSentContact(
    {
      name: fields.name,
      email: fields.email,
      phone: fields.phone,
      showName: fields.show_name === 'true',
    },
    { name: 'name', email: 'email', phone: 'phone' },
    { emailRequired: !signedIn },
  );
  errors.push(...sent.errors);
  const description = text('description');
  if (description.length > MAX_DESCRIPTION)
    errors.push({
      field: 'description',
      message: `Description must be ${String(MAX_DESCRIPTION)} characters or fewer`,
    });

  const photoUploads = uploads.photos ?? uploads.media ?? [];
  if (photoUploads.length > MAX_PHOTOS)
    errors.push({ field: 'photos', message: `Add at most ${String(MAX_PHOTOS)} photos` });
  if (errors.length > 0 || !placed.ok || !category) throw ValidationError.forFields(errors);

  const photos: StoredPhoto[] = [];
  for (const [index, upload] of photoUploads.entries()) {
    const result = await processPhoto(upload.bytes, files);
    if (!result.ok)
      throw new ValidationError(`Photo ${String(index + 1)}: ${result.error}`, 'photos');
    photos.push(result.photo);
  }
  return {
    category,
    location: placed.location,
    area: placed.area,
    answers: read.answers,
    description: description || null,
    photos,
    contact: sent.contact,
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
