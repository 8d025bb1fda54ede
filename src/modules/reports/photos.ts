import { randomUUID } from 'node:crypto';
import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';
import sharp, {
  type FailOnOptions,
  type FormatEnum,
  type JpegOptions,
  type Metadata,
  type ResizeOptions,
} from 'sharp';
import type { Point } from '../../platform/geo/geo.js';
import type { FileStorage } from '../../platform/storage/storage.js';

/**
 * Photos residents attach to a report. What we keep is never the file they sent: it is checked
 * by its bytes, its position read from EXIF, then redrawn by sharp into three JPEGs that carry
 * no metadata at all, so a photo shown to staff or the public cannot give away more than it
 * shows.
 */

export const MAX_PHOTOS = 3;
export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
export const MAX_PHOTO_PIXELS = 50_000_000;

/** How every rendition is encoded; the bench encodes its baseline the same way. */
export const RENDITION_JPEG: JpegOptions = { quality: 80 };

export interface StoredPhoto {
  /** Random, url-safe and lower-case. */
  id: string;
  /** Of the full rendition, after auto-rotation. */
  width: number;
  height: number;
  /** Storage keys, e.g. photos/<id>/thumb.jpg */
  renditions: { thumb: string; display: string; full: string };
  /** Size of the full rendition. */
  bytes: number;
}

export type PhotoResult =
  { ok: true; photo: StoredPhoto; location: Point | null } | { ok: false; error: string };

type RenditionName = keyof StoredPhoto['renditions'];

const RENDITION_NAMES: RenditionName[] = ['thumb', 'display', 'full'];

const fitInside = (pixels: number): ResizeOptions => ({
  width: pixels,
  height: pixels,
  fit: 'inside',
  withoutEnlargement: true,
});

/** The square box each rendition fits inside, keeping its shape; none is ever enlarged. */
export const RENDITION_RESIZE: Record<RenditionName, ResizeOptions> = {
  thumb: fitInside(320),
  display: fitInside(1280),
  full: fitInside(4000),
};

const MEGABYTE = 1024 * 1024;
const TYPES_ACCEPTED = 'The selected file must be a JPG, PNG or WebP photo';

const PHOTO_ERRORS = {
  empty: 'The selected file is empty',
  tooBig: `The photo must be smaller than ${MAX_PHOTO_BYTES / MEGABYTE}MB`,
  tooManyPixels: `The photo must be smaller than ${MAX_PHOTO_PIXELS / 1_000_000} megapixels`,
  notAPhoto: TYPES_ACCEPTED,
  heic: `${TYPES_ACCEPTED}. iPhones can save photos as JPG: in Settings, Camera, Formats, choose Most Compatible`,
  unreadable: 'The selected photo could not be opened. Save it again or choose a different photo',
} as const;

/** What each accepted type (by content) must also look like to sharp, so both agree on what the file is. */
const SHARP_FORMAT: Partial<Record<string, keyof FormatEnum>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  // iPhones' HEIC, and the HEIF brand some Android phones write.
  'image/heic': 'heif',
  'image/heif': 'heif',
};

const isHeif = (format: keyof FormatEnum) => format === 'heif';

/**
 * Reject truncated or broken pixel data, but not the harmless warnings many phones' JPEGs
 * raise; sharp's stricter default would turn away real photos of real potholes.
 */
const FAIL_ON: FailOnOptions = 'error';

/** Checks by content, reads GPS from EXIF (before it is stripped), auto-rotates, writes 3 EXIF-free renditions. */
export async function processPhoto(input: Buffer, storage: FileStorage): Promise<PhotoResult> {
  const checked = await checkPhoto(input);
  if (!checked.ok) return checked;
  let renditions: Rendition[];
  try {
    renditions = await render(input);
  } catch {
    // The prebuilt sharp reads HEIC's container but not its HEVC pixels, and says so only here.
    return {
      ok: false,
      error: isHeif(checked.format) ? PHOTO_ERRORS.heic : PHOTO_ERRORS.unreadable,
    };
  }
  const photo = await store(renditions, storage);
  return { ok: true, photo, location: await locationFromExif(checked.exif) };
}

type PhotoCheck =
  { ok: true; format: keyof FormatEnum; exif: Buffer | undefined } | { ok: false; error: string };

/** Everything that can be known without decoding a pixel: size, type and dimensions. */
async function checkPhoto(input: Buffer): Promise<PhotoCheck> {
  if (input.length === 0) return { ok: false, error: PHOTO_ERRORS.empty };
  if (input.length > MAX_PHOTO_BYTES) return { ok: false, error: PHOTO_ERRORS.tooBig };
  const detected = await fileTypeFromBuffer(input);
  const format = detected && SHARP_FORMAT[detected.mime];
  if (!format) return { ok: false, error: PHOTO_ERRORS.notAPhoto };
  if (isHeif(format) && !sharp.format.heif.input.buffer)
    return { ok: false, error: PHOTO_ERRORS.heic };
  let metadata: Metadata;
  try {
    // Reads the header only. The pixel limit is lifted here so that a decompression bomb gets
    // the clear message below rather than sharp's; decoding is still limited in render().
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, error: isHeif(format) ? PHOTO_ERRORS.heic : PHOTO_ERRORS.unreadable };
  }
  if (metadata.format !== format) return { ok: false, error: PHOTO_ERRORS.unreadable };
  if (metadata.width * metadata.height > MAX_PHOTO_PIXELS)
    return { ok: false, error: PHOTO_ERRORS.tooManyPixels };
  return { ok: true, format, exif: metadata.exif };
}

interface Rendition {
  name: RenditionName;
  jpeg: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes, turns upright and fits the full box once, then makes every rendition from those
 * pixels: cheaper than three pipelines each decoding and turning the same 12 megapixels. The
 * pixels in between are at most 4000 × 4000 × 3 bytes, whatever size the photo was.
 */
async function render(input: Buffer): Promise<Rendition[]> {
  const { data, info } = await sharp(input, {
    limitInputPixels: MAX_PHOTO_PIXELS,
    failOn: FAIL_ON,
    autoOrient: true,
  })
    // JPEG has no transparency; without this, transparent parts of a PNG come out black.
    .flatten({ background: '#ffffff' })
    .resize(RENDITION_RESIZE.full)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const upright = { raw: { width: info.width, height: info.height, channels: info.channels } };
  return Promise.all(
    RENDITION_NAMES.map(async (name) => {
      const { data: jpeg, info: size } = await sharp(data, upright)
        .resize(RENDITION_RESIZE[name])
        .jpeg(RENDITION_JPEG)
        .toBuffer({ resolveWithObject: true });
      return { name, jpeg, width: size.width, height: size.height };
    }),
  );
}

const renditionKey = (id: string, name: RenditionName) => `photos/${id}/${name}.jpg`;

/** Writes every rendition, or none: if one write fails, the others are removed. */
async function store(renditions: Rendition[], storage: FileStorage): Promise<StoredPhoto> {
  const id = randomUUID().replaceAll('-', '');
  const keys = {
    thumb: renditionKey(id, 'thumb'),
    display: renditionKey(id, 'display'),
    full: renditionKey(id, 'full'),
  };
  const full = renditions.find((rendition) => rendition.name === 'full');
  if (!full) throw new Error('render() made no full rendition');
  const photo: StoredPhoto = {
    id,
    width: full.width,
    height: full.height,
    renditions: keys,
    bytes: full.jpeg.length,
  };
  const writes = await Promise.allSettled(
    renditions.map((rendition) => storage.put(keys[rendition.name], rendition.jpeg)),
  );
  const failed = writes.find((write) => write.status === 'rejected');
  if (failed) {
    await deletePhoto(photo, storage);
    throw new Error(`Could not store photo ${id}`, { cause: failed.reason });
  }
  return photo;
}

/** GPS position from a photo's EXIF, or null (no GPS, bad values, (0,0)). Never throws. */
export async function readPhotoLocation(input: Buffer): Promise<Point | null> {
  try {
    const { exif } = await sharp(input, { limitInputPixels: false }).metadata();
    return await locationFromExif(exif);
  } catch {
    return null;
  }
}

/**
 * sharp finds the EXIF in every format it reads (exifr alone cannot find it in WebP) and hands
 * it over with its "Exif\0\0" marker; exifr reads the TIFF structure that follows.
 */
async function locationFromExif(exif: Buffer | undefined): Promise<Point | null> {
  if (!exif) return null;
  const EXIF_MARKER = 'Exif\0\0';
  const tiff =
    exif.toString('latin1', 0, EXIF_MARKER.length) === EXIF_MARKER
      ? exif.subarray(EXIF_MARKER.length)
      : exif;
  try {
    const gps = (await exifr.gps(tiff)) as { latitude?: unknown; longitude?: unknown } | undefined;
    return validPoint(gps?.latitude, gps?.longitude);
  } catch {
    return null;
  }
}

/** Cameras without a fix write 0,0 (in the sea off Ghana) rather than nothing; that is no position. */
function validPoint(lat: unknown, lng: unknown): Point | null {
  if (typeof lat !== 'number' || typeof lng !== 'number') return null;
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
  if (lat === 0 && lng === 0) return null;
  return { lat, lng };
}

/** Content type for a rendition key (all renditions are JPEG: 'image/jpeg'). */
export function photoContentType(key: string): string {
  // Anything else is not a rendition of ours; a type browsers will not render is the safe answer.
  return key.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream';
}

/** Deletes every rendition of a photo (used when a resident removes one). */
export async function deletePhoto(photo: StoredPhoto, storage: FileStorage): Promise<void> {
  await Promise.all(Object.values(photo.renditions).map((key) => storage.delete(key)));
}
