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
  interface FastifyInstance {
    /**
     * A GET route for a page that is the same for everyone (home, help pages): rendered
     * once, then served with only this response's CSP nonce put in. It cannot hold a form.
     */
    staticPage(url: string, template: string, context: Record<string, unknown>): void;
  }
}

export interface RenderOptions {
  views: nunjucks.Environment;
  assets: AssetManifest;
  config: Config;
}

/** Everything every page may use. */
function pageContext({ assets, config }: RenderOptions, path: string, cspNonce: string) {
  return {
    council: config.council,
    assets,
    year: new Date().getFullYear(),
    currentPath: path,
    cspNonce,
  };
}

const HTML = 'text/html; charset=utf-8';
/** Stands in for the nonce in a static page's cached HTML; it cannot occur in our templates. */
const NONCE_SLOT = '\u0000nonce\u0000';

declare module 'fastify' {
  interface FastifyRequest {
    /** A notice shown above every page's content for this request, e.g. that an agent is assisting. */
    pageNotice?: { text: string; link: { href: string; text: string } };
  }
}

export const renderPlugin = fp(
  (app: FastifyInstance, options: RenderOptions, done: () => void) => {
    const { views } = options;

    app.decorateReply(
      'render',
      function render(this: FastifyReply, template: string, context = {}) {
        const html = views.render(template, {
          ...pageContext(options, this.request.url.split('?')[0] ?? '/', this.cspNonce),
          // A function, so only pages with a form (`{{ csrfToken() }}`) start a session to hold its secret.
          csrfToken: (): string => this.generateCsrf(),
          pageNotice: this.request.pageNotice,
          ...context,
        });
        return this.type(HTML).send(html);
      },
    );

    app.decorate(
      'staticPage',
      function staticPage(
        this: FastifyInstance,
        url: string,
        template: string,
        context: Record<string, unknown>,
      ) {
        let cached: { year: number; parts: string[] } | undefined;
        this.get(url, (_request, reply) => {
          const year = new Date().getFullYear();
          if (cached?.year !== year) {
            const html = views.render(template, {
              ...pageContext(options, url, NONCE_SLOT),
              csrfToken: () => {
                throw new Error(`${template} is a static page and cannot hold a form`);
              },
              ...context,
            });
            cached = { year, parts: html.split(NONCE_SLOT) };
          }
          return reply.type(HTML).send(cached.parts.join(reply.cspNonce));
        });
      },
    );
    done();
  },
  { name: 'shire-render', dependencies: ['shire-session'] },
);
