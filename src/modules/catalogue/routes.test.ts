import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, screen } from '../../../test/helper.js';

interface ServiceJson {
  code: string;
  name: string;
  online: boolean;
  start_url: string | null;
}

await test('finding a service', async (t) => {
  const { app } = await buildTestApp(t);

  await t.test('the finder lists every service by category, and A to Z', async () => {
    const page = screen((await app.inject('/services')).body);
    assert.equal(page.getByRole('heading', { level: 1 }).textContent, 'Find a service');
    for (const category of [
      'Roads and transport',
      'Libraries',
      'Adult social care',
      'Events and culture',
    ]) {
      assert.ok(page.getByRole('heading', { level: 2, name: category }), category);
    }
    assert.ok(page.getByRole('link', { name: 'Renew library books' }));
    const aToZ = screen((await app.inject('/services/a-to-z')).body);
    const catalogue = (await app.inject('/api/v1/services')).json<{ services: ServiceJson[] }>();
    assert.ok(catalogue.services.length >= 64);
    for (const service of catalogue.services)
      assert.ok(aToZ.getByRole('link', { name: service.name }), service.name);
    assert.ok(aToZ.getByRole('navigation', { name: 'Letters' }));
  });

  await t.test(
    'searching without JavaScript: a GET form, results with links, advice when nothing matches',
    async () => {
      const results = screen((await app.inject('/services?q=libary')).body);
      assert.ok(results.getByRole('heading', { level: 2, name: /\d+ services? match ‘libary’/ }));
      assert.equal(
        results.getByRole('link', { name: 'Renew library books' }).getAttribute('href'),
        '/services/renew-library-books',
      );
      assert.equal(
        results.getByRole<HTMLInputElement>('searchbox', { name: /Search \d+ services/ }).value,
        'libary',
      );
      const none = screen((await app.inject('/services?q=zzqxj')).body);
      assert.ok(none.getByRole('heading', { level: 2, name: 'No services match ‘zzqxj’' }));
      assert.ok(none.getByRole('link', { name: 'all services A to Z' }));
      const huge = await app.inject(`/services?q=${'pothole '.repeat(100)}`);
      assert.equal(huge.statusCode, 200, 'an over-long search is cut short, not refused');
    },
  );

  await t.test(
    'a start page says what you need, how long it takes and what happens next',
    async () => {
      const res = await app.inject('/services/apply-for-a-blue-badge');
      const page = screen(res.body);
      assert.equal(page.getByRole('heading', { level: 1 }).textContent, 'Apply for a Blue Badge');
      for (const heading of ['Before you start', 'What happens next', 'Other ways to do this'])
        assert.ok(page.getByRole('heading', { name: heading }));
      assert.match(res.body, /It takes about/);
      const start = page.getByRole('button', { name: 'Start now' });
      assert.equal(start.getAttribute('href'), '/services/apply-for-a-blue-badge/start');
      assert.ok(page.getByRole('link', { name: 'Services' }), 'breadcrumbs');
    },
  );

  await t.test(
    'a service whose journey is not online yet says how to do it instead of a dead end',
    async () => {
      // Library renewals are a later issue; until then they are done by phone.
      const res = await app.inject('/services/renew-library-books');
      const page = screen(res.body);
      assert.match(res.body, /You cannot do this online yet/);
      assert.equal(page.queryByRole('button', { name: 'Start now' }), null);
      const api = (await app.inject('/api/v1/services/renew-library-books')).json<ServiceJson>();
      assert.equal(api.online, false);
      assert.equal(api.start_url, null);
    },
  );
  await t.test('a report category starts Report It with the category chosen', async () => {
    const page = screen((await app.inject('/services/report-a-pothole')).body);
    const start = page.getByRole('button', { name: 'Start now' });
    assert.equal(start.getAttribute('href'), '/report?category=report-a-pothole');
  });
  await t.test('an external service says you will leave the site and links there', async () => {
    const page = screen((await app.inject('/services/pay-council-tax')).body);
    const link = page.getByRole('button', { name: /Continue to Pay your council tax/ });
    assert.match(link.getAttribute('href') ?? '', /^https:\/\//);
    assert.match(page.document.body.textContent, /You will leave our website/);
  });

  await t.test('an unknown service is a 404 page, or problem JSON from the API', async () => {
    assert.equal((await app.inject('/services/not-a-service')).statusCode, 404);
    const api = await app.inject('/api/v1/services/not-a-service');
    assert.equal(api.statusCode, 404);
    assert.equal(
      api.json<{ detail: string }>().detail,
      'There is no service with code "not-a-service".',
    );
  });

  await t.test('the API lists, searches and describes services', async () => {
    const found = (await app.inject('/api/v1/services?q=pot%20hole')).json<{
      query: string;
      services: ServiceJson[];
    }>();
    assert.equal(found.query, 'pot hole');
    assert.equal(found.services[0]?.code, 'report-a-pothole');
    const one = (await app.inject('/api/v1/services/pay-council-tax')).json<ServiceJson>();
    assert.equal(one.online, true);
    assert.match(one.start_url ?? '', /^https:\/\//);
    const tooLong = await app.inject(`/api/v1/services?q=${'x'.repeat(201)}`);
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(JSON.stringify(tooLong.json()), /must NOT have more than 200 characters/);
  });

  await t.test(
    '/api/docs is an OpenAPI 3.1 document covering every API route, Open311’s included',
    async () => {
      const docs = (await app.inject('/api/docs')).json<{
        openapi: string;
        paths: Record<string, unknown>;
      }>();
      assert.equal(docs.openapi, '3.1.0');
      assert.deepEqual(Object.keys(docs.paths).sort(), [
        '/api/v1/cases/{ref}',
        '/api/v1/reports',
        '/api/v1/reports/{ref}',
        '/api/v1/services',
        '/api/v1/services/{code}',
        '/open311/v2/discovery.{format}',
        '/open311/v2/requests.{format}',
        '/open311/v2/requests/{service_request_id}.{format}',
        '/open311/v2/servicerequestupdates.{format}',
        '/open311/v2/services.{format}',
        '/open311/v2/services/{service_code}.{format}',
        '/open311/v2/tokens/{token}.{format}',
      ]);
    },
  );

  await t.test('the home page leads to the finder', async () => {
    const home = screen((await app.inject('/')).body);
    assert.equal(
      home.getByRole('link', { name: 'Find a service' }).getAttribute('href'),
      '/services',
    );
  });
});
