import { fileTypeFromBuffer } from 'file-type';
import type { Field } from '../catalogue/definition.js';

/**
 * Checks an uploaded file by what its bytes are, never by its name or the type the browser
 * claims: a program renamed photo.jpg is still a program. Only the types a field accepts get
 * through, so staff only ever open images and PDFs.
 */

export type UploadContentType =
  'image/jpeg' | 'image/png' | 'image/webp' | 'image/heic' | 'image/heif' | 'application/pdf';

export type UploadCheck =
  { ok: true; contentType: UploadContentType; extension: string } | { ok: false; error: string };

interface AcceptedType {
  mime: UploadContentType;
  /** What the file is stored as. */
  extension: string;
  /** What the error message calls it. */
  name: string;
}

/** What each `accept` setting lets in. */
const ACCEPTED: Record<'image' | 'pdf', AcceptedType[]> = {
  image: [
    { mime: 'image/jpeg', extension: 'jpg', name: 'JPG' },
    { mime: 'image/png', extension: 'png', name: 'PNG' },
    { mime: 'image/webp', extension: 'webp', name: 'WEBP' },
    { mime: 'image/heic', extension: 'heic', name: 'HEIC' },
    // The HEIF brand some Android phones write; to a person it is the same HEIC photo.
    { mime: 'image/heif', extension: 'heic', name: 'HEIC' },
  ],
  pdf: [{ mime: 'application/pdf', extension: 'pdf', name: 'PDF' }],
};

const MEGABYTE = 1024 * 1024;

export async function checkUpload(
  field: Extract<Field, { type: 'file' }>,
  file: { filename: string; bytes: Buffer },
): Promise<UploadCheck> {
  if (file.bytes.length === 0) return { ok: false, error: 'The selected file is empty' };
  if (file.bytes.length > field.maxMb * MEGABYTE)
    return { ok: false, error: `The selected file must be smaller than ${field.maxMb}MB` };
  // In a fixed order, so the error reads the same whichever way round the service lists them.
  const accepted = (['image', 'pdf'] as const)
    .filter((kind) => field.accept.includes(kind))
    .flatMap((kind) => ACCEPTED[kind]);
  const detected = await fileTypeFromBuffer(file.bytes);
  const match = accepted.find((type) => type.mime === detected?.mime);
  if (!match) return { ok: false, error: `The selected file must be a ${typeNames(accepted)}` };
  return { ok: true, contentType: match.mime, extension: match.extension };
}

/** "JPG, PNG, WEBP, HEIC or PDF" */
function typeNames(accepted: AcceptedType[]): string {
  const names = [...new Set(accepted.map((type) => type.name))];
  const last = names.pop() ?? '';
  return names.length ? `${names.join(', ')} or ${last}` : last;
}
