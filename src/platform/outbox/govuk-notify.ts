import { NotifyClient } from 'notifications-node-client';
import { type EmailSender, PermanentFailure, type SmsSender } from './senders.js';

/**
 * Email and text messages through GOV.UK Notify.
 *
 * Shire writes every message itself, so a council sets up just two templates in Notify and
 * gives us their ids:
 * - an email template whose subject is `((subject))` and whose body is `((body))`;
 * - a text message template whose body is `((body))`.
 *
 * Notify sends the plain text of an email (it formats Markdown-like text itself), so
 * `email.html` is not used.
 */
export function createNotifySender(options: {
  apiKey: string;
  /** Notify's API by default; another for a test double. */
  baseUrl?: string;
  emailTemplateId: string;
  smsTemplateId: string;
  /** How long to wait for Notify before giving up for a retry. */
  timeoutMs?: number;
}): EmailSender & SmsSender {
  const client = new NotifyClient(
    options.baseUrl ?? 'https://api.notifications.service.gov.uk',
    options.apiKey,
  );
  // The client's axios has no timeout at all. A hung request must fail well inside the outbox
  // lease (5 minutes), or a second worker would send the same message while this one waits;
  // aborting (rather than racing a timer) makes sure the late request never lands.
  const timeoutMs = options.timeoutMs ?? 30_000;
  const defaultRestClient = (client.apiClient as { restClient: RestClient }).restClient;
  client.setClient(((config: object) =>
    defaultRestClient({ ...config, signal: AbortSignal.timeout(timeoutMs) })) as RestClient);

  return {
    async sendEmail(email) {
      try {
        const response = await client.sendEmail(options.emailTemplateId, email.to, {
          personalisation: { subject: email.subject, body: email.text },
          ...(email.messageId ? { reference: email.messageId } : {}),
          // Notify adds the List-Unsubscribe and List-Unsubscribe-Post headers for us.
          ...(email.unsubscribeUrl ? { oneClickUnsubscribeURL: email.unsubscribeUrl } : {}),
        });
        return { id: response.data.id };
      } catch (err) {
        throw classify(err, timeoutMs);
      }
    },
    async sendSms(sms) {
      try {
        const response = await client.sendSms(options.smsTemplateId, sms.to, {
          personalisation: { body: sms.text },
          reference: sms.reference,
        });
        return { id: response.data.id };
      } catch (err) {
        throw classify(err, timeoutMs);
      }
    },
  };
}

type RestClient = Parameters<NotifyClient['setClient']>[0];

interface NotifyErrorBody {
  status_code?: number;
  errors?: { error?: string; message?: string }[];
}

/**
 * Messages from Notify that mean this recipient can never be reached by this service: the
 * address or number is malformed, not a UK mobile, or (with a team-only key or in trial mode)
 * not in the team.
 */
const RECIPIENT_PROBLEM =
  /^(email_address|phone_number)\b|send to this recipient|international (mobile )?numbers/i;

/**
 * A 400 about the recipient is permanent. Anything else (a wrong key or template id, a rate
 * limit, Notify being down, the network) is left to the outbox to retry: configuration
 * mistakes get fixed and the job goes through, or it dies after its last attempt and the
 * message says why. A new Error is thrown rather than axios's, whose config carries the
 * signed token.
 */
function classify(err: unknown, timeoutMs: number): Error {
  const { response, code, message } = err as {
    response?: { status: number; data?: unknown };
    code?: string;
    message?: string;
  };
  if (!response) {
    if (code === 'ERR_CANCELED')
      return new Error(`GOV.UK Notify did not answer within ${timeoutMs} ms`);
    return new Error(`GOV.UK Notify could not be reached: ${code ?? message ?? String(err)}`);
  }
  const body = (response.data ?? {}) as NotifyErrorBody;
  const messages = (body.errors ?? []).flatMap((e) => (e.message ? [e.message] : []));
  const notifyMessage = messages.join('; ') || `HTTP ${response.status}`;
  if (response.status === 400 && messages.some((m) => RECIPIENT_PROBLEM.test(m)))
    return new PermanentFailure('invalid_recipient', notifyMessage);
  return new Error(`GOV.UK Notify answered ${response.status}: ${notifyMessage}`);
}
