import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { open311Api } from './api.js';

/**
 * Open311: GeoReport v2 and the updates extension under /open311/v2. Its own plugin, so its
 * error and not-found handlers (Open311's `<errors>`) answer for its paths only. The keys'
 * pages are part of the back office (key-routes.ts).
 */
export function open311Module(
  app: FastifyInstance,
  options: ModuleOptions,
  done: () => void,
): void {
  void app.register(open311Api, { ...options, prefix: '/open311/v2' });
  done();
}
