import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import type { Database } from '../db/database.js';
import type { DB } from '../db/types.js';

/** /health/live, /health/ready and /metrics (Prometheus text format). */
export function observability(app: FastifyInstance, database: Database<DB>): void {
  // A registry per app, so several apps in one process (tests, the benchmark) don't collide.
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new client.Gauge({
    name: 'shire_outbox_jobs',
    help: 'Outbox jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await database.db
        .selectFrom('jobs')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .where('status', 'in', ['pending', 'running', 'dead'])
        .groupBy('status')
        .execute();
      this.reset();
      for (const status of ['pending', 'running', 'dead']) {
        this.set({ status }, rows.find((r) => r.status === status)?.count ?? 0);
      }
    },
  });

  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get('/health/live', () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    if (await database.ping()) return { status: 'ok', database: 'ok' };
    return reply.code(503).type('application/problem+json').send({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is not answering.',
    });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
