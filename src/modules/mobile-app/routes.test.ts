import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { buildTestApp, dialects, errorsOn, screen, Visitor } from '../../../test/helper.js';
import { newResident, signUp } from '../account/testing.js';
import { CaseService } from '../cases/service.js';

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
    assert.equal(manifest.start_url, '/app');
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

/** Market Street, Westmoor: in the North area, a council road. */
const MARKET_STREET = { lat: '51.4203', lng: '-2.2011' };
const POTHOLE = {
  service_code: 'report-a-pothole',
  ...MARKET_STREET,
  position: 'road',
  depth: 'deep',
  width: 'medium',
  dangerous: 'no',
  description: 'By the bus stop.',
};

function photo(): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 480, channels: 3, background: '#807060' } })
    .jpeg()
    .toBuffer();
}

for (const dialect of dialects()) {
  await test(`the app's home and one-page report, on ${dialect}`, async (t) => {
    const testApp = await buildTestApp(t, dialect);
    const { app } = testApp;
    const cases = new CaseService(testApp.database.db);

    await t.test('home, signed out: report, reports near me, sign in', async () => {
      const res = await app.inject('/app');
      assert.equal(res.statusCode, 200);
      const page = screen(res.body);
      assert.equal(
        page.getByRole('button', { name: 'Report a problem' }).getAttribute('href'),
        '/app/report',
      );
      assert.ok(page.getByRole('heading', { name: 'My reports' }));
      assert.ok(page.getByRole('heading', { name: 'Reports near me' }));
      assert.equal(
        page
          .getByRole('textbox', { name: 'Postcode, street or town' })
          .closest('form')
          ?.getAttribute('action'),
        '/reports',
      );
      assert.ok(page.getAllByRole('link', { name: 'Sign in' }).length > 0);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    await t.test(
      'without JavaScript: every problem named at once, then a report sent',
      async () => {
        const visitor = new Visitor(app);
        const form = screen((await visitor.get('/app/report')).body);
        const draft =
          form.document.querySelector<HTMLInputElement>('input[name="draft"]')?.value ?? '';
        assert.match(draft, /^[0-9a-f-]{36}$/);
        // Every category's questions are on the page for the phone, as inert templates.
        assert.ok(form.document.querySelector('template[data-questions-for="report-a-pothole"]'));

        const empty = await visitor.post('/app/reports', { draft });
        assert.equal(empty.statusCode, 400);
        const named = errorsOn(empty.body);
        assert.equal(named.length, 3, named.join(' | '));
        assert.equal(named[0], 'Select what the problem is');

        // The category chosen: its questions appear, and what was typed is kept.
        const partly = await visitor.post('/app/reports', {
          draft,
          service_code: 'report-a-pothole',
          ...MARKET_STREET,
          email: 'sam@example',
        });
        assert.equal(partly.statusCode, 400);
        const again = screen(partly.body);
        assert.ok(again.getByRole('group', { name: 'How deep is it?' }));
        assert.ok(errorsOn(partly.body).some((e) => /email address in the correct format/.test(e)));
        assert.equal(
          again.document.querySelector<HTMLInputElement>('#email')?.value,
          'sam@example',
        );

        const sent = await visitor.post(
          '/app/reports',
          { draft, ...POTHOLE, name: 'Sam Resident', email: 'sam@example.org' },
          [{ name: 'photos', filename: 'IMG_1.jpg', content: await photo(), type: 'image/jpeg' }],
        );
        assert.equal(sent.statusCode, 303, sent.body);
        assert.equal(sent.headers.location, '/app/report/sent');
        const done = screen((await visitor.get('/app/report/sent')).body);
        const ref = done.document.querySelector('.app-reference')?.textContent ?? '';
        const found = await cases.getByRef(ref);
        assert.equal(found?.serviceCode, 'report-a-pothole');
        assert.equal(found.contact.email, 'sam@example.org');
        assert.equal((found.data as { photos: unknown[] }).photos.length, 1);

        // Sent again (a double tap, or the back button): the same report, not a second one.
        await visitor.get('/app/report');
        const twice = await visitor.post('/app/reports', {
          draft,
          ...POTHOLE,
          email: 'sam@example.org',
        });
        assert.equal(twice.statusCode, 303);
        const second = screen((await visitor.get('/app/report/sent')).body);
        assert.equal(second.document.querySelector('.app-reference')?.textContent, ref);
      },
    );

    await t.test(
      'from the phone: JSON, the draft id as idempotency key, problem JSON',
      async () => {
        const phone = new Visitor(app, { accept: 'application/json' });
        const token = (await phone.get('/app/token')).json<{ token: string; signedIn: boolean }>();
        assert.equal(token.signedIn, false);
        phone.csrf = token.token;
        const key = randomUUID();
        const keyed = new Visitor(app, { accept: 'application/json', 'idempotency-key': key });
        keyed.cookie = phone.cookie;
        keyed.csrf = token.token;
        const first = await keyed.post('/app/reports', { ...POTHOLE, email: 'kim@example.org' });
        assert.equal(first.statusCode, 201, first.body);
        const { ref, url } = first.json<{ ref: string; url: string }>();
        assert.equal(url, `/reports/${ref}`);
        // The connection dropped before the answer came, so the phone sends it again.
        const resent = await keyed.post('/app/reports', { ...POTHOLE, email: 'kim@example.org' });
        assert.equal(resent.json<{ ref: string }>().ref, ref);
        const kims = await cases.near({ lat: 51.4203, lng: -2.2011 }, 50, {
          kind: 'report',
          limit: 100,
        });
        assert.equal(kims.filter((n) => n.case.contact.email === 'kim@example.org').length, 1);

        const outside = await keyed.post('/app/reports', {
          ...POTHOLE,
          lat: '53.48',
          lng: '-2.24',
          email: 'kim@example.org',
        });
        assert.equal(outside.statusCode, 400);
        assert.equal(outside.headers['content-type'], 'application/problem+json; charset=utf-8');
        const problem = outside.json<{ errors: { field: string; message: string }[] }>();
        assert.deepEqual(
          problem.errors.map((e) => e.field),
          ['lat'],
        );
        assert.match(problem.errors[0]?.message ?? '', /outside/);

        const noToken = await new Visitor(app, { accept: 'application/json' }).post(
          '/app/reports',
          POTHOLE,
        );
        assert.equal(noToken.statusCode, 403, 'a send without the session’s CSRF token is refused');
      },
    );

    await t.test(
      'signed in: no contact details asked, and the report is in My reports',
      async () => {
        const resident = newResident('Pat Example');
        const visitor = new Visitor(app);
        await signUp(testApp, visitor, resident);
        const token = JSON.parse((await visitor.get('/app/token')).body) as {
          token: string;
          signedIn: boolean;
        };
        assert.equal(token.signedIn, true);
        const form = screen((await visitor.get('/app/report')).body);
        assert.equal(form.document.querySelector('[data-contact]')?.hasAttribute('hidden'), true);
        const sent = await visitor.post('/app/reports', { ...POTHOLE, draft: randomUUID() });
        assert.equal(sent.statusCode, 303, sent.body);
        const ref =
          screen((await visitor.get('/app/report/sent')).body).document.querySelector(
            '.app-reference',
          )?.textContent ?? '';
        const home = screen((await visitor.get('/app')).body);
        assert.ok(home.getByRole('link', { name: (await cases.getByRef(ref))?.title ?? '' }));
        assert.ok(home.getByRole('button', { name: 'Sign out' }));
      },
    );
  });
}
