import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild, version as esbuildVersion, type Metafile } from 'esbuild';
import * as sass from 'sass';
import sharp from 'sharp';
import { z } from 'zod';
import { contrastWithWhite } from '../config.js';

/** Where the HTTP layer must serve `AssetManifest.dir`, with immutable caching. */
export const ASSETS_URL_PREFIX = '/assets/';

export interface AssetManifest {
  /** absolute directory holding the built, content-hashed files (served at /assets/ with immutable caching) */
  dir: string;
  /**
   * Maps a logical name to its public URL, e.g. '/assets/app.3f9c2a1b.css'.
   * Names: 'app.css', 'app.js' (every page), 'report.css', 'report.js' (the
   * Report It pages), 'agent.js' (the advisers' chat console), 'chat-embed.js'
   * and 'chat-embed.css' (live chat on the council's other websites), 'favicon.svg',
   * and the logo as 'logo' (whatever its format) and as 'logo.svg' or
   * 'logo.png'. For the installable app: the home-screen icons made from the
   * logo (see APP_ICONS: 'icon-192.png', 'icon-512.png', 'icon-maskable-512.png',
   * 'apple-touch-icon.png') and the service worker 'sw.js', one classic script
   * that the HTTP layer serves from /sw.js so it can control every page.
   * Throws for unknown names.
   *
   * report.js loads the parts only some pages need (the map, the photo location
   * reader) from chunk files beside it, by relative URL; they are in the build
   * under their own content-hashed names but are never asked for by name.
   */
  url(logical: string): string;
  /**
   * The URLs of the chunk files a script loads, at once or later: with the script, all
   * it can need. The app's service worker stores them so pages work with no signal.
   */
  chunksOf(logical: string): string[];
}

export interface AssetOptions {
  /** '#1d70b8'-style hex; white text on it must have at least 4.5:1 contrast. */
  brandColour: string;
  /** Built assets go in a sub-folder per build key, so many builds can share it. */
  cacheDir: string;
  /** Optional council SVG or PNG logo overriding the default shield. */
  logoPath?: string | null;
}

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const webDir = path.join(projectRoot, 'src', 'web');
const stylesDir = path.join(webDir, 'styles');
const defaultLogoPath = path.join(webDir, 'images', 'logo.svg');
const require = createRequire(import.meta.url);

const LOGO_EXTENSIONS = ['.svg', '.png'];
const MANIFEST_FILE = 'manifest.json';
// The manifest sits beside, not inside, the served folder: /assets/ holds only
// immutable hashed files, and nothing there claims the name of a web app manifest.
const PUBLIC_DIR = 'public';
// Bump when the manifest's shape changes, so old cache folders are ignored.
const MANIFEST_VERSION = 2;

const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  files: z.record(z.string(), z.string()),
  /** For each script, the chunk files it loads (by import or import()), as logical names. */
  chunks: z.record(z.string(), z.array(z.string())),
});

/**
 * Builds the CSS, JavaScript and images for the council, or reuses an earlier
 * identical build from `cacheDir`. Safe to call from several processes at once.
 */
export async function buildAssets(options: AssetOptions): Promise<AssetManifest> {
  const brandColour = validBrandColour(options.brandColour);
  const logo = await readLogo(options.logoPath ?? defaultLogoPath);
  const cacheDir = path.resolve(options.cacheDir);
  const buildDir = path.join(cacheDir, await buildKey(brandColour, logo));

  const cached = await readManifest(buildDir);
  if (cached) return cached;

  // Build somewhere private, then rename into place in one step: a concurrent
  // process sees either no build folder or a complete one, never half of one.
  await mkdir(cacheDir, { recursive: true });
  const tempDir = path.join(
    cacheDir,
    `.tmp-${path.basename(buildDir)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await writeBuild(tempDir, await compile(brandColour, logo));
    return await moveIntoPlace(tempDir, buildDir);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

async function moveIntoPlace(tempDir: string, buildDir: string): Promise<AssetManifest> {
  try {
    await rename(tempDir, buildDir);
  } catch (error) {
    // Another process built the same key first: its build is as good as ours.
    const winner = await readManifest(buildDir);
    if (winner) return winner;
    if (!isCode(error, 'ENOTEMPTY') && !isCode(error, 'EEXIST')) throw error;
    // Complete builds only ever arrive by rename, so a folder without a usable
    // manifest was damaged by hand; replace it.
    await rm(buildDir, { recursive: true, force: true });
    await rename(tempDir, buildDir);
  }
  const built = await readManifest(buildDir);
  if (!built) throw new Error(`Asset build in ${buildDir} has no usable ${MANIFEST_FILE}`);
  return built;
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function validBrandColour(colour: string): string {
  // Checked here as well as in config: the colour is pasted into Sass source,
  // so anything but a plain hex colour must never reach the compiler.
  if (!/^#[0-9a-f]{6}$/i.test(colour)) {
    throw new Error(`Brand colour "${colour}" must be a hex colour like #1d70b8`);
  }
  const contrast = contrastWithWhite(colour);
  if (contrast < 4.5) {
    throw new Error(
      `Brand colour ${colour} gives white text only ${contrast.toFixed(2)}:1 contrast; ` +
        'WCAG AA needs 4.5:1, so choose a darker colour',
    );
  }
  return colour.toLowerCase();
}

interface Logo {
  ext: string;
  content: Buffer;
}

async function readLogo(logoPath: string): Promise<Logo> {
  const ext = path.extname(logoPath).toLowerCase();
  if (!LOGO_EXTENSIONS.includes(ext)) {
    throw new Error(`Logo ${logoPath} must be an SVG or PNG file`);
  }
  try {
    return { ext, content: await readFile(logoPath) };
  } catch (error) {
    throw new Error(`Cannot read logo ${logoPath}`, { cause: error });
  }
}

/** Everything that can change the output, so a changed input never reuses a stale build. */
async function buildKey(brandColour: string, logo: Logo): Promise<string> {
  const hash = createHash('sha256');
  // Length-prefixed so no two different input lists can hash the same.
  const add = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0${Buffer.byteLength(value)}\0`).update(value);
  };
  add('brand', brandColour);
  add(`logo${logo.ext}`, logo.content);
  for (const file of await filesUnder(webDir)) {
    add(path.relative(webDir, file), await readFile(file));
  }
  for (const pkg of BUNDLED_PACKAGES) add(pkg, packageVersion(pkg));
  add('compilers', `${sass.info} ${esbuildVersion}`);
  // sharp draws the app icons; its package.json is not exported, but it reports its versions.
  add('sharp', JSON.stringify(sharp.versions));
  // This file is the build recipe: editing it must invalidate old builds too.
  add('assets.ts', await readFile(fileURLToPath(import.meta.url)));
  return hash.digest('hex').slice(0, 16);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Packages compiled into the assets: a new version of any of them means a new build. */
const BUNDLED_PACKAGES = ['govuk-frontend', 'leaflet', 'exifr'];

function packageVersion(name: string): string {
  const pkg = require(`${name}/package.json`) as { version: string };
  return pkg.version;
}

/** An output file before hashing: its logical name and contents. */
interface Output {
  logical: string;
  content: Buffer;
  /** Set for files that are already named after their content and must keep that name. */
  fileName?: string;
  /** A script's chunk files, reachable by import or import(). */
  chunks?: string[];
}

async function compile(brandColour: string, logo: Logo): Promise<Output[]> {
  const [css, js, reportCss, reportJs, agentJs, mobileJs, embedCss, embedJs, swJs, icons] =
    await Promise.all([
      compileStyles(brandColour, 'app'),
      bundleScript('app'),
      compileStyles(brandColour, 'report'),
      bundleScript('report'),
      bundleScript('agent'),
      bundleScript('mobile-app'),
      compileStyles(brandColour, 'chat-embed'),
      bundleScript('chat-embed', { standalone: true }),
      bundleScript('sw', { standalone: true }),
      drawAppIcons(brandColour, logo),
    ]);
  return [
    { logical: 'app.css', content: css },
    ...js,
    { logical: 'report.css', content: reportCss },
    ...reportJs,
    ...agentJs,
    ...mobileJs,
    { logical: 'chat-embed.css', content: embedCss },
    ...embedJs,
    ...swJs,
    ...icons,
    { logical: `logo${logo.ext}`, content: logo.content },
    {
      logical: 'favicon.svg',
      content: await readFile(path.join(webDir, 'images', 'favicon.svg')),
    },
  ];
}

/**
 * The installed app's icons: the logo on a square of the brand colour, as the header
 * shows it. `logoShare` is how much of the side the logo may take; a maskable icon keeps
 * it inside the middle 80 % circle that every platform's mask leaves visible.
 */
export const APP_ICONS = [
  { logical: 'icon-192.png', size: 192, logoShare: 0.6, purpose: 'any' },
  { logical: 'icon-512.png', size: 512, logoShare: 0.6, purpose: 'any' },
  { logical: 'icon-maskable-512.png', size: 512, logoShare: 0.5, purpose: 'maskable' },
  { logical: 'apple-touch-icon.png', size: 180, logoShare: 0.6, purpose: 'apple-touch' },
] as const;

async function drawAppIcons(brandColour: string, logo: Logo): Promise<Output[]> {
  const { width, height } = await sharp(logo.content).metadata();
  return Promise.all(
    APP_ICONS.map(async ({ logical, size, logoShare }) => {
      const box = Math.round(size * logoShare);
      // An SVG is drawn at 72 dpi by default: ask for enough dots that it is never upscaled.
      const density =
        logo.ext === '.svg' ? Math.min(2400, Math.ceil((72 * box) / Math.min(width, height))) : 72;
      const mark = await sharp(logo.content, { density })
        .resize(box, box, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
        .png()
        .toBuffer();
      const drawn = await sharp({
        create: { width: size, height: size, channels: 3, background: brandColour },
      })
        .composite([{ input: mark, gravity: 'centre' }])
        .png()
        .toBuffer();
      // Compositing adds an alpha channel; an icon is opaque (iOS fills transparency with black).
      return { logical, content: await sharp(drawn).removeAlpha().png().toBuffer() };
    }),
  );
}

/** Compiles src/web/styles/<stylesheet>.scss. */
async function compileStyles(brandColour: string, stylesheet: string): Promise<Buffer> {
  // Configuring the `settings` module before the stylesheet loads it is how the brand
  // colour reaches govuk-frontend's `$govuk-functional-colours` (see _govuk.scss).
  const entry = `@use "settings" with ($brand-colour: ${brandColour});\n@use "${stylesheet}";\n`;
  try {
    const result = await sass.compileStringAsync(entry, {
      // A file: URL beside app.scss lets the entry load it and its partials.
      url: pathToFileURL(path.join(stylesDir, '_generated-entry.scss')),
      importers: [new sass.NodePackageImporter(projectRoot)],
      style: 'compressed',
      // govuk-frontend's own deprecation warnings are not ours to act on;
      // warnings and errors from our stylesheets still come through.
      quietDeps: true,
    });
    return Buffer.from(result.css);
  } catch (error) {
    throw new Error(`Compiling ${path.join(stylesDir, `${stylesheet}.scss`)} failed`, {
      cause: error,
    });
  }
}

/**
 * Bundles src/web/<entry>.ts as '<entry>.js'. Code it loads with `import()` goes into
 * chunk files (named after their content by esbuild) that the bundle imports by relative
 * URL, so a page downloads only the parts it uses. A `standalone` bundle is one classic
 * script with everything in it, for other websites to load with one <script> tag.
 */
async function bundleScript(
  entry: string,
  { standalone = false }: { standalone?: boolean } = {},
): Promise<Output[]> {
  const entryPoint = path.join(webDir, `${entry}.ts`);
  const result = await esbuild({
    entryPoints: [entryPoint],
    absWorkingDir: projectRoot,
    bundle: true,
    splitting: !standalone,
    outdir: webDir,
    chunkNames: '[name]-[hash]',
    write: false,
    metafile: true,
    platform: 'browser',
    format: standalone ? 'iife' : 'esm',
    // Class fields as written (every browser since 2021), so bundles share no helper chunk.
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
  });
  const entryOutput = path.join(webDir, `${entry}.js`);
  const outputs: Output[] = [];
  for (const file of result.outputFiles) {
    const content = Buffer.from(file.contents);
    if (file.path === entryOutput)
      outputs.unshift({
        logical: `${entry}.js`,
        content,
        chunks: chunksReachable(result.metafile, path.relative(projectRoot, entryOutput)),
      });
    else {
      const fileName = path.relative(webDir, file.path);
      outputs.push({ logical: fileName, content, fileName });
    }
  }
  if (outputs[0]?.logical !== `${entry}.js`)
    throw new Error(`esbuild produced no output for ${path.relative(projectRoot, entryPoint)}`);
  return outputs;
}

/** Every chunk an output loads, directly or through other chunks, as names relative to webDir. */
function chunksReachable(metafile: Metafile, output: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    for (const { path: imported } of metafile.outputs[file]?.imports ?? []) {
      if (seen.has(imported) || !metafile.outputs[imported]) continue;
      seen.add(imported);
      visit(imported);
    }
  };
  visit(output);
  return [...seen].map((file) => path.relative(webDir, path.join(projectRoot, file))).sort();
}

async function writeBuild(dir: string, outputs: Output[]): Promise<void> {
  const publicDir = path.join(dir, PUBLIC_DIR);
  await mkdir(publicDir, { recursive: true });
  const files: Record<string, string> = {};
  const chunks: Record<string, string[]> = {};
  for (const { logical, content, fileName: fixedName, chunks: loads } of outputs) {
    if (loads) chunks[logical] = loads;
    const fileName = fixedName ?? hashedName(logical, content);
    await writeFile(path.join(publicDir, fileName), content);
    files[logical] = fileName;
    // Layouts ask for 'logo' without knowing whether the council's is SVG or PNG.
    if (logical.startsWith('logo.')) files['logo'] = fileName;
  }
  // Written last: its presence is what marks a build as complete.
  const manifest: z.infer<typeof manifestSchema> = { version: MANIFEST_VERSION, files, chunks };
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
}

/** 'app.css' → 'app.3f9c2a1b.css', using the first 8 hex digits of the content's SHA-256. */
function hashedName(logical: string, content: Buffer): string {
  const ext = path.extname(logical);
  const digest = createHash('sha256').update(content).digest('hex').slice(0, 8);
  return `${path.basename(logical, ext)}.${digest}${ext}`;
}

/** The build in `buildDir`, or null unless its manifest and every file it lists exist. */
async function readManifest(buildDir: string): Promise<AssetManifest | null> {
  let parsed: z.infer<typeof manifestSchema>;
  try {
    const raw = await readFile(path.join(buildDir, MANIFEST_FILE), 'utf8');
    parsed = manifestSchema.parse(JSON.parse(raw));
  } catch {
    return null;
  }
  const dir = path.join(buildDir, PUBLIC_DIR);
  const fileNames = Object.values(parsed.files);
  const present = await Promise.all(
    fileNames.map((name) =>
      stat(path.join(dir, name)).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  if (!present.every(Boolean)) return null;

  // A Map, so names like 'constructor' can't resolve to Object.prototype members.
  const urls = new Map(
    Object.entries(parsed.files).map(([logical, name]) => [logical, ASSETS_URL_PREFIX + name]),
  );
  const url = (logical: string): string => {
    const found = urls.get(logical);
    if (found === undefined) {
      throw new Error(
        `Unknown asset "${logical}"; the built assets are: ${[...urls.keys()].join(', ')}`,
      );
    }
    return found;
  };
  const chunks = new Map(Object.entries(parsed.chunks));
  return {
    dir,
    url,
    chunksOf(logical: string): string[] {
      url(logical);
      return (chunks.get(logical) ?? []).map(url);
    },
  };
}
