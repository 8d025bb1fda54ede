/**
 * How long does a resident's 12-megapixel photo take to become its three renditions, next to
 * sharp doing nothing but the same three resizes?
 *
 * Makes a phone-like 4000 × 3000 JPEG in memory (smooth light, fine grain, EXIF with GPS and
 * a sideways orientation), then alternates rounds of processPhoto (checks, position, rotation,
 * writing to a LocalFileStorage in a temporary folder) with plain sharp resizing the same
 * bytes to JPEG buffers. Goal: processPhoto ≤ 1.3 × the plain resizes.
 *
 *   npx tsx bench/photos.ts                        10 rounds
 *   BENCH_PHOTO_ROUNDS=30 npx tsx bench/photos.ts  steadier
 *
 * Exits 0 whatever the ratio (it is a measurement), nonzero if a photo failed to process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { processPhoto, RENDITION_JPEG, RENDITION_RESIZE } from '../src/modules/reports/photos.js';
import { LocalFileStorage } from '../src/platform/storage/storage.js';
import { run, table } from './lib.js';

const GOAL_RATIO = 1.3;
const ROUNDS = roundsFromEnv('BENCH_PHOTO_ROUNDS', 10);
const WARMUP_ROUNDS = 2;
const WIDTH = 4000;
const HEIGHT = 3000;

function roundsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number of rounds, not "${raw}"`);
  return value;
}

/**
 * Smooth gradients and soft shapes with fine grain on top: it compresses like a photo of a road,
 * where flat colour would flatter the JPEG decoder and pure noise would punish it.
 */
async function phonePhoto(): Promise<Buffer> {
  const pixels = Buffer.alloc(WIDTH * HEIGHT * 3);
  let seed = 1;
  const grain = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 24;
  };
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const light = 90 + 60 * Math.sin(x / 700) * Math.cos(y / 500) + (40 * y) / HEIGHT;
      const texture = 25 * Math.sin((x + 2 * y) / 37) * Math.sin((x - y) / 53);
      const at = (y * WIDTH + x) * 3;
      pixels[at] = light + texture + grain();
      pixels[at + 1] = light * 0.95 + texture + grain();
      pixels[at + 2] = light * 0.85 + texture * 0.8 + grain();
    }
  return sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'Shirephone', Model: '12', Software: 'bench' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 3600/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '1/1 15/1 0/1',
      },
    })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The least any code could do: sharp making the same three sizes, no checks, rotation or storage. */
async function plainResizes(input: Buffer): Promise<void> {
  await Promise.all(
    Object.values(RENDITION_RESIZE).map((box) =>
      sharp(input).resize(box).jpeg(RENDITION_JPEG).toBuffer(),
    ),
  );
}

/** Wall-clock and CPU milliseconds of each run; CPU (all of sharp's threads) is steadier on a busy machine. */
interface Timings {
  wall: number[];
  cpu: number[];
}

async function timed(run: () => Promise<unknown>, into?: Timings): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  const wall = performance.now() - started;
  const { user, system } = process.cpuUsage(cpuBefore);
  into?.wall.push(wall);
  into?.cpu.push((user + system) / 1000);
}

function percentile(times: number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function summary({ wall, cpu }: Timings) {
  return {
    medianMs: round(percentile(wall, 50)),
    p90Ms: round(percentile(wall, 90)),
    cpuMedianMs: round(percentile(cpu, 50)),
  };
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shire-bench-photos-'));
  try {
    const storage = new LocalFileStorage(dataDir);
    const input = await phonePhoto();
    const failures: string[] = [];
    const ours = async () => {
      const result = await processPhoto(input, storage);
      if (!result.ok) failures.push(result.error);
      else if (!result.location) failures.push('the GPS position was not read');
    };
    const baseline = () => plainResizes(input);

    console.log(
      `Photo: ${WIDTH} × ${HEIGHT} JPEG, ${input.length.toLocaleString('en-GB')} bytes, EXIF orientation 6 and GPS; sharp concurrency ${sharp.concurrency()}`,
    );
    console.log(`Warming up (${WARMUP_ROUNDS} rounds), then ${ROUNDS} alternating rounds…`);
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      await timed(baseline);
      await timed(ours);
    }
    const baselineTimings: Timings = { wall: [], cpu: [] };
    const ourTimings: Timings = { wall: [], cpu: [] };
    for (let i = 0; i < ROUNDS; i++) {
      await timed(baseline, baselineTimings);
      await timed(ours, ourTimings);
    }

    const plain = summary(baselineTimings);
    const processed = summary(ourTimings);
    const ratio = plain.medianMs > 0 ? processed.medianMs / plain.medianMs : Infinity;
    const cpuRatio = plain.cpuMedianMs > 0 ? processed.cpuMedianMs / plain.cpuMedianMs : Infinity;
    const verdict = ratio <= GOAL_RATIO ? 'PASS' : 'ABOVE GOAL';
    const row = (name: string, f: ReturnType<typeof summary>) => [
      name,
      f.medianMs,
      f.p90Ms,
      f.cpuMedianMs,
    ];

    console.log();
    console.log(
      table([
        ['run', 'median ms', 'p90 ms', 'CPU median ms'],
        row('sharp, the three resizes only', plain),
        row('processPhoto, all renditions stored', processed),
      ]),
    );
    console.log();
    console.log(
      `processPhoto / plain resizes (medians): ${ratio.toFixed(2)} × (CPU ${cpuRatio.toFixed(2)} ×)   goal: ≤ ${GOAL_RATIO} ×   ${verdict}`,
    );

    const failed = failures.length > 0;
    if (failed)
      console.error(`FAILED: ${failures.length} photos not processed: ${failures[0] ?? ''}`);

    console.log(
      JSON.stringify({
        bench: 'photos',
        rounds: ROUNDS,
        inputBytes: input.length,
        plain,
        processed,
        ratio: Number(ratio.toFixed(2)),
        cpuRatio: Number(cpuRatio.toFixed(2)),
        goalRatio: GOAL_RATIO,
        verdict,
        failures: failures.length,
      }),
    );
    return failed ? 1 : 0;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

run(main);
