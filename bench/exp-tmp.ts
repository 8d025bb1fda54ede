import sharp from 'sharp';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processPhoto, RENDITION_JPEG, RENDITION_RESIZE } from '../src/modules/reports/photos.js';
import { LocalFileStorage } from '../src/platform/storage/storage.js';
const W = 4000, H = 3000;
const px = Buffer.alloc(W * H * 3);
let seed = 1;
for (let i = 0; i < px.length; i++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; const x = (i / 3) % W, y = Math.floor(i / 3 / W); px[i] = 90 + 60 * Math.sin(x / 700) * Math.cos(y / 500) + 25 * Math.sin((x + 2 * y) / 37) * Math.sin((x - y) / 53) + (seed / 2 ** 31 - 0.5) * 24; }
const input = await sharp(px, { raw: { width: W, height: H, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
const storage = new LocalFileStorage(mkdtempSync(path.join(tmpdir(), 'x-')));
const bufs: Buffer[] = [];
const r0 = await sharp(input).raw().toBuffer({ resolveWithObject: true });
const variants: Record<string, () => Promise<unknown>> = {
  decodeRaw: () => sharp(input).raw().toBuffer(),
  decodeRawOriented: () => sharp(input, { autoOrient: true }).raw().toBuffer(),
  decodeRawRotateMethod: () => sharp(input).rotate().raw().toBuffer(),
  decodeRawSeqFalse: () => sharp(input, { autoOrient: true, sequentialRead: false }).raw().toBuffer(),
  rotateRaw: () => sharp(r0.data, { raw: { width: r0.info.width, height: r0.info.height, channels: 3 } }).rotate(90).raw().toBuffer(),
  decodeThenRotate: async () => { const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true }); return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).rotate(90).raw().toBuffer(); },
  encodeRaw: () => sharp(r0.data, { raw: { width: r0.info.width, height: r0.info.height, channels: 3 } }).jpeg(RENDITION_JPEG).toBuffer(),
};
const times: Record<string, number[]> = {}; const cpu: Record<string, number[]> = {};
for (let r = 0; r < 14; r++) for (const [name, f] of Object.entries(variants)) { const c = process.cpuUsage(); const s = performance.now(); await f(); const d = process.cpuUsage(c); if (r >= 2) { (times[name] ??= []).push(performance.now() - s); (cpu[name] ??= []).push((d.user + d.system) / 1000); } }
for (const [name, ts] of Object.entries(times)) { ts.sort((a, b) => a - b); const cs = cpu[name]!.sort((a, b) => a - b); console.log(name.padEnd(16), 'wall', ts[6]!.toFixed(0), ts[10]!.toFixed(0), 'cpu', cs[6]!.toFixed(0)); }

