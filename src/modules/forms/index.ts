import fastifyMultipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError } from '../../platform/errors.js';
import { readBody, type Body, type Upload } from '../../platform/http/multipart.js';
import { CASE_KINDS } from '../cases/kinds.js';
import type { Field, Page, ServiceDefinition } from '../catalogue/definition.js';
import {
  componentFor,
  displayAnswer,
  requiredError,
  firstInputId,
  rawFromAnswer,
  readField,
  type Answer,
  type FileAnswer,
  type RawAnswer,
} from './fields.js';
import {
  applicableAnswers,
  applicableFields,
  applicablePages,
  fieldApplies,
  firstIncompletePage,
  nextPage,
  pageApplies,
  visibleFields,
  type Answers,
} from './journey.js';
import { lastSent, loadProgress, markSent, saveProgress } from './progress.js';
import { SAVE_DAYS } from './saved.js';
import { submitForm } from './service.js';
import { sentBy } from '../backoffice/assisted.js';
import { checkUpload } from './uploads.js';

type FormService = ServiceDefinition & { form: NonNullable<ServiceDefinition['form']> };
interface Params {
  code: string;
  pageId: string;
}

/** The largest file any service accepts (the catalogue caps maxMb at 20). */
const MAX_FILE_BYTES = 20 * 1024 * 1024;

/**
 * The form engine: runs every `kind: form` service in the catalogue, one page at a time,
 * then "check your answers", then a case with a reference. Answers live in the session
 * until they are sent. Works without JavaScript.
 */
export async function formsModule(
  app: FastifyInstance,
  { services, files }: ModuleOptions,
): Promise<void> {
  const { catalogue, cases, savedForms } = services;
  // Only this module takes file uploads; everywhere else a multipart body is refused (415).
  await app.register(fastifyMultipart, {
    attachFieldsToBody: true,
    limits: { fileSize: MAX_FILE_BYTES, files: 10, fields: 200, fieldSize: 100 * 1024 },
  });

  const serviceFor = (code: string): FormService => {
    const service = catalogue.byCode(code);
    if (service?.kind !== 'form' || !service.form)
      throw new NotFoundError(`There is no online form called ${code}.`);
    return service as FormService;
  };
  const pageFor = (service: FormService, pageId: string): Page => {
    const page = service.form.pages.find((p) => p.id === pageId);
    if (!page) throw new NotFoundError(`${service.name} has no page called ${pageId}.`);
    return page;
  };
  const base = (service: ServiceDefinition) => `/services/${service.code}`;
  const pageUrl = (service: ServiceDefinition, page: Page) => `${base(service)}/form/${page.id}`;
  /** Where someone should be: the first page still needing answers, or the check page. */
  const resumeUrl = (service: FormService, answers: Answers) => {
    const incomplete = firstIncompletePage(service.form, answers);
    return incomplete ? pageUrl(service, incomplete) : `${base(service)}/check`;
  };

  const renderPage = (
    reply: FastifyReply,
    service: FormService,
    page: Page,
    answers: Answers,
    raws: Record<string, RawAnswer | undefined>,
    errors: Record<string, string>,
    change: boolean,
  ) => {
    const fields = visibleFields(page, answers);
    const components = fields.map((field) =>
      componentFor(field, raws[field.name], errors[field.name]),
    );
    // One question on the page: the question is the page's heading, as GOV.UK pages do.
    const single = fields.length === 1 && fields[0]?.label === page.title && components[0];
    if (single) makePageHeading(single.params, page.title);
    const previous = applicablePages(service.form, answers)
      .filter((p) => service.form.pages.indexOf(p) < service.form.pages.indexOf(page))
      .at(-1);
    return reply.code(Object.keys(errors).length ? 400 : 200).render('forms/views/page.njk', {
      pageTitle: `${page.title} – ${service.name}`,
      service,
      page,
      headingInLabel: Boolean(single),
      components,
      multipart: fields.some((f) => f.type === 'file'),
      action: `${pageUrl(service, page)}${change ? '?change=1' : ''}`,
      backHref: change
        ? `${base(service)}/check`
        : previous
          ? pageUrl(service, previous)
          : base(service),
      errorSummary: fields
        .filter((f) => errors[f.name])
        .map((f) => ({ text: errors[f.name], href: `#${firstInputId(f, errors[f.name])}` })),
    });
  };

  app.get<{ Params: Params }>('/services/:code/start', async (request, reply) => {
    const service = serviceFor(request.params.code);
    const progress = loadProgress(request.session, service);
    // Signed in with this form saved in their account: carry on where they left off.
    if (request.account && Object.keys(progress.answers).length === 0) {
      const saved = await savedForms.forAccount(service, request.account.id);
      if (saved) {
        saveProgress(request.session, service, { ...progress, answers: saved });
        return reply.redirect(resumeUrl(service, saved), 303);
      }
    }
    return reply.redirect(resumeUrl(service, progress.answers), 303);
  });

  app.get<{ Params: Params; Querystring: { change?: string } }>(
    '/services/:code/form/:pageId',
    (request, reply) => {
      const service = serviceFor(request.params.code);
      const page = pageFor(service, request.params.pageId);
      const { answers } = loadProgress(request.session, service);
      // No skipping ahead, and no pages the answers so far rule out.
      const incomplete = firstIncompletePage(service.form, answers);
      const ahead =
        incomplete && service.form.pages.indexOf(incomplete) < service.form.pages.indexOf(page);
      if (!pageApplies(page, answers) || ahead)
        return reply.redirect(resumeUrl(service, answers), 303);
      const raws = Object.fromEntries(
        page.fields.map((f) => [f.name, rawFromAnswer(f, answers[f.name])]),
      );
      return renderPage(reply, service, page, answers, raws, {}, request.query.change === '1');
    },
  );

  app.post<{ Params: Params; Querystring: { change?: string } }>(
    '/services/:code/form/:pageId',
    async (request, reply) => {
      const service = serviceFor(request.params.code);
      const page = pageFor(service, request.params.pageId);
      const progress = loadProgress(request.session, service);
      // Answers to a page the conditions skip are ignored, not stored.
      if (!pageApplies(page, progress.answers))
        return reply.redirect(resumeUrl(service, progress.answers), 303);

      const { fields, uploads } = await readBody(request);
      const given = new Map(Object.entries(progress.answers));
      const raws: Record<string, RawAnswer | undefined> = {};
      const errors: Record<string, string> = {};
      for (const field of page.fields) {
        // Fields hidden by an answer on this page are dropped, whatever was sent for them.
        if (!fieldApplies(field, Object.fromEntries(given))) {
          given.delete(field.name);
          continue;
        }
        const reading =
          field.type === 'file'
            ? await readFile(field, uploads[field.name]?.[0], progress.answers[field.name])
            : readField(field, fields);
        raws[field.name] = reading.raw;
        if (reading.error) errors[field.name] = reading.error;
        if (reading.value === undefined) given.delete(field.name);
        else given.set(field.name, reading.value);
      }
      const answers: Answers = Object.fromEntries(given);
      if (Object.keys(errors).length > 0) {
        return renderPage(
          reply,
          service,
          page,
          answers,
          raws,
          errors,
          request.query.change === '1',
        );
      }
      const kept = applicableAnswers(service.form, answers);
      saveProgress(request.session, service, { ...progress, answers: kept });
      const next = nextPage(service.form, page, kept);
      if (request.query.change === '1' || !next)
        return reply.redirect(resumeUrl(service, kept), 303);
      // On to the next page, even one of only optional questions, unless an earlier one needs answers.
      const incomplete = firstIncompletePage(service.form, kept);
      const pages = service.form.pages;
      const goBack = incomplete && pages.indexOf(incomplete) < pages.indexOf(next);
      return reply.redirect(goBack ? resumeUrl(service, kept) : pageUrl(service, next), 303);
    },
  );

  app.get<{ Params: Params }>('/services/:code/check', (request, reply) => {
    const service = serviceFor(request.params.code);
    const progress = loadProgress(request.session, service);
    if (
      firstIncompletePage(service.form, progress.answers) ||
      Object.keys(progress.answers).length === 0
    )
      return reply.redirect(resumeUrl(service, progress.answers), 303);
    saveProgress(request.session, service, progress);
    const rows = applicablePages(service.form, progress.answers).flatMap((page) =>
      applicableFields(page, progress.answers).map((field) => ({
        key: { text: field.label },
        value: {
          html:
            displayAnswer(field, progress.answers[field.name]).map(escapeHtml).join('<br>') ||
            'Not given',
        },
        actions: {
          items: [
            {
              href: `${pageUrl(service, page)}?change=1#${firstInputId(field)}`,
              text: 'Change',
              visuallyHiddenText: field.label.toLowerCase(),
            },
          ],
        },
      })),
    );
    return reply.render('forms/views/check.njk', {
      pageTitle: `Check your answers – ${service.name}`,
      service,
      rows,
      submission: progress.submission,
    });
  });

  app.post<{ Params: Params; Body: { submission?: unknown } }>(
    '/services/:code/check',
    // Sending opens a case: generous for people, tight for scripts.
    { config: { rateLimit: { max: 30, timeWindow: 10 * 60_000 } } },
    async (request, reply) => {
      const service = serviceFor(request.params.code);
      const submission = typeof request.body.submission === 'string' ? request.body.submission : '';
      // A second click on Send, after the first has gone through: show what was sent.
      if (submission && lastSent(request.session, service)?.submission === submission)
        return reply.redirect(`${base(service)}/confirmation`, 303);
      const progress = loadProgress(request.session, service);
      if (submission !== progress.submission || firstIncompletePage(service.form, progress.answers))
        return reply.redirect(resumeUrl(service, progress.answers), 303);
      const sent = await submitForm(
        cases,
        service,
        applicableAnswers(service.form, progress.answers),
        { submission, ...sentBy(request), accountId: request.account?.id ?? null },
      );
      if (request.account) await savedForms.discardForAccount(service, request.account.id);
      markSent(request.session, service, { submission, ref: sent.ref });
      return reply.redirect(`${base(service)}/confirmation`, 303);
    },
  );

  const emailField: Field = {
    type: 'email',
    name: 'email',
    label: 'Email address',
    optional: false,
  };
  const savePage = (
    reply: FastifyReply,
    service: FormService,
    raw: RawAnswer | undefined,
    error?: string,
    signedIn = false,
  ) =>
    reply.code(error ? 400 : 200).render('forms/views/save.njk', {
      pageTitle: `Save and come back later – ${service.name}`,
      service,
      signedIn,
      email: componentFor(emailField, raw, error).params,
      errorSummary: error ? [{ text: error, href: '#email' }] : [],
      days: SAVE_DAYS,
    });

  app.get<{ Params: Params }>('/services/:code/save', (request, reply) => {
    const service = serviceFor(request.params.code);
    const { answers } = loadProgress(request.session, service);
    if (Object.keys(answers).length === 0) return reply.redirect(`${base(service)}/start`, 303);
    if (request.account) return savePage(reply, service, undefined, undefined, true);
    return savePage(reply, service, typeof answers.email === 'string' ? answers.email : undefined);
  });

  app.post<{ Params: Params; Body: Body }>(
    '/services/:code/save',
    // Each save sends an email: a tight limit stops anyone using it to send mail to others.
    { config: { rateLimit: { max: 5, timeWindow: 60 * 60_000 } } },
    async (request, reply) => {
      const service = serviceFor(request.params.code);
      const { answers } = loadProgress(request.session, service);
      if (Object.keys(answers).length === 0) return reply.redirect(`${base(service)}/start`, 303);
      // Signed in: saved to their account, found again in My Account; no email needed.
      if (request.account) {
        const expires = await savedForms.saveForAccount(service, answers, request.account.id);
        return reply.render('forms/views/saved.njk', {
          pageTitle: `Your answers are saved – ${service.name}`,
          service,
          signedIn: true,
          expires,
        });
      }
      const reading = readField(emailField, request.body);
      if (reading.error || typeof reading.value !== 'string')
        return savePage(reply, service, reading.raw, reading.error);
      const expires = await savedForms.save(service, answers, reading.value);
      return reply.render('forms/views/saved.njk', {
        pageTitle: `Your answers are saved – ${service.name}`,
        service,
        email: reading.value,
        expires,
      });
    },
  );

  app.get<{ Params: Params & { token: string } }>(
    '/services/:code/resume/:token',
    async (request, reply) => {
      const service = serviceFor(request.params.code);
      const answers = await savedForms.resume(service, request.params.token);
      saveProgress(request.session, service, {
        ...loadProgress(request.session, service),
        answers,
      });
      return reply.redirect(resumeUrl(service, answers), 303);
    },
  );

  app.get<{ Params: Params }>('/services/:code/confirmation', async (request, reply) => {
    const service = serviceFor(request.params.code);
    const sent = lastSent(request.session, service);
    const found = sent && (await cases.getByRef(sent.ref));
    if (!found) return reply.redirect(base(service), 303);
    const noun = CASE_KINDS[found.kind].noun;
    return reply.render('forms/views/confirmation.njk', {
      pageTitle: `${capitalise(noun)} sent – ${service.name}`,
      service,
      found,
      noun,
    });
  });

  /** A file field: a new upload is checked by its content and stored; none keeps the earlier one. */
  async function readFile(
    field: Extract<Field, { type: 'file' }>,
    upload: Upload | undefined,
    earlier: Answer | undefined,
  ): Promise<{ raw: RawAnswer; value?: Answer; error?: string }> {
    if (!upload) {
      if (earlier) return { raw: '', value: earlier };
      return field.optional ? { raw: '' } : { raw: '', error: requiredError(field) };
    }
    const check = await checkUpload(field, upload);
    if (!check.ok) return { raw: '', error: check.error };
    const key = `uploads/${randomUUID()}.${check.extension}`;
    await files.put(key, upload.bytes);
    const value: FileAnswer = {
      key,
      filename: path.basename(upload.filename).slice(0, 200) || `upload.${check.extension}`,
      contentType: check.contentType,
      bytes: upload.bytes.length,
    };
    return { raw: '', value };
  }
}

/** Puts the page's title in the one field's label or legend, as its <h1>. */
function makePageHeading(params: Record<string, unknown>, title: string): void {
  if (params.label) {
    params.label = { text: title, classes: 'govuk-label--l', isPageHeading: true };
    return;
  }
  const fieldset = (params.fieldset ?? {}) as Record<string, unknown>;
  params.fieldset = {
    ...fieldset,
    legend: { text: title, classes: 'govuk-fieldset__legend--l', isPageHeading: true },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
