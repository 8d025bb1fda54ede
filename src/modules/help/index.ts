import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { SESSION_COOKIE } from '../../platform/http/session.js';
import { describeOpeningHours } from './opening-hours.js';

/** The pages every council site must have: contact, accessibility statement, privacy notice, cookies. */
export function helpModule(
  app: FastifyInstance,
  { config }: ModuleOptions,
  done: () => void,
): void {
  const openingHours = describeOpeningHours(config.council.openingHours);
  const pages = {
    contact: 'Contact us',
    accessibility: 'Accessibility statement',
    privacy: 'Privacy notice',
    cookies: 'Cookies',
  } as const;
  for (const [slug, pageTitle] of Object.entries(pages)) {
    app.staticPage(`/help/${slug}`, `help/views/${slug}.njk`, {
      pageTitle,
      openingHours,
      sessionCookie: SESSION_COOKIE,
    });
  }
  done();
}
