// Making residents' photos small enough to upload quickly on a phone connection.
// The server checks and processes every photo whatever we send, so anything here
// that fails (an old browser, a format it cannot decode) leaves the original file.

/** Photos longer than this on their long edge, in pixels, are scaled down to it. */
export const MAX_PHOTO_EDGE = 2048;
/** Photos bigger than this, in bytes, are re-encoded even if they are small enough in pixels. */
export const MAX_PHOTO_BYTES = 2 * 1024 * 1024;
const JPEG_QUALITY = 0.85;

/**
 * The photo as a JPEG at most MAX_PHOTO_EDGE pixels on its long edge, turned the way
 * the camera meant (from its EXIF orientation), or the original file when it is small
 * enough already, cannot be decoded here, or would not get any smaller.
 */
export async function downscalePhoto(file: File): Promise<File> {
  if (!file.type.startsWith('image/')) return file;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return file;
  }
  try {
    const longEdge = Math.max(bitmap.width, bitmap.height);
    if (longEdge <= MAX_PHOTO_EDGE && file.size <= MAX_PHOTO_BYTES) return file;
    const scale = Math.min(1, MAX_PHOTO_EDGE / longEdge);
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const jpeg = await encodeJpeg(bitmap, width, height);
    if (!jpeg || jpeg.size >= file.size) return file;
    return new File([jpeg], jpegName(file.name), {
      type: 'image/jpeg',
      lastModified: file.lastModified,
    });
  } catch {
    return file;
  } finally {
    bitmap.close();
  }
}

async function encodeJpeg(bitmap: ImageBitmap, width: number, height: number) {
  const options = { type: 'image/jpeg', quality: JPEG_QUALITY };
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (context) {
      draw(context, bitmap, width, height);
      return canvas.convertToBlob(options);
    }
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return null;
  draw(context, bitmap, width, height);
  return new Promise<Blob | null>((resolve) => {
    canvas.toBlob(resolve, options.type, options.quality);
  });
}

function draw(
  context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  bitmap: ImageBitmap,
  width: number,
  height: number,
): void {
  // JPEG has no transparency: see-through parts of a PNG would otherwise turn black.
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
}

/** 'IMG_1234.HEIC' → 'IMG_1234.jpg' */
function jpegName(name: string): string {
  const stem = name.replace(/\.[^./\\]*$/, '');
  return `${stem || 'photo'}.jpg`;
}

/** Puts `files` in the file input in place of what the resident chose; false if the browser cannot. */
export function replaceFiles(input: HTMLInputElement, files: readonly File[]): boolean {
  try {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    input.files = transfer.files;
    return input.files.length === files.length;
  } catch {
    return false;
  }
}

/** 350000 → '342 KB', 2500000 → '2.4 MB' */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
