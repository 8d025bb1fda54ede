import type { Council } from '../../platform/config.js';
import { ValidationError } from '../../platform/errors.js';
import type { Gazetteer } from '../../platform/geo/gazetteer.js';
import type { Category, NewReport, PublicReport } from '../reports/service.js';
import {
  attributeCodes,
  placeSentReport,
  readSentAnswers,
  readSentContact,
  type FieldError,
} from '../reports/submission.js';
import { statusDefinition } from '../cases/kinds.js';
import { InvalidReferenceError, parseReference } from '../cases/reference.js';
import type { Case, CaseService } from '../cases/service.js';
import type { CatalogueService } from '../catalogue/service.js';
import { PUBLIC_STATUSES } from '../reports/service.js';
import { readWindow } from './dates.js';
import { open311Time, type Value } from './format.js';

/** Open311 allows a description this long; the JSON API's 2,000 is for people typing. */
export const DESCRIPTION_MAX = 4000;
const MEDIA_URL_MAX = 2000;

type Body = Record<string, unknown>;

const text = (body: Body, name: string) => {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
};

/**
 * A POST requests body read into a report, or every wrong field at once. Location is lat and
 * long, or address_string; the category's questions are attribute[code]; the reporter is
 * optional (a back office may send a report nobody is to be told about).
 */
export function readServiceRequest(
  body: Body,
  category: Category,
  context: { council: Council; gazetteer: Gazetteer },
): Pick<NewReport, 'location' | 'area' | 'answers' | 'description' | 'contact' | 'mediaUrl'> {
  const errors: FieldError[] = [];
  const placed = placeSentReport(
    { place: text(body, 'address_string'), lat: text(body, 'lat'), lng: text(body, 'long') },
    { place: 'address_string', lat: 'lat', lng: 'long' },
    context.council,
    context.gazetteer,
  );
  if (!placed.ok) errors.push(placed.error);

  const read = readSentAnswers(category, body, { plainNames: false });
  errors.push(...read.errors);
  // An attribute no question has is a caller's mistake (a typo, another category's): say so.
  const codes = new Set(attributeCodes(category));
  for (const name of Object.keys(body)) {
    const code = /^attribute\[([^\]]*)\](\[\])?$/.exec(name)?.[1];
    if (code !== undefined && !codes.has(code))
      errors.push({
        field: name,
        message: `${category.code} has no attribute "${code}": services/${category.code} lists them`,
      });
  }

  const name = [text(body, 'first_name'), text(body, 'last_name')].filter(Boolean).join(' ');
  const sent = readSentContact(
    { name, email: body.email, phone: body.phone, showName: false },
    { name: 'first_name', email: 'email', phone: 'phone' },
    { emailRequired: false },
  );
  errors.push(...sent.errors);

  const description = text(body, 'description');
  if (description.length > DESCRIPTION_MAX)
    errors.push({
      field: 'description',
      message: `description must be ${DESCRIPTION_MAX.toLocaleString('en-GB')} characters or fewer (it has ${description.length.toLocaleString('en-GB')})`,
    });

  const mediaUrl = text(body, 'media_url');
  if (mediaUrl && !isWebAddress(mediaUrl))
    errors.push({
      field: 'media_url',
      message: `media_url must be an http or https address of ${String(MEDIA_URL_MAX)} characters or fewer`,
    });

  if (errors.length > 0 || !placed.ok) throw ValidationError.forFields(errors);
  return {
    location: placed.location,
    area: placed.area,
    answers: read.answers,
    description: description || null,
    contact: sent.contact,
    mediaUrl: mediaUrl || null,
  };
}

function isWebAddress(value: string): boolean {
  if (value.length > MEDIA_URL_MAX) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The most one list answers with, and the most ids one call may ask for: the spec's 1,000. */
export const REQUESTS_MAX = 1000;

/**
 * GET requests: by service_request_id (a comma list, which overrides every other filter,
 * as the spec says), or by service_code, status and a window of at most 90 days (the last
 * 90 by default); newest first, at most 1,000.
 */
export async function findRequests(
  query: Record<string, string | undefined>,
  from: { cases: CaseService; catalogue: CatalogueService },
  now: Date,
): Promise<Case[]> {
  const { cases, catalogue } = from;
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const ids = list(query.service_request_id);
  if (ids.length > REQUESTS_MAX)
    throw new ValidationError(
      `Ask for at most ${String(REQUESTS_MAX)} service_request_id at once`,
      'service_request_id',
    );
  if (ids.length > 0) {
    const refs = ids.map((id) => {
      try {
        return parseReference(id);
      } catch (err) {
        if (err instanceof InvalidReferenceError)
          throw new ValidationError(
            `"${id}" is not a service_request_id: they look like PTH-4F7K-92QT`,
            'service_request_id',
          );
        throw err;
      }
    });
    return cases.list({
      kind: 'report',
      refs,
      statuses: PUBLIC_STATUSES,
      limit: REQUESTS_MAX,
    });
  }
  const codes = list(query.service_code);
  for (const code of codes)
    if (catalogue.byCode(code)?.kind !== 'report')
      throw new ValidationError(`"${code}" is not a service here`, 'service_code');
  const states = list(query.status);
  for (const state of states)
    if (state !== 'open' && state !== 'closed')
      throw new ValidationError('status must be open, closed or both (open,closed)', 'status');
  const window = readWindow(query, now);
  return cases.list({
    kind: 'report',
    serviceCodes: codes.length > 0 ? codes : undefined,
    statuses: PUBLIC_STATUSES.filter(
      (status) =>
        states.length === 0 ||
        states.includes(statusDefinition('report', status)?.open311 ?? 'open'),
    ),
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    limit: REQUESTS_MAX,
  });
}

/** A report as an Open311 service request: only what its public page shows. */
export function serviceRequestOf(
  report: PublicReport,
  context: { council: Council; publicUrl: string; serviceNotice: string | undefined },
): Value {
  return {
    service_request_id: report.ref,
    status: report.open ? 'open' : 'closed',
    status_notes: report.statusLabel,
    service_name: report.categoryName,
    service_code: report.category,
    description: report.description ?? '',
    agency_responsible: context.council.name,
    service_notice: context.serviceNotice ?? '',
    requested_datetime: open311Time(report.createdAt),
    updated_datetime: open311Time(report.updatedAt),
    expected_datetime: report.expectedFixDate ? `${report.expectedFixDate}T00:00:00Z` : '',
    address: report.location?.label ?? '',
    address_id: '',
    zipcode: '',
    lat: report.location?.lat ?? '',
    long: report.location?.lng ?? '',
    media_url: mediaUrlOf(report, context.publicUrl),
  };
}

/** The report's first public photo as the web shows it, or the link another system sent; '' for none. */
export function mediaUrlOf(report: PublicReport, publicUrl: string): string {
  const [photo] = report.photos;
  return photo
    ? `${publicUrl}/reports/${report.ref}/photos/${photo.id}/display.jpg`
    : (report.mediaUrl ?? '');
}

/** What the council aims to do, as a category's SLA says. */
export function serviceNotice(category: Category | undefined): string | undefined {
  const days = category?.sla.days ?? 0;
  return days > 0 ? `We aim to deal with this within ${String(days)} working days.` : undefined;
}
