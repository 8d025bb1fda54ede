/** Report It's API, as OpenAPI 3.1 path items (collected into /api/docs by the api module). */
const problem = { $ref: '#/components/responses/Problem' };
const refParameter = {
  name: 'ref',
  in: 'path',
  required: true,
  description: 'The report’s reference, e.g. PTH-4F7K-92QT',
  schema: { type: 'string' },
};

export const reportsSchemas = {
  Report: {
    type: 'object',
    description: 'A report as anyone may see it: never the reporter’s contact details',
    required: ['ref', 'url', 'service_code', 'category', 'status', 'status_label', 'open'],
    properties: {
      ref: { type: 'string', example: 'PTH-4F7K-92QT' },
      url: { type: 'string', format: 'uri', description: 'The report’s public page' },
      service_code: { type: 'string', example: 'report-a-pothole' },
      category: { type: 'string', example: 'Pothole' },
      status: { type: 'string', example: 'action_scheduled' },
      status_label: { type: 'string', example: 'Action scheduled' },
      open: { type: 'boolean' },
      location: {
        type: ['object', 'null'],
        properties: {
          lat: { type: 'number' },
          lng: { type: 'number' },
          label: { type: 'string', example: 'Near Market Street, Westmoor' },
        },
      },
      description: { type: ['string', 'null'] },
      details: {
        type: 'array',
        description: 'The category’s questions and the answers given',
        items: {
          type: 'object',
          properties: {
            question: { type: 'string' },
            answer: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      photos: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            width: { type: 'integer' },
            height: { type: 'integer' },
            thumb: { type: 'string', format: 'uri' },
            display: { type: 'string', format: 'uri' },
            full: { type: 'string', format: 'uri' },
          },
        },
      },
      reported_by: {
        type: ['string', 'null'],
        description: 'Only when the reporter chose to show their name',
      },
      expected_fix_date: { type: ['string', 'null'], format: 'date' },
      distance_metres: { type: 'integer', description: 'In lists near a point only' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
} as const;

export const reportsPaths = {
  '/api/v1/reports': {
    get: {
      summary: 'Reports near a point, nearest first',
      operationId: 'listReports',
      parameters: [
        {
          name: 'lat',
          in: 'query',
          required: true,
          schema: { type: 'number', minimum: -90, maximum: 90 },
        },
        {
          name: 'lng',
          in: 'query',
          required: true,
          schema: { type: 'number', minimum: -180, maximum: 180 },
        },
        {
          name: 'radius',
          in: 'query',
          description: 'Metres (default 250)',
          schema: { type: 'integer', minimum: 1, maximum: 5000 },
        },
        { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'closed'] } },
        {
          name: 'category',
          in: 'query',
          description: 'A report service code',
          schema: { type: 'string' },
        },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
      ],
      responses: {
        '200': {
          description: 'The reports',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  reports: { type: 'array', items: { $ref: '#/components/schemas/Report' } },
                },
              },
            },
          },
        },
        '400': problem,
      },
    },
    post: {
      summary: 'Make a report, with up to 3 photos',
      operationId: 'createReport',
      description:
        'Location is lat and lng, or address_string (a street, place or postcode). Category questions are attribute[name] (attribute[name][] for several answers), as in Open311; GET /api/v1/services/{code} lists them. Send an Idempotency-Key header to make retries safe: the same key returns the first report.',
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          schema: { type: 'string', minLength: 8, maxLength: 100 },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['service_code', 'email'],
              properties: {
                service_code: { type: 'string', example: 'report-a-pothole' },
                lat: { type: 'number' },
                lng: { type: 'number' },
                address_string: { type: 'string' },
                description: { type: 'string', maxLength: 2000 },
                name: { type: 'string', maxLength: 100 },
                email: { type: 'string', format: 'email' },
                phone: { type: 'string' },
                show_name: { type: 'string', enum: ['true', 'false'] },
                photos: {
                  type: 'array',
                  maxItems: 3,
                  items: { type: 'string', contentMediaType: 'image/jpeg' },
                  description: 'JPEG, PNG or WebP, each under 20 MB and 50 megapixels',
                },
              },
              additionalProperties: { type: 'string', description: 'attribute[name] answers' },
            },
          },
          'application/x-www-form-urlencoded': {
            schema: { type: 'object', description: 'As multipart, without photos' },
          },
        },
      },
      responses: {
        '201': {
          description: 'The report was made',
          headers: { Location: { schema: { type: 'string' } } },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Report' } } },
        },
        '400': problem,
        '429': problem,
      },
    },
  },
  '/api/v1/reports/{ref}': {
    get: {
      summary: 'One report',
      operationId: 'getReport',
      parameters: [refParameter],
      responses: {
        '200': {
          description: 'The report',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Report' } } },
        },
        '400': problem,
        '404': problem,
      },
    },
  },
};
