import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError } from '../../platform/errors.js';
import { CATEGORIES } from './definition.js';
import { startUrl } from './service.js';

const MAX_QUERY = 200;
const searchQuery = {
  type: 'object',
  properties: { q: { type: 'string', maxLength: MAX_QUERY } },
} as const;

/** The service finder (/services), each service's start page, and the catalogue API. */
export function catalogueModule(
  app: FastifyInstance,
  { services }: ModuleOptions,
  done: () => void,
): void {
  const { catalogue } = services;

  app.get<{ Querystring: { q?: string } }>('/services', (request, reply) => {
    // Too long to be a real search: say so on the page rather than with a bare 400.
    const raw = request.query.q ?? '';
    const q = raw.trim().slice(0, MAX_QUERY);
    const matches = q ? catalogue.search(q) : [];
    return reply.render('catalogue/views/finder.njk', {
      pageTitle: q ? `Search results for ${q}` : 'Find a service',
      q,
      searched: q.length > 0,
      matches: matches.map((m) => ({ ...m.service, href: startPage(m.service.code) })),
      categories: catalogue.categories,
      total: catalogue.services.length,
    });
  });

  // Not a static page: administrators add and retire report categories while it runs.
  app.get('/services/a-to-z', (_request, reply) =>
    reply.render('catalogue/views/a-to-z.njk', {
      pageTitle: 'All services A to Z',
      groups: catalogue.alphabetical(),
    }),
  );

  app.get<{ Params: { code: string } }>('/services/:code', (request, reply) => {
    const service = catalogue.offered(request.params.code);
    if (!service) throw new NotFoundError(`There is no service called ${request.params.code}.`);
    return reply.render('catalogue/views/start.njk', {
      pageTitle: service.name,
      service,
      categoryName: CATEGORIES[service.category],
      startHref: startUrl(service),
      external: service.kind === 'external',
    });
  });

  app.get<{ Querystring: { q?: string } }>(
    '/api/v1/services',
    { schema: { querystring: searchQuery } },
    (request) => {
      const q = request.query.q?.trim();
      if (q) {
        return {
          query: q,
          services: catalogue
            .search(q)
            .map((m) => ({ ...catalogue.describe(m.service), score: round(m.score) })),
        };
      }
      return { services: catalogue.services.map((s) => catalogue.describe(s)) };
    },
  );

  app.get<{ Params: { code: string } }>('/api/v1/services/:code', (request) => {
    const service = catalogue.offered(request.params.code);
    if (!service)
      throw new NotFoundError(`There is no service with code "${request.params.code}".`);
    return catalogue.describe(service);
  });
  done();
}

function startPage(code: string): string {
  return `/services/${code}`;
}

function round(score: number): number {
  return Math.round(score * 100) / 100;
}
