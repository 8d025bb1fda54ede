import type { Open311Endpoint } from '../../platform/config.js';
import { PermanentFailure } from '../../platform/outbox/senders.js';

/**
 * A client for another council system's Open311 (GeoReport v2) API and mySociety's updates
 * extension, in JSON. A refusal (a 4xx answer: a wrong service_code, a bad key) throws a
 * PermanentFailure carrying their own words, since sending the same again can only be refused
 * again; anything else that goes wrong (no answer in time, a 5xx, a 429, an answer we cannot
 * read) throws a plain Error, which the outbox retries with backoff.
 */

/** Long enough for a slow back office, short enough that a worker is not held for minutes. */
export const REMOTE_TIMEOUT_MS = 20_000;

/** What POST requests answered: their id, or a token to swap for one later. */
export type Accepted = { id: string } | { token: string };

/** One update in their servicerequestupdates feed. */
export interface RemoteUpdate {
  updateId: string;
  /** Their service_request_id. */
  requestId: string;
  /** As they sent it, upper-cased: OPEN, FIXED, … (the extension's statuses, or the spec's open/closed). */
  status: string;
  updatedAt: Date;
  description: string;
  mediaUrl: string;
}

type Json = Record<string, unknown>;

export class RemoteOpen311 {
  constructor(
    private readonly endpoint: Open311Endpoint,
    private readonly timeoutMs = REMOTE_TIMEOUT_MS,
  ) {}

  /** POST requests.json with the report's fields (api_key and jurisdiction_id are added here). */
  async postRequest(fields: URLSearchParams): Promise<Accepted> {
    const body = new URLSearchParams(fields);
    body.set('api_key', this.endpoint.apiKey);
    if (this.endpoint.jurisdictionId) body.set('jurisdiction_id', this.endpoint.jurisdictionId);
    const answer = await this.call('requests.json', body);
    const [first] = Array.isArray(answer) ? (answer as Json[]) : [];
    const id = text(first?.service_request_id);
    if (id) return { id };
    const token = text(first?.token);
    if (token) return { token };
    throw new Error(
      `${this.endpoint.name} accepted the report but sent no service_request_id or token`,
    );
  }

  /** Their id for a token, or undefined while they have not given it one yet. */
  async requestIdFor(token: string): Promise<string | undefined> {
    const answer = await this.call(`tokens/${encodeURIComponent(token)}.json?${this.query()}`);
    const [first] = Array.isArray(answer) ? (answer as Json[]) : [];
    return text(first?.service_request_id) || undefined;
  }

  /** Their updates in a window (GET servicerequestupdates.json), as they list them. */
  async updates(window: { from: Date; to: Date }): Promise<RemoteUpdate[]> {
    const query = this.query({
      start_date: window.from.toISOString(),
      end_date: window.to.toISOString(),
    });
    const answer = await this.call(`servicerequestupdates.json?${query}`);
    if (!Array.isArray(answer))
      throw new Error(`${this.endpoint.name}'s servicerequestupdates answer is not a list`);
    return (answer as Json[]).flatMap((update) => {
      const updatedAt = new Date(text(update.updated_datetime));
      const read = {
        updateId: text(update.update_id),
        requestId: text(update.service_request_id),
        status: text(update.status).toUpperCase(),
        updatedAt,
        description: text(update.description),
        mediaUrl: text(update.media_url),
      };
      // An update without its ids or time can't be matched or ordered: leave it out, not guess.
      return read.updateId && read.requestId && !Number.isNaN(updatedAt.getTime()) ? [read] : [];
    });
  }

  private query(extra: Record<string, string> = {}): string {
    return new URLSearchParams({
      ...(this.endpoint.jurisdictionId ? { jurisdiction_id: this.endpoint.jurisdictionId } : {}),
      ...extra,
    }).toString();
  }

  /** GET `path`, or with a form, POST it there; their JSON answer. */
  private async call(path: string, form?: URLSearchParams): Promise<unknown> {
    const url = `${this.endpoint.endpoint.replace(/\/$/, '')}/${path}`;
    const where = `${this.endpoint.name} (${form ? 'POST' : 'GET'} ${path.split('?')[0] ?? path})`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        headers: {
          accept: 'application/json',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form ? { body: form.toString() } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const reason =
        err instanceof Error && err.name === 'TimeoutError'
          ? 'did not answer in time'
          : 'could not be reached';
      throw new Error(`${where} ${reason}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const body = await response.text();
    if (response.ok) {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw new Error(
          `${where} answered ${String(response.status)} with something other than JSON`,
        );
      }
    }
    const said = describeErrors(body) || `HTTP ${String(response.status)}`;
    // 408 and 429 say "try later"; any other 4xx says the request itself is wrong.
    if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status))
      throw new PermanentFailure('rejected', `${where} refused it: ${said}`);
    throw new Error(`${where} failed: ${said}`);
  }
}

/** An Open311 error answer (a list of code and description) as one line; otherwise the body itself, shortened. */
export function describeErrors(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const list = (Array.isArray(parsed) ? parsed : [parsed]).filter(
    (e): e is Json => typeof e === 'object' && e !== null,
  );
  const described = list
    .map((e) => [text(e.code), text(e.description)].filter(Boolean).join(' '))
    .filter(Boolean)
    .join('; ');
  if (described) return described.slice(0, 1000);
  return (typeof parsed === 'string' ? parsed : body).replace(/\s+/g, ' ').trim().slice(0, 300);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}
