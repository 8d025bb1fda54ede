import type { FastifyRequest } from 'fastify';
import type { RawData } from 'ws';
import { z } from 'zod';
import { MAX_MESSAGE } from './service.js';

/**
 * What travels over a chat WebSocket: one JSON object per frame, with `t` naming it.
 *
 * Resident → server
 *   start   {topic, id?, name?, email?}   begin a chat with its first sentence
 *   resume  {token, after}                come back to a chat: every message after `after`
 *   msg     {id, text}                    a message; `id` is the sender's own, for resends
 *   agent   {}                            "talk to someone" after the suggestions
 *   leave   {name, email, text}           leave a message when nobody can take the chat
 *   typing  {}                            end     {}          rate   {rating}
 *
 * Agent → server (/chat/agent-socket)
 *   status  {status: available|away}      accept  {chat}      sync {after: {chat: seq}}
 *   msg     {chat, id, text}              typing  {chat}      close {chat, outcome}
 *   transfer {chat, to}                   ping    {}
 *
 * Server → client
 *   started {token, ref, chat}            msg {chat, seq, id, from, name, text, links, at}
 *   ack     {id, seq, chat}               typing {chat, from}
 *   state   {chat, status, open, position?, minutes?}
 *   queue   {waiting: [...]}              chats {chats: [...]} (an agent's own)
 *   error   {code, message}
 *
 * Every message has a number (seq) per chat, sent in order; a client keeps the last one it
 * saw and resumes after it, and keeps its own unacknowledged messages to send again with
 * the same id. Together: no message lost, none shown twice.
 */

/** Largest frame accepted, in bytes: a full-length message in JSON with room to spare. */
export const MAX_FRAME = 16 * 1024;

const text = z.string().max(MAX_MESSAGE * 2);
const clientId = z.string().regex(/^[\w-]{1,64}$/, 'must be 1 to 64 letters, digits, - or _');
const chatId = z.number().int().positive();

export const residentFrame = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('start'),
    topic: text,
    id: clientId.optional(),
    name: z.string().max(100).optional(),
    email: z.string().max(200).optional(),
  }),
  z.object({ t: z.literal('resume'), token: z.string().max(100), after: z.number().int().min(0) }),
  z.object({ t: z.literal('msg'), id: clientId, text }),
  z.object({ t: z.literal('agent') }),
  z.object({
    t: z.literal('leave'),
    name: z.string().max(100),
    email: z.string().max(200),
    text,
  }),
  z.object({ t: z.literal('typing') }),
  z.object({ t: z.literal('end') }),
  z.object({ t: z.literal('rate'), rating: z.number().int() }),
]);
export type ResidentFrame = z.infer<typeof residentFrame>;

export const agentFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('status'), status: z.enum(['available', 'away']) }),
  z.object({ t: z.literal('accept'), chat: chatId }),
  z.object({ t: z.literal('sync'), after: z.record(z.string(), z.number().int().min(0)) }),
  z.object({ t: z.literal('msg'), chat: chatId, id: clientId, text }),
  z.object({ t: z.literal('typing'), chat: chatId }),
  z.object({ t: z.literal('close'), chat: chatId, outcome: z.string().max(40) }),
  z.object({ t: z.literal('transfer'), chat: chatId, to: z.number().int().positive() }),
  z.object({ t: z.literal('ping') }),
]);
export type AgentFrame = z.infer<typeof agentFrame>;

/** A frame parsed and checked, or the reason it was refused (sent back as an error). */
export function parseFrame<T>(
  schema: z.ZodType<T>,
  raw: unknown,
): { ok: true; frame: T } | { ok: false; message: string } {
  if (typeof raw !== 'string' || raw.length > MAX_FRAME)
    return { ok: false, message: 'That message is too large.' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'That was not a chat message.' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, message: 'That was not a chat message.' };
  return { ok: true, frame: parsed.data };
}

/**
 * Messages a connection may send: a burst of 10, then one a second on average. More is
 * refused with an error the widget shows ("slow down"); far more closes the connection.
 */
export class RateLimit {
  private tokens: number;
  private last = Date.now();
  private refused = 0;

  constructor(
    private readonly burst = 10,
    private readonly perSecond = 1,
  ) {
    this.tokens = burst;
  }

  /** 'ok', 'refuse' this one, or 'close' the connection after 20 refused in a row. */
  take(): 'ok' | 'refuse' | 'close' {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refused = 0;
      return 'ok';
    }
    this.refused += 1;
    return this.refused > 20 ? 'close' : 'refuse';
  }
}

/** A WebSocket frame's text, however ws handed it over. */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** Whether the page that opened this socket is on the host it connected to (as a browser sends it). */
export function isSameOrigin(request: FastifyRequest): boolean {
  return request.headers.origin === `${request.protocol}://${request.host}`;
}
