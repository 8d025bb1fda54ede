import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError } from '../../platform/errors.js';
import type { Place } from '../../platform/geo/gazetteer.js';
import { fieldText, readBody, type Body, type Upload } from '../../platform/http/multipart.js';
import type { Boundary } from '../../platform/config.js';
import type { Point } from '../../platform/geo/geo.js';
import type { SignedInAccount } from '../account/current.js';
import type { Field } from '../catalogue/definition.js';
import {
  componentFor,
  displayAnswer,
  firstInputId,
  rawFromAnswer,
  readField,
  type RawAnswer,
} from '../forms/fields.js';
import {
  applicableAnswers,
  applicableFields,
  fieldApplies,
  visibleFields,
} from '../forms/journey.js';
import { reportsApi } from './api.js';
import {
  clearDraft,
  contactOfAccount,
  lastSent,
  MAX_DESCRIPTION,
  loadDraft,
  markSent,
  saveDraft,
  type ReportContact,
  type ReportDraft,
} from './draft.js';
import { reportFeeds } from './feeds.js';
import { fromPlace, resolveWhere, responsibilityFor, type WhereAnswer } from './location.js';
import {
  MAX_PHOTO_BYTES,
  MAX_PHOTOS,
  deletePhoto,
  photoContentType,
  processPhoto,
} from './photos.js';
import { publicReportsRoutes } from './public.js';
import { reporterRoutes } from './reporter.js';
import { categoryName, questionsPage, type Category } from './service.js';
import { sentBy } from '../backoffice/assisted.js';

/** How report forms with photos are read (the app's one-page form reads them the same way). */
export const REPORT_UPLOADS = {
  attachFieldsToBody: true,
  // A little over the photo limit, so a 21 MB photo gets "must be smaller than 20MB" rather than a bare 413.
  limits: { fileSize: MAX_PHOTO_BYTES + 5 * 1024 * 1024, files: MAX_PHOTOS + 1, fields: 100 },
} as const;

/**
 * Sending a report opens a case: generous for people, tight for scripts. Limited per
 * account when signed in, else per address (the global limit is per address too).
 */
export const SEND_RATE_LIMIT = {
  max: 20,
  timeWindow: 60 * 60_000,
  keyGenerator: (request: FastifyRequest) =>
    request.account ? `account:${String(request.account.id)}` : request.ip,
};

/** Someone who sends a whole report faster than this is a script, not a person. */
const MIN_SECONDS_TO_REPORT = 3;

type Errors = Record<string, string>;

/**
 * Report It: where, what, details and photos, contact, check and send — a few quick steps
 * that all work without JavaScript. The map, "use my location" and reading a photo's
 * location in the browser are enhancements (src/web/report.ts).
 */
export async function reportsModule(app: FastifyInstance, options: ModuleOptions): Promise<void> {
  const { config, services, files, gazetteer } = options;
  const { reports } = services;
  await app.register(fastifyMultipart, REPORT_UPLOADS);
  await app.register(publicReportsRoutes, { ...options, reports, gazetteer });
  await app.register(reportFeeds, { ...options, reports, gazetteer });
  await app.register(reportsApi, { ...options, reports, gazetteer });
  await app.register(reporterRoutes, { ...options, reports, gazetteer });

  const mapSettings = {
    tiles: config.council.map.tiles,
    attribution: config.council.map.attribution,
    centre: centreOf(config.council.boundary),
  };

  /** Where the resident should be next, given what the draft has so far. Signed in, we know who they are. */
  const nextStep = (draft: ReportDraft, account: SignedInAccount | null = null): string => {
    if (!draft.location) return '/report';
    if (!reports.category(draft.category)) return '/report/category';
    if (!draft.detailsGiven) return '/report/details';
    if (!draft.contact && !account) return '/report/contact';
    return '/report/check';
  };
  /** Who is reporting: the signed-in resident, or the contact details they gave. */
  const contactFor = (draft: ReportDraft, account: SignedInAccount | null): ReportContact | null =>
    account ? contactOfAccount(account, draft.contact) : (draft.contact ?? null);
  const categoryOf = (draft: ReportDraft): Category | undefined => reports.category(draft.category);

  // ---- Where -------------------------------------------------------------------------

  const wherePage = (
    reply: FastifyReply,
    draft: ReportDraft,
    values: { place?: string; lat?: string; lng?: string },
    errors: Errors = {},
  ) =>
    reply.code(Object.keys(errors).length ? 400 : 200).render('reports/views/where.njk', {
      pageTitle: 'Where is the problem?',
      category: categoryOf(draft),
      values,
      errors,
      errorSummary: summary(errors),
      map: mapSettings,
      photoCount: draft.photos.length,
    });

  app.get<{ Querystring: { category?: string } }>('/report', (request, reply) => {
    let draft = loadDraft(request.session);
    const chosen = reports.category(request.query.category);
    // Coming in from a category's start page: a fresh report of that category.
    if (chosen && chosen.code !== draft.category) {
      clearDraft(request.session);
      draft = { ...loadDraft(request.session), category: chosen.code };
      saveDraft(request.session, draft);
    }
    const { location } = draft;
    return wherePage(reply, draft, {
      place: location?.source === 'search' ? location.label : '',
      lat: location && location.source !== 'search' ? location.lat.toFixed(6) : '',
      lng: location && location.source !== 'search' ? location.lng.toFixed(6) : '',
    });
  });

  app.post(
    '/report/where',
    { config: { rateLimit: { max: 60, timeWindow: 10 * 60_000 } } },
    async (request, reply) => {
      const draft = loadDraft(request.session);
      const { fields, uploads } = await readBody(request);
      const values = {
        place: fieldText(fields, 'place'),
        lat: fieldText(fields, 'lat'),
        lng: fieldText(fields, 'lng'),
      };
      const [upload] = uploads.photo ?? [];
      let photoPoint = null;
      if (upload) {
        const added = await addPhotos(draft, [upload]);
        if (added.error) return wherePage(reply, draft, values, { photo: added.error });
        photoPoint = added.location;
      }
      const answer = resolveWhere(
        { ...values, photoPoint, photoGiven: Boolean(upload) },
        gazetteer,
      );
      saveDraft(request.session, draft);
      return afterWhere(request, reply, draft, answer, values);
    },
  );

  /** Several places match what was typed: the resident picks one (a page only search users see). */
  app.get<{ Querystring: { place?: string } }>('/report/where/choose', (request, reply) => {
    const place = (request.query.place ?? '').slice(0, 100);
    const places = gazetteer.search(place, 8);
    if (places.length === 0) return reply.redirect('/report', 303);
    return choosePage(reply, place, places);
  });

  app.post<{ Body: Body }>('/report/where/choose', (request, reply) => {
    const draft = loadDraft(request.session);
    const place = fieldText(request.body, 'place').slice(0, 100);
    const chosen = gazetteer.byId(fieldText(request.body, 'placeId'));
    if (!chosen)
      return choosePage(reply, place, gazetteer.search(place, 8), 'Select the place you mean');
    return afterWhere(
      request,
      reply,
      draft,
      { kind: 'found', location: fromPlace(chosen), place: chosen },
      {
        place,
      },
    );
  });

  const choosePage = (reply: FastifyReply, place: string, places: Place[], error?: string) =>
    reply.code(error ? 400 : 200).render('reports/views/choose.njk', {
      pageTitle: 'Which place do you mean?',
      place,
      places,
      error,
      errorSummary: error ? [{ text: error, href: `#placeId` }] : [],
    });

  function afterWhere(
    request: FastifyRequest,
    reply: FastifyReply,
    draft: ReportDraft,
    answer: WhereAnswer,
    values: { place?: string; lat?: string; lng?: string },
  ) {
    if (answer.kind === 'error')
      return wherePage(reply, draft, values, { [answer.field]: answer.message });
    if (answer.kind === 'choose') {
      // Every match is one other body's road (all of "A36"): where on it makes no difference.
      const typed = (values.place ?? '').trim().toLowerCase();
      const exact = answer.places.filter((p) => p.name.toLowerCase() === typed);
      const bodies = new Set(
        (exact.length ? exact : answer.places).map((p) => {
          const r = responsibilityFor(config.council, gazetteer, p.point, p);
          return r.kind === 'other-body' ? r.body.name : '';
        }),
      );
      const [body] = bodies;
      if (bodies.size === 1 && body)
        return reply.redirect(`/report/not-ours?body=${encodeURIComponent(body)}`, 303);
      return reply.redirect(
        `/report/where/choose?place=${encodeURIComponent(values.place ?? '')}`,
        303,
      );
    }
    const responsibility = responsibilityFor(
      config.council,
      gazetteer,
      answer.location,
      answer.place,
    );
    if (responsibility.kind === 'outside') return reply.redirect('/report/not-ours', 303);
    if (responsibility.kind === 'other-body')
      return reply.redirect(
        `/report/not-ours?body=${encodeURIComponent(responsibility.body.name)}`,
        303,
      );
    draft.location = answer.location;
    draft.area = responsibility.area;
    saveDraft(request.session, draft);
    return reply.redirect(nextStep(draft, request.account), 303);
  }

  app.get<{ Querystring: { body?: string } }>('/report/not-ours', (request, reply) => {
    const body = config.council.reporting.otherBodies.find((b) => b.name === request.query.body);
    return reply.render('reports/views/not-ours.njk', {
      pageTitle: body ? `Report this to ${body.name}` : 'This place is outside our area',
      body,
    });
  });

  // ---- What ------------------------------------------------------------------------

  const categoryPage = (reply: FastifyReply, draft: ReportDraft, error?: string) =>
    reply.code(error ? 400 : 200).render('reports/views/category.njk', {
      pageTitle: 'What is the problem?',
      location: draft.location,
      items: reports.categories().map((c) => ({
        value: c.code,
        text: categoryName(c),
        hint: { text: c.summary },
        checked: c.code === draft.category,
      })),
      error,
      errorSummary: error ? [{ text: error, href: '#category' }] : [],
    });

  app.get('/report/category', (request, reply) => {
    const draft = loadDraft(request.session);
    if (!draft.location) return reply.redirect('/report', 303);
    return categoryPage(reply, draft);
  });

  app.post<{ Body: Body }>('/report/category', (request, reply) => {
    const draft = loadDraft(request.session);
    if (!draft.location) return reply.redirect('/report', 303);
    const chosen = reports.category(fieldText(request.body, 'category'));
    if (!chosen) return categoryPage(reply, draft, 'Select what the problem is');
    if (chosen.code !== draft.category) {
      // Another category asks other questions: the old answers no longer apply.
      draft.answers = {};
      draft.detailsGiven = false;
    }
    draft.category = chosen.code;
    saveDraft(request.session, draft);
    return reply.redirect(nextStep(draft, request.account), 303);
  });

  // ---- Details and photos ---------------------------------------------------------

  const detailsPage = (
    reply: FastifyReply,
    draft: ReportDraft,
    category: Category,
    raws: Record<string, RawAnswer | undefined>,
    errors: Errors,
  ) => {
    const page = questionsPage(category);
    const fields = visibleFields(page, draft.answers);
    return reply.code(Object.keys(errors).length ? 400 : 200).render('reports/views/details.njk', {
      pageTitle: `${page.title} – Report a problem`,
      heading: page.title,
      category,
      location: draft.location,
      components: fields.map((f) => componentFor(f, raws[f.name], errors[f.name])),
      description: raws.description ?? draft.description ?? '',
      photos: draft.photos,
      maxPhotos: MAX_PHOTOS,
      errors,
      errorSummary: summary(errors, (name) => {
        const field = fields.find((f) => f.name === name);
        return field ? firstInputId(field, errors[name]) : name;
      }),
    });
  };

  app.get('/report/details', (request, reply) => {
    const draft = loadDraft(request.session);
    const category = categoryOf(draft);
    if (!draft.location || !category) return reply.redirect(nextStep(draft, request.account), 303);
    const raws = Object.fromEntries(
      questionsPage(category).fields.map((f) => [f.name, rawFromAnswer(f, draft.answers[f.name])]),
    );
    return detailsPage(reply, draft, category, raws, {});
  });

  app.post(
    '/report/details',
    { config: { rateLimit: { max: 60, timeWindow: 10 * 60_000 } } },
    async (request, reply) => {
      const draft = loadDraft(request.session);
      const category = categoryOf(draft);
      if (!draft.location || !category)
        return reply.redirect(nextStep(draft, request.account), 303);
      const { fields, uploads } = await readBody(request);
      const errors: Errors = {};
      const raws: Record<string, RawAnswer | undefined> = {};

      // Removing a photo is its own button, so it works without JavaScript.
      const remove = fieldText(fields, 'removePhoto');
      if (remove) {
        const photo = draft.photos.find((p) => p.id === remove);
        if (photo) await deletePhoto(photo, files);
        draft.photos = draft.photos.filter((p) => p.id !== remove);
      }

      const page = questionsPage(category);
      const given = new Map(Object.entries(draft.answers));
      for (const field of page.fields) {
        // Fields hidden by an answer on this page are dropped, whatever was sent for them.
        if (!fieldApplies(field, Object.fromEntries(given))) {
          given.delete(field.name);
          continue;
        }
        const reading = readField(field, fields);
        raws[field.name] = reading.raw;
        if (reading.error) errors[field.name] = reading.error;
        if (reading.value === undefined) given.delete(field.name);
        else given.set(field.name, reading.value);
      }
      draft.answers = applicableAnswers({ pages: [page] }, Object.fromEntries(given));

      const description = fieldText(fields, 'description').trim();
      raws.description = description;
      if (description.length > MAX_DESCRIPTION)
        errors.description = `Description must be ${String(MAX_DESCRIPTION)} characters or fewer`;
      else draft.description = description || undefined;

      const added = await addPhotos(draft, uploads.photos ?? []);
      if (added.error) errors.photos = added.error;
      saveDraft(request.session, draft);

      if (remove || Object.keys(errors).length > 0)
        return detailsPage(reply, draft, category, raws, errors);
      draft.detailsGiven = true;
      saveDraft(request.session, draft);
      return reply.redirect(nextStep(draft, request.account), 303);
    },
  );

  /** Checks and stores new photos, up to the limit; the first photo with a location gives it. */
  async function addPhotos(draft: ReportDraft, uploads: Upload[]) {
    let location = null;
    for (const upload of uploads) {
      if (draft.photos.length >= MAX_PHOTOS)
        return { error: `You can add up to ${String(MAX_PHOTOS)} photos`, location };
      const result = await processPhoto(upload.bytes, files);
      if (!result.ok) return { error: result.error, location };
      draft.photos.push(result.photo);
      location ??= result.location;
    }
    return { error: undefined, location };
  }

  // ---- Contact ----------------------------------------------------------------------

  const contactFields: Record<'name' | 'email' | 'phone', Field> = {
    name: {
      type: 'text',
      name: 'name',
      label: 'Your name',
      optional: false,
      autocomplete: 'name',
      maxLength: 100,
    },
    email: {
      type: 'email',
      name: 'email',
      label: 'Email address',
      hint: 'We will email you when the council updates your report.',
      optional: false,
    },
    phone: {
      type: 'phone',
      name: 'phone',
      label: 'Phone number (optional)',
      hint: 'Only if you are happy for us to phone you about the problem.',
      optional: true,
    },
  };

  const contactPage = (
    reply: FastifyReply,
    raws: Record<string, RawAnswer | undefined>,
    showName: boolean,
    errors: Errors,
  ) =>
    reply.code(Object.keys(errors).length ? 400 : 200).render('reports/views/contact.njk', {
      pageTitle: 'Your contact details – Report a problem',
      components: Object.values(contactFields).map((f) =>
        componentFor(f, raws[f.name], errors[f.name]),
      ),
      showName,
      errorSummary: summary(errors),
    });

  app.get('/report/contact', (request, reply) => {
    const draft = loadDraft(request.session);
    if (!draft.detailsGiven) return reply.redirect(nextStep(draft, request.account), 303);
    const contact = draft.contact;
    return contactPage(
      reply,
      { name: contact?.name, email: contact?.email, phone: contact?.phone ?? undefined },
      contact?.showName ?? false,
      {},
    );
  });

  app.post<{ Body: Body }>('/report/contact', (request, reply) => {
    const draft = loadDraft(request.session);
    if (!draft.detailsGiven) return reply.redirect(nextStep(draft, request.account), 303);
    const errors: Errors = {};
    const raws: Record<string, RawAnswer | undefined> = {};
    const values: Record<string, unknown> = {};
    for (const field of Object.values(contactFields)) {
      const reading = readField(field, request.body);
      raws[field.name] = reading.raw;
      if (reading.error) errors[field.name] = reading.error;
      values[field.name] = reading.value;
    }
    const showName = fieldText(request.body, 'showName') === 'yes';
    if (Object.keys(errors).length > 0) return contactPage(reply, raws, showName, errors);
    const contact: ReportContact = {
      name: String(values.name),
      email: String(values.email),
      phone: typeof values.phone === 'string' ? values.phone : null,
      showName,
    };
    draft.contact = contact;
    saveDraft(request.session, draft);
    return reply.redirect(nextStep(draft, request.account), 303);
  });

  // ---- Check and send ---------------------------------------------------------------

  app.get('/report/check', async (request, reply) => {
    const draft = loadDraft(request.session);
    const category = categoryOf(draft);
    const contact = contactFor(draft, request.account);
    if (
      nextStep(draft, request.account) !== '/report/check' ||
      !category ||
      !draft.location ||
      !contact
    )
      return reply.redirect(nextStep(draft, request.account), 303);
    const page = questionsPage(category);
    const nearby = await reports.nearbyOpen(category, draft.location);
    const nearbyReports = await Promise.all(
      nearby.map(async ({ case: found, distanceMetres }) => ({
        found,
        distanceMetres,
        photo: (await reports.visiblePhotos(found))[0],
      })),
    );
    return reply.render('reports/views/check.njk', {
      pageTitle: 'Check your report before sending it',
      category,
      categoryName: categoryName(category),
      draft,
      contact,
      signedIn: request.account !== null,
      answers: applicableFields(page, draft.answers)
        .filter((f) => draft.answers[f.name] !== undefined)
        .map((f) => ({ question: f.label, answer: displayAnswer(f, draft.answers[f.name]) })),
      nearby: nearbyReports,
      radius: reports.radiusFor(category),
    });
  });

  app.post<{ Body: Body }>(
    '/report/check',
    { config: { rateLimit: SEND_RATE_LIMIT } },
    async (request, reply) => {
      const draftId = fieldText(request.body, 'draft');
      const sent = lastSent(request.session);
      // A second click on Send, after the first has gone through: show what was sent.
      if (sent && sent.id === draftId) return reply.redirect('/report/confirmation', 303);
      const draft = loadDraft(request.session);
      const category = categoryOf(draft);
      const contact = contactFor(draft, request.account);
      if (
        draftId !== draft.id ||
        nextStep(draft, request.account) !== '/report/check' ||
        !category ||
        !draft.location ||
        !contact
      )
        return reply.redirect(nextStep(draft, request.account), 303);
      if (isBot(request.body, draft)) return refuseBot(reply);
      const opened = await reports.submit({
        id: draft.id,
        category,
        location: draft.location,
        area: draft.area ?? null,
        answers: draft.answers,
        description: draft.description ?? null,
        photos: draft.photos,
        contact,
        accountId: request.account?.id ?? null,
        ...sentBy(request),
      });
      markSent(request.session, { id: draft.id, ref: opened.ref });
      return reply.redirect('/report/confirmation', 303);
    },
  );

  /** Follow a report already made instead of making a second one. */
  app.post<{ Body: Body }>(
    '/report/follow',
    { config: { rateLimit: SEND_RATE_LIMIT } },
    async (request, reply) => {
      const draft = loadDraft(request.session);
      const contact = contactFor(draft, request.account);
      if (!contact) return reply.redirect(nextStep(draft, request.account), 303);
      if (isBot(request.body, draft)) return refuseBot(reply);
      const followed = await reports.follow(fieldText(request.body, 'ref'), {
        email: contact.email,
        accountId: request.account?.id ?? null,
      });
      for (const photo of draft.photos) await deletePhoto(photo, files);
      clearDraft(request.session);
      request.session.set('reportFollowed', followed.ref);
      return reply.redirect('/report/following', 303);
    },
  );

  app.get('/report/following', async (request, reply) => {
    const ref = request.session.get('reportFollowed');
    const found = typeof ref === 'string' ? await services.cases.getByRef(ref) : undefined;
    if (!found) return reply.redirect('/report', 303);
    return reply.render('reports/views/following.njk', {
      pageTitle: 'You are following this report',
      found,
    });
  });

  app.get('/report/confirmation', async (request, reply) => {
    const sent = lastSent(request.session);
    const found = sent && (await services.cases.getByRef(sent.ref));
    if (!found) return reply.redirect('/report', 303);
    const category = reports.categoryOfCase(found);
    return reply.render('reports/views/confirmation.njk', {
      pageTitle: 'Report sent',
      found,
      next: category?.start.next,
    });
  });

  // Photos in a draft, shown back to the resident who sent them (and nobody else).
  app.get<{ Params: { id: string } }>('/report/photos/:id', async (request, reply) => {
    const photo = loadDraft(request.session).photos.find((p) => p.id === request.params.id);
    const stream = photo && (await files.get(photo.renditions.thumb));
    if (!photo || !stream) throw new NotFoundError('There is no such photo in your report.');
    return reply
      .header('cache-control', 'private, max-age=3600')
      .type(photoContentType(photo.renditions.thumb))
      .send(stream);
  });

  function isBot(body: Body, draft: ReportDraft): boolean {
    // A field people never see and a pace no person keeps: no CAPTCHA for anyone.
    const honeypot = fieldText(body, 'website');
    return honeypot !== '' || Date.now() - draft.startedAt < MIN_SECONDS_TO_REPORT * 1000;
  }

  function refuseBot(reply: FastifyReply) {
    return reply.code(400).render('reports/views/not-sent.njk', {
      pageTitle: 'Your report was not sent',
    });
  }
}

function summary(errors: Errors, anchor: (name: string) => string = (name) => name) {
  return Object.entries(errors).map(([name, message]) => ({
    text: message,
    href: `#${anchor(name)}`,
  }));
}

/** The middle of the council's boundary, where the map starts. */
function centreOf(boundary: Boundary): Point {
  const rings = boundary.type === 'Polygon' ? boundary.coordinates : boundary.coordinates.flat();
  const points = rings.flat();
  const lngs = points.map(([lng]) => lng);
  const lats = points.map(([, lat]) => lat);
  return {
    lat: (Math.min(...lats) + Math.max(...lats)) / 2,
    lng: (Math.min(...lngs) + Math.max(...lngs)) / 2,
  };
}
