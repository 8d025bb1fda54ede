import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  ValidationError,
} from '../../platform/errors.js';
import { errorSummary } from '../account/inputs.js';
import type { Staff } from '../backoffice/roles.js';
import { newClientId } from './console.js';
import { queueItem } from './hub.js';
import { OUTCOMES, type Chat, type ChatMessage } from './service.js';

type Body = Record<string, unknown>;
type Params = { id: string };

const text = (body: Body, name: string) => {
  const value = body[name];
  return typeof value === 'string' ? value : '';
};

const STATUS_NAMES: Record<string, string> = {
  triage: 'With the assistant',
  waiting: 'Waiting for an adviser',
  active: 'With an adviser',
  message: 'Left a message',
  closed: 'Ended',
};

const time = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});

/** "2:05pm", as the chat shows each message. */
function timeOf(iso: string): string {
  return time.format(new Date(iso)).replace(/\s/g, '').toLowerCase();
}

/** A chat's id from the address; anything else is no such chat (never a database error). */
function chatId(params: Params): number {
  if (!/^\d{1,12}$/.test(params.id)) throw new NotFoundError('There is no such chat.');
  return Number(params.id);
}

/**
 * The advisers' chat console at /staff/chat: whether they are taking chats, the queue, their
 * chats, and one chat with everything an adviser does in it. Every page and action works
 * without JavaScript; src/web/agent.ts adds the live queue and messages over the agents'
 * socket. Registered inside the back office, so its sign-in, staff and two-factor checks apply.
 */
export function chatConsoleRoutes(
  app: FastifyInstance,
  options: ModuleOptions & {
    staffOf: (request: FastifyRequest) => Staff;
    takeFlash: (request: FastifyRequest) => string | undefined;
    flash: (request: FastifyRequest, text: string) => void;
  },
  done: () => void,
) {
  const { services, config, staffOf, takeFlash, flash } = options;
  const chats = services.chat;
  const desk = services.agentConsole;
  const canned = config.council.chat.cannedReplies;
  const home = '/staff/chat';
  const chatUrl = (id: number) => `/staff/chat/${String(id)}`;

  /** What a problem shows: each field's message beside it, and all of them in the summary. */
  const problems = (error: DomainError | undefined, field: string) => {
    if (!error) return { errors: {}, errorSummary: [] };
    const fieldErrors =
      error instanceof ValidationError && error.fieldErrors.length
        ? error.fieldErrors
        : [{ field, message: error.message }];
    const errors = Object.fromEntries(fieldErrors.map((e) => [e.field, e.message]));
    return { errors, errorSummary: errorSummary(errors) };
  };

  /** A chat as the queue lists it (as the socket sends it), with the time to show. */
  const listed = (chat: Chat) => {
    const item = queueItem(chat);
    return { ...item, name: item.name ?? 'Name not given', time: timeOf(item.since) };
  };

  const consolePage = async (
    reply: FastifyReply,
    staff: Staff,
    problem?: { error: DomainError; field: string },
  ) => {
    await chats.agentSeen(staff.id);
    const status = await chats.agentStatus(staff.id);
    return reply.code(problem?.error.status ?? 200).render('chat/views/console.njk', {
      pageTitle: 'Chat',
      staff,
      status,
      flash: problem ? undefined : takeFlash(reply.request),
      waiting: (await chats.waiting()).map(listed),
      mine: (await chats.mine(staff.id)).map(listed),
      ...problems(problem?.error, problem?.field ?? 'queue'),
    });
  };

  /** A message as the console shows it: who, when, what, and any links. */
  const shown = (chat: Chat) => (message: ChatMessage) => ({
    ...message,
    who:
      message.from === 'resident'
        ? (chat.name ?? 'Resident')
        : message.from === 'system'
          ? 'Automatic message'
          : message.name,
    time: timeOf(message.at),
  });

  const chatPage = async (
    reply: FastifyReply,
    staff: Staff,
    id: number,
    problem?: { error: DomainError; field: string; values?: Body },
  ) => {
    const chat = await desk.chat(id);
    await chats.agentSeen(staff.id);
    const found = await services.cases.getById(chat.case_id);
    const adviser = chat.agent_id === null ? undefined : await chats.adviser(chat.agent_id);
    const mine = desk.mayAct(staff, chat);
    const values = problem?.values ?? {};
    return reply.code(problem?.error.status ?? 200).render('chat/views/console-chat.njk', {
      pageTitle: `Chat: ${found?.title ?? chat.topic}`,
      staff,
      chat,
      ref: found?.ref,
      title: found?.title ?? chat.topic,
      statusName: STATUS_NAMES[chat.status] ?? chat.status,
      outcomeName: chat.outcome ? OUTCOMES[chat.outcome] : undefined,
      adviser,
      mine,
      since: chat.queued_at ?? chat.created_at,
      messages: (await chats.transcript(chat)).map(shown(chat)),
      lastSeq: chat.last_seq,
      flash: problem ? undefined : takeFlash(reply.request),
      values,
      clientId: newClientId(),
      canned: canned.map((reply, index) => ({ ...reply, index })),
      outcomeItems: Object.entries(OUTCOMES)
        .filter(([value]) => value !== 'blocked')
        .map(([value, label]) => ({ value, text: label, checked: values.outcome === value })),
      adviserItems: mine
        ? [
            { value: '', text: 'Choose an adviser' },
            ...(await desk.advisers(staff)).map((a) => ({
              value: String(a.id),
              text: a.team ? `${a.name} (${a.team})` : a.name,
              selected: values.to === String(a.id),
            })),
          ]
        : [],
      serviceItems: mine
        ? [
            { value: '', text: 'Choose a service' },
            ...desk.caseServices().map((s) => ({
              value: s.code,
              text: s.name,
              selected: values.service === s.code,
            })),
          ]
        : [],
      otherCases: await desk.otherCases(chat),
      ...problems(problem?.error, problem?.field ?? 'transcript'),
    });
  };

  /**
   * One action in a chat: done and on to `next`, or the chat again with what went wrong. Bad
   * input and a chat that has moved on are shown on the page; a refusal (not their chat) is
   * the 403 page saying why.
   */
  const chatAction = (
    path: string,
    field: string,
    act: (staff: Staff, id: number, body: Body) => Promise<{ next: string; done: string }>,
  ) =>
    app.post<{ Params: Params; Body: Body }>(`/staff/chat/:id/${path}`, async (request, reply) => {
      const staff = staffOf(request);
      const id = chatId(request.params);
      let result: { next: string; done: string };
      try {
        result = await act(staff, id, request.body);
      } catch (err) {
        if (err instanceof ValidationError || err instanceof ConflictError)
          return chatPage(reply, staff, id, { error: err, field, values: request.body });
        throw err;
      }
      if (result.done) flash(request, result.done);
      return reply.redirect(result.next, 303);
    });

  app.get('/staff/chat', (request, reply) => consolePage(reply, staffOf(request)));

  app.post<{ Body: Body }>('/staff/chat/status', async (request, reply) => {
    const staff = staffOf(request);
    const status = text(request.body, 'status');
    try {
      await desk.setStatus(staff, status);
    } catch (err) {
      if (err instanceof ValidationError)
        return consolePage(reply, staff, { error: err, field: 'status' });
      throw err;
    }
    flash(
      request,
      status === 'available'
        ? 'You are available: residents can reach you.'
        : 'You are away: no new chats will come to you.',
    );
    return reply.redirect(home, 303);
  });

  app.post<{ Params: Params }>('/staff/chat/:id/accept', async (request, reply) => {
    const staff = staffOf(request);
    const id = chatId(request.params);
    try {
      await desk.accept(staff, id);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const chat = await desk.chat(id);
      // Accept pressed twice: the first press took it.
      if (desk.mayAct(staff, chat)) return reply.redirect(chatUrl(id), 303);
      return consolePage(reply, staff, {
        error: new ConflictError(
          chat.status === 'active'
            ? 'Another adviser has already taken this chat.'
            : 'This chat is no longer waiting: the resident has left or left a message.',
        ),
        field: 'queue',
      });
    }
    flash(request, 'You have joined the chat. The resident has been told.');
    return reply.redirect(chatUrl(id), 303);
  });

  app.get<{ Params: Params }>('/staff/chat/:id', (request, reply) =>
    chatPage(reply, staffOf(request), chatId(request.params)),
  );

  chatAction('message', 'text', async (staff, id, body) => {
    const chosen = text(body, 'canned');
    let reply = text(body, 'text');
    if (chosen) {
      const picked = /^\d+$/.test(chosen) ? canned[Number(chosen)] : undefined;
      if (!picked) throw new ValidationError('Choose a reply to send', 'canned');
      reply = picked.text;
    }
    await desk.reply(staff, id, reply, text(body, 'clientId'));
    // The reply in the conversation says it was sent; a banner each time would push it down.
    return { next: `${chatUrl(id)}#reply`, done: '' };
  });

  chatAction('close', 'outcome', async (staff, id, body) => {
    const outcome = text(body, 'outcome');
    // Blocking has its own button, so it is never chosen by mistake among the outcomes.
    await desk.close(staff, id, outcome === 'blocked' ? '' : outcome);
    return { next: home, done: 'The chat has ended.' };
  });

  chatAction('block', 'transcript', async (staff, id) => {
    await desk.close(staff, id, 'blocked');
    return { next: home, done: 'The chat has ended and is marked as abusive.' };
  });

  chatAction('transfer', 'to', async (staff, id, body) => {
    const to = await desk.transfer(staff, id, text(body, 'to'));
    return { next: home, done: `The chat is now with ${to.name}.` };
  });

  chatAction('case', 'service', async (staff, id, body) => {
    const opened = await desk.openCase(staff, id, {
      service: text(body, 'service'),
      submission: text(body, 'submission'),
    });
    return {
      next: `/staff/cases/${opened.ref}`,
      done: `Case ${opened.ref} opened. The resident has its reference in the chat.`,
    };
  });

  done();
}
