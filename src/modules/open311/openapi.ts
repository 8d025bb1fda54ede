/**
 * Open311 (GeoReport v2 and mySociety's updates extension) as OpenAPI 3.1 path items,
 * collected into /api/docs by the api module. Each path ends in .xml or .json: the same
 * document in either format (XML elements named as the JSON keys, lists as repeated elements).
 */
import { OPEN311_STATUSES } from './updates.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const format = {
  name: 'format',
  in: 'path',
  required: true,
  description: 'xml or json',
  schema: { type: 'string', enum: ['xml', 'json'] },
};
const jurisdiction = {
  name: 'jurisdiction_id',
  in: 'query',
  required: false,
  description: 'Optional; if given, it must be this council’s (an unknown one is a 404)',
  schema: { type: 'string' },
};
const apiKeyQuery = {
  name: 'api_key',
  in: 'query',
  required: false,
  description: 'Optional when reading; a call made with a key is audited and counts to its limit',
  schema: { type: 'string' },
};
const window = [
  {
    name: 'start_date',
    in: 'query',
    required: false,
    description: 'W3C date or date-time with zone; the window is at most 90 days',
    schema: { type: 'string' },
  },
  {
    name: 'end_date',
    in: 'query',
    required: false,
    description: 'W3C date or date-time with zone; without either, the last 90 days',
    schema: { type: 'string' },
  },
];
const both = (schema: object) => ({
  'application/json': { schema },
  'text/xml': { schema },
});
const answer = (description: string, schema: object) => ({
  description,
  content: both(schema),
});
const errors = (codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      answer(
        {
          400: 'Something sent is wrong: one error for each wrong field, naming it',
          403: 'api_key is missing, wrong or revoked',
          404: 'No such service, request, token or jurisdiction',
          429: 'The key has made its calls for this minute',
        }[code] ?? 'Error',
        ref('Open311Errors'),
      ),
    ]),
  );
const list = (item: string) => ({ type: 'array', items: ref(item) });

export const open311Schemas = {
  Open311Errors: {
    type: 'array',
    xml: { name: 'errors' },
    items: {
      type: 'object',
      xml: { name: 'error' },
      properties: {
        code: { type: 'integer', description: 'The HTTP status' },
        description: { type: 'string', example: 'lat: Enter a latitude between -90 and 90' },
      },
    },
  },
  Open311Service: {
    type: 'object',
    xml: { name: 'service' },
    properties: {
      service_code: { type: 'string', example: 'report-a-pothole' },
      service_name: { type: 'string' },
      description: { type: 'string' },
      metadata: { type: 'boolean', description: 'Whether it has attributes (questions)' },
      type: { type: 'string', enum: ['realtime'] },
      keywords: { type: 'string', description: 'Comma-separated' },
      group: { type: 'string', example: 'Roads and transport' },
    },
  },
  Open311ServiceDefinition: {
    type: 'object',
    xml: { name: 'service_definition' },
    properties: {
      service_code: { type: 'string' },
      attributes: {
        type: 'array',
        items: {
          type: 'object',
          xml: { name: 'attribute' },
          properties: {
            variable: { type: 'boolean' },
            code: { type: 'string', description: 'Send the answer as attribute[code]' },
            datatype: {
              type: 'string',
              enum: ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'],
            },
            required: { type: 'boolean' },
            datatype_description: { type: 'string' },
            order: { type: 'integer' },
            description: { type: 'string' },
            values: {
              type: 'array',
              items: {
                type: 'object',
                xml: { name: 'value' },
                properties: { key: { type: 'string' }, name: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
  Open311Request: {
    type: 'object',
    xml: { name: 'request' },
    properties: {
      service_request_id: { type: 'string', example: 'PTH-4F7K-92QT' },
      status: { type: 'string', enum: ['open', 'closed'] },
      status_notes: { type: 'string', example: 'Action scheduled' },
      service_name: { type: 'string' },
      service_code: { type: 'string' },
      description: { type: 'string' },
      agency_responsible: { type: 'string' },
      service_notice: { type: 'string' },
      requested_datetime: { type: 'string', format: 'date-time' },
      updated_datetime: { type: 'string', format: 'date-time' },
      expected_datetime: { type: 'string' },
      address: { type: 'string' },
      address_id: { type: 'string' },
      zipcode: { type: 'string' },
      lat: { type: 'number' },
      long: { type: 'number' },
      media_url: { type: 'string' },
    },
  },
  Open311NewRequest: {
    type: 'object',
    xml: { name: 'request' },
    properties: {
      service_request_id: { type: 'string' },
      token: { type: 'string', description: 'For tokens/{token}' },
      service_notice: { type: 'string' },
      account_id: { type: 'string' },
    },
  },
  Open311Update: {
    type: 'object',
    xml: { name: 'request_update' },
    properties: {
      update_id: { type: 'string' },
      service_request_id: { type: 'string' },
      status: { type: 'string', enum: OPEN311_STATUSES.filter((s) => s !== 'REOPEN') },
      updated_datetime: { type: 'string', format: 'date-time' },
      description: { type: 'string' },
      media_url: { type: 'string' },
    },
  },
} as const;

const formBody = (properties: Record<string, object>, required: string[]) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: { type: 'object', required, properties },
    },
  },
});

export const open311Paths = {
  '/open311/v2/discovery.{format}': {
    get: {
      summary: 'Open311: where this API is and what it speaks',
      operationId: 'open311Discovery',
      parameters: [format],
      responses: { '200': answer('Discovery', { type: 'object', xml: { name: 'discovery' } }) },
    },
  },
  '/open311/v2/services.{format}': {
    get: {
      summary: 'Open311: every Report It category, with its group and keywords',
      operationId: 'open311Services',
      parameters: [format, jurisdiction, apiKeyQuery],
      responses: {
        '200': answer('The services', list('Open311Service')),
        ...errors([403, 404]),
      },
    },
  },
  '/open311/v2/services/{service_code}.{format}': {
    get: {
      summary: 'Open311: one category’s questions, as attributes',
      operationId: 'open311ServiceDefinition',
      parameters: [
        { name: 'service_code', in: 'path', required: true, schema: { type: 'string' } },
        format,
        jurisdiction,
        apiKeyQuery,
      ],
      responses: {
        '200': answer('The service definition', ref('Open311ServiceDefinition')),
        ...errors([403, 404]),
      },
    },
  },
  '/open311/v2/requests.{format}': {
    get: {
      summary: 'Open311: public reports, newest first, at most 1,000',
      operationId: 'open311Requests',
      parameters: [
        format,
        {
          name: 'service_request_id',
          in: 'query',
          required: false,
          description: 'Comma-separated references; overrides every other filter',
          schema: { type: 'string' },
        },
        {
          name: 'service_code',
          in: 'query',
          required: false,
          description: 'Comma-separated',
          schema: { type: 'string' },
        },
        {
          name: 'status',
          in: 'query',
          required: false,
          description: 'open, closed or both, comma-separated',
          schema: { type: 'string' },
        },
        ...window,
        jurisdiction,
        apiKeyQuery,
      ],
      responses: {
        '200': answer('The service requests', list('Open311Request')),
        ...errors([400, 403, 404]),
      },
    },
    post: {
      summary: 'Open311: make a report (needs an api_key)',
      operationId: 'open311CreateRequest',
      parameters: [format],
      requestBody: formBody(
        {
          api_key: { type: 'string' },
          jurisdiction_id: { type: 'string' },
          service_code: { type: 'string' },
          lat: { type: 'number' },
          long: { type: 'number' },
          address_string: { type: 'string', description: 'Instead of lat and long' },
          'attribute[code]': {
            type: 'string',
            description: 'An answer; attribute[code][] for each of several (multivaluelist)',
          },
          email: { type: 'string' },
          first_name: { type: 'string' },
          last_name: { type: 'string' },
          phone: { type: 'string' },
          description: { type: 'string', maxLength: 4000 },
          media_url: { type: 'string', format: 'uri', description: 'Linked, never fetched' },
        },
        ['api_key', 'service_code'],
      ),
      responses: {
        '200': answer('The new report’s reference', list('Open311NewRequest')),
        ...errors([400, 403, 404, 429]),
      },
    },
  },
  '/open311/v2/requests/{service_request_id}.{format}': {
    get: {
      summary: 'Open311: one public report',
      operationId: 'open311Request',
      parameters: [
        { name: 'service_request_id', in: 'path', required: true, schema: { type: 'string' } },
        format,
        jurisdiction,
        apiKeyQuery,
      ],
      responses: {
        '200': answer('The service request', list('Open311Request')),
        ...errors([403, 404]),
      },
    },
  },
  '/open311/v2/tokens/{token}.{format}': {
    get: {
      summary: 'Open311: the reference a POST requests token stands for',
      operationId: 'open311Token',
      parameters: [
        { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
        format,
        jurisdiction,
        apiKeyQuery,
      ],
      responses: {
        '200': answer('service_request_id and token', list('Open311NewRequest')),
        ...errors([403, 404]),
      },
    },
  },
  '/open311/v2/servicerequestupdates.{format}': {
    get: {
      summary: 'Open311 updates extension: public updates to reports in a window, oldest first',
      operationId: 'open311Updates',
      parameters: [format, ...window, jurisdiction, apiKeyQuery],
      responses: {
        '200': answer('The updates', list('Open311Update')),
        ...errors([400, 403, 404]),
      },
    },
    post: {
      summary: 'Open311 updates extension: a back office changes a report (needs an api_key)',
      description:
        'The status is one of the extension’s, each mapped to a Report It status; the resident is told as when staff change it. An update_id already sent is not applied again, and gets the same answer.',
      operationId: 'open311PushUpdate',
      parameters: [format],
      requestBody: formBody(
        {
          api_key: { type: 'string' },
          jurisdiction_id: { type: 'string' },
          service_request_id: { type: 'string' },
          update_id: { type: 'string', maxLength: 100 },
          status: { type: 'string', enum: OPEN311_STATUSES },
          updated_datetime: { type: 'string', format: 'date-time' },
          description: { type: 'string', maxLength: 4000 },
          media_url: { type: 'string', format: 'uri' },
          email: { type: 'string' },
          first_name: { type: 'string' },
          last_name: { type: 'string' },
        },
        ['api_key', 'service_request_id', 'update_id', 'status', 'updated_datetime'],
      ),
      responses: {
        '200': answer('Shire’s id for the update', {
          type: 'array',
          items: { type: 'object', properties: { update_id: { type: 'string' } } },
        }),
        ...errors([400, 403, 404, 429]),
      },
    },
  },
};
