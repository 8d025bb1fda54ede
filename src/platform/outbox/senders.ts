/**
 * What every way of reaching a resident has in common. A sender either delivers, throws a
 * PermanentFailure (retrying can never help: the address bounced, the number is not a mobile,
 * the push subscription has gone), or throws any other error, which the outbox retries with
 * backoff.
 */

export type FailureReason = 'bounced' | 'invalid_recipient' | 'subscription_gone' | 'rejected';

export class PermanentFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

export interface Email {
  to: string;
  subject: string;
  text: string;
  /** An accessible HTML version of the same message; the text is what plain mail clients show. */
  html?: string;
  /**
   * The same on every retry of one message (e.g. `<delivery-812@westmoor.example.gov.uk>`), so
   * a copy that went out twice — the worker died between the relay's "OK" and recording it —
   * shows once in the resident's mailbox: mail clients keep one message per Message-ID.
   */
  messageId?: string;
  /** RFC 8058 one-click unsubscribe: sets List-Unsubscribe and List-Unsubscribe-Post. */
  unsubscribeUrl?: string;
}

export interface Sms {
  /** A UK mobile number as the resident gave it. */
  to: string;
  text: string;
  /** Our delivery key, kept by the provider so its reports can be matched back. */
  reference: string;
}

/** What a push notification shows, and the page that tapping it opens. */
export interface PushMessage {
  title: string;
  body: string;
  url: string;
  /** Notifications with the same tag replace each other on the device (one per case). */
  tag?: string;
}

/** A browser's push subscription, as PushSubscription.toJSON() gives it. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface EmailSender {
  sendEmail(email: Email): Promise<{ id: string }>;
}

export interface SmsSender {
  sendSms(sms: Sms): Promise<{ id: string }>;
}

export interface PushSender {
  sendPush(target: PushTarget, message: PushMessage): Promise<void>;
}
