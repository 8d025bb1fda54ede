import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionStore } from './session-stores.js';

export const SESSION_COOKIE = 'shire_session';
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;
const SESSION_ID = /^[\w-]{43}$/;
const WITHOUT_SESSION = /^\/(assets|health)\/|^\/metrics$/;

/**
 * A resident's server-side session. It is created lazily: reading pages never makes one
 * (no cookie, no database write); the first `set` does, e.g. when a form needs a CSRF
 * secret or someone signs in.
 */
export class Session {
  private dirty = false;
  private destroyed = false;
  private renew = false;

  constructor(
    private data: Record<string, unknown>,
    /** The id from the resident's cookie; undefined until the session is first saved. */
    public id: string | undefined,
    private readonly savedAt: number,
  ) {}

  /** What was stored under `key`; check its type before use, as it came back from JSON. */
  get(key: string): unknown {
    return this.data[key];
  }

  set(key: string, value: unknown): void {
    this.data[key] = value;
    this.dirty = true;
  }

  delete(key: string): void {
    if (!(key in this.data)) return;
    this.data = Object.fromEntries(Object.entries(this.data).filter(([k]) => k !== key));
    this.dirty = true;
  }

  /** Gives the session a new id, keeping its data: call on sign-in, so a planted id is worthless. */
  regenerate(): void {
    this.renew = true;
    this.dirty = true;
  }

  /** Forgets the session entirely: sign-out. */
  destroy(): void {
    this.destroyed = true;
  }

  /** What the plugin should do with this session at the end of the request. */
  outcome(now: number): 'destroy' | 'save' | 'nothing' {
    if (this.destroyed) return this.id ? 'destroy' : 'nothing';
    // Rolling expiry without a write on every request: refresh once a quarter of its life has gone.
    if (this.dirty || (this.id !== undefined && now - this.savedAt > SESSION_MAX_AGE_MS / 4))
      return 'save';
    return 'nothing';
  }

  get mustRenewId(): boolean {
    return this.renew;
  }

  toJSON(): Record<string, unknown> {
    return this.data;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session;
  }
}

export interface SessionOptions {
  store: SessionStore;
  /** Keys the stored form of session ids, so a copy of the sessions table holds no usable ids. */
  secret: string;
  secureCookies: boolean;
}

/** Server-side sessions in an HttpOnly, SameSite=Lax cookie (Secure over https). */
export const sessionPlugin = fp(
  (app: FastifyInstance, options: SessionOptions, done: () => void) => {
    const storageKey = (id: string) =>
      createHmac('sha256', options.secret).update(id).digest('base64url');
    const cookieOptions = {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookies,
      maxAge: SESSION_MAX_AGE_MS / 1000,
    } as const;

    app.decorateRequest('session', null as unknown as Session);

    app.addHook('onRequest', async (request) => {
      // Static files and probes never need a session, so they never cost a store read.
      if (WITHOUT_SESSION.test(request.url)) {
        request.session = new Session({}, undefined, Date.now());
        return;
      }
      const id = request.cookies[SESSION_COOKIE];
      const stored = id && SESSION_ID.test(id) ? await options.store.get(storageKey(id)) : null;
      request.session = stored
        ? new Session(stored.data, id, stored.savedAt)
        : new Session({}, undefined, Date.now());
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const session = request.session as Session | null;
      if (!session) return payload;
      const outcome = session.outcome(Date.now());
      if (outcome === 'destroy' && session.id) {
        await options.store.destroy(storageKey(session.id));
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      } else if (outcome === 'save') {
        if (session.id && session.mustRenewId) await options.store.destroy(storageKey(session.id));
        if (!session.id || session.mustRenewId) session.id = randomBytes(32).toString('base64url');
        await options.store.set(storageKey(session.id), {
          data: session.toJSON(),
          savedAt: Date.now(),
          expiresAt: new Date(Date.now() + SESSION_MAX_AGE_MS),
        });
        void reply.setCookie(SESSION_COOKIE, session.id, cookieOptions);
      }
      return payload;
    });
    done();
  },
  { name: 'shire-session', dependencies: ['@fastify/cookie'] },
);
