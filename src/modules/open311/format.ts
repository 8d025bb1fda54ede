import type { FastifyReply } from 'fastify';

/**
 * Open311 answers in XML or JSON, as the extension of the path says (services.xml,
 * services.json). One document model serves both: objects become elements (or JSON objects)
 * and a `List` becomes repeated elements inside its parent (or a JSON array), so each
 * endpoint builds its answer once. The XML is written here rather than with a library: the
 * documents are small and fixed in shape, and all it needs is correct escaping.
 */

export const FORMATS = ['xml', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export type Scalar = string | number | boolean | null | undefined;
export type Value = Scalar | List | { [name: string]: Value };

/** Repeated `<item>` elements in XML, an array in JSON. */
export class List {
  constructor(
    readonly item: string,
    readonly items: readonly Value[],
  ) {}
}

/** A document: its root element's name and its content. */
export interface Document {
  root: string;
  value: Value;
}

/** "services.json" → { name: "services", format: "json" }; undefined for any other extension. */
export function splitFormat(file: string): { name: string; format: Format } | undefined {
  const dot = file.lastIndexOf('.');
  const format = file.slice(dot + 1);
  if (dot <= 0 || !(FORMATS as readonly string[]).includes(format)) return undefined;
  return { name: file.slice(0, dot), format: format as Format };
}

export function toJson(value: Value): unknown {
  if (value instanceof List) return value.items.map(toJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    );
  return value ?? null;
}

export function toXml(document: Document): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${element(document.root, document.value)}`;
}

function element(name: string, value: Value): string {
  if (value === undefined) return '';
  if (value instanceof List)
    return `<${name}>${value.items.map((item) => element(value.item, item)).join('')}</${name}>`;
  if (value === null || value === '') return `<${name}/>`;
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([child, v]) => element(child, v))
      .join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * Text as XML 1.0 character data: markup characters escaped, and characters XML cannot
 * carry at all (most control characters, lone surrogates, U+FFFE and U+FFFF) left out, so
 * whatever a resident typed never makes a document a parser refuses.
 */
export function escapeXml(text: string): string {
  return text
    .replace(
      // eslint-disable-next-line no-control-regex -- these are the characters XML forbids.
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '',
    )
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Sends a document in the format asked for. */
export function sendDocument(
  reply: FastifyReply,
  format: Format,
  document: Document,
  status = 200,
): FastifyReply {
  void reply.code(status);
  if (format === 'json')
    return reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(toJson(document.value)));
  return reply.type('text/xml; charset=utf-8').send(toXml(document));
}

/** An Open311 time: ISO 8601 with its time zone, to the second. */
export function open311Time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
