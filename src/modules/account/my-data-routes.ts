import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { ValidationError } from '../../platform/errors.js';
import { displayAnswer, type Answer } from '../forms/fields.js';
import { errorSummary } from './inputs.js';
import { DELETE_WORDS, type SavedFormEntry } from './my-data.js';
import { resident, signedInOnly } from './current.js';
import { CHANNEL_WORDS, UPDATE_WORDS } from './profile-routes.js';

type Body = Record<string, unknown>;

const DELETE_LIMIT = { rateLimit: { max: 10, timeWindow: 15 * 60_000 } };

/**
 * Your data: everything we hold about the resident, as a page (/account/data) and a download
 * (/account/data.json), and deleting their account (/account/delete), after which only the
 * confirmation page (/account/deleted) is left, for anyone.
 */
export function myDataRoutes(app: FastifyInstance, options: ModuleOptions, done: () => void) {
  const { accounts, savedForms, catalogue } = options.services;
  const myData = accounts.myData();
  const profiles = accounts.profile();

  // Only the confirmation is open to anyone: by then there is nobody signed in.
  app.get('/account/deleted', (_request, reply) =>
    reply.render('account/views/deleted.njk', { pageTitle: 'Your account has been deleted' }),
  );

  void app.register((signedIn, _options, registered) => {
    signedIn.addHook('preHandler', signedInOnly);

    const collect = async (request: FastifyRequest) => {
      const { id } = resident(request);
      const forms: SavedFormEntry[] = (await savedForms.listForAccount(id)).map((saved) => ({
        name: catalogue.byCode(saved.serviceCode)?.name ?? saved.serviceCode,
        savedAt: saved.savedAt,
        expiresAt: saved.expiresAt,
      }));
      return myData.collect(id, forms);
    };

    signedIn.get('/account/data', async (request, reply) => {
      const data = await collect(request);
      return reply.render('account/views/data.njk', {
        pageTitle: 'Your data',
        data,
        channel: CHANNEL_WORDS[data.account.preferences.channel].text,
        updates: UPDATE_WORDS[data.account.preferences.updates],
        address: data.account.address
          ? displayAnswer(
              { type: 'address', name: 'address', label: 'Address', optional: true },
              data.account.address,
            )
          : [],
        cases: data.cases.map((found) => ({
          ...found,
          answers: answerRows(found.answers),
        })),
      });
    });

    signedIn.get('/account/data.json', async (request, reply) => {
      const data = await collect(request);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', 'attachment; filename="your-data.json"')
        .send(JSON.stringify(data, null, 2));
    });

    const deletePage = (reply: FastifyReply, hasPassword: boolean, error?: string) =>
      reply.code(error ? 400 : 200).render('account/views/delete.njk', {
        pageTitle: 'Delete your account',
        hasPassword,
        confirmation: hasPassword
          ? {
              id: 'confirmation',
              name: 'confirmation',
              label: { text: 'Enter your password to confirm', classes: 'govuk-label--s' },
              autocomplete: 'current-password',
              ...(error ? { errorMessage: { text: error } } : {}),
            }
          : {
              id: 'confirmation',
              name: 'confirmation',
              label: { text: `Type “${DELETE_WORDS}” to confirm`, classes: 'govuk-label--s' },
              autocomplete: 'off',
              spellcheck: false,
              ...(error ? { errorMessage: { text: error } } : {}),
            },
        errorSummary: errorSummary({ confirmation: error }),
      });

    const hasPassword = async (request: FastifyRequest) =>
      (await profiles.get(resident(request).id))?.hasPassword ?? false;

    signedIn.get('/account/delete', async (request, reply) =>
      deletePage(reply, await hasPassword(request)),
    );

    signedIn.post<{ Body: Body }>(
      '/account/delete',
      { config: DELETE_LIMIT },
      async (request, reply) => {
        const confirmation =
          typeof request.body.confirmation === 'string' ? request.body.confirmation : '';
        try {
          await myData.deleteAccount(resident(request).id, confirmation);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          return deletePage(reply, await hasPassword(request), err.message);
        }
        request.session.destroy();
        return reply.redirect('/account/deleted', 303);
      },
    );
    registered();
  });

  done();
}

/**
 * A case's answers as summary list rows: a form's answers as its questions put them, anything
 * else by name. The download has them exactly as stored.
 */
function answerRows(data: Record<string, unknown>) {
  const row = (question: string, answer: string) => ({
    key: { text: question },
    value: { text: answer },
  });
  const { answers } = data;
  const asked = Array.isArray(answers)
    ? answers.flatMap((entry: unknown) => {
        const { question, answer } = (entry ?? {}) as { question?: unknown; answer?: unknown };
        return typeof question === 'string' ? [row(question, answerText(answer))] : [];
      })
    : answers === undefined
      ? []
      : [row('answers', answerText(answers))];
  return [
    ...asked,
    ...Object.entries(data)
      .filter(([name]) => name !== 'answers' && name !== 'serviceVersion')
      .map(([name, answer]) => row(name, answerText(answer))),
  ];
}

/** An answer as one line of text for the page; the download has it exactly as stored. */
function answerText(answer: unknown): string {
  if (typeof answer === 'string' || typeof answer === 'number') return String(answer);
  if (typeof answer === 'boolean') return answer ? 'Yes' : 'No';
  if (Array.isArray(answer)) return answer.map(answerText).join(', ');
  if (answer && typeof answer === 'object') {
    const lines = displayAnswer(
      { type: 'address', name: 'answer', label: 'Answer', optional: true },
      answer as Answer,
    );
    return lines.length ? lines.join(', ') : JSON.stringify(answer);
  }
  return '';
}
