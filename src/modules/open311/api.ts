import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { Case } from '../cases/service.js';
import { readWindow } from './dates.js';
import { KeyError, KeyRateError, open311Failure } from './errors.js';
import { FORMATS, List, open311Time, sendDocument, splitFormat, type Format } from './format.js';
import type { ApiKey } from './keys.js';
import { findRequests, readServiceRequest, serviceNotice, serviceRequestOf } from './requests.js';
import { serviceDefinition, serviceOf } from './services.js';
import { readPushedUpdate } from './updates.js';

/** When this API last changed, for discovery. */
const CHANGESET = new Date('2026-12-07T00:00:00Z');
const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';

type Query = Record<string, string | undefined>;
type Body = Record<string, unknown>;

/** A call made with a key: audited when it is answered, whatever the answer. */
interface KeyedCall {
  key: ApiKey;
  action: string;
  target: { type: string; id: string };
  /** Already in the audit log with the change it made (a pushed update). */
  audited: boolean;
}

/**
 * GeoReport v2 at /open311/v2, with mySociety's updates extension: Report It's categories as
 * services, reports as service requests (the reference is the service_request_id), and
 * updates both ways. Anyone may read; making a report or pushing an update needs a key an
 * administrator issued, with its own limit of calls a minute. Errors are Open311's
 * `<errors>`, in the format the path asked for.
 */
export function open311Api(app: FastifyInstance, options: ModuleOptions, done: () => void): void {
  const { services, config, gazetteer } = options;
  const { reports, cases, open311Keys, open311Updates } = services;
  const council = config.council;
  const jurisdiction = council.open311.jurisdictionId ?? new URL(config.publicUrl).hostname;
  const calls = new WeakMap<FastifyRequest, KeyedCall>();

  const formatOf = (request: FastifyRequest): Format =>
    splitFormat(request.url.split('?')[0] ?? '')?.format ?? 'xml';

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = open311Failure(error);
    if (error instanceof KeyRateError) void reply.header('retry-after', String(error.seconds));
    if (failure.status >= 500) request.log.error({ err: error }, 'open311 request failed');
    else request.log.info({ status: failure.status }, error.message);
    return sendDocument(reply, formatOf(request), failure.document, failure.status);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const failure = open311Failure(
      new NotFoundError(
        `There is nothing at ${request.method} ${path}. Paths end in .xml or .json; discovery.xml lists this API.`,
      ),
    );
    return sendDocument(reply, formatOf(request), failure.document, failure.status);
  });

  // Each key has its own budget of calls a minute, counted where the general limit is counted
  // (Redis, when there is more than one app node).
  const keyLimit = app.createRateLimit({
    keyGenerator: (request) => `open311-key:${String(calls.get(request)?.key.id)}`,
    max: (request) => calls.get(request)?.key.perMinute ?? 1,
    timeWindow: 60_000,
  });

  /** The key sent, checked and counted; undefined if none was sent and none is needed. */
  const useKey = async (
    request: FastifyRequest,
    given: unknown,
    action: string,
    required: boolean,
  ): Promise<KeyedCall | undefined> => {
    const value = typeof given === 'string' ? given.trim() : '';
    if (!value) {
      if (required)
        throw new KeyError(`api_key is required to do this: ask ${council.name} for one.`);
      return undefined;
    }
    const key = await open311Keys.verify(value);
    if (!key)
      throw new KeyError('api_key is not a key this council has issued, or it has been revoked.');
    const call: KeyedCall = {
      key,
      action,
      target: { type: 'open311', id: request.url.split('?')[0] ?? '' },
      audited: false,
    };
    calls.set(request, call);
    const limit = await keyLimit(request);
    if (!limit.isAllowed && limit.isExceeded)
      throw new KeyRateError(key.perMinute, limit.ttlInSeconds);
    return call;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const call = calls.get(request);
    if (call && !call.audited) {
      call.audited = true;
      await open311Keys.recordCall(call.key, {
        action: call.action,
        target: call.target,
        status: reply.statusCode,
      });
    }
    return payload;
  });

  /** An unknown jurisdiction is a 404, as the spec says; none given means ours. */
  const checkJurisdiction = (given: unknown) => {
    const value = typeof given === 'string' ? given.trim() : '';
    if (value && value !== jurisdiction)
      throw new NotFoundError(
        `jurisdiction_id "${value}" is not served here; this server is ${jurisdiction}.`,
      );
  };

  /** The first check of every call: where it is addressed, and the key if one was sent. */
  const begin = async (
    request: FastifyRequest,
    fields: Query | Body,
    action: string,
    keyRequired = false,
  ) => {
    checkJurisdiction(fields.jurisdiction_id ?? (request.query as Query).jurisdiction_id);
    return useKey(request, fields.api_key, action, keyRequired);
  };

  const asRequests = async (found: Case[]) => {
    const requests = [];
    for (const report of await Promise.all(found.map((c) => reports.publicReport(c)))) {
      if (!report) continue;
      requests.push(
        serviceRequestOf(report, {
          council,
          publicUrl: config.publicUrl,
          serviceNotice: serviceNotice(services.catalogue.byCode(report.category)),
        }),
      );
    }
    return { root: 'service_requests', value: new List('request', requests) };
  };

  for (const format of FORMATS) {
    app.get(`/discovery.${format}`, async (request, reply) => {
      await begin(request, request.query as Query, 'open311.discovery');
      const changeset = open311Time(CHANGESET);
      return sendDocument(reply, format, {
        root: 'discovery',
        value: {
          changeset,
          contact: `${council.name}: ${council.contact.email}, ${council.contact.phone}`,
          key_service: `Keys to make reports and send updates are issued by ${council.name}: ${council.contact.email}`,
          endpoints: new List('endpoint', [
            {
              specification: SPECIFICATION,
              url: `${config.publicUrl}/open311/v2`,
              changeset,
              type: 'production',
              formats: new List('format', ['text/xml', 'application/json']),
            },
          ]),
        },
      });
    });

    app.get(`/services.${format}`, async (request, reply) => {
      await begin(request, request.query as Query, 'open311.services');
      return sendDocument(reply, format, {
        root: 'services',
        value: new List('service', reports.categories().map(serviceOf)),
      });
    });

    app.get<{ Querystring: Query }>(`/requests.${format}`, async (request, reply) => {
      const query = request.query;
      await begin(request, query, 'open311.requests');
      const found = await findRequests(query, { cases, catalogue: services.catalogue }, new Date());
      return sendDocument(reply, format, await asRequests(found));
    });

    app.post(`/requests.${format}`, { config: { csrf: false } }, async (request, reply) => {
      const body = (request.body ?? {}) as Body;
      const call = await begin(request, body, 'open311.report', true);
      const code = typeof body.service_code === 'string' ? body.service_code.trim() : '';
      if (!code)
        throw new ValidationError(
          `service_code is required: services.${format} lists them`,
          'service_code',
        );
      const category = reports.category(code);
      if (!category)
        throw new ValidationError(
          `"${code}" is not a service here: services.${format} lists them`,
          'service_code',
        );
      const read = readServiceRequest(body, category, { council, gazetteer });
      const token = randomUUID();
      const opened = await reports.submit({
        id: tokenKey(token),
        category,
        ...read,
        photos: [],
        accountId: null,
        channel: 'api',
        actor: { type: 'system', name: call?.key.name ?? 'Open311' },
      });
      if (call) call.target = { type: 'case', id: opened.ref };
      return sendDocument(reply, format, {
        root: 'service_requests',
        value: new List('request', [
          {
            service_request_id: opened.ref,
            token,
            service_notice: serviceNotice(category) ?? '',
            account_id: '',
          },
        ]),
      });
    });

    app.get<{ Querystring: Query }>(`/servicerequestupdates.${format}`, async (request, reply) => {
      await begin(request, request.query, 'open311.updates');
      const window = readWindow(request.query, new Date());
      const updates = await open311Updates.feed(window);
      return sendDocument(reply, format, {
        root: 'service_request_updates',
        value: new List(
          'request_update',
          updates.map((u) => ({
            update_id: u.updateId,
            service_request_id: u.ref,
            status: u.status,
            updated_datetime: open311Time(u.updatedAt),
            description: u.description,
            media_url: u.mediaUrl,
          })),
        ),
      });
    });

    app.post(
      `/servicerequestupdates.${format}`,
      { config: { csrf: false } },
      async (request, reply) => {
        const body = (request.body ?? {}) as Body;
        const call = await begin(request, body, 'open311.update', true);
        if (!call) throw new KeyError('api_key is required to do this.');
        const update = readPushedUpdate(body, new Date());
        call.target = { type: 'case', id: update.ref };
        const answer = await open311Updates.push(call.key, update);
        // A new update is audited with the change it made; a repeat, as a call, when answered.
        call.audited = !answer.repeated;
        return sendDocument(reply, format, {
          root: 'service_request_updates',
          value: new List('request_update', [{ update_id: answer.updateId }]),
        });
      },
    );
  }

  /** `requests/PTH-4F7K-92QT.json` and the like: the id and the format, or a 404. */
  const withFormat = (file: string) => {
    const split = splitFormat(file);
    if (!split) throw new NotFoundError(`${file} does not end in .xml or .json.`);
    return split;
  };

  app.get<{ Params: { file: string } }>('/services/:file', async (request, reply) => {
    const { name, format } = withFormat(request.params.file);
    await begin(request, request.query as Query, 'open311.service');
    const category = reports.category(name);
    if (!category)
      throw new NotFoundError(`There is no service "${name}": services.${format} lists them.`);
    return sendDocument(reply, format, {
      root: 'service_definition',
      value: serviceDefinition(category),
    });
  });

  app.get<{ Params: { file: string } }>('/requests/:file', async (request, reply) => {
    const { name, format } = withFormat(request.params.file);
    const call = await begin(request, request.query as Query, 'open311.request');
    const report = await reports.byRef(name).catch((err: unknown) => {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`There is no service request ${name}.`);
      throw err;
    });
    if (call) call.target = { type: 'case', id: report.ref };
    const document = await asRequests([report]);
    if (document.value.items.length === 0)
      throw new NotFoundError(`There is no service request ${name}.`);
    return sendDocument(reply, format, document);
  });

  app.get<{ Params: { file: string } }>('/tokens/:file', async (request, reply) => {
    const { name, format } = withFormat(request.params.file);
    await begin(request, request.query as Query, 'open311.token');
    const found = /^[0-9a-f-]{36}$/i.test(name)
      ? await cases.getByIdempotencyKey(`report:${tokenKey(name.toLowerCase())}`)
      : undefined;
    if (!found) throw new NotFoundError(`There is no token ${name}.`);
    return sendDocument(reply, format, {
      root: 'service_requests',
      value: new List('request', [{ service_request_id: found.ref, token: name }]),
    });
  });

  done();
}

/** A report's idempotency id from its Open311 token, so tokens/{token} finds only these. */
function tokenKey(token: string): string {
  return `open311:${token}`;
}
