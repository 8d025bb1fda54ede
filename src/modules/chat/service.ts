import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Council } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import type { ChatTable } from '../../platform/db/tables/platform.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { Actor, CaseService } from '../cases/service.js';
import { isOnline, startUrl, type CatalogueService } from '../catalogue/service.js';
import { isOpenAt } from '../help/opening-hours.js';
import { STAFF_ROLES } from '../backoffice/roles.js';
import { queueEmail } from '../notifications/queue.js';

/** What the chat case's reference starts with: CHT-4F7K-92QX. */
export const CHAT_PREFIX = 'CHT';
export const CHAT_SERVICE = 'live-chat';
/** The team whose queue holds chats, and the messages left when nobody could take one. */
export const CHAT_TEAM = 'Contact Centre';
/** Longest message, in characters; a longer one is refused, not cut. */
export const MAX_MESSAGE = 2000;
/** Waiting chats read at once; anyone further back is told they are after all of them. */
const WAITING_LIMIT = 1000;
/** An agent seen within this long is taking chats (their console says so every 20 s). */
const AGENT_SEEN_MS = 60_000;

export type ChatStatus = 'triage' | 'waiting' | 'active' | 'message' | 'closed';
export type Sender = 'resident' | 'agent' | 'system';

export const OUTCOMES: Record<string, string> = {
  answered: 'Question answered',
  signposted: 'Shown where to do it online',
  case_opened: 'A case was opened',
  referred: 'Passed to another team or organisation',
  abandoned: 'The resident left',
  blocked: 'Ended for abuse',
};

export interface ChatMessage {
  seq: number;
  /** The sender's own id for it: a resend with the same id is the same message. */
  clientId: string | null;
  from: Sender;
  name: string;
  text: string;
  links: { href: string; text: string }[];
  at: string;
}

export type Chat = Selectable<ChatTable>;

export interface QueueFacts {
  /** Within the opening hours. */
  hours: boolean;
  /** In hours with an adviser taking chats. */
  open: boolean;
  agents: number;
  handleMinutes: number;
}

/** What happened to a chat, for every node's sockets (hub.ts carries it over the bus). */
export type ChatEvent =
  | { kind: 'message'; chat: number; message: ChatMessage }
  | { kind: 'typing'; chat: number; from: 'resident' | 'agent' }
  | { kind: 'state'; chat: number }
  /** The queue changed: waiting residents get their new place, agents the new list. */
  | { kind: 'queue' };

export interface Suggestion {
  code: string;
  name: string;
  href: string;
  time: string;
}

/**
 * Live chat's domain: a conversation is a case (kind `chat`, channel `chat`) with numbered
 * messages. Sending is idempotent by the sender's message id, and every reader catches up by
 * asking for what comes after the last number it saw, so a dropped connection neither loses
 * nor repeats a message. No sockets here: hub.ts carries what this stores to whoever is
 * connected, on any node.
 */
export class ChatService {
  private readonly listeners: ((event: ChatEvent) => Promise<void>)[] = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly catalogue: CatalogueService,
    private readonly options: {
      council: Council;
      secret: string;
      publicUrl: string;
      /** The time opening hours are checked against (tests fix it). */
      now?: () => Date;
    },
  ) {}

  /** Every message stored and every change of state is told to `listener` (the hub). */
  listen(listener: (event: ChatEvent) => Promise<void>): void {
    this.listeners.push(listener);
  }

  private async emit(...events: ChatEvent[]): Promise<void> {
    for (const event of events) for (const listener of this.listeners) await listener(event);
  }

  /** Tells every node a participant is typing (not stored). */
  typing(chatId: number, from: 'resident' | 'agent'): Promise<void> {
    return this.emit({ kind: 'typing', chat: chatId, from });
  }

  /** Open now: within the council's chat hours. */
  withinHours(): boolean {
    return isOpenAt(this.options.council.openingHours, (this.options.now ?? (() => new Date()))());
  }

  /** Online services matching what the resident said, best first: the self-service offer. */
  suggestionsFor(topic: string): Suggestion[] {
    const matches = this.catalogue
      .search(topic)
      .filter((match) => match.score >= 5 && isOnline(match.service));
    const best = matches[0]?.score ?? 0;
    // A second service only when it matches nearly as well as the first.
    return matches
      .filter((match, index) => index === 0 || match.score >= best * 0.6)
      .slice(0, 2)
      .flatMap(({ service }) => {
        const href = startUrl(service);
        return href
          ? [{ code: service.code, name: service.name, href, time: service.start.time }]
          : [];
      });
  }

  /**
   * Starts a conversation from the resident's first sentence: the chat case, their message
   * and, if any service online matches, Shire's suggestion of it. Returns the secret the
   * resident's browser keeps to come back to this chat.
   */
  async start(input: {
    topic: string;
    name?: string | null;
    email?: string | null;
    accountId?: number | null;
    clientId?: string | null;
  }): Promise<{ chat: Chat; token: string; ref: string }> {
    const topic = checkText(input.topic);
    const token = randomBytes(24).toString('base64url');
    const suggestions = this.suggestionsFor(topic);
    const at = new Date().toISOString();
    const actor: Actor = {
      type: 'resident',
      id: input.accountId ?? null,
      name: input.name ?? null,
    };
    const started = await this.cases.transaction(async (cases, trx) => {
      const opened = await cases.openCase({
        serviceCode: CHAT_SERVICE,
        refPrefix: CHAT_PREFIX,
        kind: 'chat',
        channel: 'chat',
        title: topic.length > 80 ? `${topic.slice(0, 77)}…` : topic,
        accountId: input.accountId ?? null,
        contact: { name: input.name ?? null, email: input.email ?? null },
        team: CHAT_TEAM,
        actor,
        createdText: 'You started a conversation with us.',
      });
      const chat = await trx
        .insertInto('chats')
        .values({
          case_id: opened.id,
          token_hash: hashToken(token),
          status: 'triage',
          topic,
          account_id: input.accountId ?? null,
          name: input.name ?? null,
          email: input.email ?? null,
          created_at: at,
          suggested: JSON.stringify(suggestions.map((s) => s.code)),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await insertMessage(trx, chat.id, {
        from: 'resident',
        name: input.name ?? 'You',
        text: topic,
        clientId: input.clientId ?? null,
      });
      const [best] = suggestions;
      if (best)
        await insertMessage(trx, chat.id, {
          from: 'system',
          name: 'Shire',
          text: `You can ${lowerFirst(best.name)} online now – it takes ${best.time}.`,
          clientId: null,
          links: suggestions.map((s) => ({
            href: `/chat/follow/${String(chat.id)}/${s.code}`,
            text: s.name,
          })),
        });
      const latest = await trx
        .selectFrom('chats')
        .selectAll()
        .where('id', '=', chat.id)
        .executeTakeFirstOrThrow();
      return { chat: latest, token, ref: opened.ref };
    });
    for (const message of await this.messagesAfter(started.chat.id, 0))
      await this.emit({ kind: 'message', chat: started.chat.id, message });
    return started;
  }

  async byToken(token: string): Promise<Chat | undefined> {
    if (!/^[\w-]{20,64}$/.test(token)) return undefined;
    return this.db
      .selectFrom('chats')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
  }

  async byId(id: number): Promise<Chat | undefined> {
    return this.db.selectFrom('chats').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byCase(caseId: number): Promise<Chat | undefined> {
    return this.db.selectFrom('chats').selectAll().where('case_id', '=', caseId).executeTakeFirst();
  }

  /**
   * Adds a message with the chat's next number. The same sender's id again returns the
   * message already stored (a resend after a dropped connection), marked as a repeat.
   */
  async append(
    chatId: number,
    from: Sender,
    name: string,
    text: string,
    clientId: string | null,
    links: { href: string; text: string }[] = [],
  ): Promise<{ message: ChatMessage; repeat: boolean }> {
    const body = from === 'system' ? text : checkText(text);
    let message: ChatMessage | undefined;
    try {
      message = await this.db
        .transaction()
        .execute((trx) => insertMessage(trx, chatId, { from, name, text: body, clientId, links }));
    } catch (err) {
      // Sent before (a resend after a dropped connection, or on two connections at once): the
      // unique (chat, client id) refused the copy, so the first is the message.
      const first = clientId ? await this.findByClientId(chatId, clientId) : undefined;
      if (first) return { message: first, repeat: true };
      throw err;
    }
    if (!message) {
      const first = clientId ? await this.findByClientId(chatId, clientId) : undefined;
      if (first) return { message: first, repeat: true };
      throw new ConflictError('This conversation has ended.');
    }
    await this.emit({ kind: 'message', chat: chatId, message });
    return { message, repeat: false };
  }

  /** Every message after `seq`, in order: what a reconnecting reader missed. */
  async messagesAfter(chatId: number, seq: number, limit = 500): Promise<ChatMessage[]> {
    const rows = await this.db
      .selectFrom('chat_messages')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toMessage);
  }

  /** The resident wants a person: into the queue, or refused if nobody can take it now. */
  async requestAgent(chat: Chat): Promise<Chat> {
    if (chat.status !== 'triage') return chat;
    await this.db
      .updateTable('chats')
      .set({ status: 'waiting', queued_at: new Date().toISOString() })
      .where('id', '=', chat.id)
      .where('status', '=', 'triage')
      .execute();
    await this.append(chat.id, 'system', 'Shire', 'You are in the queue for an adviser.', null);
    await this.emit({ kind: 'state', chat: chat.id }, { kind: 'queue' });
    return this.mustGet(chat.id);
  }

  /**
   * Outside hours or with nobody taking chats: the resident leaves a message (or, without
   * JavaScript, sends the contact form), which waits as a case answered by email.
   */
  async leaveMessage(
    chat: Chat,
    input: { name: string; email: string; text?: string },
  ): Promise<Chat> {
    const { name, email } = checkContact(input, input.text !== undefined);
    if (chat.status === 'closed' || chat.status === 'message')
      throw new ConflictError('This conversation has ended.');
    if (input.text !== undefined) await this.append(chat.id, 'resident', name, input.text, null);
    const wasWaiting = chat.status === 'waiting';
    await this.cases.transaction(async (cases, trx) => {
      await trx
        .updateTable('chats')
        .set({ status: 'message', name, email, queued_at: new Date().toISOString() })
        .where('id', '=', chat.id)
        .execute();
      await trx
        .updateTable('cases')
        .set({ contact_name: name, contact_email: email })
        .where('id', '=', chat.case_id)
        .execute();
      // The adviser's reply on the case reaches them by email, as any case update does.
      await cases.subscribe(chat.case_id, { accountId: chat.account_id, email });
      await cases.changeStatus(
        chat.case_id,
        'message',
        { type: 'resident', id: chat.account_id, name },
        { publicText: 'You left us a message. We will reply by email.' },
      );
    });
    await this.append(
      chat.id,
      'system',
      'Shire',
      `Thank you. We will reply to ${email}, usually within 2 working days.`,
      null,
    );
    await this.emit(
      { kind: 'state', chat: chat.id },
      ...(wasWaiting ? [{ kind: 'queue' } as const] : []),
    );
    return this.mustGet(chat.id);
  }

  /** The contact form without JavaScript: a message left straight away. */
  async contactForm(input: {
    name: string;
    email: string;
    text: string;
    accountId: number | null;
  }): Promise<string> {
    const contact = checkContact(input, true);
    const { chat, ref } = await this.start({
      ...contact,
      topic: input.text,
      accountId: input.accountId,
    });
    await this.leaveMessage(chat, contact);
    return ref;
  }

  /** Chats waiting for an agent, oldest first. */
  waiting(): Promise<Chat[]> {
    return this.db
      .selectFrom('chats')
      .selectAll()
      .where('status', '=', 'waiting')
      .orderBy('queued_at')
      .orderBy('id')
      .limit(WAITING_LIMIT)
      .execute();
  }

  /**
   * What every waiting resident's place depends on, read once for them all: whether the
   * chat is open, advisers taking chats, and how long a chat takes.
   */
  async queueFacts(): Promise<QueueFacts> {
    const [agents, handleMinutes] = await Promise.all([
      this.availableAgents(),
      this.averageHandleMinutes(),
    ]);
    const hours = this.withinHours();
    return { hours, open: hours && agents > 0, agents, handleMinutes };
  }

  /** Where a waiting chat is in the queue (1 is next) and about how many minutes until then. */
  position(chat: Chat, waiting: Chat[], facts: QueueFacts): { position: number; minutes: number } {
    const index = waiting.findIndex((c) => c.id === chat.id);
    const position = index === -1 ? waiting.length + 1 : index + 1;
    const minutes = Math.ceil((position * facts.handleMinutes) / Math.max(1, facts.agents));
    return { position, minutes };
  }

  /** Minutes an agent spends on a chat, from the last 50 closed ones (6 until there are any). */
  async averageHandleMinutes(): Promise<number> {
    const recent = await this.db
      .selectFrom('chats')
      .select(['accepted_at', 'closed_at'])
      .where('status', '=', 'closed')
      .where('accepted_at', 'is not', null)
      .orderBy('id', 'desc')
      .limit(50)
      .execute();
    const minutes = recent.map(
      (c) => (Date.parse(c.closed_at ?? '') - Date.parse(c.accepted_at ?? '')) / 60_000,
    );
    const valid = minutes.filter((m) => Number.isFinite(m) && m > 0);
    if (valid.length === 0) return 6;
    return Math.max(1, valid.reduce((a, b) => a + b, 0) / valid.length);
  }

  // ---- Agents ---------------------------------------------------------------------------

  async setAgentStatus(agentId: number, status: 'available' | 'away'): Promise<void> {
    const seen = new Date().toISOString();
    await this.db
      .insertInto('chat_agents')
      .values({ account_id: agentId, status, seen_at: seen })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ status, seen_at: seen }))
      .execute();
    // Whether anyone can take a chat, and the expected wait, may have changed.
    await this.emit({ kind: 'queue' });
  }

  /** An agent's console is still open: keeps them counted as taking chats. */
  async agentSeen(agentId: number): Promise<void> {
    await this.db
      .updateTable('chat_agents')
      .set({ seen_at: new Date().toISOString() })
      .where('account_id', '=', agentId)
      .execute();
  }

  async agentStatus(agentId: number): Promise<'available' | 'away'> {
    const row = await this.db
      .selectFrom('chat_agents')
      .select('status')
      .where('account_id', '=', agentId)
      .executeTakeFirst();
    return row?.status === 'available' ? 'available' : 'away';
  }

  async availableAgents(): Promise<number> {
    const since = new Date(Date.now() - AGENT_SEEN_MS).toISOString();
    const row = await this.db
      .selectFrom('chat_agents')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('status', '=', 'available')
      .where('seen_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Whether a resident can reach a person now: in hours, with someone taking chats. */
  async open(): Promise<boolean> {
    return this.withinHours() && (await this.availableAgents()) > 0;
  }

  /** A member of staff a chat can be passed to. */
  async adviser(
    id: number,
  ): Promise<{ id: number; name: string; team: string | null } | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'name', 'email', 'role', 'team'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || !(STAFF_ROLES as readonly string[]).includes(row.role)) return undefined;
    return { id: row.id, name: row.name ?? row.email, team: row.team };
  }

  /** An agent's chats in progress. */
  mine(agentId: number): Promise<Chat[]> {
    return this.db
      .selectFrom('chats')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('status', '=', 'active')
      .orderBy('accepted_at')
      .execute();
  }

  /** Takes a waiting chat; a second agent trying the same one is told it has gone. */
  async accept(
    agent: { id: number; name: string; team: string | null },
    chatId: number,
  ): Promise<Chat> {
    const at = new Date().toISOString();
    const taken = await this.cases.transaction(async (cases, trx) => {
      const result = await trx
        .updateTable('chats')
        .set({ status: 'active', agent_id: agent.id, team: agent.team, accepted_at: at })
        .where('id', '=', chatId)
        .where('status', '=', 'waiting')
        .returningAll()
        .executeTakeFirst();
      if (!result) return undefined;
      await cases.assign(result.case_id, agent, {
        type: 'staff',
        id: agent.id,
        name: agent.name,
      });
      await cases.changeStatus(result.case_id, 'active', {
        type: 'staff',
        id: agent.id,
        name: agent.name,
      });
      return result;
    });
    if (!taken) throw new ConflictError('Another adviser has already taken this chat.');
    await this.append(
      chatId,
      'system',
      'Shire',
      `${firstName(agent.name)} from the council has joined.`,
      null,
    );
    await this.emit({ kind: 'state', chat: chatId }, { kind: 'queue' });
    return this.mustGet(chatId);
  }

  /** Hands an active chat to another agent who is taking chats. */
  async transfer(
    from: { id: number; name: string },
    chatId: number,
    to: { id: number; name: string; team: string | null },
  ): Promise<Chat> {
    const chat = await this.mustGet(chatId);
    if (chat.status !== 'active' || chat.agent_id !== from.id)
      throw new ConflictError('This chat is not yours to pass on.');
    await this.cases.transaction(async (cases, trx) => {
      await trx
        .updateTable('chats')
        .set({ agent_id: to.id, team: to.team })
        .where('id', '=', chatId)
        .execute();
      await cases.assign(chat.case_id, to, { type: 'staff', id: from.id, name: from.name });
    });
    await this.append(
      chatId,
      'system',
      'Shire',
      `${firstName(to.name)} from the council has taken over.`,
      null,
    );
    await this.emit({ kind: 'state', chat: chatId });
    return this.mustGet(chatId);
  }

  /** Ends a chat: by the agent with an outcome, or by the resident leaving. */
  async close(chatId: number, by: Actor, outcome: string): Promise<Chat> {
    if (!(outcome in OUTCOMES)) throw new ValidationError('Choose how the chat ended', 'outcome');
    const chat = await this.mustGet(chatId);
    if (chat.status === 'closed') return chat;
    const at = new Date().toISOString();
    await this.cases.transaction(async (cases, trx) => {
      await trx
        .updateTable('chats')
        .set({
          status: 'closed',
          closed_at: at,
          outcome,
          ...(outcome === 'blocked' ? { blocked_at: at } : {}),
        })
        .where('id', '=', chatId)
        .execute();
      await cases.changeStatus(
        chat.case_id,
        outcome === 'abandoned' || outcome === 'blocked' ? 'abandoned' : 'resolved',
        by,
        { publicText: 'The conversation ended.' },
      );
    });
    await this.append(chatId, 'system', 'Shire', 'The conversation has ended.', null);
    await this.emit(
      { kind: 'state', chat: chatId },
      ...(chat.status === 'waiting' ? [{ kind: 'queue' } as const] : []),
    );
    return this.mustGet(chatId);
  }

  /** The resident's answer to "how did we do?", 1 to 5, once. */
  async rate(chat: Chat, rating: number): Promise<void> {
    if (!Number.isInteger(rating) || rating < 1 || rating > 5)
      throw new ValidationError('Choose a rating from 1 to 5', 'rating');
    await this.db
      .updateTable('chats')
      .set({ rating })
      .where('id', '=', chat.id)
      .where('rating', 'is', null)
      .execute();
  }

  /** The resident followed a suggested service: recorded for the channel-shift figures. */
  async followed(chatId: number, code: string): Promise<string | undefined> {
    const chat = await this.byId(chatId);
    const suggested = chat?.suggested ? (JSON.parse(chat.suggested) as string[]) : [];
    const service = this.catalogue.offered(code);
    if (!chat || !service || !suggested.includes(code)) return undefined;
    await this.db
      .updateTable('chats')
      .set({ followed: code })
      .where('id', '=', chatId)
      .where('followed', 'is', null)
      .execute();
    return startUrl(service) ?? undefined;
  }

  /** The whole conversation, for My Account, the back office and the emailed copy. */
  transcript(chat: Chat): Promise<ChatMessage[]> {
    return this.messagesAfter(chat.id, 0, 10_000);
  }

  /** Emails the resident a copy of the conversation. */
  async emailTranscript(chat: Chat, to: string): Promise<void> {
    const address = checkEmail(to);
    const found = await this.cases.getById(chat.case_id);
    const lines = await this.transcript(chat);
    await queueEmail(this.db, this.options.secret, {
      to: address,
      template: 'chat-transcript',
      data: {
        ref: found?.ref ?? '',
        caseUrl: new URL(`/account/cases/${found?.ref ?? ''}`, this.options.publicUrl).href,
        lines: lines.map((m) => ({
          from: m.from === 'resident' ? 'You' : m.name,
          at: m.at,
          text: m.text,
        })),
      },
      accountId: chat.account_id,
    });
  }

  private async mustGet(id: number): Promise<Chat> {
    const chat = await this.byId(id);
    if (!chat) throw new NotFoundError('There is no such chat.');
    return chat;
  }

  private async findByClientId(chatId: number, clientId: string): Promise<ChatMessage | undefined> {
    const row = await this.db
      .selectFrom('chat_messages')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toMessage(row) : undefined;
  }

  /** Staff taking chats now (available, console seen lately), by name: who a chat can go to. */
  async availableAdvisers(): Promise<{ id: number; name: string; team: string | null }[]> {
    const since = new Date(Date.now() - AGENT_SEEN_MS).toISOString();
    const rows = await this.db
      .selectFrom('chat_agents')
      .innerJoin('accounts', 'accounts.id', 'chat_agents.account_id')
      .select(['accounts.id', 'accounts.name', 'accounts.email', 'accounts.role', 'accounts.team'])
      .where('chat_agents.status', '=', 'available')
      .where('chat_agents.seen_at', '>=', since)
      .execute();
    return rows
      .filter((row) => (STAFF_ROLES as readonly string[]).includes(row.role))
      .map((row) => ({ id: row.id, name: row.name ?? row.email, team: row.team }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** The chat's next number and the message under it; the chat row is the lock. */
async function insertMessage(
  trx: Kysely<DB>,
  chatId: number,
  m: Omit<ChatMessage, 'seq' | 'at' | 'links'> & { links?: ChatMessage['links'] },
): Promise<ChatMessage | undefined> {
  // Residents and advisers write only while the chat is open; Shire's own notes at any time.
  const numbered = await trx
    .updateTable('chats')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', chatId)
    .$if(m.from !== 'system', (q) => q.where('status', '!=', 'closed'))
    .returning('last_seq')
    .executeTakeFirst();
  if (!numbered) return undefined;
  const seq = numbered.last_seq;
  const at = new Date().toISOString();
  const links = m.links ?? [];
  await trx
    .insertInto('chat_messages')
    .values({
      chat_id: chatId,
      seq,
      client_id: m.clientId,
      sender: m.from,
      sender_name: m.name,
      body: m.text,
      links: links.length ? JSON.stringify(links) : null,
      at,
    })
    .execute();
  return { seq, clientId: m.clientId, from: m.from, name: m.name, text: m.text, links, at };
}

function toMessage(row: Selectable<DB['chat_messages']>): ChatMessage {
  return {
    seq: row.seq,
    clientId: row.client_id,
    from: row.sender as Sender,
    name: row.sender_name,
    text: row.body,
    links: row.links ? (JSON.parse(row.links) as ChatMessage['links']) : [],
    at: row.at,
  };
}

/** A message as typed: not empty, not too long; kept as text (pages escape it when shown). */
export function checkText(text: string): string {
  const trimmed = text.replace(/\r\n/g, '\n').trim();
  if (!trimmed) throw new ValidationError('Enter a message', 'text');
  if (trimmed.length > MAX_MESSAGE)
    throw new ValidationError(`Keep each message to ${String(MAX_MESSAGE)} characters`, 'text');
  return trimmed;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!EMAIL.test(trimmed) || trimmed.length > 200)
    throw new ValidationError(
      'Enter an email address in the correct format, like name@example.com',
      'email',
    );
  return trimmed;
}

/** Name, email and (when asked) the message of someone leaving one, each checked. */
function checkContact(
  input: { name: string; email: string; text?: string },
  needText: boolean,
): { name: string; email: string; text: string } {
  const errors: { field: string; message: string }[] = [];
  const name = input.name.trim();
  if (!name) errors.push({ field: 'name', message: 'Enter your name' });
  else if (name.length > 100)
    errors.push({ field: 'name', message: 'Keep your name to 100 characters' });
  let email = '';
  try {
    email = checkEmail(input.email);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors.push({ field: 'email', message: err.message });
  }
  const text = (input.text ?? '').trim();
  if (needText && !text) errors.push({ field: 'text', message: 'Enter your message' });
  else if (text.length > MAX_MESSAGE)
    errors.push({
      field: 'text',
      message: `Keep your message to ${String(MAX_MESSAGE)} characters`,
    });
  if (errors.length) throw ValidationError.forFields(errors);
  return { name, email, text };
}

/** "Report a pothole" → "report a pothole", to go inside a sentence. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function firstName(name: string): string {
  return name.split(/\s+/)[0] ?? name;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
