/** The public case look-up, as OpenAPI 3.1 path items (collected into /api/docs by the api module). */
export const casesSchemas = {
  CaseSummary: {
    type: 'object',
    required: ['ref', 'service_code', 'kind', 'status', 'status_label', 'open311_status'],
    properties: {
      ref: { type: 'string', example: 'PTH-4F7K-92QT' },
      service_code: { type: 'string', example: 'report-a-pothole' },
      kind: { type: 'string', example: 'report' },
      status: { type: 'string', example: 'action_scheduled' },
      status_label: { type: 'string', example: 'Action scheduled' },
      open311_status: { type: 'string', enum: ['open', 'closed'] },
      title: { type: 'string', description: 'Reports only: other kinds of case are private' },
      location: {
        type: ['object', 'null'],
        description: 'Reports only',
        properties: { lat: { type: 'number' }, lng: { type: 'number' } },
      },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
} as const;

export const casesPaths = {
  '/api/v1/cases/{ref}': {
    get: {
      summary: 'Where a case has got to, by its reference',
      operationId: 'getCase',
      parameters: [
        {
          name: 'ref',
          in: 'path',
          required: true,
          description:
            'The reference, e.g. PTH-4F7K-92QT; case, spaces and O/0, I/1 mix-ups are forgiven',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'The case',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/CaseSummary' } } },
        },
        '400': { $ref: '#/components/responses/Problem' },
        '404': { $ref: '#/components/responses/Problem' },
      },
    },
  },
};
