import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { randomUUID } from 'node:crypto';
import type { Agent as HttpsAgent } from 'node:https';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createBus, type Bus } from './platform/bus/bus.js';
import type { Config } from './platform/config.js';
import { Database } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrations/index.js';
import type { DB } from './platform/db/types.js';
import { errorsPlugin, sendProblem } from './platform/http/errors.js';
import { observability } from './platform/http/observability.js';
import { renderPlugin } from './platform/http/render.js';
import { csrf, rateLimits, securityHeaders } from './platform/http/security.js';
import { sessionPlugin } from './platform/http/session.js';
import { DatabaseSessionStore, RedisSessionStore } from './platform/http/session-stores.js';
import { Gazetteer } from './platform/geo/gazetteer.js';
import { createLogger } from './platform/logger.js';
import { Worker } from './platform/outbox/worker.js';
import { LocalFileStorage, type FileStorage } from './platform/storage/storage.js';
import { buildAssets, type AssetManifest } from './platform/views/assets.js';
import { createViews } from './platform/views/views.js';
import { accountPlugin } from './modules/account/current.js';
import { accountModule } from './modules/account/index.js';
import { ExternalSignIn } from './modules/account/oidc.js';
import { AccountService } from './modules/account/service.js';
import { TwoFactorService } from './modules/account/two-factor.js';
import { apiModule } from './modules/api/index.js';
import { casesModule } from './modules/cases/index.js';
import { loadCatalogue } from './modules/catalogue/definition.js';
import { catalogueModule } from './modules/catalogue/index.js';
import { formsModule } from './modules/forms/index.js';
import { SavedForms } from './modules/forms/saved.js';
import { CatalogueService } from './modules/catalogue/service.js';
import { ServiceSettings } from './modules/catalogue/settings.js';
import { CaseService } from './modules/cases/service.js';
import { helpModule } from './modules/help/index.js';
import { homeModule } from './modules/home/index.js';
import { mobileAppModule } from './modules/mobile-app/index.js';
import { reportsModule } from './modules/reports/index.js';
import { ReportService } from './modules/reports/service.js';
import { createSenders, jobHandlers } from './jobs.js';
import { notificationsModule } from './modules/notifications/index.js';
import { assistedPlugin } from './modules/backoffice/assisted.js';
import { backOfficeModule } from './modules/backoffice/index.js';
import { BackOffice } from './modules/backoffice/service.js';
import { CategoryAdmin } from './modules/backoffice/categories.js';
import { NotificationService } from './modules/notifications/service.js';
import fastifyWebsocket from '@fastify/websocket';
import { chatModule } from './modules/chat/index.js';
import { ChatHub } from './modules/chat/hub.js';
import { MAX_FRAME } from './modules/chat/protocol.js';
import { ChatService } from './modules/chat/service.js';
import { AgentConsole } from './modules/chat/console.js';
import { open311Module } from './modules/open311/index.js';
import { ApiKeys } from './modules/open311/keys.js';
import { Open311Updates } from './modules/open311/updates.js';
import { checkEndpoints, Open311Outgoing } from './modules/open311/outgoing.js';
import { RemoteUpdates } from './modules/open311/remote-updates.js';

/** Domain services, built in one place; modules get them through their plugin options. */
export function createServices(
  database: Database<DB>,
  config: Config,
  clocks: { chatHours?: () => Date } = {},
) {
  const cases = new CaseService(database.db);
  const catalogue = new CatalogueService(loadCatalogue(config.servicesDir));
  const accounts = new AccountService(database.db, cases, {
    secret: config.sessionSecret,
    publicUrl: config.publicUrl,
    councilName: config.council.name,
  });
  // Reports some categories or areas are sent on to other Open311 servers (council.yaml).
  checkEndpoints(config.open311SendTo, catalogue);
  const reports = new ReportService(cases, catalogue, config.council, [
    Open311Outgoing.routeWhenOpened(config.open311SendTo),
  ]);
  const open311Outgoing = new Open311Outgoing(database.db, cases, reports, {
    endpoints: config.open311SendTo,
    publicUrl: config.publicUrl,
  });
  const settings = new ServiceSettings(database.db, catalogue, config.council.unitCosts);
  const chat = new ChatService(database.db, cases, catalogue, {
    council: config.council,
    secret: config.sessionSecret,
    publicUrl: config.publicUrl,
    ...(clocks.chatHours ? { now: clocks.chatHours } : {}),
  });
  return {
    cases,
    catalogue,
    accounts,
    notifications: new NotificationService(database.db, config.sessionSecret),
    savedForms: new SavedForms(database.db, {
      secret: config.sessionSecret,
      publicUrl: config.publicUrl,
      councilName: config.council.name,
    }),
    externalSignIn: new ExternalSignIn(database.db, config.oidcProviders, config.publicUrl),
    twoFactor: new TwoFactorService(database.db, {
      secret: config.sessionSecret,
      councilName: config.council.name,
    }),
    reports,
    settings,
    backOffice: new BackOffice(database.db, cases, accounts, catalogue, reports, settings),
    categoryAdmin: new CategoryAdmin(database.db, catalogue, settings),
    chat,
    agentConsole: new AgentConsole(chat, cases, catalogue),
    open311Keys: new ApiKeys(database.db),
    open311Updates: new Open311Updates(database.db, cases, reports),
    open311Outgoing,
    open311RemoteUpdates: new RemoteUpdates(database.db, cases, open311Outgoing, {
      endpoints: config.open311SendTo,
    }),
  };
}
export type Services = ReturnType<typeof createServices>;

/** What every module plugin is given. */
export interface ModuleOptions {
  config: Config;
  services: Services;
  /** Realtime pub/sub across app nodes (in-memory, or Redis when REDIS_URL is set). */
  bus: Bus;
  /** Uploaded files (local disk under DATA_DIR/files). */
  files: FileStorage;
  /** The council's streets, places and postcodes (docs/gazetteer.md), loaded once. */
  gazetteer: Gazetteer;
  /** Live chat's sockets on this node, joined to every node through the bus. */
  chatHub: ChatHub;
  /** The built stylesheets, scripts and images (served under /assets/). */
  assets: AssetManifest;
}

export interface AppDependencies {
  /** An already-open database (tests pass one per test); otherwise opened from config. */
  database?: Database<DB>;
  logger?: Logger;
  /** Where built assets are cached; defaults to data/assets. */
  assetCacheDir?: string;
  /** The time live chat's opening hours are checked against; tests fix it. */
  chatHoursClock?: () => Date;
  /** Trusts a push service's own certificate authority: a local push service in tests. */
  pushAgent?: HttpsAgent;
}

export function openDatabase(config: Config): Database<DB> {
  return Database.open<DB>({
    url: config.databaseUrl,
    file: path.join(config.dataDir, 'shire.db'),
  });
}

/**
 * Builds the whole platform and never listens: main.ts listens, tests call inject().
 * Cross-cutting setup runs in a deliberate order: logging and ids, security headers,
 * body parsing, sessions and CSRF, rate limits, views and errors, then each module.
 */
export async function buildApp(
  config: Config,
  deps: AppDependencies = {},
): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const database = deps.database ?? openDatabase(config);
  await migrateToLatest(database);
  const assets = await buildAssets({
    brandColour: config.council.brandColour,
    cacheDir: deps.assetCacheDir ?? path.join(config.dataDir, 'assets'),
    ...(config.logoPath ? { logoPath: config.logoPath } : {}),
  });
  // Connections after anything that can fail on its own, so a failed start leaves none open.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
    : undefined;
  const services = createServices(
    database,
    config,
    deps.chatHoursClock ? { chatHours: deps.chatHoursClock } : {},
  );
  const bus = createBus(config.redisUrl, (err) => {
    logger.warn({ err }, 'the Redis bus connection had an error; it reconnects by itself');
  });
  const chatHub = new ChatHub(bus, services.chat, logger);

  // Typed as Fastify's logger so plugins see a plain FastifyInstance; it is the same pino logger.
  const requestLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: requestLogger,
    // Trust a caller's request id only if it looks like one, so logs can't be forged.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  securityHeaders(app, config);
  await app.register(fastifyCompress, { threshold: 1024 });
  await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME } });
  const sessionStore = redis ? new RedisSessionStore(redis) : new DatabaseSessionStore(database.db);
  // Redis expires its own keys; the sessions table needs sweeping now and then.
  const sweep =
    sessionStore instanceof DatabaseSessionStore
      ? setInterval(() => {
          sessionStore.prune().catch((err: unknown) => {
            logger.warn({ err }, 'could not prune expired sessions');
          });
        }, 60 * 60_000).unref()
      : undefined;
  await app.register(fastifyCookie);
  await app.register(sessionPlugin, {
    store: sessionStore,
    secret: config.sessionSecret,
    secureCookies: config.secureCookies,
  });
  csrf(app);
  await rateLimits(app, config, redis);
  await app.register(renderPlugin, { views: createViews(), assets, config });
  await app.register(errorsPlugin);
  await app.register(fastifyStatic, {
    root: assets.dir,
    prefix: '/assets/',
    // Names carry a content hash, so a file under a name never changes.
    immutable: true,
    maxAge: '365d',
    index: false,
  });

  // Browsers and feed readers ask for /favicon.ico on pages that name no icon (an Atom feed).
  app.get('/favicon.ico', (_request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').redirect(assets.url('favicon.svg'), 302),
  );

  if (config.maintenanceMode) {
    app.addHook('onRequest', (request, reply, done) => {
      if (request.url.startsWith('/health/') || request.url.startsWith('/assets/')) {
        done();
        return;
      }
      void reply.header('retry-after', '3600');
      void sendProblem(request, reply, {
        status: 503,
        title: 'Service Unavailable',
        detail: 'Down for maintenance.',
      });
    });
  }

  observability(app, database);
  const moduleOptions: ModuleOptions = {
    config,
    services,
    bus,
    files: new LocalFileStorage(path.join(config.dataDir, 'files')),
    gazetteer: config.gazetteerPath
      ? await Gazetteer.load(config.gazetteerPath, logger)
      : Gazetteer.fromPlaces([]),
    chatHub,
    assets,
  };
  // Before the modules, so every route knows who is signed in (request.account).
  await app.register(accountPlugin, moduleOptions);
  await app.register(assistedPlugin);
  await app.register(homeModule, moduleOptions);
  await app.register(helpModule, moduleOptions);
  await app.register(mobileAppModule, moduleOptions);
  await app.register(casesModule, moduleOptions);
  await app.register(catalogueModule, moduleOptions);
  await app.register(formsModule, moduleOptions);
  await app.register(reportsModule, moduleOptions);
  await app.register(apiModule, moduleOptions);
  await app.register(accountModule, moduleOptions);
  await app.register(notificationsModule, moduleOptions);
  await app.register(backOfficeModule, moduleOptions);
  await app.register(chatModule, moduleOptions);
  await app.register(open311Module, moduleOptions);

  const senders = config.inProcessWorker
    ? createSenders({ config, services, database, logger, pushAgent: deps.pushAgent })
    : undefined;
  const worker = senders
    ? new Worker(database, {
        handlers: jobHandlers({ config, services, database, logger, senders }),
        logger,
        concurrency: config.workerConcurrency,
      })
    : undefined;
  app.addHook('onReady', async () => {
    // Administrators' team and SLA choices apply on every node, now and when changed.
    await services.settings.listen(bus, (err) => {
      logger.error({ err }, 'could not reload the service settings');
    });
    // Web push keys are made on the first start and kept; a later start finds them.
    await services.notifications.vapidKeys().catch((err: unknown) => {
      logger.error({ err }, 'web push is off: its keys could not be loaded');
    });
    await chatHub.start();
    // The worker reads other Open311 servers' updates on a schedule it keeps in the outbox.
    if (worker) await services.open311RemoteUpdates.schedule();
    worker?.start();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await chatHub.stop();
    await worker?.stop();
    senders?.close();
    await bus.close();
    await redis?.quit();
    // A database handed in by the caller is the caller's to close.
    if (!deps.database) await database.close();
  });
  return app;
}
