import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Field } from '../catalogue/definition.js';
import { checkUpload, type UploadCheck } from './uploads.js';

type FileField = Extract<Field, { type: 'file' }>;

function fileField(accept: FileField['accept'], maxMb = 10): FileField {
  return {
    type: 'file',
    name: 'evidence',
    label: 'Upload evidence',
    optional: false,
    accept,
    maxMb,
  };
}

const images = fileField(['image']);
const pdfs = fileField(['pdf']);
const either = fileField(['pdf', 'image']);

/** Real, tiny files, made here so the test shows exactly which bytes are what. */
const FILES = {
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
  /** Start of image, then a JFIF header. */
  jpeg: Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from('JFIF\0', 'latin1'),
    Buffer.from([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]),
  ]),
  webp: riff('WEBP', 'VP8 '),
  /** An iPhone photo: an ISO media file whose brand is heic. */
  heic: isoMedia('heic', ['mif1', 'heic']),
  /** The HEIF brand some Android phones write. */
  heif: isoMedia('mif1', ['mif1', 'heic']),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n'),
  /** A Windows program: the MZ header and the PE signature it points at. */
  exe: windowsProgram(),
  gif: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
  html: Buffer.from('<!doctype html><script>alert(1)</script>'),
  zip: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(40)]),
};

function riff(format: string, chunk: string): Buffer {
  const body = Buffer.concat([
    Buffer.from(format + chunk, 'latin1'),
    Buffer.from([0x0a, 0, 0, 0]),
    Buffer.alloc(10),
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body]);
}

function isoMedia(brand: string, compatible: string[]): Buffer {
  const box = Buffer.from(`ftyp${brand}\0\0\0\0${compatible.join('')}`, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(box.length + 4);
  return Buffer.concat([size, box, Buffer.alloc(32)]);
}

function windowsProgram(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
}

const accepted = (contentType: string, extension: string): UploadCheck =>
  ({ ok: true, contentType, extension }) as UploadCheck;
const refused = (error: string): UploadCheck => ({ ok: false, error });

const IMAGES_ONLY = 'The selected file must be a JPG, PNG, WEBP or HEIC';
const PDF_ONLY = 'The selected file must be a PDF';
const EITHER = 'The selected file must be a JPG, PNG, WEBP, HEIC or PDF';

await test('uploads are checked by their content, whatever they are called', async (t) => {
  const cases: [FileField, string, Buffer, UploadCheck][] = [
    [images, 'photo.png', FILES.png, accepted('image/png', 'png')],
    [images, 'photo.jpg', FILES.jpeg, accepted('image/jpeg', 'jpg')],
    [images, 'photo.webp', FILES.webp, accepted('image/webp', 'webp')],
    [images, 'IMG_0001.HEIC', FILES.heic, accepted('image/heic', 'heic')],
    [images, 'photo.heif', FILES.heif, accepted('image/heif', 'heic')],
    [pdfs, 'letter.pdf', FILES.pdf, accepted('application/pdf', 'pdf')],
    [either, 'letter.pdf', FILES.pdf, accepted('application/pdf', 'pdf')],
    [either, 'photo.png', FILES.png, accepted('image/png', 'png')],
    // The name is ignored either way.
    [images, 'letter.pdf', FILES.png, accepted('image/png', 'png')],
    [images, 'no-extension', FILES.jpeg, accepted('image/jpeg', 'jpg')],
    [images, 'photo.jpg', FILES.pdf, refused(IMAGES_ONLY)],
    [pdfs, 'letter.pdf', FILES.png, refused(PDF_ONLY)],
    [images, 'photo.jpg', FILES.exe, refused(IMAGES_ONLY)],
    [either, 'letter.pdf', FILES.exe, refused(EITHER)],
    [either, 'photo.gif', FILES.gif, refused(EITHER)],
    [either, 'photo.png', FILES.gif, refused(EITHER)],
    [either, 'page.pdf', FILES.html, refused(EITHER)],
    [either, 'photos.jpg', FILES.zip, refused(EITHER)],
    [either, 'photo.jpg', Buffer.from('just some text, not a photo'), refused(EITHER)],
  ];
  for (const [field, filename, bytes, expected] of cases)
    await t.test(`${field.accept.join('+')}: ${filename} holding ${contents(bytes)}`, async () => {
      assert.deepEqual(await checkUpload(field, { filename, bytes }), expected);
    });
});

await test('empty and oversized files', async (t) => {
  await t.test('an empty file', async () => {
    const check = await checkUpload(either, { filename: 'photo.jpg', bytes: Buffer.alloc(0) });
    assert.deepEqual(check, refused('The selected file is empty'));
  });

  await t.test('a file over the field’s size', async () => {
    const field = fileField(['image'], 2);
    const big = Buffer.concat([FILES.png, Buffer.alloc(2 * 1024 * 1024)]);
    const check = await checkUpload(field, { filename: 'photo.png', bytes: big });
    assert.deepEqual(check, refused('The selected file must be smaller than 2MB'));
  });

  await t.test('a file of exactly the field’s size', async () => {
    const field = fileField(['image'], 2);
    const padding = Buffer.alloc(2 * 1024 * 1024 - FILES.png.length);
    const check = await checkUpload(field, {
      filename: 'photo.png',
      bytes: Buffer.concat([FILES.png, padding]),
    });
    assert.deepEqual(check, accepted('image/png', 'png'));
  });

  await t.test('the size is checked before the content', async () => {
    const field = fileField(['pdf'], 0.5);
    const big = Buffer.concat([FILES.exe, Buffer.alloc(1024 * 1024)]);
    const check = await checkUpload(field, { filename: 'setup.exe', bytes: big });
    assert.deepEqual(check, refused('The selected file must be smaller than 0.5MB'));
  });
});

function contents(bytes: Buffer): string {
  const name = Object.entries(FILES).find(([, file]) => file === bytes)?.[0];
  if (!name) return 'text';
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
}
