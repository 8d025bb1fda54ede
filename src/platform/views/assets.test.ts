import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type AssetManifest, buildAssets } from './assets.js';

// Colours Sass can't shorten to a name or 3-digit hex, so they appear verbatim.
const BRAND = '#00594f';
const OTHER_BRAND = '#4c2c92';

// The smallest valid PNG: a 1×1 transparent pixel.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

const fileOf = (assets: AssetManifest, logical: string) =>
  path.join(assets.dir, path.basename(assets.url(logical)));

await test('buildAssets', async (t) => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'shire-assets-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));

  const started = performance.now();
  const assets = await buildAssets({ brandColour: BRAND, cacheDir });
  const coldMs = performance.now() - started;

  await t.test('styles carry the brand colour and none of GOV.UK’s font or crest', async () => {
    const css = await readFile(fileOf(assets, 'app.css'), 'utf8');
    assert.ok(css.includes(BRAND), 'brand colour missing from CSS');
    assert.ok(css.includes('.app-header'), 'our own styles missing');
    assert.ok(css.includes('system-ui'), 'system font stack missing');
    assert.ok(!css.includes('GDS Transport'));
    assert.ok(!css.includes('@font-face'));
    assert.ok(!css.includes('govuk-crest'));
    assert.ok(!css.includes('/*'), 'expected compressed output');
  });

  await t.test('the script is a self-contained bundle', async () => {
    const js = await readFile(fileOf(assets, 'app.js'), 'utf8');
    assert.ok(js.includes('govuk-frontend-supported'), 'govuk-frontend not bundled');
    assert.ok(!/\bimport\s*[{"'*]/.test(js), 'bundle still imports other modules');
  });

  await t.test(
    'every asset is served from /assets/ under a name hashed from its content',
    async () => {
      for (const logical of ['app.css', 'app.js', 'logo', 'logo.svg', 'favicon.svg']) {
        const url = assets.url(logical);
        const match = /^\/assets\/([a-z]+)\.([0-9a-f]{8})\.([a-z]+)$/.exec(url);
        assert.ok(match, `${logical} has unexpected URL ${url}`);
        const content = await readFile(fileOf(assets, logical));
        const digest = createHash('sha256').update(content).digest('hex').slice(0, 8);
        assert.equal(match[2], digest, `${url} is not named after its content`);
      }
      assert.equal(assets.url('logo'), assets.url('logo.svg'));
      assert.ok(path.isAbsolute(assets.dir));
    },
  );

  await t.test('asking for an unknown asset is an error naming it', () => {
    assert.throws(() => assets.url('nope'), /Unknown asset "nope"/);
    assert.throws(() => assets.url('constructor'), /Unknown asset/);
  });

  await t.test('the same options reuse the cached build', async () => {
    const manifest = path.join(path.dirname(assets.dir), 'manifest.json');
    const builtAt = (await stat(manifest)).mtimeMs;

    const started = performance.now();
    const again = await buildAssets({ brandColour: BRAND.toUpperCase(), cacheDir });
    const cachedMs = performance.now() - started;
    t.diagnostic(`cold build ${coldMs.toFixed(0)} ms, cached ${cachedMs.toFixed(0)} ms`);

    assert.equal(again.dir, assets.dir);
    assert.equal(again.url('app.css'), assets.url('app.css'));
    assert.equal(again.url('app.js'), assets.url('app.js'));
    assert.equal((await stat(manifest)).mtimeMs, builtAt, 'the build was redone');
    assert.ok(cachedMs < coldMs / 4, `cache hit took ${cachedMs} ms`);
  });

  await t.test(
    'a different brand colour and logo build separately, even concurrently',
    async () => {
      const logoPath = path.join(cacheDir, 'council-logo.png');
      await writeFile(logoPath, PNG);
      const options = { brandColour: OTHER_BRAND, cacheDir, logoPath };
      // Two processes starting at once race to publish the same build; both must
      // end up with the same, complete one.
      const [first, second] = await Promise.all([buildAssets(options), buildAssets(options)]);

      assert.notEqual(first.url('app.css'), assets.url('app.css'));
      assert.equal(first.url('app.js'), assets.url('app.js'), 'script should not depend on colour');
      assert.ok((await readFile(fileOf(first, 'app.css'), 'utf8')).includes(OTHER_BRAND));
      assert.deepEqual(await readFile(fileOf(first, 'logo')), PNG);
      assert.match(first.url('logo'), /\.png$/);
      assert.throws(() => first.url('logo.svg'), /Unknown asset/);
      assert.equal(second.dir, first.dir);
      assert.equal(second.url('app.css'), first.url('app.css'));
    },
  );

  await t.test('rejects brand colours that are malformed or too light for white text', async () => {
    await assert.rejects(
      buildAssets({ brandColour: 'red; } body { display: none', cacheDir }),
      /must be a hex colour/,
    );
    await assert.rejects(buildAssets({ brandColour: '#ffdd00', cacheDir }), /4\.5:1/);
  });

  await t.test('rejects a logo that is not SVG or PNG', async () => {
    await assert.rejects(
      buildAssets({ brandColour: BRAND, cacheDir, logoPath: '/tmp/logo.gif' }),
      /must be an SVG or PNG/,
    );
  });
});
