import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

export type Body = Record<string, unknown>;

/** One field of a parsed body as text: '' when it is missing, repeated or a file. */
export function fieldText(body: Body, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

export interface Upload {
  /** The name the resident's device gave the file: shown back to them, never used as a path. */
  filename: string;
  bytes: Buffer;
}

/**
 * A url-encoded or multipart body as plain fields and uploaded files (several per name for
 * `<input type=file multiple>`). Needs @fastify/multipart registered with attachFieldsToBody.
 * An empty file input arrives as a nameless, empty file and is left out.
 */
export async function readBody(
  request: FastifyRequest,
): Promise<{ fields: Body; uploads: Record<string, Upload[]> }> {
  const body = (request.body ?? {}) as Body;
  if (!request.isMultipart()) return { fields: body, uploads: {} };
  const fields: Body = {};
  const uploads: Record<string, Upload[]> = {};
  for (const [name, entry] of Object.entries(body)) {
    const parts = (Array.isArray(entry) ? entry : [entry]) as (MultipartFile | MultipartValue)[];
    for (const part of parts) {
      if (part.type === 'file') {
        const upload = { filename: part.filename, bytes: await part.toBuffer() };
        if (upload.bytes.length === 0 && !upload.filename) continue;
        uploads[name] = [...(uploads[name] ?? []), upload];
      } else {
        const existing = fields[name] as string | string[] | undefined;
        const value = String(part.value);
        fields[name] =
          existing === undefined
            ? value
            : [...(Array.isArray(existing) ? existing : [existing]), value];
      }
    }
  }
  return { fields, uploads };
}
