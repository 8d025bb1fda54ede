import type { FastifyInstance } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { casesPaths, casesSchemas } from '../cases/openapi.js';
import { cataloguePaths, catalogueSchemas } from '../catalogue/openapi.js';
import { open311Paths, open311Schemas } from '../open311/openapi.js';
import { reportsPaths, reportsSchemas } from '../reports/openapi.js';

/** /api/docs: the OpenAPI document for every public API, gathered from the modules that own them. */
export function apiModule(app: FastifyInstance, { config }: ModuleOptions, done: () => void): void {
  const document = {
    openapi: '3.1.0',
    info: {
      title: `${config.council.name} API`,
      version: '1.0.0',
      description:
        'The council’s services, the progress of cases, and Report It: make reports and follow them, here or through Open311 (GeoReport v2 with the updates extension).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: config.publicUrl }],
    paths: { ...cataloguePaths, ...casesPaths, ...reportsPaths, ...open311Paths },
    components: {
      schemas: {
        ...catalogueSchemas,
        ...casesSchemas,
        ...reportsSchemas,
        ...open311Schemas,
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
      responses: {
        Problem: {
          description: 'What was wrong, as RFC 9457 problem JSON',
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
      },
    },
  };
  app.get('/api/docs', () => document);
  done();
}
