import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFoundError } from '../../platform/errors.js';
import { fieldText, type Body } from '../../platform/http/multipart.js';
import { caseFromReporterLink } from '../cases/reporter-link.js';
import type { Case } from '../cases/service.js';
import type { ReportsOptions } from './public.js';
import { categoryName } from './service.js';

const MAX_REASON = 1000;

interface Params {
  ref: string;
  token: string;
}

/**
 * What the reporter can do from the link in their emails, with no account: hide or show
 * their name, withdraw the report, and answer "is it fixed?" (no reopens it for staff).
 */
export function reporterRoutes(
  app: FastifyInstance,
  { services, config, reports }: ReportsOptions,
  done: () => void,
): void {
  const { cases } = services;

  /** The report the link is for; a link for another report, or a made-up one, is a 404. */
  const reportFor = async ({ ref, token }: Params): Promise<Case> => {
    const caseId = caseFromReporterLink(config, token);
    const found = caseId === undefined ? undefined : await cases.getById(caseId);
    if (found?.kind !== 'report' || found.ref !== ref)
      throw new NotFoundError('This link is not right, or it is too old. Contact us instead.');
    return found;
  };
  const title = (found: Case) => {
    const category = reports.categoryOfCase(found);
    return category ? categoryName(category) : found.title;
  };

  const managePage = (reply: FastifyReply, found: Case, message?: string, error?: string) =>
    reply.code(error ? 400 : 200).render('reports/views/manage.njk', {
      pageTitle: `Manage your report ${found.ref}`,
      found,
      name: title(found),
      showName: (found.data as { showName?: boolean }).showName === true,
      message,
      error,
      errorSummary: error ? [{ text: error, href: '#reason' }] : [],
    });

  app.get<{ Params: Params }>('/reports/:ref/manage/:token', async (request, reply) =>
    managePage(reply, await reportFor(request.params)),
  );

  app.post<{ Params: Params; Body: Body }>(
    '/reports/:ref/manage/:token',
    async (request, reply) => {
      const found = await reportFor(request.params);
      const action = request.body.action;
      const reason = fieldText(request.body, 'reason').trim();
      if (action === 'show-name' || action === 'hide-name') {
        const updated = await reports.setShowName(found, action === 'show-name');
        return managePage(
          reply,
          updated,
          action === 'show-name'
            ? 'Your name is now shown on the public report.'
            : 'Your name is now hidden on the public report.',
        );
      }
      if (action === 'withdraw' && found.status !== 'hidden') {
        if (reason.length > MAX_REASON)
          return managePage(
            reply,
            found,
            undefined,
            `Reason must be ${String(MAX_REASON)} characters or fewer`,
          );
        await reports.withdraw(found, reason || null);
        return managePage(
          reply,
          (await cases.getById(found.id)) ?? found,
          'Your report is withdrawn. It is no longer on our public pages.',
        );
      }
      return managePage(reply, found);
    },
  );

  const resolvedPage = (reply: FastifyReply, found: Case, answer?: string, error?: string) =>
    reply.code(error ? 400 : 200).render('reports/views/resolved.njk', {
      pageTitle: `Is it fixed? ${found.ref}`,
      found,
      name: title(found),
      answer,
      error,
      errorSummary: error ? [{ text: error, href: answer === 'no' ? '#reason' : '#fixed' }] : [],
    });

  app.get<{ Params: Params }>('/reports/:ref/resolved/:token', async (request, reply) =>
    resolvedPage(reply, await reportFor(request.params)),
  );

  app.post<{ Params: Params; Body: Body }>(
    '/reports/:ref/resolved/:token',
    async (request, reply) => {
      const found = await reportFor(request.params);
      const answer = fieldText(request.body, 'fixed').trim();
      const reason = fieldText(request.body, 'reason').trim();
      if (answer !== 'yes' && answer !== 'no')
        return resolvedPage(reply, found, undefined, 'Select yes if it is fixed');
      if (answer === 'no' && !reason)
        return resolvedPage(reply, found, answer, 'Tell us what is still wrong');
      if (reason.length > MAX_REASON)
        return resolvedPage(
          reply,
          found,
          answer,
          `Reason must be ${String(MAX_REASON)} characters or fewer`,
        );
      if (answer === 'yes') await reports.confirmFixed(found);
      else if (found.open311 === 'closed' && found.status !== 'hidden')
        await reports.reopen(found, reason);
      return reply.render('reports/views/resolved-thanks.njk', {
        pageTitle: 'Thank you for telling us',
        found,
        fixed: answer === 'yes',
      });
    },
  );
  done();
}
