import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { CASE_KINDS, casePath } from './kinds.js';
import { InvalidReferenceError, REFERENCE_EXAMPLE } from './reference.js';
import type { Case } from './service.js';
import { publicTimeline } from './timeline.js';

/**
 * "Check progress": anyone with a reference can see where a case has got to. Reports show
 * their public timeline (like FixMyStreet); other kinds show their status only, since an
 * application or booking is nobody else's business — their details are in My Account.
 */
export function casesModule(
  app: FastifyInstance,
  { services }: ModuleOptions,
  done: () => void,
): void {
  const { cases } = services;

  const showLookup = (reply: FastifyReply, ref: string, error?: string) =>
    reply.code(error ? 400 : 200).render('cases/views/lookup.njk', {
      pageTitle: 'Check progress',
      ref,
      example: REFERENCE_EXAMPLE,
      errorSummary: error ? [{ text: error, href: '#ref' }] : [],
      error,
    });

  /** The case a typed reference names; `malformed` when it cannot be a reference at all. */
  const lookUp = async (input: string): Promise<{ found?: Case; malformed?: string }> => {
    try {
      const found = await cases.getByRef(input);
      return found ? { found } : {};
    } catch (err) {
      if (err instanceof InvalidReferenceError) return { malformed: err.message };
      throw err;
    }
  };

  app.get<{ Querystring: { ref?: string } }>('/track', async (request, reply) => {
    const ref = typeof request.query.ref === 'string' ? request.query.ref : undefined;
    if (ref === undefined) return showLookup(reply, '');
    if (!ref.trim()) return showLookup(reply, ref, 'Enter your reference');
    const { found, malformed } = await lookUp(ref);
    if (malformed) return showLookup(reply, ref, malformed);
    if (!found)
      return showLookup(
        reply,
        ref,
        `We cannot find ${ref.trim().toUpperCase()}. Check the reference in your email or letter`,
      );
    return reply.redirect(`/track/${found.ref}`, 303);
  });

  app.get<{ Params: { ref: string } }>('/track/:ref', async (request, reply) => {
    const { found, malformed } = await lookUp(request.params.ref);
    if (malformed) return showLookup(reply, request.params.ref, malformed);
    if (!found)
      throw new NotFoundError(`We cannot find a case with reference ${request.params.ref}.`);
    // A report has its own public page, with its map and photos.
    if (casePath(found) !== `/track/${found.ref}`) return reply.redirect(casePath(found), 302);
    const kind = CASE_KINDS[found.kind];
    const timeline = kind.publicTimeline ? await publicTimeline(cases, found) : [];
    return reply.render('cases/views/progress.njk', {
      pageTitle: `${found.ref}: ${found.statusLabel}`,
      found,
      kind,
      timeline,
    });
  });

  /** Public JSON view of one case, for apps and other systems. */
  app.get<{ Params: { ref: string } }>('/api/v1/cases/:ref', async (request) => {
    const { found, malformed } = await lookUp(request.params.ref);
    if (malformed) throw new ValidationError(malformed, 'ref');
    if (!found) throw new NotFoundError(`There is no case with reference ${request.params.ref}.`);
    const isPublic = CASE_KINDS[found.kind].publicTimeline;
    return {
      ref: found.ref,
      service_code: found.serviceCode,
      kind: found.kind,
      status: found.status,
      status_label: found.statusLabel,
      open311_status: found.open311,
      ...(isPublic ? { title: found.title, location: found.location } : {}),
      created_at: found.createdAt.toISOString(),
      updated_at: found.updatedAt.toISOString(),
    };
  });
  done();
}
