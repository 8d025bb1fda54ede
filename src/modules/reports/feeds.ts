import { Feed } from 'feed';
import type { FastifyInstance } from 'fastify';
import { publicTimeline } from '../cases/timeline.js';
import { NotFoundError } from '../../platform/errors.js';
import type { ReportsOptions } from './public.js';
import { PUBLIC_STATUSES } from './service.js';
import { readPoint, readRadius } from './query.js';

const FEED_SIZE = 50;

/**
 * Atom feeds, for people and community groups who follow problems in a feed reader:
 * new reports near a point, and one report's updates.
 */
export function reportFeeds(
  app: FastifyInstance,
  { services, config, reports }: ReportsOptions,
  done: () => void,
): void {
  const { cases } = services;
  const base = config.publicUrl;
  /** A feed at `path` about the page at `page`. */
  const newFeed = (title: string, path: string, page: string, updated: Date) =>
    new Feed({
      title,
      id: `${base}${path}`,
      link: `${base}${page}`,
      feedLinks: { atom: `${base}${path}` },
      updated,
      language: 'en-GB',
      copyright: `© ${config.council.name}`,
      author: { name: config.council.name, link: base },
    });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/reports/feed.atom',
    async (request, reply) => {
      const point = readPoint(request.query);
      const radius = readRadius(request.query.radius, 2000);
      const near = await cases.near(point, radius, {
        kind: 'report',
        statuses: PUBLIC_STATUSES,
        limit: 500,
      });
      const newest = near
        .map((n) => n.case)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, FEED_SIZE);
      const path = `/reports/feed.atom?lat=${point.lat.toFixed(5)}&lng=${point.lng.toFixed(5)}&radius=${String(radius)}`;
      const feed = newFeed(
        `New reports within ${String(radius)} metres of ${point.lat.toFixed(4)}, ${point.lng.toFixed(4)} – ${config.council.name}`,
        path,
        `/reports?place=${encodeURIComponent(`${point.lat.toFixed(5)},${point.lng.toFixed(5)}`)}`,
        newest[0]?.createdAt ?? new Date(0),
      );
      for (const found of newest) {
        feed.addItem({
          title: found.title,
          id: `${base}/reports/${found.ref}`,
          link: `${base}/reports/${found.ref}`,
          date: found.createdAt,
          description: `${found.statusLabel}. Reference ${found.ref}.`,
        });
      }
      return reply.type('application/atom+xml; charset=utf-8').send(feed.atom1());
    },
  );

  app.get<{ Params: { ref: string } }>('/reports/:ref/updates.atom', async (request, reply) => {
    const found = await reports.byRef(request.params.ref);
    const report = await reports.publicReport(found);
    if (!report) throw new NotFoundError(`There is no report ${request.params.ref}.`);
    const timeline = await publicTimeline(cases, found);
    const feed = newFeed(
      `Updates on ${report.categoryName.toLowerCase()} ${report.ref}${report.location ? `, ${report.location.label}` : ''}`,
      `/reports/${report.ref}/updates.atom`,
      `/reports/${report.ref}`,
      found.updatedAt,
    );
    for (const event of timeline.reverse()) {
      const status = event.statusLabel ? `Status changed to ${event.statusLabel}` : null;
      feed.addItem({
        title: status ?? event.body ?? 'Update',
        id: `${base}/reports/${report.ref}#update-${String(event.id)}`,
        link: `${base}/reports/${report.ref}`,
        date: event.createdAt,
        description: [status, event.body].filter(Boolean).join('. '),
      });
    }
    return reply.type('application/atom+xml; charset=utf-8').send(feed.atom1());
  });
  done();
}
