import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { resident, signedInOnly } from './current.js';
import { ValidationError } from '../../platform/errors.js';
import type { Field } from '../catalogue/definition.js';
import {
  componentFor,
  displayAnswer,
  firstInputId,
  rawFromAnswer,
  readField,
  type AddressAnswer,
  type RawAnswer,
} from '../forms/fields.js';
import { signInProof, signInSession } from './current.js';
import { FLASH } from './dashboard.js';
import {
  emailInput,
  errorSummary,
  nameInput,
  readEmail,
  readName,
  safeReturnPath,
} from './inputs.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import { CHANNELS, UPDATE_CHOICES, type UpdateChannel, type UpdateChoice } from './profile.js';

type Body = Record<string, unknown>;

const TOKEN = /^[\w-]{43}$/;
/** Where a resident whose email bounced is sent after signing in. */
export const EMAIL_BOUNCED_PATH = '/account/email-bounced';
const PASSWORD_LIMIT = { rateLimit: { max: 10, timeWindow: 15 * 60_000 } };
const EMAIL_LIMIT = { rateLimit: { max: 10, timeWindow: 15 * 60_000 } };

const PHONE: Field = {
  type: 'phone',
  name: 'phone',
  label: 'UK phone number (optional)',
  hint: 'For example, 07700 900 982. We will use it if we need to call you about something you have sent us.',
  optional: true,
};
const ADDRESS: Field = {
  type: 'address',
  name: 'address',
  label: 'Your address (optional)',
  hint: 'We fill it in for you on forms that ask for it.',
  optional: true,
};

export const CHANNEL_WORDS: Record<UpdateChannel, { text: string; hint?: string }> = {
  email: { text: 'Email' },
  sms: {
    text: 'Text message',
    hint: 'To the UK mobile number in your details. If we cannot send a text, we will email you.',
  },
  app: {
    text: 'Notification on your phone from the council app',
    hint: 'On each phone where you installed the app and allowed notifications. Until then, we will email you.',
  },
};
export const UPDATE_WORDS: Record<UpdateChoice, string> = {
  every: 'Every update',
  status: 'Only when the status changes',
  finished: 'Only when it is finished',
};

/**
 * Your details (/account/profile): name, phone and address; how and when we tell you about
 * updates; a new email address, confirmed from a link sent to it; and a new password.
 */
export function profileRoutes(app: FastifyInstance, options: ModuleOptions, done: () => void) {
  const profiles = options.services.accounts.profile();
  app.addHook('preHandler', signedInOnly);

  const takeFlash = (request: FastifyRequest) => {
    const flash = request.session.get(FLASH);
    if (flash !== undefined) request.session.delete(FLASH);
    return typeof flash === 'string' ? flash : undefined;
  };
  const done303 = (request: FastifyRequest, reply: FastifyReply, flash: string) => {
    request.session.set(FLASH, flash);
    return reply.redirect('/account/profile', 303);
  };
  const profileOf = async (request: FastifyRequest) => {
    const found = await profiles.get(resident(request).id);
    if (!found) throw new Error('signed-in account has gone');
    return found;
  };

  app.get('/account/profile', async (request, reply) => {
    const profile = await profileOf(request);
    return reply.render('account/views/profile.njk', {
      pageTitle: 'Your details',
      flash: takeFlash(request),
      profile,
      address: profile.address ? displayAnswer(ADDRESS, profile.address) : [],
      channel: CHANNEL_WORDS[profile.preferences.channel],
      updates: UPDATE_WORDS[profile.preferences.updates],
    });
  });

  // ---- Name, phone and address ------------------------------------------------------------

  const detailsPage = (
    reply: FastifyReply,
    raw: { name: string; phone: RawAnswer | undefined; address: RawAnswer | undefined },
    errors: { name?: string | undefined; phone?: string | undefined; address?: string } = {},
  ) =>
    reply
      .code(errorSummary(errors).length ? 400 : 200)
      .render('account/views/profile-details.njk', {
        pageTitle: 'Change your name, phone number and address',
        name: nameInput(raw.name, errors.name),
        components: [
          componentFor(PHONE, raw.phone, errors.phone),
          componentFor(ADDRESS, raw.address, errors.address),
        ],
        errorSummary: [
          ...errorSummary({ name: errors.name }),
          ...(errors.phone ? [{ text: errors.phone, href: `#${firstInputId(PHONE)}` }] : []),
          ...(errors.address
            ? [{ text: errors.address, href: `#${firstInputId(ADDRESS, errors.address)}` }]
            : []),
        ],
      });

  app.get('/account/profile/details', async (request, reply) => {
    const profile = await profileOf(request);
    return detailsPage(reply, {
      name: profile.name ?? '',
      phone: profile.phone ?? '',
      address: profile.address ? rawFromAnswer(ADDRESS, profile.address) : undefined,
    });
  });

  app.post<{ Body: Body }>('/account/profile/details', async (request, reply) => {
    const name = readName(request.body);
    const phone = readField(PHONE, request.body);
    const address = readField(ADDRESS, request.body);
    if (name.error || phone.error || address.error)
      return detailsPage(
        reply,
        { name: name.raw, phone: phone.raw, address: address.raw },
        { name: name.error, phone: phone.error, address: address.error },
      );
    await profiles.updateDetails(resident(request).id, {
      name: name.value,
      phone: typeof phone.value === 'string' ? phone.value : null,
      address: (address.value as AddressAnswer | undefined) ?? null,
    });
    return done303(request, reply, 'Your details have been saved.');
  });

  // ---- How and when we tell you about updates ------------------------------------------

  const preferencesPage = (
    reply: FastifyReply,
    values: { channel: string | undefined; updates: string | undefined },
    errors: { channel?: string | undefined; updates?: string | undefined } = {},
  ) =>
    reply
      .code(errorSummary(errors).length ? 400 : 200)
      .render('account/views/profile-preferences.njk', {
        pageTitle: 'How we tell you about updates',
        channel: {
          idPrefix: 'channel',
          name: 'channel',
          fieldset: {
            legend: {
              text: 'How do you want us to tell you?',
              classes: 'govuk-fieldset__legend--m',
            },
          },
          items: CHANNELS.map((value) => ({
            value,
            text: CHANNEL_WORDS[value].text,
            ...(CHANNEL_WORDS[value].hint ? { hint: { text: CHANNEL_WORDS[value].hint } } : {}),
            checked: values.channel === value,
          })),
          ...(errors.channel ? { errorMessage: { text: errors.channel } } : {}),
        },
        updates: {
          idPrefix: 'updates',
          name: 'updates',
          fieldset: {
            legend: { text: 'Which updates do you want?', classes: 'govuk-fieldset__legend--m' },
          },
          hint: { text: 'About each of your reports, applications and bookings.' },
          items: UPDATE_CHOICES.map((value) => ({
            value,
            text: UPDATE_WORDS[value],
            checked: values.updates === value,
          })),
          ...(errors.updates ? { errorMessage: { text: errors.updates } } : {}),
        },
        errorSummary: errorSummary(errors),
      });

  app.get('/account/profile/preferences', async (request, reply) => {
    const { preferences } = await profileOf(request);
    return preferencesPage(reply, preferences);
  });

  app.post<{ Body: Body }>('/account/profile/preferences', async (request, reply) => {
    const chosen = { channel: request.body.channel, updates: request.body.updates };
    const channel = CHANNELS.find((value) => value === chosen.channel);
    const updates = UPDATE_CHOICES.find((value) => value === chosen.updates);
    if (!channel || !updates)
      return preferencesPage(
        reply,
        { channel, updates },
        {
          channel: channel ? undefined : 'Select how you want us to tell you about updates',
          updates: updates ? undefined : 'Select which updates you want',
        },
      );
    await profiles.updatePreferences(resident(request).id, { channel, updates });
    return done303(
      request,
      reply,
      channel === 'email'
        ? 'Your choices have been saved.'
        : channel === 'sms'
          ? 'Your choices have been saved. Until text messages are available, we will email you.'
          : 'Your choices have been saved. Turn on notifications in the Report It app on your phone; until then, we will email you.',
    );
  });

  // ---- A new email address ------------------------------------------------------------

  const emailPage = (reply: FastifyReply, raw: string, current: string, error?: string) =>
    reply.code(error ? 400 : 200).render('account/views/profile-email.njk', {
      pageTitle: 'Change your email address',
      current,
      email: {
        ...emailInput(
          raw,
          error,
          'We will email a link to the new address. Your address changes when you use it.',
        ),
        label: { text: 'New email address', classes: 'govuk-label--s' },
      },
      errorSummary: errorSummary({ email: error }),
    });

  app.get('/account/profile/email', (request, reply) =>
    emailPage(reply, '', resident(request).email),
  );

  app.post<{ Body: Body }>(
    '/account/profile/email',
    { config: EMAIL_LIMIT },
    async (request, reply) => {
      const account = resident(request);
      const email = readEmail(request.body);
      if (email.error) return emailPage(reply, email.raw, account.email, email.error);
      const outcome = await profiles.requestEmailChange(account.id, email.value);
      if (outcome === 'same')
        return emailPage(reply, email.raw, account.email, 'That is already your email address');
      return done303(
        request,
        reply,
        `We have sent an email to ${email.value}. Use the link in it within 24 hours, while signed in, to confirm your new email address.`,
      );
    },
  );

  // ---- Email to them bounced (notifications marked it) -----------------------------------

  app.get<{ Querystring: { returnTo?: string } }>(EMAIL_BOUNCED_PATH, (request, reply) =>
    reply.render('account/views/email-bounced.njk', {
      pageTitle: 'Check your email address',
      email: resident(request).email,
      returnTo: safeReturnPath(request.query.returnTo) ?? '/account',
    }),
  );

  app.post<{ Body: Body }>(EMAIL_BOUNCED_PATH, async (request, reply) => {
    await profiles.confirmEmailWorks(resident(request).id);
    const returnTo = typeof request.body.returnTo === 'string' ? request.body.returnTo : undefined;
    return reply.redirect(safeReturnPath(returnTo) ?? '/account', 303);
  });

  const linkGone = (reply: FastifyReply) =>
    reply.code(404).render('account/views/link-gone.njk', {
      pageTitle: 'This link has expired or has already been used',
      again: { href: '/account/profile/email', text: 'Change your email address again' },
    });

  app.get<{ Params: { token: string } }>(
    '/account/profile/email/:token',
    async (request, reply) => {
      const { token } = request.params;
      const email = TOKEN.test(token)
        ? await profiles.emailChangeFor(resident(request).id, token)
        : undefined;
      if (!email) return linkGone(reply);
      // A button, not the link itself: email scanners that open links would use it up.
      return reply.render('account/views/profile-email-confirm.njk', {
        pageTitle: 'Confirm your new email address',
        email,
        action: `/account/profile/email/${token}`,
      });
    },
  );

  app.post<{ Params: { token: string } }>(
    '/account/profile/email/:token',
    { config: EMAIL_LIMIT },
    async (request, reply) => {
      const { token } = request.params;
      const email = TOKEN.test(token)
        ? await profiles.confirmEmailChange(resident(request).id, token)
        : undefined;
      if (!email) return linkGone(reply);
      return done303(request, reply, `Your email address is now ${email}.`);
    },
  );

  // ---- A new password -----------------------------------------------------------------

  const passwordPage = (
    reply: FastifyReply,
    hasPassword: boolean,
    errors: { 'current-password'?: string | undefined; password?: string | undefined } = {},
  ) =>
    reply
      .code(errorSummary(errors).length ? 400 : 200)
      .render('account/views/profile-password.njk', {
        pageTitle: hasPassword ? 'Change your password' : 'Create a password',
        hasPassword,
        current: hasPassword
          ? {
              id: 'current-password',
              name: 'currentPassword',
              label: { text: 'Current password', classes: 'govuk-label--s' },
              autocomplete: 'current-password',
              ...(errors['current-password']
                ? { errorMessage: { text: errors['current-password'] } }
                : {}),
            }
          : undefined,
        password: {
          id: 'password',
          name: 'password',
          label: { text: 'New password', classes: 'govuk-label--s' },
          autocomplete: 'new-password',
          hint: {
            text: `Your password must be at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words together make a strong password that is easy to remember.`,
          },
          ...(errors.password ? { errorMessage: { text: errors.password } } : {}),
        },
        errorSummary: errorSummary(errors),
      });

  app.get('/account/profile/password', async (request, reply) =>
    passwordPage(reply, (await profileOf(request)).hasPassword),
  );

  app.post<{ Body: Body }>(
    '/account/profile/password',
    { config: PASSWORD_LIMIT },
    async (request, reply) => {
      const account = resident(request);
      const text = (value: unknown) => (typeof value === 'string' ? value : '');
      try {
        const { changedAt } = await profiles.changePassword(
          account.id,
          text(request.body.currentPassword),
          text(request.body.password),
        );
        // Other devices are signed out; this one stays signed in, as it signed in.
        signInSession(request.session, account.id, changedAt, signInProof(request));
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const { hasPassword } = await profileOf(request);
        return passwordPage(reply, hasPassword, { [err.field ?? 'password']: err.message });
      }
      return done303(request, reply, 'Your password has been changed.');
    },
  );

  done();
}
