import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../platform/errors.js';
import { audit, type AuditEntry } from '../backoffice/audit.js';
import type { Staff } from '../backoffice/roles.js';
import type { Case, CaseService } from '../cases/service.js';
import { addWorkingDays } from '../cases/sla.js';
import type { ServiceDefinition } from '../catalogue/definition.js';
import type { CatalogueService } from '../catalogue/service.js';
import { OUTCOMES, type Chat, type ChatMessage, type ChatService } from './service.js';

/** A sender's id for a message or a case opened, as the browser sends it back. */
const CLIENT_ID = /^[\w-]{8,64}$/;

/** A new id for a form, so sending it twice is recognised as one send. */
export function newClientId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * What an adviser does in their chat console, whichever way it reaches us: the checks (only
 * the adviser in an active chat acts in it), the work through ChatService and CaseService,
 * and the back office's audit entry for each change to a chat. Replies are not audited: each
 * is itself a permanent, numbered record on the chat, and the accept and transfer entries say
 * who held the chat when.
 */
export class AgentConsole {
  constructor(
    private readonly chats: ChatService,
    private readonly cases: CaseService,
    private readonly catalogue: CatalogueService,
  ) {}

  /** Any chat, for reading. */
  async chat(id: number): Promise<Chat> {
    const chat = await this.chats.byId(id);
    if (!chat) throw new NotFoundError('There is no such chat.');
    return chat;
  }

  /** The chat, if this member of staff may act in it now; otherwise why not. */
  async theirs(staff: Staff, id: number): Promise<Chat> {
    const chat = await this.chat(id);
    if (chat.status === 'closed') throw new ConflictError('This conversation has ended.');
    if (chat.status !== 'active')
      throw new ForbiddenError('Accept this chat before you act in it.');
    if (chat.agent_id !== staff.id) {
      const adviser = chat.agent_id === null ? undefined : await this.chats.adviser(chat.agent_id);
      throw new ForbiddenError(
        `This chat is with ${adviser?.name ?? 'another adviser'}. Only the adviser in a chat can reply, close it or pass it on.`,
      );
    }
    return chat;
  }

  /** Whether this member of staff acts in the chat: its adviser, while it is active. */
  mayAct(staff: Staff, chat: Chat): boolean {
    return chat.status === 'active' && chat.agent_id === staff.id;
  }

  async setStatus(staff: Staff, status: string): Promise<void> {
    if (status !== 'available' && status !== 'away')
      throw new ValidationError('Choose whether you are taking chats', 'status');
    // The adviser's own availability, not a change to anyone's record: not audited.
    await this.chats.setAgentStatus(staff.id, status);
  }

  async accept(staff: Staff, id: number): Promise<Chat> {
    await this.chat(id);
    const chat = await this.chats.accept(staff, id);
    await this.record(staff, chat, { action: 'chat.accept' });
    return chat;
  }

  /** A reply; the same client id again is the same reply, stored once. */
  async reply(staff: Staff, id: number, text: string, clientId: string): Promise<ChatMessage> {
    const chat = await this.theirs(staff, id);
    const sent = await this.chats.append(
      chat.id,
      'agent',
      staff.name,
      text,
      CLIENT_ID.test(clientId) ? clientId : newClientId(),
    );
    return sent.message;
  }

  /** Ends the chat with an outcome; 'blocked' ends an abusive one. */
  async close(staff: Staff, id: number, outcome: string): Promise<Chat> {
    const chat = await this.theirs(staff, id);
    if (!(outcome in OUTCOMES)) throw new ValidationError('Choose how the chat ended', 'outcome');
    const closed = await this.chats.close(
      chat.id,
      { type: 'staff', id: staff.id, name: staff.name },
      outcome,
    );
    await this.record(staff, chat, {
      action: outcome === 'blocked' ? 'chat.block' : 'chat.close',
      after: { outcome },
    });
    return closed;
  }

  /** Who this adviser can pass a chat to: other staff taking chats now. */
  async advisers(staff: Staff): Promise<{ id: number; name: string; team: string | null }[]> {
    return (await this.chats.availableAdvisers()).filter((adviser) => adviser.id !== staff.id);
  }

  async transfer(staff: Staff, id: number, to: string): Promise<{ id: number; name: string }> {
    const chat = await this.theirs(staff, id);
    if (!to) throw new ValidationError('Choose who to pass the chat to', 'to');
    const adviser = (await this.advisers(staff)).find((a) => String(a.id) === to);
    if (!adviser)
      throw new ValidationError(
        'They are no longer taking chats. Choose someone else who is available',
        'to',
      );
    await this.chats.transfer(staff, chat.id, adviser);
    await this.record(staff, chat, {
      action: 'chat.transfer',
      before: { adviser: staff.name },
      after: { adviser: adviser.name },
    });
    return adviser;
  }

  /** Services a chat can open a case for: those with a case of their own, but not reports. */
  caseServices(): ServiceDefinition[] {
    return this.catalogue.services
      .filter(
        (s) =>
          s.kind !== 'report' &&
          s.kind !== 'external' &&
          s.caseKind !== undefined &&
          this.catalogue.offered(s.code) !== undefined,
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Opens a case for a service from the chat: the resident's contact details and words, the
   * chat's topic as its title, routed and due as the service says; the resident is told its
   * reference in the chat. The same `submission` again returns the case it opened.
   */
  async openCase(
    staff: Staff,
    id: number,
    input: { service: string; submission: string },
  ): Promise<Case> {
    const chat = await this.theirs(staff, id);
    const service = this.caseServices().find((s) => s.code === input.service);
    if (!service) throw new ValidationError('Choose the service to open a case for', 'service');
    const idempotencyKey = `chat:${String(chat.id)}:${
      CLIENT_ID.test(input.submission) ? input.submission : newClientId()
    }`;
    const already = await this.cases.getByIdempotencyKey(idempotencyKey);
    if (already) return already;
    const chatCase = await this.cases.getById(chat.case_id);
    const said = (await this.chats.transcript(chat))
      .filter((m) => m.from === 'resident')
      .map((m) => m.text)
      .join('\n\n');
    const actor = { type: 'staff' as const, id: staff.id, name: staff.name };
    const now = new Date();
    const opened = await this.cases.transaction(async (cases, trx) => {
      const found = await cases.openCase({
        serviceCode: service.code,
        refPrefix: service.refPrefix,
        kind: service.caseKind ?? 'request',
        channel: 'chat',
        title: chatCase?.title ?? chat.topic.slice(0, 80),
        data: { chat: chatCase?.ref ?? null, description: said },
        accountId: chat.account_id,
        contact: {
          name: chatCase?.contact.name ?? chat.name,
          email: chatCase?.contact.email ?? chat.email,
          phone: chatCase?.contact.phone ?? null,
        },
        team: service.team,
        dueAt: service.sla.days > 0 ? addWorkingDays(now, service.sla.days) : null,
        actor,
        idempotencyKey,
      });
      // What the resident said, where the officer who picks the case up will read it.
      await cases.recordEvent(found.id, {
        type: 'internal_note',
        actor,
        public: false,
        body: `From live chat ${chatCase?.ref ?? ''}:\n\n${said}`,
      });
      await audit(
        trx,
        {
          actor: staff,
          action: 'chat.case',
          target: { type: 'chat', id: chatCase?.ref ?? String(chat.id) },
          after: { case: found.ref, service: service.code },
        },
        now,
      );
      return found;
    });
    await this.chats.append(
      chat.id,
      'system',
      'Shire',
      `We have opened a case for you: ${service.name}, reference ${opened.ref}.`,
      null,
      [{ href: `/track/${opened.ref}`, text: `Track ${opened.ref}` }],
    );
    return opened;
  }

  /** The resident's other cases, newest first, when they were signed in. */
  async otherCases(chat: Chat): Promise<Case[]> {
    if (chat.account_id === null) return [];
    return (await this.cases.listForAccount(chat.account_id, { limit: 20 })).filter(
      (found) => found.id !== chat.case_id,
    );
  }

  /**
   * The audit entry for a change ChatService has made in its own transaction: written straight
   * after it (a crash between the two loses the entry, never the change).
   */
  private async record(
    staff: Staff,
    chat: Chat,
    entry: Pick<AuditEntry, 'action' | 'before' | 'after'>,
  ): Promise<void> {
    const found = await this.cases.getById(chat.case_id);
    await this.cases.transaction((_cases, trx) =>
      audit(trx, {
        actor: staff,
        target: { type: 'chat', id: found?.ref ?? String(chat.id) },
        ...entry,
      }),
    );
  }
}
