import type { FastifyInstance, FastifyReply } from 'fastify';
import { ValidationError } from '../../platform/errors.js';
import { validationProblems } from '../account/inputs.js';
import type { AdminPageOptions } from '../backoffice/category-routes.js';
import type { Staff } from '../backoffice/roles.js';
import { PER_MINUTE } from './keys.js';

type Body = Record<string, string | undefined>;

/**
 * Administrators' Open311 keys at /staff/admin/open311: issue one (shown once, on the page
 * that answers the form, and never again) and revoke one. Registered inside the back office,
 * so its sign-in, staff and two-factor checks apply; ApiKeys checks the role again.
 */
export function keyRoutes(app: FastifyInstance, options: AdminPageOptions, done: () => void) {
  const { services, adminOnly, takeFlash, flash, config } = options;
  const keys = services.open311Keys;
  const home = '/staff/admin/open311';

  const page = async (
    reply: FastifyReply,
    staff: Staff,
    shown: { values?: Body; error?: ValidationError; issued?: { name: string; key: string } } = {},
  ) => {
    return reply.code(shown.error ? 400 : 200).render('open311/views/keys.njk', {
      pageTitle: 'Open311 keys',
      staff,
      flash: shown.error || shown.issued ? undefined : takeFlash(reply.request),
      keys: await keys.list(),
      values: shown.values ?? { perMinute: '60' },
      ...validationProblems(shown.error),
      issued: shown.issued,
      perMinute: PER_MINUTE,
      endpoint: `${config.publicUrl}/open311/v2`,
    });
  };

  app.get(home, (request, reply) => page(reply, adminOnly(request)));

  app.post<{ Body: Body }>(`${home}/keys`, async (request, reply) => {
    const staff = adminOnly(request);
    const values = { name: request.body.name ?? '', perMinute: request.body.perMinute ?? '' };
    try {
      const { key } = await keys.issue(staff, values);
      // Answered with a page, not a redirect: the key must not wait in the session to be shown.
      return await page(reply, staff, { issued: { name: values.name.trim(), key } });
    } catch (err) {
      if (err instanceof ValidationError) return page(reply, staff, { values, error: err });
      throw err;
    }
  });

  app.post<{ Params: { id: string } }>(`${home}/keys/:id/revoke`, async (request, reply) => {
    const staff = adminOnly(request);
    try {
      const { name } = await keys.revoke(staff, Number(request.params.id));
      flash(request, `The key for ${name} is revoked. Calls made with it are refused from now on.`);
    } catch (err) {
      if (err instanceof ValidationError) return page(reply, staff, { error: err });
      throw err;
    }
    return reply.redirect(home, 303);
  });
  done();
}
