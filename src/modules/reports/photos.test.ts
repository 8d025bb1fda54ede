import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { crc32 } from 'node:zlib';
import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { LocalFileStorage } from '../../platform/storage/storage.js';
import {
  deletePhoto,
  MAX_PHOTO_BYTES,
  photoContentType,
  processPhoto,
  readPhotoLocation,
  type PhotoResult,
  type StoredPhoto,
} from './photos.js';

let root: string;
let storage: LocalFileStorage;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shire-photos-'));
  storage = new LocalFileStorage(root);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const NOT_A_PHOTO = 'The selected file must be a JPG, PNG or WebP photo';
const HEIC =
  'The selected file must be a JPG, PNG or WebP photo. iPhones can save photos as JPG: in Settings, Camera, Formats, choose Most Compatible';
const UNREADABLE =
  'The selected photo could not be opened. Save it again or choose a different photo';

/** A photo of a pothole on Market Street, in EXIF's degrees, minutes and seconds. */
const MARKET_STREET = { lat: 51.51, lng: -1.25 };
const MARKET_STREET_GPS = {
  GPSLatitudeRef: 'N',
  GPSLatitude: '51/1 30/1 3600/100',
  GPSLongitudeRef: 'W',
  GPSLongitude: '1/1 15/1 0/1',
};

/**
 * A phone photo held sideways: stored 600 × 400 with orientation 6, to be shown 400 × 600. Its
 * stored top half is red and bottom half blue, so the tests can see which way up it ends.
 */
async function sidewaysPhoneJpeg(gps: Record<string, string> = MARKET_STREET_GPS): Promise<Buffer> {
  const [width, height] = [600, 400];
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels[i * 3 + (i < (width * height) / 2 ? 0 : 2)] = 255;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withExifMerge({ IFD0: { Make: 'Shirephone', Model: '12' }, IFD3: gps })
    .jpeg()
    .toBuffer();
}

const plain = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080' } });

async function stored(key: string): Promise<Buffer> {
  const stream = await storage.get(key);
  assert.ok(stream, `${key} should be stored`);
  return buffer(stream);
}

function accepted(result: PhotoResult): Extract<PhotoResult, { ok: true }> {
  assert.ok(result.ok, `expected the photo to be accepted, got: ${result.ok ? '' : result.error}`);
  return result;
}

async function sizeOf(key: string): Promise<{ width: number; height: number }> {
  const { width, height } = await sharp(await stored(key)).metadata();
  return { width, height };
}

await test('a sideways phone photo is stored upright in three renditions, with its position read first', async () => {
  const { photo, location } = accepted(await processPhoto(await sidewaysPhoneJpeg(), storage));

  assert.deepEqual(location, MARKET_STREET);
  assert.match(photo.id, /^[a-z0-9]{32}$/);
  assert.deepEqual(photo.renditions, {
    thumb: `photos/${photo.id}/thumb.jpg`,
    display: `photos/${photo.id}/display.jpg`,
    full: `photos/${photo.id}/full.jpg`,
  });
  assert.equal(photo.width, 400);
  assert.equal(photo.height, 600);
  assert.equal(photo.bytes, (await stored(photo.renditions.full)).length);

  assert.deepEqual(await sizeOf(photo.renditions.full), { width: 400, height: 600 });
  assert.deepEqual(await sizeOf(photo.renditions.display), { width: 400, height: 600 });
  assert.deepEqual(await sizeOf(photo.renditions.thumb), { width: 213, height: 320 });

  // Turned a quarter clockwise, the red top half is now on the right.
  const { data } = await sharp(await stored(photo.renditions.full))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixel = (x: number, y: number) => [
    ...data.subarray((y * 400 + x) * 3, (y * 400 + x) * 3 + 3),
  ];
  const [redOnRight] = pixel(390, 300);
  const [, , blueOnLeft] = pixel(10, 300);
  assert.ok((redOnRight ?? 0) > 200 && (blueOnLeft ?? 0) > 200, 'the photo should be upright');
});

await test('no rendition keeps any EXIF: no position, no camera, no orientation', async () => {
  const { photo } = accepted(await processPhoto(await sidewaysPhoneJpeg(), storage));
  for (const key of Object.values(photo.renditions)) {
    const jpeg = await stored(key);
    assert.equal((await fileTypeFromBuffer(jpeg))?.mime, 'image/jpeg', key);
    assert.equal(await exifr.parse(jpeg), undefined, `${key} should have no EXIF`);
    assert.equal(await readPhotoLocation(jpeg), null, key);
    const metadata = await sharp(jpeg).metadata();
    assert.equal(metadata.exif, undefined, key);
    assert.equal(metadata.xmp, undefined, key);
    assert.equal(metadata.iptc, undefined, key);
    assert.equal(metadata.icc, undefined, key);
    assert.equal(metadata.orientation, undefined, key);
    assert.equal(metadata.space, 'srgb', key);
  }
});

await test('a large photo is scaled down to fit each box, keeping its shape', async () => {
  const jpeg = await plain(5000, 4000).jpeg().toBuffer();
  const { photo } = accepted(await processPhoto(jpeg, storage));

  assert.deepEqual({ width: photo.width, height: photo.height }, { width: 4000, height: 3200 });
  assert.deepEqual(await sizeOf(photo.renditions.full), { width: 4000, height: 3200 });
  assert.deepEqual(await sizeOf(photo.renditions.display), { width: 1280, height: 1024 });
  assert.deepEqual(await sizeOf(photo.renditions.thumb), { width: 320, height: 256 });
});

await test('a small photo is never enlarged', async () => {
  const { photo } = accepted(await processPhoto(await plain(200, 100).jpeg().toBuffer(), storage));
  for (const key of Object.values(photo.renditions))
    assert.deepEqual(await sizeOf(key), { width: 200, height: 100 }, key);
});

await test('PNG and WebP photos are accepted and stored as JPEG', async () => {
  for (const image of [plain(300, 200).png(), plain(300, 200).webp()]) {
    const { photo, location } = accepted(await processPhoto(await image.toBuffer(), storage));
    assert.equal(location, null);
    assert.equal(
      (await fileTypeFromBuffer(await stored(photo.renditions.full)))?.mime,
      'image/jpeg',
    );
  }
});

await test('CMYK and greyscale photos are stored in sRGB colour', async (t) => {
  const photos = {
    'CMYK JPEG': plain(60, 40).toColourspace('cmyk').jpeg(),
    'greyscale JPEG': plain(60, 40).toColourspace('b-w').jpeg(),
    '16-bit PNG': plain(60, 40).toColourspace('rgb16').png(),
  };
  for (const [name, image] of Object.entries(photos))
    await t.test(name, async () => {
      const { photo } = accepted(await processPhoto(await image.toBuffer(), storage));
      const { space, channels, depth } = await sharp(
        await stored(photo.renditions.full),
      ).metadata();
      assert.deepEqual({ space, channels, depth }, { space: 'srgb', channels: 3, depth: 'uchar' });
    });
});

await test('the transparent parts of a PNG come out white, not black', async () => {
  const clear = sharp({
    create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
  });
  const { photo } = accepted(await processPhoto(await clear.png().toBuffer(), storage));
  const { data } = await sharp(await stored(photo.renditions.full))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.ok(data.every((channel) => channel > 250));
});

await test('the position in a WebP photo is read too', async () => {
  const webp = await plain(300, 200).withExif({ IFD3: MARKET_STREET_GPS }).webp().toBuffer();
  assert.deepEqual(accepted(await processPhoto(webp, storage)).location, MARKET_STREET);
});

await test('files that are not a JPG, PNG or WebP photo are refused', async (t) => {
  const files = {
    gif: await plain(10, 10).gif().toBuffer(),
    avif: await plain(10, 10).avif().toBuffer(),
    text: Buffer.from('Pothole outside number 12\n'),
    pdf: Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n'),
  };
  for (const [name, bytes] of Object.entries(files))
    await t.test(name, async () => {
      assert.deepEqual(await processPhoto(bytes, storage), { ok: false, error: NOT_A_PHOTO });
    });
});

await test('an iPhone HEIC photo this server cannot read is refused with how to send a JPG instead', async () => {
  const box = Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(box.length + 4);
  const heic = Buffer.concat([size, box, Buffer.alloc(64)]);
  assert.deepEqual(await processPhoto(heic, storage), { ok: false, error: HEIC });
});

await test('an empty file is refused', async () => {
  assert.deepEqual(await processPhoto(Buffer.alloc(0), storage), {
    ok: false,
    error: 'The selected file is empty',
  });
});

await test('a photo over 20MB is refused; one of exactly 20MB is not', async () => {
  const jpeg = await plain(10, 10).jpeg().toBuffer();
  const padded = (bytes: number) => Buffer.concat([jpeg, Buffer.alloc(bytes - jpeg.length)]);
  assert.deepEqual(await processPhoto(padded(MAX_PHOTO_BYTES + 1), storage), {
    ok: false,
    error: 'The photo must be smaller than 20MB',
  });
  accepted(await processPhoto(padded(MAX_PHOTO_BYTES), storage));
});

await test('a decompression bomb (a tiny PNG claiming 20000 × 20000 pixels) is refused without decoding it', async () => {
  const png = Buffer.from(await plain(1, 1).png().toBuffer());
  // IHDR's width and height follow the 8-byte signature and the chunk's length and type.
  png.writeUInt32BE(20_000, 16);
  png.writeUInt32BE(20_000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  assert.deepEqual(
    await sharp(png, { limitInputPixels: false })
      .metadata()
      .then((m) => [m.width, m.height]),
    [20_000, 20_000],
  );

  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  assert.deepEqual(await processPhoto(png, storage), {
    ok: false,
    error: 'The photo must be smaller than 50 megapixels',
  });
  assert.ok(performance.now() - started < 1000, 'refused quickly');
  // Decoded, it would be 1.2 GB of pixels.
  assert.ok(process.memoryUsage().rss - rssBefore < 100 * 1024 * 1024, 'without decoding it');
});

await test('a photo cut short in sending is refused as unreadable', async () => {
  const whole = await sharp({
    create: {
      width: 600,
      height: 400,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg()
    .toBuffer();
  const truncated = whole.subarray(0, Math.floor(whole.length / 2));
  assert.deepEqual(await processPhoto(truncated, storage), { ok: false, error: UNREADABLE });
});

await test('a file that starts like a JPEG but is not one is refused as unreadable', async () => {
  const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 0x41)]);
  assert.deepEqual(await processPhoto(fake, storage), { ok: false, error: UNREADABLE });
});

await test('readPhotoLocation finds no position where there is none or it is nonsense', async (t) => {
  const cases: Record<string, Buffer> = {
    'no EXIF': await plain(20, 20).jpeg().toBuffer(),
    'EXIF without GPS': await plain(20, 20)
      .withExif({ IFD0: { Make: 'Shirephone' } })
      .jpeg()
      .toBuffer(),
    'no fix, written as 0,0': await sidewaysPhoneJpeg({
      GPSLatitudeRef: 'N',
      GPSLatitude: '0/1 0/1 0/1',
      GPSLongitudeRef: 'E',
      GPSLongitude: '0/1 0/1 0/1',
    }),
    'latitude past the pole': await sidewaysPhoneJpeg({
      ...MARKET_STREET_GPS,
      GPSLatitude: '95/1 0/1 0/1',
    }),
    'not an image': Buffer.from('Pothole outside number 12\n'),
    empty: Buffer.alloc(0),
  };
  for (const [name, bytes] of Object.entries(cases))
    await t.test(name, async () => {
      assert.equal(await readPhotoLocation(bytes), null);
    });
  assert.deepEqual(await readPhotoLocation(await sidewaysPhoneJpeg()), MARKET_STREET);
});

await test('deleting a photo removes every rendition', async () => {
  const { photo } = accepted(await processPhoto(await plain(100, 100).jpeg().toBuffer(), storage));
  await deletePhoto(photo, storage);
  for (const key of Object.values(photo.renditions))
    assert.equal(await storage.get(key), undefined, key);
});

await test('a photo is stored whole or not at all', async () => {
  const written: string[] = [];
  const failing = {
    put: (key: string) => {
      if (key.endsWith('display.jpg')) return Promise.reject(new Error('disk full'));
      written.push(key);
      return Promise.resolve();
    },
    get: () => Promise.resolve(undefined),
    delete: (key: string) => {
      if (written.includes(key)) written.splice(written.indexOf(key), 1);
      return Promise.resolve();
    },
  };
  await assert.rejects(
    processPhoto(await plain(100, 100).jpeg().toBuffer(), failing),
    /Could not store photo/,
  );
  assert.deepEqual(written, []);
});

await test('every rendition is served as a JPEG', () => {
  const photo: Pick<StoredPhoto, 'renditions'> = {
    renditions: {
      thumb: 'photos/a/thumb.jpg',
      display: 'photos/a/display.jpg',
      full: 'photos/a/full.jpg',
    },
  };
  for (const key of Object.values(photo.renditions))
    assert.equal(photoContentType(key), 'image/jpeg');
  assert.equal(photoContentType('photos/a/original.heic'), 'application/octet-stream');
});
