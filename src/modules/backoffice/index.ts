import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { CHANNELS } from '../../platform/config.js';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../platform/errors.js';
import { photoContentType } from '../reports/photos.js';
import { RENDITIONS, type Rendition } from '../reports/service.js';
import { signedInOnly } from '../account/current.js';
import { errorSummary } from '../account/inputs.js';
import { sendStaffToSetUpTwoFactor } from '../account/two-factor-routes.js';
import { CASE_KINDS, type CaseKind, statusDefinition } from '../cases/kinds.js';
import type { Case } from '../cases/service.js';
import {
  asStaff,
  requireAdmin,
  ROLE_NAMES,
  STAFF_ROLES,
  type Staff,
  type StaffRole,
} from './roles.js';
import { assistingChannel, startAssisting, stopAssisting } from './assisted.js';
import { categoryRoutes } from './category-routes.js';
import { chatConsoleRoutes } from '../chat/console-routes.js';
import { keyRoutes } from '../open311/key-routes.js';
import { CONTACT_CHANNELS, CONTACT_OUTCOMES, type QueueQuery } from './service.js';

type Body = Record<string, unknown>;
type Query = Record<string, string | undefined>;

/** What the last change did, shown once on the case page it returns to. */
const FLASH = 'staffFlash';

const SORTS = { due: 'Due soonest', newest: 'Newest', updated: 'Recently updated' } as const;

/** A cell a spreadsheet would run as a formula (=, +, -, @) is prefixed so it shows as text. */
const csvSafe = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const text = (body: Body, name: string) => {
  const value = body[name];
  return typeof value === 'string' ? value : '';
};

/** Each field's message from a validation error, for its field and the error summary. */
function messagesOf(error: ValidationError | undefined): Record<string, string> {
  return Object.fromEntries((error?.fieldErrors ?? []).map((e) => [e.field, e.message]));
}

/** What the last change did, once: reading it forgets it. */
function takeFlash(request: FastifyRequest): string | undefined {
  const flash = request.session.get(FLASH);
  if (flash === undefined) return undefined;
  request.session.delete(FLASH);
  return typeof flash === 'string' ? flash : undefined;
}

/** The member of staff on a back-office route (the hook below has checked there is one). */
function staffOf(request: FastifyRequest): Staff {
  const staff = asStaff(request.account);
  if (!staff) throw new ForbiddenError('These pages are for council staff.');
  return staff;
}

/**
 * The back office at /staff: queues of cases, one case with everything staff can do to it,
 * and, for administrators, staff accounts and the audit log. Every route needs a signed-in
 * member of staff (a second factor is already required of them at sign-in); residents are refused.
 */
export function backOfficeModule(app: FastifyInstance, options: ModuleOptions, done: () => void) {
  const { services } = options;
  const office = services.backOffice;

  // This plugin is encapsulated: the hook guards its routes only, every one of them.
  app.addHook('preHandler', async (request, reply) => {
    if (!request.account) return signedInOnly(request, reply);
    staffOf(request);
    // Staff sign in with a second factor, Shire's or the council's identity provider's; one
    // with neither sets up Shire's first.
    return sendStaffToSetUpTwoFactor(options, request, reply);
  });

  app.get('/staff', (_request, reply) => reply.redirect('/staff/cases', 303));

  // ---- Queues -----------------------------------------------------------------------------

  /** A queue's filters from its query string; officers and leads start on their own team's open cases. */
  const queueQuery = (staff: Staff, q: Query): QueueQuery => {
    const team = q.team === 'all' ? undefined : (q.team ?? staff.team ?? undefined);
    const search = q.search?.trim();
    // Not a reference or an email: a street or postcode, if the gazetteer knows it.
    const place =
      search && !/^[A-Z]{3}-\w{4}-\w{4}$/i.test(search) && !search.includes('@')
        ? options.gazetteer.search(search, 1)[0]
        : undefined;
    return {
      near: place?.point,
      team: team !== undefined && office.teams().includes(team) ? team : undefined,
      service: q.service && services.catalogue.byCode(q.service) ? q.service : undefined,
      status: q.status === 'any' ? undefined : (q.status ?? 'open'),
      assigned: q.assigned === 'me' || q.assigned === 'none' ? q.assigned : undefined,
      overdue: q.overdue === 'yes',
      search: q.search || undefined,
      sort: q.sort === 'newest' || q.sort === 'updated' ? q.sort : 'due',
      page: Math.max(1, Math.min(10_000, Number.parseInt(q.page ?? '1', 10) || 1)),
    };
  };

  app.get<{ Querystring: Query }>('/staff/cases', async (request, reply) => {
    const staff = staffOf(request);
    const q = request.query;
    const teams = office.teams();
    const query = queueQuery(staff, q);
    let result: { cases: Case[]; more: boolean } = { cases: [], more: false };
    let error: string | undefined;
    try {
      result = await office.queue(staff, query);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      error = err.message;
    }
    if (result.cases.length === 1 && query.search && /-/.test(query.search) && !error)
      return reply.redirect(`/staff/cases/${result.cases[0]?.ref ?? ''}`, 303);
    const now = Date.now();
    const link = (page: number) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(q))
        if (value && key !== 'page') params.set(key, value);
      params.set('page', String(page));
      return `/staff/cases?${params.toString()}`;
    };
    return reply.code(error ? 400 : 200).render('backoffice/views/queue.njk', {
      pageTitle: 'Cases',
      staff,
      query,
      error,
      errorSummary: error ? [{ text: error, href: '#search' }] : [],
      teamItems: [
        { value: 'all', text: 'All teams', selected: query.team === undefined },
        ...teams.map((team) => ({ value: team, text: team, selected: team === query.team })),
      ],
      statusItems: [
        { value: 'open', text: 'Open', selected: query.status === 'open' },
        { value: 'closed', text: 'Closed', selected: query.status === 'closed' },
        { value: 'any', text: 'Any', selected: query.status === undefined },
      ],
      assignedItems: [
        { value: '', text: 'Anyone or no one', selected: query.assigned === undefined },
        { value: 'me', text: 'Me', selected: query.assigned === 'me' },
        { value: 'none', text: 'No one', selected: query.assigned === 'none' },
      ],
      serviceItems: [
        { value: '', text: 'Any service', selected: query.service === undefined },
        ...[...services.catalogue.services]
          .filter((s) => s.kind !== 'external')
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((s) => ({ value: s.code, text: s.name, selected: s.code === query.service })),
      ],
      sortItems: Object.entries(SORTS).map(([value, label]) => ({
        value,
        text: label,
        selected: value === query.sort,
      })),
      rows: result.cases.map((found) => ({
        found,
        service: services.catalogue.byCode(found.serviceCode)?.name ?? found.serviceCode,
        overdue: found.open311 === 'open' && found.dueAt !== null && found.dueAt.getTime() < now,
      })),
      csv: `/staff/cases.csv?${new URLSearchParams(
        Object.entries(q).filter((entry): entry is [string, string] => Boolean(entry[1])),
      ).toString()}`,
      // Bulk changes offer the statuses of the kinds of case on this page, and its team's staff.
      bulkStatusItems: [
        ...new Map(
          result.cases.flatMap((found) =>
            Object.entries((CASE_KINDS[found.kind] as CaseKind).statuses).map(
              ([value, definition]) => [value, { value, text: definition.label }] as const,
            ),
          ),
        ).values(),
      ],
      bulkAssigneeItems: [
        { value: '', text: 'No one' },
        ...(await office.assignable(query.team ?? null)).map((person) => ({
          value: String(person.id),
          text: person.name ?? person.email,
        })),
      ],
      located: result.cases.some((found) => found.location !== null),
      map: options.config.council.map,
      previous: query.page > 1 ? link(query.page - 1) : undefined,
      next: result.more ? link(query.page + 1) : undefined,
    });
  });

  /** The filtered list as a spreadsheet, streamed a thousand rows at a time. */
  app.get<{ Querystring: Query }>('/staff/cases.csv', async (request, reply) => {
    const staff = staffOf(request);
    const query = queueQuery(staff, request.query);
    // A bad search gets the queue page's error, not a broken download.
    await office.queue(staff, { ...query, page: 1 });
    const rows = Readable.from(
      (async function* () {
        for await (const found of office.everyCase(staff, { ...query, page: 1 }))
          yield {
            reference: found.ref,
            title: found.title,
            service: services.catalogue.byCode(found.serviceCode)?.name ?? found.serviceCode,
            status: found.statusLabel,
            team: found.team ?? '',
            channel: found.channel,
            received: found.createdAt.toISOString(),
            updated: found.updatedAt.toISOString(),
            due: found.dueAt?.toISOString() ?? '',
            closed: found.closedAt?.toISOString() ?? '',
          };
      })(),
    ).pipe(stringify({ header: true, cast: { string: csvSafe } }));
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="cases-${day}.csv"`)
      .send(rows);
  });

  // ---- Many cases at once -------------------------------------------------------------------

  app.post<{ Body: Body }>('/staff/cases/bulk', async (request, reply) => {
    const staff = staffOf(request);
    const body = request.body;
    const refs = (Array.isArray(body.refs) ? body.refs : [body.refs]).filter(
      (ref): ref is string => typeof ref === 'string' && ref !== '',
    );
    const action = text(body, 'bulkAction');
    try {
      const results = await office.bulk(
        staff,
        refs,
        action === 'status'
          ? { status: text(body, 'bulkStatus'), publicText: text(body, 'bulkText') }
          : action === 'assign'
            ? { assigneeId: text(body, 'bulkAssignee') }
            : {},
      );
      return await reply.render('backoffice/views/bulk-done.njk', {
        pageTitle: 'What happened to each case',
        staff,
        results,
        done: results.filter((r) => r.done).length,
      });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.code(400).render('backoffice/views/bulk-done.njk', {
        pageTitle: 'There is a problem',
        staff,
        errorSummary: [{ text: err.message, href: '/staff/cases' }],
        results: [],
        done: 0,
      });
    }
  });

  // ---- A team's dashboard ----------------------------------------------------------------

  app.get<{ Querystring: Query }>('/staff/dashboard', async (request, reply) => {
    const staff = staffOf(request);
    const asked = request.query.team;
    const team =
      asked === 'all'
        ? undefined
        : asked && office.teams().includes(asked)
          ? asked
          : (staff.team ?? undefined);
    return reply.render('backoffice/views/dashboard.njk', {
      pageTitle: team ? `${team}: dashboard` : 'All teams: dashboard',
      staff,
      team,
      counts: await office.dashboard(team),
      teamItems: [
        { value: 'all', text: 'All teams', selected: team === undefined },
        ...office.teams().map((name) => ({ value: name, text: name, selected: name === team })),
      ],
    });
  });

  // ---- One case ---------------------------------------------------------------------------

  const casePage = async (
    reply: FastifyReply,
    staff: Staff,
    ref: string,
    problem?: { error: DomainError; field?: string | undefined; values?: Body },
    flash?: string,
  ) => {
    const found = await office.caseByRef(ref);
    const kind = CASE_KINDS[found.kind] as CaseKind;
    const timeline = await services.cases.timeline(found.id, { publicOnly: false });
    const assignable = await office.assignable(found.team);
    const values = problem?.values ?? {};
    const status = problem?.error instanceof ConflictError ? 409 : (problem?.error.status ?? 200);
    return reply.code(status).render('backoffice/views/case.njk', {
      pageTitle: `${found.ref}: ${found.title}`,
      staff,
      found,
      kind,
      service: services.catalogue.byCode(found.serviceCode)?.name ?? found.serviceCode,
      canChange: staff.role === 'admin' || (staff.role !== 'agent' && staff.team === found.team),
      timeline: [...timeline].reverse().map((event) => ({
        ...event,
        statusLabel:
          event.type === 'status_changed'
            ? (statusDefinition(found.kind, String(event.data.to))?.label ?? String(event.data.to))
            : undefined,
      })),
      deliveries: await services.notifications.deliveriesOf(found.id),
      photos: await office.photos(found),
      overdue:
        found.open311 === 'open' && found.dueAt !== null && found.dueAt.getTime() < Date.now(),
      version: found.updatedAt.toISOString(),
      statusItems: Object.entries(kind.statuses).map(([value, definition]) => ({
        value,
        text: definition.label,
        selected: value === (text(values, 'status') || found.status),
      })),
      assigneeItems: [
        { value: '', text: 'No one', selected: found.assigneeId === null },
        ...assignable.map((person) => ({
          value: String(person.id),
          text: `${person.name ?? person.email} (${ROLE_NAMES[person.role as StaffRole]})`,
          selected: person.id === found.assigneeId,
        })),
      ],
      teamItems: office
        .teams()
        .map((team) => ({ value: team, text: team, selected: team === found.team })),
      serviceItems: office.servicesLike(found).map((s) => ({
        value: s.code,
        text: s.name,
        selected: s.code === found.serviceCode,
      })),
      values,
      flash,
      error: problem && { field: problem.field, text: problem.error.message },
      errorSummary: problem
        ? [{ text: problem.error.message, href: `#${problem.field ?? 'timeline'}` }]
        : [],
    });
  };

  app.get<{ Params: { ref: string } }>('/staff/cases/:ref', (request, reply) => {
    return casePage(reply, staffOf(request), request.params.ref, undefined, takeFlash(request));
  });

  /** Each change to a case: done and back to the case, or the case again with what went wrong. */
  const caseAction = (
    path: string,
    field: string,
    act: (staff: Staff, ref: string, body: Body) => Promise<void>,
    done: string,
  ) =>
    app.post<{ Params: { ref: string }; Body: Body }>(
      `/staff/cases/:ref/${path}`,
      async (request, reply) => {
        const staff = staffOf(request);
        try {
          await act(staff, request.params.ref, request.body);
        } catch (err) {
          if (err instanceof ValidationError || err instanceof ConflictError)
            return casePage(reply, staff, request.params.ref, {
              error: err,
              field: err instanceof ValidationError ? (err.field ?? field) : field,
              values: request.body,
            });
          throw err;
        }
        request.session.set(FLASH, done);
        return reply.redirect(`/staff/cases/${encodeURIComponent(request.params.ref)}`, 303);
      },
    );

  caseAction(
    'status',
    'status',
    (staff, ref, body) =>
      office.changeStatus(staff, ref, {
        status: text(body, 'status'),
        publicText: text(body, 'publicText'),
        version: text(body, 'version'),
      }),
    'Status saved. The resident will be told.',
  );
  caseAction(
    'note',
    'note',
    (staff, ref, body) =>
      office.addNote(staff, ref, { text: text(body, 'note'), version: text(body, 'version') }),
    'Note added.',
  );
  caseAction(
    'assign',
    'assignee',
    (staff, ref, body) =>
      office.assign(staff, ref, {
        assigneeId: text(body, 'assignee'),
        version: text(body, 'version'),
      }),
    'Assignment saved.',
  );
  caseAction(
    'due',
    'due',
    (staff, ref, body) =>
      office.setDueDate(staff, ref, { due: text(body, 'due'), version: text(body, 'version') }),
    'Due date saved.',
  );
  caseAction(
    'team',
    'team',
    (staff, ref, body) =>
      office.moveToTeam(staff, ref, { team: text(body, 'team'), version: text(body, 'version') }),
    'Moved to the new team.',
  );

  caseAction(
    'service',
    'service',
    (staff, ref, body) =>
      office.moveToService(staff, ref, {
        service: text(body, 'service'),
        version: text(body, 'version'),
      }),
    'Moved to the new category and its team.',
  );
  caseAction(
    'duplicate',
    'original',
    (staff, ref, body) =>
      office.markDuplicate(staff, ref, {
        original: text(body, 'original'),
        version: text(body, 'version'),
      }),
    'Marked as a duplicate. Its followers now follow the original.',
  );
  caseAction(
    'hide',
    'reason',
    (staff, ref, body) =>
      office.hideReport(staff, ref, {
        reason: text(body, 'reason'),
        version: text(body, 'version'),
      }),
    'The report is hidden from the public.',
  );
  caseAction(
    'photos',
    'photos',
    (staff, ref, body) =>
      office.setPhotoShown(staff, ref, {
        photo: text(body, 'photo'),
        shown: text(body, 'shown') === 'yes',
        version: text(body, 'version'),
      }),
    'Photo saved.',
  );

  /** A report's photos for staff, hidden ones included; never cached by a shared cache. */
  app.get<{ Params: { ref: string; id: string; rendition: string } }>(
    '/staff/cases/:ref/photos/:id/:rendition',
    async (request, reply) => {
      const found = await office.caseByRef(request.params.ref);
      const photo = (await office.photos(found)).find((p) => p.id === request.params.id);
      const rendition = request.params.rendition.replace(/\.jpg$/, '') as Rendition;
      const key = photo && RENDITIONS.includes(rendition) ? photo.renditions[rendition] : undefined;
      const stream = key && (await options.files.get(key));
      if (!key || !stream) throw new NotFoundError('There is no such photo.');
      return reply
        .header('cache-control', 'private, no-store')
        .type(photoContentType(key))
        .send(stream);
    },
  );

  // ---- Assisted digital and the contact log ----------------------------------------------

  const CHANNEL_NAMES: Record<string, string> = {
    web: 'Website',
    app: 'The app',
    api: 'Other systems (API)',
    phone: 'Phone',
    face_to_face: 'Face to face',
    email: 'Email',
    chat: 'Web chat',
  };

  app.get('/staff/assist', async (request, reply) => {
    const staff = staffOf(request);
    const assisting = assistingChannel(request.session);
    return reply.render('backoffice/views/assist.njk', {
      pageTitle: 'Help a resident',
      staff,
      flash: takeFlash(request),
      assisting: assisting && CHANNEL_NAMES[assisting],
    });
  });

  app.post<{ Body: Body }>('/staff/assist', async (request, reply) => {
    const staff = staffOf(request);
    const channel = text(request.body, 'channel');
    if (channel !== 'phone' && channel !== 'face_to_face')
      return reply.code(400).render('backoffice/views/assist.njk', {
        pageTitle: 'Help a resident',
        staff,
        error: 'Choose how the resident is contacting you',
        errorSummary: [{ text: 'Choose how the resident is contacting you', href: '#channel' }],
      });
    startAssisting(request.session, channel);
    return reply.redirect('/', 303);
  });

  app.post('/staff/assist/finish', async (request, reply) => {
    staffOf(request);
    stopAssisting(request.session);
    request.session.set(FLASH, 'You have finished helping the resident.');
    return reply.redirect('/staff/assist', 303);
  });

  const contactsPage = async (
    reply: FastifyReply,
    staff: Staff,
    values: Body = {},
    error?: ValidationError,
    flash?: string,
  ) =>
    reply.code(error ? 400 : 200).render('backoffice/views/contacts.njk', {
      pageTitle: 'Log a contact',
      staff,
      flash,
      values,
      errors: messagesOf(error),
      errorSummary: errorSummary(messagesOf(error)),
      channelItems: CONTACT_CHANNELS.map((value) => ({
        value,
        text: CHANNEL_NAMES[value],
        checked: values.channel === value,
      })),
      outcomeItems: Object.entries(CONTACT_OUTCOMES).map(([value, label]) => ({
        value,
        text: label,
        checked: values.outcome === value,
      })),
      serviceItems: [
        { value: '', text: 'Not about one service' },
        ...services.catalogue.services
          .map((s) => ({ value: s.code, text: s.name, selected: s.code === values.service }))
          .sort((a, b) => a.text.localeCompare(b.text)),
      ],
      recent: (await office.recentContacts(staff)).map((contact) => ({
        ...contact,
        channelName: CHANNEL_NAMES[contact.channel] ?? contact.channel,
        outcomeName: CONTACT_OUTCOMES[contact.outcome] ?? contact.outcome,
        serviceName: contact.service_code
          ? (services.catalogue.byCode(contact.service_code)?.name ?? contact.service_code)
          : 'Not about one service',
      })),
    });

  app.get('/staff/contacts', (request, reply) => contactsPage(reply, staffOf(request)));

  app.post<{ Body: Body }>('/staff/contacts', async (request, reply) => {
    const staff = staffOf(request);
    const body = request.body;
    try {
      await office.logContact(staff, {
        channel: text(body, 'channel'),
        service: text(body, 'service'),
        outcome: text(body, 'outcome'),
        couldBeOnline: text(body, 'couldBeOnline'),
        note: text(body, 'note'),
      });
    } catch (err) {
      if (err instanceof ValidationError) return contactsPage(reply, staff, body, err);
      throw err;
    }
    return contactsPage(reply, staff, {}, undefined, 'Contact logged.');
  });

  // ---- Administrators: staff accounts and the audit log -------------------------------------

  const adminOnly = (request: FastifyRequest) => {
    const staff = staffOf(request);
    requireAdmin(staff);
    return staff;
  };

  const staffPage = async (
    reply: FastifyReply,
    values: Body = {},
    errors: Record<string, string> = {},
    flash?: string,
  ) =>
    reply.code(Object.keys(errors).length ? 400 : 200).render('backoffice/views/staff.njk', {
      pageTitle: 'Staff',
      members: (await office.staff()).map((member) => ({
        ...member,
        roleName: member.role in ROLE_NAMES ? ROLE_NAMES[member.role as StaffRole] : member.role,
        twoFactor: member.totp_secret !== null,
      })),
      values,
      errors,
      flash,
      errorSummary: errorSummary(errors),
      roleItems: [
        ...STAFF_ROLES.map((role) => ({
          value: role,
          text: ROLE_NAMES[role],
          checked: values.role === role,
        })),
        { value: 'resident', text: 'No staff access', checked: values.role === 'resident' },
      ],
      teamItems: [
        { value: '', text: 'No team (administrators)' },
        ...office
          .teams()
          .map((team) => ({ value: team, text: team, selected: team === values.team })),
      ],
    });

  app.get('/staff/admin/staff', async (request, reply) => {
    adminOnly(request);
    return staffPage(reply);
  });

  app.post<{ Body: Body }>('/staff/admin/staff', async (request, reply) => {
    const admin = adminOnly(request);
    const values = request.body;
    const errors: Record<string, string> = {};
    const name = text(values, 'name').trim();
    const email = text(values, 'email').trim();
    const role = text(values, 'role');
    const team = text(values, 'team') || null;
    if (!name) errors.name = 'Enter their name';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      errors.email = 'Enter an email address in the correct format, like name@example.gov.uk';
    if (![...STAFF_ROLES, 'resident'].includes(role)) errors.role = 'Choose what they can do';
    else if ((role === 'officer' || role === 'lead') && !team)
      errors.team = 'Choose the team whose cases they work';
    if (Object.keys(errors).length) return staffPage(reply, values, errors);
    try {
      await office.setStaffRole(admin, {
        name,
        email,
        role: role as StaffRole | 'resident',
        team: role === 'admin' ? null : team,
      });
    } catch (err) {
      if (err instanceof ValidationError)
        return staffPage(reply, values, { [err.field ?? 'email']: err.message });
      throw err;
    }
    return staffPage(reply, {}, {}, `Saved. We have emailed ${email.toLowerCase()}.`);
  });

  // Teams, SLAs and unit costs, over what the council's files say.
  app.get('/staff/admin/services', async (request, reply) => {
    const staff = adminOnly(request);
    return reply.render('backoffice/views/services.njk', {
      pageTitle: 'Services: teams and SLAs',
      staff,
      flash: takeFlash(request),
      services: [...services.catalogue.services]
        .filter((s) => s.kind !== 'external')
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => ({ ...s, settings: office.settings.describe(s.code) })),
    });
  });

  const servicePage = async (
    reply: FastifyReply,
    staff: Staff,
    code: string,
    values?: Body,
    error?: ValidationError,
  ) => {
    const service = services.catalogue.byCode(code);
    const settings = office.settings.describe(code);
    if (!service || !settings) throw new NotFoundError('There is no such service.');
    const errors = messagesOf(error);
    return reply.code(error ? 400 : 200).render('backoffice/views/service-settings.njk', {
      pageTitle: `${service.name}: team and SLA`,
      staff,
      service,
      settings,
      values: values ?? { team: settings.now.team, slaDays: String(settings.now.slaDays) },
      errors,
      errorSummary: errorSummary(errors),
      teams: office.teams(),
    });
  };

  app.get<{ Params: { code: string } }>('/staff/admin/services/:code', (request, reply) =>
    servicePage(reply, adminOnly(request), request.params.code),
  );

  app.post<{ Params: { code: string }; Body: Body }>(
    '/staff/admin/services/:code',
    async (request, reply) => {
      const admin = adminOnly(request);
      try {
        await office.setServiceSettings(admin, request.params.code, {
          team: text(request.body, 'team'),
          slaDays: text(request.body, 'slaDays'),
        });
      } catch (err) {
        if (err instanceof ValidationError)
          return servicePage(reply, admin, request.params.code, request.body, err);
        throw err;
      }
      request.session.set(FLASH, 'Saved. New cases use it from now on.');
      return reply.redirect('/staff/admin/services', 303);
    },
  );

  const costsPage = (reply: FastifyReply, staff: Staff, values?: Body, error?: ValidationError) => {
    const costs = office.settings.unitCosts();
    return reply.code(error ? 400 : 200).render('backoffice/views/unit-costs.njk', {
      pageTitle: 'What each channel costs',
      staff,
      flash: error ? undefined : takeFlash(reply.request),
      channels: CHANNELS.map((channel) => ({
        channel,
        name: CHANNEL_NAMES[channel] ?? channel.replace('_', ' '),
        value: values ? text(values, channel) : (costs[channel] / 100).toFixed(2),
        error: messagesOf(error)[channel],
      })),
      errorSummary: errorSummary(messagesOf(error)),
    });
  };

  app.get('/staff/admin/costs', (request, reply) => costsPage(reply, adminOnly(request)));

  app.post<{ Body: Body }>('/staff/admin/costs', async (request, reply) => {
    const admin = adminOnly(request);
    try {
      await office.setUnitCosts(admin, request.body as Record<string, string>);
    } catch (err) {
      if (err instanceof ValidationError) return costsPage(reply, admin, request.body, err);
      throw err;
    }
    request.session.set(FLASH, 'Saved.');
    return reply.redirect('/staff/admin/costs', 303);
  });

  // Inside this plugin, so the checks above guard them too.
  const flash = (request: FastifyRequest, text: string) => {
    request.session.set(FLASH, text);
  };
  void app.register(categoryRoutes, { ...options, adminOnly, takeFlash, flash });
  void app.register(chatConsoleRoutes, { ...options, staffOf, takeFlash, flash });
  void app.register(keyRoutes, { ...options, adminOnly, takeFlash, flash });

  app.get<{ Querystring: Query }>('/staff/admin/audit', async (request, reply) => {
    adminOnly(request);
    const q = request.query;
    const date = (value: string | undefined) =>
      value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
    const beforeId = Number.parseInt(q.before ?? '', 10);
    const entries = await office.auditLog(
      {
        action: q.action || undefined,
        target: q.target?.trim() || undefined,
        actorId: q.actor ? Number.parseInt(q.actor, 10) || -1 : undefined,
        from: date(q.from),
        to: date(q.to),
        beforeId: Number.isFinite(beforeId) ? beforeId : undefined,
      },
      51,
    );
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(q))
      if (value && key !== 'before') params.set(key, value);
    const last = entries[49];
    return reply.render('backoffice/views/audit.njk', {
      pageTitle: 'Audit log',
      query: q,
      entries: entries.slice(0, 50).map((entry) => ({
        ...entry,
        before: entry.before ? (JSON.parse(entry.before) as Record<string, unknown>) : null,
        after: entry.after ? (JSON.parse(entry.after) as Record<string, unknown>) : null,
      })),
      older:
        entries.length > 50 && last
          ? `/staff/admin/audit?${params.toString()}${params.size ? '&' : ''}before=${last.id}`
          : undefined,
    });
  });
  done();
}
