/** The catalogue API, as OpenAPI 3.1 path items (collected into /api/docs by the api module). */
const service = {
  type: 'object',
  required: ['code', 'name', 'summary', 'category', 'kind', 'online'],
  properties: {
    code: { type: 'string', example: 'renew-library-books' },
    name: { type: 'string', example: 'Renew library books' },
    summary: { type: 'string' },
    category: { type: 'string', example: 'libraries' },
    category_name: { type: 'string', example: 'Libraries' },
    keywords: { type: 'array', items: { type: 'string' } },
    kind: {
      type: 'string',
      enum: ['form', 'report', 'library', 'school-admission', 'event-booking', 'external'],
    },
    team: { type: 'string', example: 'Libraries' },
    sla_days: { type: 'integer', description: 'Working days the council aims to finish within' },
    online: { type: 'boolean', description: 'Whether the service can be used online today' },
    start_url: { type: ['string', 'null'], description: 'Where the online journey starts' },
    start: {
      type: 'object',
      properties: {
        intro: { type: 'string' },
        before: { type: 'array', items: { type: 'string' } },
        time: { type: 'string' },
        next: { type: 'string' },
      },
    },
    score: { type: 'number', description: 'Search relevance, when searching' },
  },
} as const;

export const catalogueSchemas = { Service: service };

export const cataloguePaths = {
  '/api/v1/services': {
    get: {
      summary: 'List or search the council’s services',
      operationId: 'listServices',
      parameters: [
        {
          name: 'q',
          in: 'query',
          required: false,
          description:
            'Words to search for; typos and split words are forgiven (e.g. "libary", "pot hole")',
          schema: { type: 'string', maxLength: 200 },
        },
      ],
      responses: {
        '200': {
          description: 'Every service A to Z, or the services matching q, best first',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  query: { type: 'string' },
                  services: { type: 'array', items: { $ref: '#/components/schemas/Service' } },
                },
              },
            },
          },
        },
        '400': { $ref: '#/components/responses/Problem' },
      },
    },
  },
  '/api/v1/services/{code}': {
    get: {
      summary: 'One service',
      operationId: 'getService',
      parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The service',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Service' } } },
        },
        '404': { $ref: '#/components/responses/Problem' },
      },
    },
  },
};
