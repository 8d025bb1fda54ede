import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError } from '../../platform/errors.js';
import { CASE_KINDS, isCaseKind, KIND_NAMES, type CaseKindName } from '../cases/kinds.js';
import { publicTimeline } from '../cases/timeline.js';
import type { Case } from '../cases/service.js';
import { resident, signedInOnly } from './current.js';
import type { CaseFilters } from './service.js';

/** A one-line confirmation for the next account page ("Your password has been changed"). */
export const FLASH = 'accountFlash';

const PAGE_SIZE = 20;
/** No resident has this many pages; a bigger number is a made-up address. */
const MAX_PAGE = 10_000;

/** What each kind is called in the filter, e.g. "Reports". */
const KIND_LABELS: Record<CaseKindName, string> = Object.fromEntries(
  KIND_NAMES.map((kind) => {
    const noun = CASE_KINDS[kind].noun;
    return [kind, `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s`];
  }),
) as Record<CaseKindName, string>;

/**
 * The signed-in part of My Account: the dashboard of the resident's cases, each case's page,
 * and signing out. Everything here needs a signed-in resident; anyone else is sent to sign in.
 * A case that is not the resident's is "not found", exactly like one that does not exist.
 */
export function dashboardRoutes(
  app: FastifyInstance,
  options: ModuleOptions,
  done: () => void,
): void {
  const { accounts, cases } = options.services;

  app.addHook('preHandler', signedInOnly);

  app.get<{ Querystring: { kind?: string; status?: string; page?: string } }>(
    '/account',
    async (request, reply) => {
      const account = resident(request);
      const filters = readFilters(request.query);
      const page = readPage(request.query.page);
      // Cases sent since the last visit with the resident's address but without signing in.
      await accounts.claimCases(account);
      const { cases: found, total } = await accounts.listCases(account.id, filters, {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      });
      const flash = request.session.get(FLASH);
      if (flash !== undefined) request.session.delete(FLASH);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      // Forms saved to finish later (issue 3's save and return, for signed-in residents).
      const unfinished = (await options.services.savedForms.listForAccount(account.id)).flatMap(
        (saved) => {
          const service = options.services.catalogue.byCode(saved.serviceCode);
          return service
            ? [{ ...saved, name: service.name, href: `/services/${service.code}/start` }]
            : [];
        },
      );
      const link = (n: number) => filterUrl(filters, n);
      return reply.render('account/views/dashboard.njk', {
        pageTitle: 'Your account',
        account,
        flash: typeof flash === 'string' ? flash : undefined,
        cases: found.map((c) => ({ ...c, noun: CASE_KINDS[c.kind].noun, tag: statusTag(c) })),
        unfinished,
        total,
        filtered: filters.kind !== undefined || filters.status !== undefined,
        kindItems: [
          { value: '', text: 'All', selected: !filters.kind },
          ...KIND_NAMES.map((kind) => ({
            value: kind,
            text: KIND_LABELS[kind],
            selected: filters.kind === kind,
          })),
        ],
        statusItems: statusItems(filters),
        pagination: {
          ...(page > 1 ? { previous: { href: link(page - 1) } } : {}),
          ...(page < pages ? { next: { href: link(page + 1) } } : {}),
          landmarkLabel: 'Pages of your cases',
        },
        page,
        pages,
      });
    },
  );

  app.get<{ Params: { ref: string } }>('/account/cases/:ref', async (request, reply) => {
    const account = resident(request);
    const found = await accounts.caseFor(account.id, request.params.ref);
    if (!found) throw new NotFoundError();
    const seenBefore = await accounts.lastSeenEvent(account.id, found.id);
    const timeline = (await publicTimeline(cases, found)).map((event) => ({
      ...event,
      isNew: event.id > seenBefore && event.type !== 'created' && event.actor.type !== 'resident',
    }));
    const newest = Math.max(0, ...timeline.map((event) => event.id));
    if (newest > seenBefore) await accounts.markSeen(account.id, found.id, newest);
    const kind = CASE_KINDS[found.kind];
    // A chat's case shows the conversation itself.
    const chat = found.kind === 'chat' ? await options.services.chat.byCase(found.id) : undefined;
    return reply.render('account/views/case.njk', {
      transcript: chat ? await options.services.chat.transcript(chat) : undefined,
      pageTitle: `${found.title} (${found.ref})`,
      found,
      noun: kind.noun,
      tag: statusTag(found),
      publicPage:
        kind.publicTimeline && found.kind === 'report' ? `/reports/${found.ref}` : undefined,
      timeline,
    });
  });

  app.post('/account/sign-out', (request, reply) => {
    request.session.destroy();
    return reply.redirect('/account/signed-out', 303);
  });

  app.post('/account/sign-out-everywhere', async (request, reply) => {
    await accounts.signOutEverywhere(resident(request).id);
    request.session.destroy();
    return reply.redirect('/account/signed-out?everywhere=yes', 303);
  });
  done();
}

function readFilters(query: { kind?: string; status?: string }): CaseFilters {
  const kind = query.kind && isCaseKind(query.kind) ? query.kind : undefined;
  const status = query.status;
  const knownStatus =
    status === 'open' ||
    status === 'closed' ||
    (kind !== undefined &&
      status !== undefined &&
      Object.hasOwn(CASE_KINDS[kind].statuses, status));
  return { kind, status: knownStatus ? status : undefined };
}

function readPage(value: string | undefined): number {
  const page = value && /^\d{1,5}$/.test(value) ? Number(value) : 1;
  return Math.min(Math.max(page, 1), MAX_PAGE);
}

function filterUrl(filters: CaseFilters, page: number): string {
  const params = new URLSearchParams();
  if (filters.kind) params.set('kind', filters.kind);
  if (filters.status) params.set('status', filters.status);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `/account?${query}` : '/account';
}

/** Open and closed for every kind; a chosen kind's own statuses as well. */
function statusItems(filters: CaseFilters) {
  const own = filters.kind
    ? Object.entries(CASE_KINDS[filters.kind].statuses).map(([value, { label }]) => ({
        value,
        text: label,
      }))
    : [];
  return [
    { value: '', text: 'Any' },
    { value: 'open', text: 'Open' },
    { value: 'closed', text: 'Closed' },
    ...own,
  ].map((item) => ({ ...item, selected: item.value === (filters.status ?? '') }));
}

/** govukTag parameters for a case's status: blue while open, green once closed. */
/** A case's status as a GOV.UK tag: green once it is closed, blue while it is open. */
export function statusTag(found: Case) {
  return {
    text: found.statusLabel,
    classes: `app-status-tag ${found.open311 === 'closed' ? 'govuk-tag--green' : 'govuk-tag--blue'}`,
  };
}
