import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { unseal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import {
  type EmailSender,
  PermanentFailure,
  type PushSender,
  type SmsSender,
} from '../../platform/outbox/senders.js';
import type { UpdateChoice } from '../account/profile.js';
import type { AccountService } from '../account/service.js';
import type { CaseService } from '../cases/service.js';
import type { CaseTemplate } from './fan-out.js';
import { unsubscribeUrl } from './links.js';
import { composeMessage, type Message, type TemplateData, type TemplateName } from './messages.js';
import * as q from './queries.js';
import { type Channel, DELIVERY_PURPOSE, type DeliverPayload } from './queue.js';
import { type Branding, renderEmail } from './render.js';

export interface Senders {
  email: EmailSender;
  /** Only when GOV.UK Notify is configured; without it, residents who chose text messages get email. */
  sms?: SmsSender | undefined;
  push: PushSender;
}

export interface DeliverDeps {
  db: Kysely<DB>;
  cases: CaseService;
  accounts: AccountService;
  senders: Senders;
  branding: Branding;
  secret: string;
  clock?: () => Date;
}

/** Which case messages each "which updates do you want?" answer lets through. */
const WANTED: Record<UpdateChoice, ReadonlySet<CaseTemplate>> = {
  every: new Set(['case-received', 'case-status-changed', 'case-public-update', 'case-closed']),
  status: new Set(['case-received', 'case-status-changed', 'case-closed']),
  finished: new Set(['case-closed']),
};
const isCaseTemplate = (name: string): name is CaseTemplate =>
  WANTED.every.has(name as CaseTemplate);

/** Where one delivery goes once preferences are applied: a channel and its address(es). */
type Route =
  | { channel: 'email'; to: string }
  | { channel: 'sms'; to: string; fallback: string; sender: SmsSender }
  | { channel: 'push'; targets: q.PushRow[]; fallback: string };

/**
 * The outbox job that sends one delivery. It checks, at send time, that the resident still
 * wants it and how; a delivery already sent is never sent again, and every email of one
 * delivery carries the same Message-ID, so the rare copy sent twice (the worker died between
 * the relay's "OK" and recording it) shows once in the resident's mailbox.
 */
export function deliver(deps: DeliverDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();
  return async (payload: unknown): Promise<void> => {
    const { deliveryId } = payload as DeliverPayload;
    const delivery = await q.findDelivery(deps.db, deliveryId);
    if (delivery?.status !== 'queued') return;
    const data = unseal(deps.secret, DELIVERY_PURPOSE, delivery.sealed);
    // Sealed with another SESSION_SECRET: it can never be sent, so retrying is pointless.
    if (data === undefined) {
      await q.finish(deps.db, delivery.id, 'failed', 'Its content could not be unsealed', now());
      return;
    }
    const route = await routeFor(deps, delivery);
    if (typeof route === 'string') {
      await q.finish(deps.db, delivery.id, 'skipped', route, now());
      return;
    }
    const message = composeMessage(
      delivery.template as TemplateName,
      data as TemplateData[TemplateName],
    );
    const unsubscribe =
      delivery.subscription_id !== null
        ? unsubscribeUrl(
            { publicUrl: deps.branding.publicUrl, secret: deps.secret },
            delivery.subscription_id,
          )
        : undefined;
    const sendEmail = async (to: string) => {
      const rendered = renderEmail(message, deps.branding, unsubscribe);
      try {
        const sent = await deps.senders.email.sendEmail({
          to,
          ...rendered,
          messageId: messageIdFor(delivery.key, deps.branding.publicUrl),
          ...(unsubscribe ? { unsubscribeUrl: unsubscribe } : {}),
        });
        return { channel: 'email' as Channel, to, detail: sent.id };
      } catch (err) {
        if (err instanceof PermanentFailure) await recordFailure(deps, delivery, 'email', to, err);
        throw err;
      }
    };

    let outcome: { channel: Channel; to: string; detail: string };
    try {
      if (route.channel === 'email') outcome = await sendEmail(route.to);
      else if (route.channel === 'sms') {
        outcome = await fallBackOnFailure(
          deps,
          delivery,
          'sms',
          route.to,
          async () => {
            const sent = await route.sender.sendSms({
              to: route.to,
              text: message.sms,
              reference: delivery.key,
            });
            return { channel: 'sms' as Channel, to: route.to, detail: sent.id };
          },
          () => sendEmail(route.fallback),
        );
      } else {
        outcome = await sendPushes(deps, route.targets, message, delivery.case_id, () =>
          sendEmail(route.fallback),
        );
      }
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err; // The outbox retries with backoff.
      await q.finish(deps.db, delivery.id, 'failed', err.message, now());
      return;
    }
    await q.finishSent(deps.db, delivery.id, outcome, now());
  };
}

/**
 * Applies the resident's preferences as they are now: a string says why it is not sent. One-off
 * messages (a sign-in link) and those to people without an account go to their address as queued.
 */
async function routeFor(deps: DeliverDeps, delivery: q.DeliveryRow): Promise<Route | string> {
  if (delivery.subscription_id !== null) {
    const subscription = await deps.cases.subscription(delivery.subscription_id);
    if (!subscription) return 'Unsubscribed before it was sent';
  }
  if (delivery.account_id === null || !isCaseTemplate(delivery.template))
    return delivery.recipient
      ? { channel: 'email', to: delivery.recipient }
      : 'There is no address to send it to';
  const profile = await deps.accounts.profile().get(delivery.account_id);
  if (!profile) return 'The account was deleted before it was sent';
  if (!WANTED[profile.preferences.updates].has(delivery.template))
    return `The resident asked for ${profile.preferences.updates === 'finished' ? 'only the final update' : 'only status changes'}`;
  if (profile.preferences.channel === 'sms' && deps.senders.sms && profile.phone)
    return { channel: 'sms', to: profile.phone, fallback: profile.email, sender: deps.senders.sms };
  if (profile.preferences.channel === 'app') {
    const targets = await q.pushSubscriptionsOf(deps.db, profile.id);
    if (targets.length > 0) return { channel: 'push', targets, fallback: profile.email };
  }
  return { channel: 'email', to: profile.email };
}

/** Tries SMS; if the number can never work, says so on the case and emails instead. */
async function fallBackOnFailure(
  deps: DeliverDeps,
  delivery: q.DeliveryRow,
  channel: Channel,
  to: string,
  send: () => Promise<{ channel: Channel; to: string; detail: string }>,
  fallback: () => Promise<{ channel: Channel; to: string; detail: string }>,
) {
  try {
    return await send();
  } catch (err) {
    if (!(err instanceof PermanentFailure)) throw err;
    await recordFailure(deps, delivery, channel, to, err);
    return fallback();
  }
}

/**
 * Sends to each of the resident's devices. A device whose subscription has gone is forgotten;
 * if none of them took it, the resident is emailed instead. A retry may push again to a
 * device that already had it: pushes share the case's tag, so the device shows one.
 */
async function sendPushes(
  deps: DeliverDeps,
  targets: q.PushRow[],
  message: Message,
  caseId: number | null,
  fallback: () => Promise<{ channel: Channel; to: string; detail: string }>,
) {
  let delivered = 0;
  for (const target of targets) {
    try {
      await deps.senders.push.sendPush(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        { ...message.push, ...(caseId !== null ? { tag: `case-${caseId}` } : {}) },
      );
      delivered++;
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err;
      await q.deletePushSubscription(deps.db, target.id);
    }
  }
  if (delivered === 0) return fallback();
  return { channel: 'push' as Channel, to: `${delivered} device(s)`, detail: 'pushed' };
}

/**
 * A permanent failure goes on the case's internal timeline, where staff see it; an email that
 * bounced marks the account, so the resident is asked to check the address when they next
 * sign in.
 */
async function recordFailure(
  deps: DeliverDeps,
  delivery: q.DeliveryRow,
  channel: Channel,
  to: string,
  err: PermanentFailure,
) {
  const how = { email: 'by email to', sms: 'by text message to', push: 'to the app of' }[channel];
  if (delivery.case_id !== null) {
    await deps.cases.recordEvent(delivery.case_id, {
      type: 'notification_failed',
      public: false,
      actor: { type: 'system', name: 'Notifications' },
      body: `We could not send an update ${how} ${to}. ${err.message}`,
      data: { channel, recipient: to, reason: err.reason },
    });
  }
  if (channel === 'email' && err.reason === 'bounced')
    await deps.accounts.profile().markEmailBounced(to);
}

/** The same Message-ID for every try of one delivery; mail clients show one copy per id. */
export function messageIdFor(key: string, publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${host}>`;
}
