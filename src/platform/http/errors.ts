import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { DomainError, ValidationError } from '../errors.js';

/** What a person is told for each status on an error page: a heading and what to do next. */
const PAGE_WORDS: Record<number, { title: string; paragraphs: string[] }> = {
  400: {
    title: 'There is a problem with your request',
    paragraphs: ['Something in the form or link you used was not right. Go back and try again.'],
  },
  403: {
    title: 'Sorry, you cannot do that',
    paragraphs: ['You do not have permission to see this page, or your session has ended.'],
  },
  404: {
    title: 'Page not found',
    paragraphs: [
      'If you typed the web address, check it is correct.',
      'If you pasted the web address, check you copied the entire address.',
    ],
  },
  405: { title: 'Page not found', paragraphs: ['This page cannot be used in that way.'] },
  413: {
    title: 'What you sent is too big',
    paragraphs: ['Go back and send a smaller file or a shorter answer.'],
  },
  415: {
    title: 'There is a problem with your request',
    paragraphs: ['We could not read what you sent. Go back and try again.'],
  },
  429: {
    title: 'Sorry, there have been too many attempts',
    paragraphs: ['Wait a minute, then try again.'],
  },
  500: {
    title: 'Sorry, there is a problem with the service',
    paragraphs: ['Try again later. Anything you had already sent us has been saved.'],
  },
  503: {
    title: 'Sorry, the service is unavailable',
    paragraphs: [
      'We are making some improvements. You will be able to use the service again soon.',
    ],
  },
};

/** Callers of /api/ (and anyone who asks for JSON rather than HTML) get RFC 9457 problem JSON. */
export function wantsProblemJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  const accept = request.headers.accept ?? '';
  return /application\/(problem\+)?json/.test(accept) && !accept.includes('text/html');
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
  /** Which field was wrong, for validation problems. */
  errors?: { field?: string; message: string }[];
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
): FastifyReply {
  if (wantsProblemJson(request)) {
    return reply
      .code(problem.status)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        ...problem,
        instance: request.url.split('?')[0],
        requestId: request.id,
      });
  }
  const words = PAGE_WORDS[problem.status] ?? PAGE_WORDS[problem.status >= 500 ? 500 : 400];
  const detail = problem.status >= 500 || problem.detail === problem.title ? [] : [problem.detail];
  reply.code(problem.status);
  try {
    return reply.render('errors/page.njk', {
      pageTitle: words?.title,
      paragraphs: [...detail, ...(words?.paragraphs ?? [])],
      reference: problem.status >= 500 ? request.id : undefined,
    });
  } catch (err) {
    // The error page itself failed (e.g. a broken template): never leave the person with nothing.
    request.log.error({ err }, 'error page failed to render');
    return reply.type('text/plain; charset=utf-8').send(`${words?.title ?? 'Error'}\n`);
  }
}

/** Turns any thrown error into the Problem a caller should see; anything unexpected is a 500 without details. */
export function problemFor(error: FastifyError | Error): Problem {
  if (error instanceof ValidationError)
    return {
      status: 400,
      title: error.title,
      detail: error.message,
      errors: error.fieldErrors.length
        ? error.fieldErrors
        : [{ field: error.field, message: error.message }],
    };
  if (error instanceof DomainError)
    return { status: error.status, title: error.title, detail: error.message };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return {
      status: 400,
      title: 'There is a problem',
      detail: 'Some of what you sent is not valid.',
      errors: fastifyError.validation.map((v) => ({
        field: (
          v.instancePath ||
          (v.params as { missingProperty?: string }).missingProperty ||
          ''
        ).replace(/^\//, ''),
        message: v.message ?? 'is not valid',
      })),
    };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const details: Record<string, string> = {
      FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than this service accepts.',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This content type is not accepted here.',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'The request said it was JSON but had no body.',
      FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
    };
    const detail =
      details[fastifyError.code] ??
      (fastifyError.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
        ? 'The request length is wrong.'
        : fastifyError.message);
    return {
      status,
      title: PAGE_WORDS[status]?.title ?? 'There is a problem with your request',
      detail,
    };
  }
  return {
    status: 500,
    title: 'Internal Server Error',
    detail: 'Something went wrong on our side.',
  };
}

/**
 * Maps errors once, for the whole app: unknown routes get 404, known routes used with the
 * wrong method 405 with an Allow header, and thrown errors their problem or page.
 */
export const errorsPlugin = fp(
  (app: FastifyInstance, _options: object, done: () => void) => {
    // Fastify answers 404 for a wrong method; a router of our own routes tells us which methods would work.
    const known = FindMyWay();
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD') continue;
        try {
          known.on(method as HTTPMethod, route.url, () => undefined);
        } catch {
          // Already known (e.g. a route registered for several methods).
        }
      }
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) =>
        known.find(m, path),
      );
      if (allowed.length > 0 && !allowed.includes(request.method as (typeof allowed)[number])) {
        void reply.header('allow', allowed.join(', '));
        return sendProblem(request, reply, {
          status: 405,
          title: 'Method Not Allowed',
          detail: `${request.method} is not allowed here; use ${allowed.join(' or ')}.`,
        });
      }
      return sendProblem(request, reply, {
        status: 404,
        title: 'Not Found',
        detail: `There is nothing at ${path}.`,
      });
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = problemFor(error);
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: error.code, status: problem.status }, problem.detail);
      return sendProblem(request, reply, problem);
    });
    done();
  },
  { name: 'shire-errors', dependencies: ['shire-render'] },
);
