import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { resident, signedInOnly } from '../account/current.js';
import { casePath } from '../cases/kinds.js';
import { caseFromSurveyLink, subscriptionFromLink, unsubscribeUrl } from './links.js';

type Body = Record<string, unknown>;

/** The one question asked when a case closes, and its answers, best first. */
export const SATISFACTION = {
  question: 'How satisfied are you with how we handled this?',
  answers: {
    'very-satisfied': 'Very satisfied',
    satisfied: 'Satisfied',
    neither: 'Neither satisfied nor dissatisfied',
    dissatisfied: 'Dissatisfied',
    'very-dissatisfied': 'Very dissatisfied',
  },
} as const;
type Satisfaction = keyof typeof SATISFACTION.answers;

const LINK_NOT_RIGHT = 'This link is not right. Check you copied the whole link from the email.';

/**
 * What a resident does from a notification without signing in — stop updates about a case,
 * answer the satisfaction question — plus web push sign-up for the app, and the development
 * mailbox.
 */
export async function notificationsModule(
  app: FastifyInstance,
  { config, services }: ModuleOptions,
): Promise<void> {
  const { cases, notifications } = services;
  const profiles = services.accounts.profile();
  const settings = { publicUrl: config.publicUrl, secret: config.sessionSecret };

  // ---- Unsubscribe: a page with a button, and RFC 8058 one-click POST ----------------------

  const subscriptionOf = async (token: string) => {
    const id = subscriptionFromLink(config.sessionSecret, token);
    if (id === undefined) throw new NotFoundError(LINK_NOT_RIGHT);
    return { id, subscription: await cases.subscription(id) };
  };

  app.get<{ Params: { token: string } }>(
    '/notifications/unsubscribe/:token',
    async (request, reply) => {
      const { subscription } = await subscriptionOf(request.params.token);
      // Link checkers fetch links in emails: a GET only asks, never unsubscribes.
      if (!subscription) return reply.render('notifications/views/unsubscribed.njk', {});
      return reply.render('notifications/views/unsubscribe.njk', {
        pageTitle: `Stop updates about ${subscription.ref}`,
        subscription,
      });
    },
  );

  app.post<{ Params: { token: string } }>(
    '/notifications/unsubscribe/:token',
    // A mail provider's one-click POST has no session; the sealed link is the credential.
    { config: { csrf: false } },
    async (request, reply) => {
      const { id, subscription } = await subscriptionOf(request.params.token);
      if (subscription) await cases.unsubscribeById(id);
      return reply.render('notifications/views/unsubscribed.njk', {
        pageTitle: 'You will not get updates',
        subscription,
      });
    },
  );

  /** Links in emails sent before the links were sealed keep working. */
  app.get<{ Params: { token: string } }>('/track/unsubscribe/:token', async (request, reply) => {
    const found = await cases.findSubscription(request.params.token);
    if (!found) throw new NotFoundError(LINK_NOT_RIGHT);
    return reply.redirect(unsubscribeUrl(settings, found.id), 301);
  });

  // ---- The one-question satisfaction survey --------------------------------------------------

  const surveyCase = async (token: string) => {
    const caseId = caseFromSurveyLink(config.sessionSecret, token);
    const found = caseId === undefined ? undefined : await cases.getById(caseId);
    if (!found) throw new NotFoundError(LINK_NOT_RIGHT);
    return found;
  };

  const surveyPage = async (reply: FastifyReply, token: string, error?: string) => {
    const found = await surveyCase(token);
    return reply.code(error ? 400 : 200).render('notifications/views/survey.njk', {
      pageTitle: SATISFACTION.question,
      found,
      casePath: casePath(found),
      question: SATISFACTION.question,
      items: Object.entries(SATISFACTION.answers).map(([value, text]) => ({ value, text })),
      error,
      errorSummary: error ? [{ text: error, href: '#rating' }] : [],
    });
  };

  app.get<{ Params: { token: string } }>('/notifications/survey/:token', (request, reply) =>
    surveyPage(reply, request.params.token),
  );

  app.post<{ Params: { token: string }; Body: Body }>(
    '/notifications/survey/:token',
    { config: { rateLimit: { max: 10, timeWindow: 60_000 } } },
    async (request, reply) => {
      const found = await surveyCase(request.params.token);
      const rating = request.body.rating;
      if (typeof rating !== 'string' || !(rating in SATISFACTION.answers))
        return surveyPage(reply, request.params.token, 'Select how satisfied you are');
      const comment =
        typeof request.body.comment === 'string' ? request.body.comment.trim().slice(0, 1200) : '';
      await cases.recordEvent(found.id, {
        type: 'feedback',
        public: false,
        actor: { type: 'resident', name: found.contact.name },
        body: `${SATISFACTION.answers[rating as Satisfaction]}${comment ? `: ${comment}` : ''}`,
        data: { rating, ...(comment ? { comment } : {}) },
      });
      return reply.render('notifications/views/survey-done.njk', {
        pageTitle: 'Thank you for your feedback',
        found,
        casePath: casePath(found),
      });
    },
  );

  // ---- Web push for the installed app ------------------------------------------------------

  /** The VAPID public key a browser needs to subscribe. */
  app.get('/notifications/push/key', async () => ({
    publicKey: (await notifications.vapidKeys()).publicKey,
  }));

  await app.register((account: FastifyInstance, _options, done) => {
    account.addHook('preHandler', signedInOnly);
    account.post<{ Body: Body }>('/account/push-subscriptions', async (request, reply) => {
      const { endpoint, keys } = request.body as {
        endpoint?: unknown;
        keys?: { p256dh?: unknown; auth?: unknown };
      };
      if (
        typeof endpoint !== 'string' ||
        !/^https:\/\//.test(endpoint) ||
        endpoint.length > 2000 ||
        typeof keys?.p256dh !== 'string' ||
        typeof keys.auth !== 'string' ||
        !/^[\w-]{80,100}$/.test(keys.p256dh) ||
        !/^[\w-]{16,32}$/.test(keys.auth)
      )
        throw new ValidationError('This is not a push subscription a browser would send.');
      const { id } = resident(request);
      await notifications.addDevice(id, {
        endpoint,
        keys: { p256dh: keys.p256dh, auth: keys.auth },
      });
      // Turning notifications on in the app is asking to be told there: updates go to the
      // resident's devices from now on (and by email again if none of them is left).
      const profile = await profiles.get(id);
      if (profile && profile.preferences.channel !== 'app')
        await profiles.updatePreferences(id, { ...profile.preferences, channel: 'app' });
      return reply.code(201).send({ subscribed: true });
    });
    account.post<{ Body: Body }>('/account/push-subscriptions/remove', async (request, reply) => {
      const { endpoint } = request.body;
      if (typeof endpoint !== 'string') throw new ValidationError('Say which device to remove.');
      await notifications.removeDevice(resident(request).id, endpoint);
      return reply.code(204).send();
    });
    done();
  });

  // ---- The development mailbox: only in development ------------------------------------

  if (config.env !== 'development') return;

  app.get('/dev/mailbox', async (_request, reply) =>
    reply.render('notifications/views/mailbox.njk', {
      pageTitle: 'Development mailbox',
      messages: await notifications.mailbox(200),
    }),
  );

  app.get<{ Params: { id: string } }>('/dev/mailbox/:id', async (request, reply) => {
    const message = await notifications.mailboxMessage(Number(request.params.id) || 0);
    if (!message) throw new NotFoundError('There is no such message in the mailbox.');
    return reply.render('notifications/views/mailbox-message.njk', {
      pageTitle: message.subject,
      message,
      headers: Object.entries(JSON.parse(message.headers) as Record<string, string>),
    });
  });

  /** The HTML version on its own, as a mail client shows it: its inline styles need their own CSP. */
  app.get<{ Params: { id: string } }>('/dev/mailbox/:id/html', async (request, reply) => {
    const message = await notifications.mailboxMessage(Number(request.params.id) || 0);
    if (!message?.html) throw new NotFoundError('This message has no HTML version.');
    return reply
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; sandbox",
      )
      .type('text/html; charset=utf-8')
      .send(message.html);
  });
}
