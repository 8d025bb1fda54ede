import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Session } from '../../platform/http/session.js';
import type { SignedInAccount } from '../account/current.js';
import type { Actor } from '../cases/service.js';
import { asStaff } from './roles.js';

/**
 * Assisted digital: an agent on a call or at the counter uses the ordinary service pages on a
 * resident's behalf. While assisting, every page outside /staff and /account sees no one
 * signed in — the agent gives the resident's details as the resident would — and each case
 * they send records the channel and the agent.
 */
export type AssistedChannel = 'phone' | 'face_to_face';

const ASSISTING = 'assisting';

declare module 'fastify' {
  interface FastifyRequest {
    /** The agent completing this page for a resident, when assisted digital is on. */
    assistingAgent: (SignedInAccount & { channel: AssistedChannel }) | null;
  }
}

export function startAssisting(session: Session, channel: AssistedChannel): void {
  session.set(ASSISTING, channel);
}

/** How the resident an agent is helping contacted them, while assisted digital is on. */
export function assistingChannel(session: Session): AssistedChannel | undefined {
  const channel = session.get(ASSISTING);
  return channel === 'phone' || channel === 'face_to_face' ? channel : undefined;
}

export function stopAssisting(session: Session): void {
  session.delete(ASSISTING);
}

/** The channel and actor for a case sent from this request: the web and the resident, or an agent's. */
export function sentBy(request: FastifyRequest): {
  channel: 'web' | AssistedChannel;
  actor: Actor;
} {
  const agent = request.assistingAgent;
  if (agent)
    return { channel: agent.channel, actor: { type: 'staff', id: agent.id, name: agent.name } };
  return { channel: 'web', actor: { type: 'resident', id: request.account?.id ?? null } };
}

/** Runs after the account plugin, on every route: it must see request.account already set. */
export const assistedPlugin = fp(
  (app: FastifyInstance, _options: unknown, done: () => void) => {
    app.decorateRequest('assistingAgent', null);
    app.addHook('onRequest', async (request) => {
      const channel = assistingChannel(request.session);
      if (!channel) return;
      const path = request.url.split('?')[0] ?? '';
      if (/^\/(staff|account)(\/|$)/.test(path)) return;
      const account = request.account;
      if (!account || !asStaff(account)) return;
      request.assistingAgent = { ...account, channel };
      request.account = null;
      request.pageNotice = {
        text: `You are completing this for a resident ${channel === 'phone' ? 'on the phone' : 'at the counter'}. Give their details, not yours.`,
        link: { href: '/staff/assist', text: 'Finish helping them' },
      };
      await Promise.resolve();
    });
    done();
  },
  { name: 'shire-assisted-digital', dependencies: ['shire-account'] },
);
