import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError } from '../../platform/errors.js';
import type { Gazetteer } from '../../platform/geo/gazetteer.js';
import { parseCoordinates } from '../../platform/geo/gazetteer.js';
import type { Point } from '../../platform/geo/geo.js';
import { publicTimeline } from '../cases/timeline.js';
import { photoContentType } from './photos.js';
import {
  categoryName,
  PUBLIC_STATUSES,
  RENDITIONS,
  type Rendition,
  type ReportService,
} from './service.js';

export interface ReportsOptions extends ModuleOptions {
  reports: ReportService;
}

/** How far "near a place" looks on the public list, and how many reports a page shows. */
export const LIST_RADIUS_METRES = 2000;
export const PAGE_SIZE = 20;

type State = 'open' | 'closed' | undefined;

/**
 * The public side of Report It, like FixMyStreet's: each report's page (map, photos,
 * status, timeline) and a list of reports near a place. Reporters' contact details are
 * never shown; their name only if they chose.
 */
export function publicReportsRoutes(
  app: FastifyInstance,
  { services, files, config, reports, gazetteer }: ReportsOptions,
  done: () => void,
): void {
  const { cases } = services;

  app.get<{ Params: { ref: string } }>('/reports/:ref', async (request, reply) => {
    const found = await reports.byRef(request.params.ref);
    const report = await reports.publicReport(found);
    if (!report) throw new NotFoundError(`There is no report ${request.params.ref}.`);
    return reply.render('reports/views/report.njk', {
      pageTitle: `${report.categoryName}: ${report.statusLabel} – ${report.ref}`,
      report,
      timeline: await publicTimeline(cases, found),
      map: config.council.map,
    });
  });

  app.get<{ Params: { ref: string; id: string; rendition: string } }>(
    '/reports/:ref/photos/:id/:rendition',
    async (request, reply) => {
      const rendition = request.params.rendition.replace(/\.jpg$/, '') as Rendition;
      const found = await reports.byRef(request.params.ref);
      const photo = (await reports.visiblePhotos(found)).find((p) => p.id === request.params.id);
      const key = photo && RENDITIONS.includes(rendition) ? photo.renditions[rendition] : undefined;
      const stream = key && (await files.get(key));
      if (!key || !stream) throw new NotFoundError('There is no such photo.');
      // Short public caching: staff can hide a photo, and it should go soon after.
      return reply
        .header('cache-control', 'public, max-age=300')
        .type(photoContentType(key))
        .send(stream);
    },
  );

  app.get<{
    Querystring: { place?: string; status?: string; category?: string; page?: string };
  }>('/reports', async (request, reply) => {
    const query = request.query;
    const place = (query.place ?? '').trim().slice(0, 100);
    const state = parseState(query.status);
    const category = reports.category(query.category);
    const page = Math.max(1, Math.min(500, Number.parseInt(query.page ?? '1', 10) || 1));
    const filters = {
      pageTitle: 'Problems reported near you',
      place,
      status: state ?? 'all',
      category: category?.code ?? '',
      categories: reports.categories().map((c) => ({ value: c.code, text: categoryName(c) })),
      map: config.council.map,
    };
    if (!place) return reply.render('reports/views/list.njk', filters);
    const centre = locate(place, gazetteer);
    if (!centre)
      return reply.code(400).render('reports/views/list.njk', {
        ...filters,
        error: `We could not find “${place}”. Check the spelling, or enter a postcode like WM1 1AA`,
      });
    const found = await cases.near(centre.point, LIST_RADIUS_METRES, {
      kind: 'report',
      serviceCodes: category ? [category.code] : undefined,
      state,
      statuses: PUBLIC_STATUSES,
      limit: PAGE_SIZE + 1,
      offset: (page - 1) * PAGE_SIZE,
    });
    const items = await Promise.all(
      found.slice(0, PAGE_SIZE).map(async ({ case: c, distanceMetres }) => ({
        found: c,
        distanceMetres,
        photo: (await reports.visiblePhotos(c))[0],
      })),
    );
    const link = (n: number) =>
      `/reports?${new URLSearchParams({
        place,
        status: state ?? 'all',
        category: category?.code ?? '',
        page: String(n),
      }).toString()}`;
    return reply.render('reports/views/list.njk', {
      ...filters,
      centre,
      items,
      radius: LIST_RADIUS_METRES,
      page,
      previous: page > 1 ? link(page - 1) : null,
      next: found.length > PAGE_SIZE ? link(page + 1) : null,
      feed: `/reports/feed.atom?${new URLSearchParams({
        lat: centre.point.lat.toFixed(5),
        lng: centre.point.lng.toFixed(5),
      }).toString()}`,
    });
  });
  done();
}

export function parseState(value: string | undefined): State {
  return value === 'open' || value === 'closed' ? value : undefined;
}

/** A typed place as a point: "lat, lng", or the best gazetteer match. */
export function locate(
  place: string,
  gazetteer: Gazetteer,
): { point: Point; label: string } | null {
  const typed = parseCoordinates(place);
  if (typed) return { point: typed, label: place };
  const [best] = gazetteer.search(place, 1);
  return best ? { point: best.point, label: best.label } : null;
}
