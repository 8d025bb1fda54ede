import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import type { z } from 'zod';
import type { Bus } from '../../platform/bus/bus.js';
import { DomainError } from '../../platform/errors.js';
import { frameText, parseFrame } from './protocol.js';
import type { Chat, ChatEvent, ChatMessage, ChatService, QueueFacts } from './service.js';

export const CHAT_TOPIC = 'chat.events';

/** A socket buffering more than this is too slow to keep up: it is closed and resumes later. */
const MAX_BUFFERED = 1024 * 1024;

/** A connected browser: a resident in one chat, or an agent's console. */
export interface Peer {
  socket: WebSocket;
  role: 'resident' | 'agent';
  /** The agent's account, for an agent's console. */
  agentId?: number;
  /** Per chat: the last message number sent to this socket, and what waits to follow it. */
  cursors?: Map<number, Cursor>;
}

/**
 * Where one socket is in one chat. Messages go out strictly in number order, each once:
 * one that arrives early (published by another node before an earlier one) or while the
 * history is being read waits in `held` until the ones before it have gone.
 */
interface Cursor {
  last: number;
  held: ChatMessage[];
  /** Reading the database for this chat now; live messages are held meanwhile. */
  reading: boolean;
}

function cursorsOf(peer: Peer): Map<number, Cursor> {
  peer.cursors ??= new Map();
  return peer.cursors;
}

/**
 * The chat sockets connected to this node, and the bus that joins the nodes: a message stored
 * on any node is published once and every node sends it to its own sockets in that chat.
 */
export class ChatHub {
  private readonly rooms = new Map<number, Set<Peer>>();
  private readonly consoles = new Set<Peer>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private queueTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly chats: ChatService,
    private readonly logger: FastifyBaseLogger,
  ) {
    // What the chat service stores or changes, every node hears.
    chats.listen((event) => this.publish(event));
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(CHAT_TOPIC, (event) => {
      this.deliver(event as ChatEvent);
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.queueTimer);
    await this.unsubscribe?.();
    for (const peers of this.rooms.values())
      for (const peer of peers) peer.socket.close(1012, 'Restarting');
    for (const peer of this.consoles) peer.socket.close(1012, 'Restarting');
  }

  private publish(event: ChatEvent): Promise<void> {
    return this.bus.publish(CHAT_TOPIC, event);
  }

  /**
   * Joins `peer` to a chat and sends it every message after `after`, then every new one as it
   * comes, in order and each once. `history` sends what was read (by default, one frame per
   * message; an agent's console gets the chat's summary instead).
   */
  async enter(
    chatId: number,
    peer: Peer,
    after: number,
    history: (messages: ChatMessage[]) => void | Promise<void> = (messages) => {
      for (const message of messages) send(peer, { t: 'msg', chat: chatId, ...message });
    },
  ): Promise<void> {
    const cursor: Cursor = { last: after, held: [], reading: true };
    cursorsOf(peer).set(chatId, cursor);
    const room = this.rooms.get(chatId) ?? new Set<Peer>();
    room.add(peer);
    this.rooms.set(chatId, room);
    try {
      const messages = await this.chats.messagesAfter(chatId, after);
      await history(messages);
      cursor.last = Math.max(after, ...messages.map((m) => m.seq));
    } finally {
      cursor.reading = false;
    }
    this.flush(peer, chatId, cursor);
  }

  leave(chatId: number, peer: Peer): void {
    cursorsOf(peer).delete(chatId);
    const room = this.rooms.get(chatId);
    room?.delete(peer);
    if (room?.size === 0) this.rooms.delete(chatId);
  }

  /** A message for one socket: sent if it is the next, held if earlier ones are missing. */
  private offer(peer: Peer, chatId: number, message: ChatMessage): void {
    const cursor = cursorsOf(peer).get(chatId);
    if (!cursor) return;
    cursor.held.push(message);
    if (!cursor.reading) this.flush(peer, chatId, cursor);
  }

  private flush(peer: Peer, chatId: number, cursor: Cursor): void {
    cursor.held.sort((a, b) => a.seq - b.seq);
    while (cursor.held.length > 0) {
      const next = cursor.held[0];
      if (!next) break;
      if (next.seq > cursor.last + 1) {
        // One before it has not arrived yet: it is in the database (numbers are given in
        // commit order), so read what is missing rather than wait.
        void this.catchUp(peer, chatId, cursor);
        return;
      }
      cursor.held.shift();
      if (next.seq <= cursor.last) continue; // sent already
      send(peer, { t: 'msg', chat: chatId, ...next });
      cursor.last = next.seq;
    }
  }

  private async catchUp(peer: Peer, chatId: number, cursor: Cursor): Promise<void> {
    cursor.reading = true;
    try {
      cursor.held.push(...(await this.chats.messagesAfter(chatId, cursor.last)));
    } catch (err) {
      this.logger.error({ err, chat: chatId }, 'could not read the chat messages a socket missed');
    } finally {
      cursor.reading = false;
    }
    // Whatever is still missing now never will be: send the rest in order.
    cursor.held.sort((a, b) => a.seq - b.seq);
    const first = cursor.held.find((m) => m.seq > cursor.last);
    if (first && first.seq > cursor.last + 1) cursor.last = first.seq - 1;
    this.flush(peer, chatId, cursor);
  }

  addConsole(peer: Peer): void {
    this.consoles.add(peer);
  }

  /** Forgets a socket that has gone, from every chat it was in. */
  drop(peer: Peer): void {
    this.consoles.delete(peer);
    peer.cursors?.clear();
    for (const [chatId, room] of this.rooms) {
      room.delete(peer);
      if (room.size === 0) this.rooms.delete(chatId);
    }
  }

  /** The agents' consoles on this node, to send one of them a chat handed over. */
  consolesOf(agentId: number): Peer[] {
    return [...this.consoles].filter((peer) => peer.agentId === agentId);
  }

  private deliver(event: ChatEvent): void {
    switch (event.kind) {
      case 'message':
        for (const peer of this.rooms.get(event.chat) ?? [])
          this.offer(peer, event.chat, event.message);
        return;
      case 'typing':
        for (const peer of this.rooms.get(event.chat) ?? [])
          if (peer.role !== event.from)
            send(peer, { t: 'typing', chat: event.chat, from: event.from });
        return;
      case 'state':
        void this.stateChanged(event.chat).catch((err: unknown) => {
          this.logger.error({ err, chat: event.chat }, 'could not send a chat’s new state');
        });
        return;
      case 'queue':
        this.queueChanged();
        return;
    }
  }

  private toRoom(chatId: number, payload: Record<string, unknown>): void {
    for (const peer of this.rooms.get(chatId) ?? []) send(peer, payload);
  }

  private async stateChanged(chatId: number): Promise<void> {
    const chat = await this.chats.byId(chatId);
    if (!chat) return;
    this.toRoom(chatId, await this.stateOf(chat));
    // A chat handed to an agent on this node: their console opens it.
    if (chat.status === 'active' && chat.agent_id !== null)
      for (const peer of this.consolesOf(chat.agent_id))
        if (!peer.cursors?.has(chatId)) await this.openFor(peer, chat);
  }

  /**
   * Queue changes come in bursts (a chat accepted, another joining); every waiting resident
   * and console on this node is updated once per burst, from one read of the queue.
   */
  private queueChanged(): void {
    if (this.queueTimer) return;
    this.queueTimer = setTimeout(() => {
      this.queueTimer = undefined;
      this.sendQueue().catch((err: unknown) => {
        this.logger.error({ err }, 'could not send the chat queue');
      });
    }, 100);
  }

  private async sendQueue(): Promise<void> {
    const [waiting, facts] = await Promise.all([this.chats.waiting(), this.chats.queueFacts()]);
    for (const chat of waiting) {
      const room = this.rooms.get(chat.id);
      if (!room) continue;
      const state = this.stateWith(chat, waiting, facts);
      for (const peer of room) if (peer.role === 'resident') send(peer, state);
    }
    if (this.consoles.size > 0) {
      const list = { t: 'queue', waiting: waiting.map((c) => queueItem(c)) };
      for (const peer of this.consoles) send(peer, list);
    }
  }

  /** What a resident's widget shows: the status, whether a person can take it, the place in the queue. */
  async stateOf(chat: Chat): Promise<Record<string, unknown>> {
    const [waiting, facts] = await Promise.all([
      chat.status === 'waiting' ? this.chats.waiting() : Promise.resolve([]),
      this.chats.queueFacts(),
    ]);
    return this.stateWith(chat, waiting, facts);
  }

  private stateWith(chat: Chat, waiting: Chat[], facts: QueueFacts): Record<string, unknown> {
    const base = {
      t: 'state',
      chat: chat.id,
      status: chat.status,
      open: facts.open,
      hours: facts.hours,
    };
    if (chat.status !== 'waiting') return base;
    return { ...base, ...this.chats.position(chat, waiting, facts) };
  }

  /** Opens a chat in an agent's console: its summary with every message so far, then live. */
  openFor(peer: Peer, chat: Chat): Promise<void> {
    // Accepting opens it, and so does hearing it was accepted: whichever comes first.
    if (peer.cursors?.has(chat.id)) return Promise.resolve();
    return this.enter(chat.id, peer, 0, (messages) => {
      send(peer, {
        t: 'chats',
        chats: [{ ...queueItem(chat), status: chat.status, accountId: chat.account_id, messages }],
      });
    });
  }
}

/** A waiting chat in an agent's queue. */
export function queueItem(chat: Chat) {
  return {
    id: chat.id,
    topic: chat.topic,
    name: chat.name,
    since: chat.queued_at ?? chat.created_at,
    signedIn: chat.account_id !== null,
  };
}

/** Sends one frame; a socket too far behind is closed, and its browser resumes where it was. */
export function send(peer: Peer, payload: Record<string, unknown>): void {
  const { socket } = peer;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED) {
    socket.close(1013, 'Too far behind; reconnect to catch up');
    return;
  }
  socket.send(JSON.stringify(payload));
}

/**
 * Serves one socket: each frame is parsed with `schema` and handled one at a time, in the
 * order sent, so a resent message never races its copy. `admit` may turn a frame away (a
 * rate limit); a refusal (DomainError) goes back as an error frame, with `about(frame)`
 * added; anything else is logged and the sender told to try again. `first` runs before any
 * frame is handled.
 */
export function serveFrames<T>(
  peer: Peer,
  schema: z.ZodType<T>,
  log: FastifyBaseLogger,
  handle: (frame: T) => Promise<void>,
  options: {
    first?: Promise<void>;
    admit?: (frame: T) => boolean;
    about?: (frame: T) => Record<string, unknown>;
  } = {},
): void {
  const fail = (code: string, message: string, extra: Record<string, unknown> = {}) => {
    send(peer, { t: 'error', code, message, ...extra });
  };
  let work = options.first ?? Promise.resolve();
  peer.socket.on('message', (data, isBinary) => {
    const parsed = isBinary ? undefined : parseFrame(schema, frameText(data));
    if (!parsed?.ok) {
      fail('bad', parsed?.message ?? 'That was not a chat message.');
      return;
    }
    const frame = parsed.frame;
    if (options.admit && !options.admit(frame)) return;
    work = work
      .then(() => handle(frame))
      .catch((err: unknown) => {
        if (err instanceof DomainError) {
          fail('refused', err.message, options.about?.(frame));
          return;
        }
        log.error({ err }, 'a chat frame failed');
        fail('error', 'Something went wrong. Try again.');
      });
  });
}
