import sharp from 'sharp';
import { RENDITION_JPEG, RENDITION_RESIZE } from '../src/modules/reports/photos.js';
const W = 4000, H = 3000;
const px = Buffer.alloc(W * H * 3);
let seed = 1;
for (let i = 0; i < px.length; i++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; const x = (i / 3) % W, y = Math.floor(i / 3 / W); px[i] = 90 + 60 * Math.sin(x / 700) * Math.cos(y / 500) + 25 * Math.sin((x + 2 * y) / 37) * Math.sin((x - y) / 53) + (seed / 2 ** 31 - 0.5) * 24; }
const input = await sharp(px, { raw: { width: W, height: H, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
const opts = { autoOrient: true, failOn: 'error' as const, limitInputPixels: 5e7 };
const variants: Record<string, () => Promise<unknown>> = {
  baseline: () => Promise.all(Object.values(RENDITION_RESIZE).map((b) => sharp(input).resize(b).jpeg(RENDITION_JPEG).toBuffer())),
  clones: () => { const u = sharp(input, opts).flatten({ background: '#fff' }); return Promise.all(Object.values(RENDITION_RESIZE).map((b) => u.clone().resize(b).jpeg(RENDITION_JPEG).toBuffer())); },
  rawOnce: async () => {
    const { data, info } = await sharp(input, opts).flatten({ background: '#fff' }).resize(RENDITION_RESIZE.full).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    return Promise.all(Object.values(RENDITION_RESIZE).map((b) => sharp(data, raw).resize(b).jpeg(RENDITION_JPEG).toBuffer()));
  },
};
const times: Record<string, number[]> = {}; const cpu: Record<string, number[]> = {};
const R = 24;
for (let r = 0; r < R; r++) for (const [name, f] of Object.entries(variants)) { const c = process.cpuUsage(); const s = performance.now(); await f(); const d = process.cpuUsage(c); if (r >= 2) { (times[name] ??= []).push(performance.now() - s); (cpu[name] ??= []).push((d.user + d.system) / 1000); } }
for (const [name, ts] of Object.entries(times)) { ts.sort((a, b) => a - b); const cs = cpu[name]!.sort((a, b) => a - b); console.log(name.padEnd(16), 'wall med', ts[11]!.toFixed(0), 'p25', ts[5]!.toFixed(0), 'min', ts[0]!.toFixed(0), 'cpu', cs[11]!.toFixed(0)); }
