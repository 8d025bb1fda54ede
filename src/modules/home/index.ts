import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { describeOpeningHours } from '../help/opening-hours.js';
import { HOME_ENTRIES } from './entries.js';

export function homeModule(
  app: FastifyInstance,
  { config }: ModuleOptions,
  done: () => void,
): void {
  const openingHours = describeOpeningHours(config.council.openingHours);
  app.staticPage('/', 'home/views/home.njk', {
    pageTitle: 'Home',
    entries: HOME_ENTRIES,
    openingHours,
  });
  done();
}
