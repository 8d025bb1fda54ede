import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { errorSummary } from '../account/inputs.js';
import { describeOpeningHours } from '../help/opening-hours.js';
import { agentConnection, agentSocketGuard } from './agent-socket.js';
import { send, serveFrames, type ChatHub, type Peer } from './hub.js';
import { isSameOrigin, RateLimit, residentFrame, type ResidentFrame } from './protocol.js';
import type { Chat, ChatService } from './service.js';

type Body = Record<string, string | undefined>;

/** Typing notices from one connection: at most one every 2 seconds. */
const TYPING_EVERY_MS = 2000;

/**
 * Live chat for residents: /chat (what the "Chat with us" link opens; with JavaScript off it
 * is a contact form whose message becomes a case answered by email), the chat WebSocket at
 * /chat/socket, emailing a transcript, and the link that records a suggested service being
 * followed.
 */
export function chatModule(app: FastifyInstance, options: ModuleOptions, done: () => void) {
  const { services, config, chatHub: hub } = options;
  const chats = services.chat;
  const allowedOrigins = new Set([
    new URL(config.publicUrl).origin,
    ...config.council.chat.origins,
  ]);

  /** The WebSocket's origin check: pages on this site, or the council's sites in config. */
  const checkOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (!origin || !(allowedOrigins.has(origin) || isSameOrigin(request)))
      return reply
        .code(403)
        .send({ title: 'Forbidden', detail: 'Chat is not offered on that site.' });
    return undefined;
  };

  const page = async (reply: FastifyReply, values: Body = {}, error?: ValidationError) => {
    const errors = Object.fromEntries((error?.fieldErrors ?? []).map((e) => [e.field, e.message]));
    const account = reply.request.account;
    return reply.code(error ? 400 : 200).render('chat/views/chat.njk', {
      pageTitle: error ? 'Error: Chat with us' : 'Chat with us',
      open: await chats.open(),
      withinHours: chats.withinHours(),
      openingHours: describeOpeningHours(config.council.openingHours),
      values: {
        name: values.name ?? account?.name ?? '',
        email: values.email ?? account?.email ?? '',
        text: values.text ?? '',
      },
      errors,
      errorSummary: errorSummary(errors),
    });
  };

  app.get('/chat', (_request, reply) => page(reply));

  // Without JavaScript: the message becomes a chat case left for an adviser, answered by email.
  app.post<{ Body: Body }>(
    '/chat',
    { config: { rateLimit: { max: 10, timeWindow: 60 * 60_000 } } },
    async (request, reply) => {
      try {
        const ref = await chats.contactForm({
          name: request.body.name ?? '',
          email: request.body.email ?? '',
          text: request.body.text ?? '',
          accountId: request.account?.id ?? null,
        });
        return await reply.render('chat/views/message-sent.njk', {
          pageTitle: 'Message sent',
          ref,
          email: request.body.email?.trim(),
        });
      } catch (err) {
        if (err instanceof ValidationError) return page(reply, request.body, err);
        throw err;
      }
    },
  );

  app.get<{ Params: { chat: string; code: string } }>(
    '/chat/follow/:chat/:code',
    async (request, reply) => {
      const href = await chats.followed(Number(request.params.chat) || 0, request.params.code);
      return reply.redirect(href ?? '/services', 303);
    },
  );

  // Emailing a copy: the widget sends the chat's secret, which is all that proves it is theirs.
  app.post<{ Body: Body }>(
    '/chat/transcript',
    { config: { rateLimit: { max: 5, timeWindow: 60 * 60_000 }, csrf: false } },
    async (request, reply) => {
      // The chat embedded on a council website reads the answer too.
      const origin = request.headers.origin;
      if (origin && allowedOrigins.has(origin))
        void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      const chat = await chats.byToken(request.body.token ?? '');
      if (!chat) throw new NotFoundError('That conversation cannot be found.');
      const to = request.body.email ?? chat.email ?? '';
      await chats.emailTranscript(chat, to);
      return { sent: true };
    },
  );

  // The council's other websites load these by fixed address, so they may be used from
  // another origin (the rest of the site says same-origin only) and are cached for an hour.
  for (const [file, logical, type] of [
    ['embed.js', 'chat-embed.js', 'text/javascript; charset=utf-8'],
    ['embed.css', 'chat-embed.css', 'text/css; charset=utf-8'],
  ] as const) {
    const built = path.join(options.assets.dir, path.basename(options.assets.url(logical)));
    app.get(`/chat/${file}`, async (_request, reply) =>
      reply
        .type(type)
        .header('cross-origin-resource-policy', 'cross-origin')
        // Public files; tools on the host page (and its own scripts) may read them too.
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'public, max-age=3600')
        .send(await readFile(built)),
    );
  }

  app.get('/chat/socket', { websocket: true, preHandler: checkOrigin }, (socket, request) => {
    residentConnection(socket, request, chats, hub);
  });

  // Agents' consoles (the back office's chat pages) connect here.
  app.get(
    '/chat/agent-socket',
    { websocket: true, preHandler: agentSocketGuard(options) },
    (socket, request) => {
      agentConnection(socket, request, chats, services.agentConsole, hub);
    },
  );
  done();
}

/** One resident's connection: a chat started or resumed on it, then its messages. */
function residentConnection(
  socket: WebSocket,
  request: FastifyRequest,
  chats: ChatService,
  hub: ChatHub,
): void {
  const peer: Peer = { socket, role: 'resident' };
  const limit = new RateLimit();
  let chat: Chat | undefined;
  let lastTyping = 0;
  const fail = (code: string, message: string) => {
    send(peer, { t: 'error', code, message });
  };

  /** Joins the chat and sends everything after `after`, in order, then where it stands. */
  const enter = async (found: Chat, after: number) => {
    if (chat && chat.id !== found.id) hub.leave(chat.id, peer);
    chat = found;
    await hub.enter(found.id, peer, after);
    send(peer, await hub.stateOf(found));
  };

  const handle = async (frame: ResidentFrame) => {
    if (frame.t === 'start') {
      if (chat) {
        fail('already', 'This conversation has already started.');
        return;
      }
      const account = request.account;
      const started = await chats.start({
        topic: frame.topic,
        name: frame.name?.trim() || account?.name || null,
        email: frame.email?.trim() || account?.email || null,
        accountId: account?.id ?? null,
        clientId: frame.id ?? null,
      });
      send(peer, { t: 'started', token: started.token, ref: started.ref, chat: started.chat.id });
      return enter(started.chat, 0);
    }
    if (frame.t === 'resume') {
      const found = await chats.byToken(frame.token);
      if (!found) {
        fail('unknown-chat', 'That conversation has ended or cannot be found.');
        return;
      }
      return enter(found, frame.after);
    }
    if (!chat) {
      fail('no-chat', 'Start the conversation first.');
      return;
    }
    if (frame.t === 'msg') {
      // The hot path, so the chat is not read first: numbering the message checks it is open.
      const { message } = await chats.append(
        chat.id,
        'resident',
        chat.name ?? 'You',
        frame.text,
        frame.id,
      );
      send(peer, { t: 'ack', chat: chat.id, id: frame.id, seq: message.seq });
      return;
    }
    const current = (await chats.byId(chat.id)) ?? chat;
    chat = current;
    switch (frame.t) {
      case 'typing':
        if (Date.now() - lastTyping < TYPING_EVERY_MS || current.status !== 'active') return;
        lastTyping = Date.now();
        return chats.typing(current.id, 'resident');
      case 'agent':
        // Nobody can take it: the widget's state says so and offers to leave a message.
        if (!(await chats.open())) {
          send(peer, await hub.stateOf(current));
          return;
        }
        chat = await chats.requestAgent(current);
        return;
      case 'leave':
        chat = await chats.leaveMessage(current, frame);
        return;
      case 'end':
        chat = await chats.close(
          current.id,
          { type: 'resident', id: current.account_id, name: current.name },
          'abandoned',
        );
        return;
      case 'rate':
        await chats.rate(current, frame.rating);
        send(peer, { t: 'rated', chat: current.id });
        return;
    }
  };

  serveFrames(peer, residentFrame, request.log, handle, {
    // Typing notices are throttled by `handle`; everything else counts against the limit.
    admit: (frame) => {
      if (frame.t === 'typing') return true;
      const verdict = limit.take();
      if (verdict === 'close') socket.close(1008, 'Too many messages');
      else if (verdict === 'refuse')
        fail('slow-down', 'You are sending messages too quickly. Wait a moment.');
      return verdict === 'ok';
    },
  });
  socket.on('close', () => {
    hub.drop(peer);
  });
}
