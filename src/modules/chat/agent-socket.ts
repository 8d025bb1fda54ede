import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import type { ModuleOptions } from '../../app.js';
import { asStaff } from '../backoffice/roles.js';
import { queueItem, send, serveFrames, type ChatHub, type Peer } from './hub.js';
import { agentFrame, isSameOrigin, type AgentFrame } from './protocol.js';
import type { AgentConsole } from './console.js';
import type { ChatService } from './service.js';

/**
 * Who may open an agent's chat socket: staff, signed in with a second factor (Shire's, or the
 * council's identity provider's), from a page on this site. Refused before the upgrade.
 */
export function agentSocketGuard({ services, config }: ModuleOptions) {
  const origin = new URL(config.publicUrl).origin;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const sameSite = request.headers.origin === origin || isSameOrigin(request);
    const staff = asStaff(request.account);
    const secondFactor =
      staff &&
      (request.signIn?.multiFactor === true || !(await services.twoFactor.mustSetUp(staff.id)));
    if (!sameSite || !staff || !secondFactor)
      return reply.code(403).send({ title: 'Forbidden', detail: 'This is for council staff.' });
    return undefined;
  };
}

/**
 * One agent's console: the queue, their chats, and what they do in them, through the same
 * AgentConsole as the console's pages (the same checks, the same audit entries).
 */
export function agentConnection(
  socket: WebSocket,
  request: FastifyRequest,
  chats: ChatService,
  desk: AgentConsole,
  hub: ChatHub,
): void {
  const staff = asStaff(request.account);
  if (!staff) {
    socket.close(1008, 'Staff only');
    return;
  }
  const peer: Peer = { socket, role: 'agent', agentId: staff.id };
  hub.addConsole(peer);

  const hello = async () => {
    await chats.agentSeen(staff.id);
    send(peer, {
      t: 'hello',
      status: await chats.agentStatus(staff.id),
      queue: (await chats.waiting()).map(queueItem),
      chats: [],
    });
    // Each of their chats follows as its own `chats` frame, then live.
    for (const chat of await chats.mine(staff.id)) await hub.openFor(peer, chat);
  };

  const handle = async (frame: AgentFrame) => {
    switch (frame.t) {
      case 'ping':
        return chats.agentSeen(staff.id);
      case 'status':
        await desk.setStatus(staff, frame.status);
        send(peer, { t: 'status', status: frame.status });
        return;
      case 'accept':
        await hub.openFor(peer, await desk.accept(staff, frame.chat));
        return;
      case 'sync':
        // After a reconnect: what each of their chats said since the last message seen.
        for (const [id, after] of Object.entries(frame.after)) {
          const chat = await desk.theirs(staff, Number(id));
          await hub.enter(chat.id, peer, after);
        }
        return;
      case 'msg': {
        const message = await desk.reply(staff, frame.chat, frame.text, frame.id);
        send(peer, { t: 'ack', chat: frame.chat, id: frame.id, seq: message.seq });
        return;
      }
      case 'typing':
        await desk.theirs(staff, frame.chat);
        return chats.typing(frame.chat, 'agent');
      case 'close':
        await desk.close(staff, frame.chat, frame.outcome);
        hub.leave(frame.chat, peer);
        send(peer, { t: 'closed', chat: frame.chat });
        return;
      case 'transfer': {
        const to = await desk.transfer(staff, frame.chat, String(frame.to));
        hub.leave(frame.chat, peer);
        send(peer, { t: 'closed', chat: frame.chat, transferredTo: to.name });
        return;
      }
    }
  };

  serveFrames(peer, agentFrame, request.log, handle, {
    first: hello().catch((err: unknown) => {
      request.log.error({ err }, 'could not open an agent’s chat console');
    }),
    about: (frame) => ('chat' in frame ? { chat: frame.chat } : {}),
  });
  socket.on('close', () => {
    hub.drop(peer);
  });
}
