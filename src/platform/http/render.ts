import type {} from '@fastify/csrf-protection';
import type {} from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type nunjucks from 'nunjucks';
import type { Config } from '../config.js';
import type { AssetManifest } from '../views/assets.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a Nunjucks page with the layout's shared context (council, assets, CSP nonce, CSRF token). */
    render(template: string, context?: Record<string, unknown>): FastifyReply;
  }
}

export interface RenderOptions {
  views: nunjucks.Environment;
  assets: AssetManifest;
  config: Config;
}

/** Everything every page may use, built per response. */
function pageContext(reply: FastifyReply, { assets, config }: RenderOptions) {
  return {
    council: config.council,
    assets,
    year: new Date().getFullYear(),
    currentPath: reply.request.url.split('?')[0],
    cspNonce: reply.cspNonce.script,
    // A function, so only pages that have a form (`{{ csrfToken() }}`) start a session to hold the CSRF secret.
    csrfToken: (): string => reply.generateCsrf(),
  };
}

export const renderPlugin = fp(
  (app: FastifyInstance, options: RenderOptions, done: () => void) => {
    app.decorateReply(
      'render',
      function render(this: FastifyReply, template: string, context = {}) {
        const html = options.views.render(
          template,
          Object.assign(pageContext(this, options), context),
        );
        return this.type('text/html; charset=utf-8').send(html);
      },
    );
    done();
  },
  { name: 'shire-render', dependencies: ['@fastify/helmet', '@fastify/csrf-protection'] },
);
