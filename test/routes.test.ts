import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaseService } from '../src/modules/cases/service.js';
import { surveyUrl } from '../src/modules/notifications/links.js';
import type { Config } from '../src/platform/config.js';
import { buildTestApp, dialects, formSession, screen } from './helper.js';

const linkSettings = (config: Config) => ({
  publicUrl: config.publicUrl,
  secret: config.sessionSecret,
});
/** An absolute link from an email, as a path to inject. */
const path = (url: string) => new URL(url).pathname;

const report = {
  serviceCode: 'pothole',
  refPrefix: 'PTH',
  kind: 'report',
  channel: 'web',
  title: 'Pothole on Mill Lane',
  actor: { type: 'resident' },
  contact: { email: 'ann@example.com' },
} as const;

await test('the web shell', async (t) => {
  await t.test('home page: the council’s name, what exists, and no cookie', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject('/');
    assert.equal(res.statusCode, 200);
    const page = screen(res.body);
    assert.equal(page.getByRole('heading', { level: 1 }).textContent, 'How can we help?');
    assert.equal(
      page.getByRole('link', { name: 'Westmoor County Council' }).getAttribute('href'),
      '/',
    );
    assert.ok(page.getByRole('link', { name: 'Check progress' }));
    assert.ok(page.getByRole('link', { name: 'Skip to main content' }));
    assert.ok(page.getByRole('link', { name: 'Accessibility statement' }));
    assert.equal(page.document.title, 'Home – Westmoor County Council');
    assert.equal(res.headers['set-cookie'], undefined, 'reading a page sets no cookie');
    assert.doesNotMatch(res.body, /govuk-logo|crown|GDS Transport/i);
  });

  await t.test(
    'security headers: strict CSP with a nonce the page’s inline script carries',
    async (t) => {
      const { app } = await buildTestApp(t);
      const res = await app.inject('/');
      const csp = String(res.headers['content-security-policy']);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      assert.ok(nonce, csp);
      assert.match(res.body, new RegExp(`<script nonce="${nonce}">`));
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /form-action 'self'/);
      assert.match(csp, /object-src 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(String(res.headers['x-request-id']), /^[\w-]{8,}$/);
      const again = await app.inject('/');
      assert.notEqual(again.headers['content-security-policy'], csp, 'a new nonce per response');
    },
  );

  await t.test(
    'request ids: a sane one from the caller is kept, anything else replaced',
    async (t) => {
      const { app } = await buildTestApp(t);
      assert.equal(
        (await app.inject({ url: '/', headers: { 'x-request-id': 'abc12345-trace' } })).headers[
          'x-request-id'
        ],
        'abc12345-trace',
      );
      assert.notEqual(
        (await app.inject({ url: '/', headers: { 'x-request-id': 'x\nforged' } })).headers[
          'x-request-id'
        ],
        'x\nforged',
      );
    },
  );

  await t.test('help pages exist with real content', async (t) => {
    const { app } = await buildTestApp(t);
    for (const [path, heading, text] of [
      [
        '/help/accessibility',
        'Accessibility statement',
        /WCAG|Web Content Accessibility Guidelines/,
      ],
      ['/help/privacy', 'Privacy notice', /Information Commissioner/],
      ['/help/cookies', 'Cookies', /shire_session/],
      ['/help/contact', 'Contact us', /0300 123 4567/],
    ] as const) {
      const res = await app.inject(path);
      assert.equal(res.statusCode, 200, path);
      assert.equal(screen(res.body).getByRole('heading', { level: 1 }).textContent, heading);
      assert.match(res.body, text);
    }
  });

  await t.test('compression and long-lived, content-hashed assets', async (t) => {
    const { app } = await buildTestApp(t);
    const home = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(home.headers['content-encoding'], 'gzip');
    const css = /href="(\/assets\/app\.[0-9a-f]{8}\.css)"/.exec((await app.inject('/')).body)?.[1];
    assert.ok(css);
    const asset = await app.inject(css);
    assert.equal(asset.statusCode, 200);
    assert.match(
      String(asset.headers['cache-control']),
      /max-age=31536000.*immutable|immutable.*max-age=31536000/,
    );
    assert.match(String(asset.headers['content-type']), /text\/css/);
    // Pages that name no icon (a feed) still get one: /favicon.ico leads to the council's.
    const favicon = await app.inject('/favicon.ico');
    assert.equal(favicon.statusCode, 302);
    assert.equal((await app.inject(String(favicon.headers.location))).statusCode, 200);
  });
});

await test('bad input gets the right status and a clear answer', async (t) => {
  await t.test('unknown pages: a GOV.UK-style 404 page, or problem JSON for the API', async (t) => {
    const { app } = await buildTestApp(t);
    const page = await app.inject('/no-such-page');
    assert.equal(page.statusCode, 404);
    assert.equal(
      screen(page.body).getByRole('heading', { level: 1 }).textContent,
      'Page not found',
    );
    const api = await app.inject('/api/v1/nothing');
    assert.equal(api.statusCode, 404);
    assert.equal(api.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.deepEqual(
      { ...api.json<object>(), requestId: undefined },
      {
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: 'There is nothing at /api/v1/nothing.',
        instance: '/api/v1/nothing',
        requestId: undefined,
      },
    );
  });

  await t.test('a wrong method: 405 with Allow', async (t) => {
    const { app } = await buildTestApp(t);
    const page = await app.inject({ method: 'DELETE', url: '/help/privacy' });
    assert.equal(page.statusCode, 405);
    assert.equal(page.headers.allow, 'GET');
    assert.match(String(page.headers['content-type']), /text\/html/);
    const api = await app.inject({ method: 'POST', url: '/api/v1/cases/PTH-0000-0000' });
    assert.equal(api.statusCode, 405);
    assert.equal(api.json<{ detail: string }>().detail, 'POST is not allowed here; use GET.');
  });

  await t.test('malformed, oversize and unreadable bodies', async (t) => {
    const { app } = await buildTestApp(t);
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/cases/x',
      headers: { 'content-type': 'application/json' },
      payload: '{"oops',
    });
    assert.ok([400, 405].includes(json.statusCode));
    const malformed = await app.inject({
      method: 'POST',
      url: '/notifications/survey/abc',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: '{"oops',
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(
      malformed.json<{ detail: string }>().detail,
      'The request body is not valid JSON.',
    );
    const huge = await app.inject({
      method: 'POST',
      url: '/notifications/survey/abc',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `a=${'x'.repeat(2 * 1024 * 1024)}`,
    });
    assert.equal(huge.statusCode, 413);
    assert.equal(
      screen(huge.body).getByRole('heading', { level: 1 }).textContent,
      'What you sent is too big',
    );
    const xml = await app.inject({
      method: 'POST',
      url: '/notifications/survey/abc',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    });
    assert.equal(xml.statusCode, 415);
  });

  await t.test(
    'an unexpected failure: a 500 page with a reference to quote, no stack trace',
    async (t) => {
      const { app } = await buildTestApp(t);
      app.get('/boom', () => {
        throw new Error('secret internals at /srv/shire/db.ts:42');
      });
      const res = await app.inject('/boom');
      assert.equal(res.statusCode, 500);
      const page = screen(res.body);
      assert.equal(
        page.getByRole('heading', { level: 1 }).textContent,
        'Sorry, there is a problem with the service',
      );
      assert.match(res.body, new RegExp(String(res.headers['x-request-id'] ?? 'missing')));
      // A stack frame reads "    at fn (file:line)".
      assert.doesNotMatch(res.body, /secret internals|db\.ts|\bat \S+ \(/);
      const api = await app.inject({ url: '/boom', headers: { accept: 'application/json' } });
      assert.equal(api.json<{ detail: string }>().detail, 'Something went wrong on our side.');
    },
  );

  await t.test('too many requests: 429 with a page that says to wait', async (t) => {
    const { app } = await buildTestApp(t, 'sqlite', { RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) assert.equal((await app.inject('/help/contact')).statusCode, 200);
    const limited = await app.inject('/help/contact');
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.equal(
      screen(limited.body).getByRole('heading', { level: 1 }).textContent,
      'Sorry, there have been too many attempts',
    );
  });

  await t.test(
    'maintenance mode: the service unavailable page, while health checks still answer',
    async (t) => {
      const { app } = await buildTestApp(t, 'sqlite', { MAINTENANCE_MODE: 'true' });
      const res = await app.inject('/');
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '3600');
      assert.equal(
        screen(res.body).getByRole('heading', { level: 1 }).textContent,
        'Sorry, the service is unavailable',
      );
      assert.equal((await app.inject('/health/live')).statusCode, 200);
    },
  );
});

await test('forms are protected from cross-site requests', async (t) => {
  await t.test(
    'a POST without the session’s CSRF token is refused; with it, it works',
    async (t) => {
      const { app, database, config } = await buildTestApp(t);
      const cases = new CaseService(database.db);
      const opened = await cases.openCase(report);
      const url = path(surveyUrl(linkSettings(config), opened.id));
      const feedback = async () =>
        (await cases.timeline(opened.id, { publicOnly: false })).filter(
          (e) => e.type === 'feedback',
        );

      const forged = await app.inject({ method: 'POST', url, payload: { _csrf: 'guess' } });
      assert.equal(forged.statusCode, 403);
      assert.match(forged.body, /This form has expired/);
      assert.equal((await feedback()).length, 0, 'nothing changed');

      const { cookie, csrf } = await formSession(app, url);
      const withoutToken = await app.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { rating: 'satisfied' },
      });
      assert.equal(withoutToken.statusCode, 403);
      const ok = await app.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { _csrf: csrf, rating: 'satisfied' },
      });
      assert.equal(ok.statusCode, 200);
      assert.ok(screen(ok.body).getByRole('heading', { name: 'Thank you for your feedback' }));
      assert.equal((await feedback()).length, 1);
    },
  );

  await t.test(
    'the session cookie is HttpOnly and SameSite=Lax, and Secure behind https',
    async (t) => {
      const { app, database, config } = await buildTestApp(t);
      const opened = await new CaseService(database.db).openCase(report);
      const res = await app.inject(path(surveyUrl(linkSettings(config), opened.id)));
      const cookie = String(res.headers['set-cookie']);
      assert.match(cookie, /^shire_session=/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.doesNotMatch(cookie, /Secure/);

      const https = await buildTestApp(t, 'sqlite', { PUBLIC_URL: 'https://www.westmoor.gov.uk' });
      const opened2 = await new CaseService(https.database.db).openCase(report);
      // Behind the council's TLS-terminating proxy, which says the original request was https.
      const secure = await https.app.inject({
        url: path(surveyUrl(linkSettings(https.config), opened2.id)),
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.match(String(secure.headers['set-cookie']), /Secure/);
    },
  );
});

for (const dialect of dialects()) {
  await test(`check progress by reference on ${dialect}`, async (t) => {
    const setup = async () => {
      const built = await buildTestApp(t, dialect);
      return { ...built, cases: new CaseService(built.database.db) };
    };

    await t.test(
      'a mistyped reference gets an error summary saying what one looks like',
      async () => {
        const { app, cases } = await setup();
        const opened = await cases.openCase(report);
        const typo = opened.ref.slice(0, -1) + (opened.ref.endsWith('0') ? '1' : '0');
        for (const url of [`/track?ref=${typo}`, `/track/${typo}`]) {
          const res = await app.inject(url);
          assert.equal(res.statusCode, 400, url);
          const page = screen(res.body);
          const summary = page.getByRole('alert');
          assert.match(
            summary.textContent,
            /Check the reference — it should look like BKS-4F7K-92QX/,
          );
          assert.equal(
            page
              .getByRole('link', {
                name: 'Check the reference — it should look like BKS-4F7K-92QX',
              })
              .getAttribute('href'),
            '#ref',
          );
          assert.match(page.document.title, /^Error: /);
          assert.equal(
            page.getByRole<HTMLInputElement>('textbox', { name: /What is your reference/ }).value,
            typo,
          );
        }
        const empty = await app.inject('/track?ref=');
        assert.match(screen(empty.body).getByRole('alert').textContent, /Enter your reference/);
        const api = await app.inject(`/api/v1/cases/${typo}`);
        assert.equal(api.statusCode, 400);
        assert.deepEqual(api.json<{ errors: unknown }>().errors, [
          { field: 'ref', message: 'Check the reference — it should look like BKS-4F7K-92QX' },
        ]);
      },
    );

    await t.test(
      'a well-formed reference we never issued is "cannot find", not "check"',
      async () => {
        const { app, cases } = await setup();
        const other = await buildTestApp(t, dialect);
        const elsewhere = await new CaseService(other.database.db).openCase(report);
        await cases.openCase(report);
        const res = await app.inject(`/track?ref=${elsewhere.ref}`);
        assert.equal(res.statusCode, 400);
        assert.match(
          screen(res.body).getByRole('alert').textContent,
          new RegExp(`We cannot find ${elsewhere.ref}`),
        );
        assert.equal((await app.inject(`/track/${elsewhere.ref}`)).statusCode, 404);
        assert.equal((await app.inject(`/api/v1/cases/${elsewhere.ref}`)).statusCode, 404);
      },
    );

    await t.test('a report’s progress page shows its status and public updates only', async () => {
      const { app, cases } = await setup();
      const opened = await cases.openCase(report);
      await cases.recordEvent(opened.id, {
        type: 'internal_note',
        actor: { type: 'staff' },
        public: false,
        body: 'Internal: contractor is slow',
      });
      await cases.changeStatus(
        opened.id,
        'action_scheduled',
        { type: 'staff' },
        { publicText: 'Repair booked for Tuesday.' },
      );
      const lookup = await app.inject(`/track?ref=${opened.ref.toLowerCase()}`);
      assert.equal(lookup.statusCode, 303);
      assert.equal(lookup.headers.location, `/track/${opened.ref}`);
      // A report's progress is on its own public page, with its map and photos.
      const track = await app.inject(`/track/${opened.ref}`);
      assert.equal(track.headers.location, `/reports/${opened.ref}`);
      const res = await app.inject(`/reports/${opened.ref}`);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, new RegExp(`<span class="govuk-caption-l">${opened.ref}</span>`));
      assert.match(res.body, /Action scheduled/);
      assert.match(res.body, /Repair booked for Tuesday\./);
      assert.match(res.body, /Pothole on Mill Lane/);
      assert.doesNotMatch(res.body, /contractor is slow/);
      const api = await app.inject(`/api/v1/cases/${opened.ref}`);
      assert.equal(api.json<{ open311_status: string; title: string }>().open311_status, 'open');
      assert.equal(api.json<{ title: string }>().title, 'Pothole on Mill Lane');
    });

    await t.test(
      'an application shows its status but not its details to someone holding the reference',
      async () => {
        const { app, cases } = await setup();
        const opened = await cases.openCase({
          ...report,
          serviceCode: 'school-admission',
          refPrefix: 'SCH',
          kind: 'application',
          title: 'Place for Alex at Hill Primary',
        });
        const res = await app.inject(`/track/${opened.ref}`);
        assert.equal(res.statusCode, 200);
        assert.match(res.body, /Submitted/);
        assert.doesNotMatch(res.body, /Alex|Hill Primary/);
        const api = await app.inject(`/api/v1/cases/${opened.ref}`);
        assert.equal(api.json<{ title?: string }>().title, undefined);
      },
    );

    await t.test('health and metrics', async () => {
      const { app, database } = await setup();
      assert.deepEqual((await app.inject('/health/live')).json(), { status: 'ok' });
      assert.deepEqual((await app.inject('/health/ready')).json(), {
        status: 'ok',
        database: 'ok',
      });
      const metrics = await app.inject('/metrics');
      assert.match(metrics.body, /http_request_duration_seconds_bucket/);
      assert.match(metrics.body, /shire_outbox_jobs\{status="pending"\} 0/);
      await database.close();
      const ready = await app.inject('/health/ready');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json<{ detail: string }>().detail, 'The database is not answering.');
    });
  });
}
