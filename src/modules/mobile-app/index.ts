import fastifyMultipart from '@fastify/multipart';
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import type { Config } from '../../platform/config.js';
import { ValidationError } from '../../platform/errors.js';
import { fieldText, readBody, type Body } from '../../platform/http/multipart.js';
import { APP_ICONS, type AssetManifest } from '../../platform/views/assets.js';
import type { Shell } from '../../web/sw.js';
import { sentBy } from '../backoffice/assisted.js';
import { componentFor, firstInputId } from '../forms/fields.js';
import { visibleFields } from '../forms/journey.js';
import { describeOpeningHours } from '../help/opening-hours.js';
import { statusTag } from '../account/dashboard.js';
import { idempotencyKey, readReportSubmission } from '../reports/api.js';
import { contactOfAccount, MAX_DESCRIPTION } from '../reports/draft.js';
import { REPORT_UPLOADS, SEND_RATE_LIMIT } from '../reports/index.js';
import { MAX_PHOTOS } from '../reports/photos.js';
import { categoryName, questionsPage, type Category } from '../reports/service.js';

/** Where the installed app opens. */
const APP_START_URL = '/app';
const OFFLINE_URL = '/offline';
/** The app's pages the worker keeps (as anyone sees them) for when there is no signal. */
const SHELL_PAGES = [APP_START_URL, '/app/report'];
const SHELL_CACHE_PREFIX = 'shire-shell-';
const srcDir = fileURLToPath(new URL('../../', import.meta.url));
/** The templates of the pages the worker keeps: a change to one is a new version of the app. */
const SHELL_TEMPLATES = [
  'platform/views/templates/layout.njk',
  'modules/mobile-app/views/home.njk',
  'modules/mobile-app/views/report.njk',
  'modules/mobile-app/views/offline.njk',
  'modules/forms/views/fields.njk',
].map((file) => path.join(srcDir, file));
/** How many of a resident's reports the app's home lists before "see all". */
const HOME_REPORTS = 5;

type Errors = Record<string, string>;

/**
 * The Report It app: the same pages, installable on a phone's home screen. This module
 * serves what makes them an app (the web app manifest, the service worker, which must come
 * from the root to control every page, and the page shown when there is no signal), the
 * app's home, and its one-page report form that also works with no signal.
 */
export async function mobileAppModule(app: FastifyInstance, options: ModuleOptions): Promise<void> {
  const { config, assets, services, gazetteer, files } = options;
  const { reports, accounts } = services;
  await app.register(fastifyMultipart, REPORT_UPLOADS);

  const manifest = JSON.stringify(webAppManifest(config, assets));
  app.get('/manifest.webmanifest', (_request, reply) =>
    reply
      .type('application/manifest+json; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(manifest),
  );

  const serviceWorker = await serviceWorkerScript(assets);
  app.get('/sw.js', (_request, reply) =>
    // no-cache: the browser must ask each time, or a new version would wait for the old to expire.
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(serviceWorker),
  );

  app.staticPage(OFFLINE_URL, 'mobile-app/views/offline.njk', {
    pageTitle: 'You are offline',
    openingHours: describeOpeningHours(config.council.openingHours),
  });

  // ---- Home ------------------------------------------------------------------------------

  app.get(APP_START_URL, async (request, reply) => {
    const account = request.account;
    const mine = account
      ? await accounts.listCases(account.id, { kind: 'report' }, { limit: HOME_REPORTS, offset: 0 })
      : { cases: [], total: 0 };
    return reply.header('cache-control', 'no-store').render('mobile-app/views/home.njk', {
      pageTitle: `${config.council.shortName} Report It`,
      account,
      reports: mine.cases.map((c) => ({ ...c, tag: statusTag(c) })),
      total: mine.total,
    });
  });

  // ---- Reporting, with or without a signal ----------------------------------------------

  /** The form, with the chosen category's questions; every category's, as templates, for the phone. */
  const reportPage = (
    reply: FastifyReply,
    request: FastifyRequest,
    values: Record<string, string>,
    raws: Body = {},
    errors: Errors = {},
  ) => {
    const chosen = reports.category(values.service_code);
    const fieldsOf = (category: Category) => visibleFields(questionsPage(category), {});
    const questions = chosen ? fieldsOf(chosen) : [];
    const anchor = (name: string) => {
      const field = questions.find((f) => f.name === name);
      return field ? firstInputId(field, errors[name]) : (FIELD_IDS[name] ?? name);
    };
    return reply
      .code(Object.keys(errors).length ? 400 : 200)
      .header('cache-control', 'no-store')
      .render('mobile-app/views/report.njk', {
        pageTitle: `${Object.keys(errors).length ? 'Error: ' : ''}Report a problem`,
        account: request.account,
        draftId: values.draft || randomUUID(),
        values,
        errors,
        errorSummary: Object.entries(errors).map(([name, text]) => ({
          text,
          href: `#${anchor(name)}`,
        })),
        categoryItems: reports.categories().map((c) => ({
          value: c.code,
          text: categoryName(c),
          hint: { text: c.summary },
          checked: c.code === chosen?.code,
        })),
        components: questions.map((f) =>
          componentFor(f, raws[f.name] as string | string[] | undefined, errors[f.name]),
        ),
        questionTemplates: reports.categories().map((c) => ({
          code: c.code,
          components: fieldsOf(c).map((f) => componentFor(f, undefined, undefined)),
        })),
        maxPhotos: MAX_PHOTOS,
        maxDescription: MAX_DESCRIPTION,
      });
  };

  app.get('/app/report', (request, reply) => reportPage(reply, request, {}));

  /** A fresh CSRF token for a send from the phone, and whether anyone is signed in. */
  app.get('/app/token', (request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .send({ token: reply.generateCsrf(), signedIn: request.account !== null }),
  );

  app.post('/app/reports', { config: { rateLimit: SEND_RATE_LIMIT } }, async (request, reply) => {
    const wantsJson = request.headers.accept?.includes('application/json') ?? false;
    const { fields, uploads } = await readBody(request);
    const account = request.account;
    let submission;
    try {
      submission = await readReportSubmission(
        fields,
        uploads,
        { reports, gazetteer, config, files },
        { signedIn: account !== null },
      );
    } catch (err) {
      // The phone shows the problem JSON's errors itself; a page shows them in its summary.
      if (wantsJson || !(err instanceof ValidationError)) throw err;
      const errors: Errors = {};
      for (const { field, message } of err.fieldErrors) errors[plainName(field)] ??= message;
      const values = Object.fromEntries(
        [
          'draft',
          'service_code',
          'address_string',
          'lat',
          'lng',
          'description',
          'name',
          'email',
          'phone',
          'show_name',
        ].map((name) => [name, fieldText(fields, name)]),
      );
      return reportPage(reply, request, values, fields, errors);
    }
    const opened = await reports.submit({
      // The phone's draft id: a send cut off and tried again opens the same case.
      id:
        idempotencyKey(request.headers['idempotency-key']) ??
        idempotencyKey(fieldText(fields, 'draft')) ??
        randomUUID(),
      ...submission,
      // Signed in with no details typed: the account is the contact.
      contact:
        submission.contact ??
        (account &&
          contactOfAccount(account, { showName: fieldText(fields, 'show_name') === 'true' })),
      accountId: account?.id ?? null,
      ...sentBy(request),
    });
    const url = `/reports/${opened.ref}`;
    if (wantsJson) return reply.code(201).send({ ref: opened.ref, url });
    request.session.set(SENT_KEY, opened.ref);
    return reply.redirect('/app/report/sent', 303);
  });

  app.get('/app/report/sent', async (request, reply) => {
    const ref = request.session.get(SENT_KEY);
    const found = typeof ref === 'string' ? await services.cases.getByRef(ref) : undefined;
    if (!found) return reply.redirect('/app/report', 303);
    return reply.render('mobile-app/views/sent.njk', { pageTitle: 'Report sent', found });
  });
}

const SENT_KEY = 'appReportSent';

/** Where each of the form's own fields' errors link to. */
const FIELD_IDS: Record<string, string> = {
  service_code: 'category',
  address_string: 'place',
  lat: 'place',
  lng: 'place',
};

/** `attribute[depth]` → `depth`: the form names questions plainly. */
function plainName(field: string): string {
  return /^attribute\[([^\]]+)\]/.exec(field)?.[1] ?? field;
}

function webAppManifest(config: Config, assets: AssetManifest) {
  const { name, shortName, brandColour } = config.council;
  return {
    // Fixed, so the app stays the same installed app if its start page moves.
    id: '/',
    name,
    short_name: shortName,
    description: `Report a problem to ${name} and follow its progress.`,
    lang: 'en-GB',
    start_url: APP_START_URL,
    scope: '/',
    display: 'standalone',
    theme_color: brandColour,
    background_color: brandColour,
    icons: APP_ICONS.filter((icon) => icon.purpose !== 'apple-touch').map((icon) => ({
      src: assets.url(icon.logical),
      sizes: `${icon.size}x${icon.size}`,
      type: 'image/png',
      purpose: icon.purpose,
    })),
  };
}

/** The app shell's scripts and stylesheets: what the app's pages need with no signal. */
function shellAssets(assets: AssetManifest): string[] {
  return [
    assets.url('app.css'),
    assets.url('app.js'),
    ...assets.chunksOf('app.js'),
    assets.url('report.css'),
    assets.url('mobile-app.js'),
    ...assets.chunksOf('mobile-app.js'),
  ];
}

/**
 * The built worker with its shell list in front. The cache is named after the worker, the
 * shell's files and the templates of the pages it keeps, so a change to any of them is a
 * new version that replaces the old cache. The icons are not stored: the browser fetches
 * them itself when it installs the app.
 */
async function serviceWorkerScript(assets: AssetManifest): Promise<string> {
  const code = await readFile(path.join(assets.dir, path.basename(assets.url('sw.js'))), 'utf8');
  const urls = [...new Set([...shellAssets(assets), assets.url('logo'), OFFLINE_URL])];
  const version = createHash('sha256').update(JSON.stringify(urls)).update(code);
  for (const template of SHELL_TEMPLATES) version.update(await readFile(template));
  const shell: Shell = {
    cache: SHELL_CACHE_PREFIX + version.digest('hex').slice(0, 12),
    cachePrefix: SHELL_CACHE_PREFIX,
    urls,
    pages: SHELL_PAGES,
    offlineUrl: OFFLINE_URL,
    icon: assets.url('icon-192.png'),
  };
  return `self.shireShell=${JSON.stringify(shell)};\n${code}`;
}
