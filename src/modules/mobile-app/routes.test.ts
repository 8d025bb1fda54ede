import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { z } from 'zod';
import { buildTestApp, screen } from '../../../test/helper.js';

const manifestSchema = z.object({
  id: z.string(),
  name: z.string(),
  short_name: z.string(),
  start_url: z.string(),
  scope: z.string(),
  display: z.string(),
  theme_color: z.string(),
  background_color: z.string(),
  icons: z.array(
    z.object({ src: z.string(), sizes: z.string(), type: z.string(), purpose: z.string() }),
  ),
});

await test('the installable app', async (t) => {
  const { app, config } = await buildTestApp(t);

  await t.test('the layout names the manifest, theme colour and home-screen icon', async () => {
    const page = screen((await app.inject('/')).body).document;
    assert.equal(
      page.querySelector('link[rel="manifest"]')?.getAttribute('href'),
      '/manifest.webmanifest',
    );
    assert.equal(
      page.querySelector('meta[name="theme-color"]')?.getAttribute('content'),
      config.council.brandColour,
    );
    const touchIcon = page.querySelector('link[rel="apple-touch-icon"]')?.getAttribute('href');
    assert.match(String(touchIcon), /^\/assets\/apple-touch-icon\.[0-9a-f]{8}\.png$/);
    const res = await app.inject(String(touchIcon));
    assert.equal(res.headers['content-type'], 'image/png');
    const { width, height } = await sharp(res.rawPayload).metadata();
    assert.deepEqual([width, height], [180, 180]);
  });

  await t.test('manifest: the council’s name and colour, standalone, icons that load', async () => {
    const res = await app.inject('/manifest.webmanifest');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/manifest+json; charset=utf-8');
    const manifest = manifestSchema.parse(res.json());
    assert.equal(manifest.name, config.council.name);
    assert.equal(manifest.short_name, config.council.shortName);
    assert.equal(manifest.start_url, '/report');
    assert.equal(manifest.scope, '/');
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.theme_color, config.council.brandColour);
    assert.equal(manifest.background_color, config.council.brandColour);
    assert.equal((await app.inject(manifest.start_url)).statusCode, 200, 'the start page exists');

    assert.deepEqual(
      manifest.icons.map(({ sizes, purpose }) => `${sizes} ${purpose}`),
      ['192x192 any', '512x512 any', '512x512 maskable'],
    );
    for (const icon of manifest.icons) {
      assert.match(icon.src, /^\/assets\/[\w-]+\.[0-9a-f]{8}\.png$/, 'a hashed, cacheable URL');
      assert.equal(icon.type, 'image/png');
      const image = await app.inject(icon.src);
      assert.equal(image.statusCode, 200, icon.src);
      assert.equal(image.headers['content-type'], 'image/png');
      const { width, height, format, hasAlpha } = await sharp(image.rawPayload).metadata();
      assert.equal(format, 'png');
      assert.equal(`${String(width)}x${String(height)}`, icon.sizes);
      assert.equal(hasAlpha, false, 'an opaque square of the brand colour');
      // The corner is the brand colour: the logo sits on it, as in the header.
      const { data } = await sharp(image.rawPayload)
        .extract({ left: 0, top: 0, width: 1, height: 1 })
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.equal(`#${data.toString('hex')}`, config.council.brandColour.toLowerCase());
    }
  });

  await t.test('service worker: from the root, never cached, with the shell to store', async () => {
    const res = await app.inject('/sw.js');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    const shell = z
      .object({ cache: z.string(), cachePrefix: z.string(), urls: z.array(z.string()) })
      .parse(JSON.parse(/^self\.shireShell=(.*);$/m.exec(res.body)?.[1] ?? 'null'));
    assert.ok(shell.cache.startsWith(shell.cachePrefix));
    const page = screen((await app.inject('/')).body).document;
    const css = page.querySelector('link[rel="stylesheet"]')?.getAttribute('href');
    const js = page.querySelector('script[type="module"]')?.getAttribute('src');
    for (const url of [css, js, '/offline'].map(String)) assert.ok(shell.urls.includes(url), url);
    for (const url of shell.urls) assert.equal((await app.inject(url)).statusCode, 200, url);
    assert.match(res.body, /addEventListener\("fetch"/);
    assert.equal((await app.inject('/sw.js')).body, res.body, 'the same script every time');
  });

  await t.test('offline page: what happened, what to do, and the phone number', async () => {
    const res = await app.inject('/offline');
    assert.equal(res.statusCode, 200);
    const page = screen(res.body);
    assert.equal(page.getByRole('heading', { level: 1 }).textContent, 'You are offline');
    assert.ok(page.getByText(/not connected to the internet/));
    const phone = page.getByRole('link', { name: config.council.contact.phone });
    assert.equal(
      phone.getAttribute('href'),
      `tel:${config.council.contact.phone.replace(/ /g, '')}`,
    );
    assert.equal(res.headers['set-cookie'], undefined);
  });
});
