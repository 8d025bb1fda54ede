import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakePushService } from '../../../test/fake-push.js';
import { buildTestApp, dialects, errorsOn, screen, Visitor } from '../../../test/helper.js';
import { newResident, report, signIn, signUp } from '../account/testing.js';
import { CaseService } from '../cases/service.js';
import { subscriptionFromLink, surveyUrl, unsubscribeUrl } from './links.js';

for (const dialect of dialects()) {
  await test(`notification pages on ${dialect}`, async (t) => {
    const built = await buildTestApp(t, dialect);
    const { app, config, database } = built;
    const caseService = new CaseService(database.db);
    const settings = { publicUrl: config.publicUrl, secret: config.sessionSecret };
    const path = (url: string) => url.slice(config.publicUrl.length);

    await t.test(
      'one-click unsubscribe: the link asks, a POST stops updates with no session',
      async () => {
        const opened = await caseService.openCase(
          report({ contact: { email: 'ada@example.org' } }),
        );
        const [subscription] = await caseService.subscribers(opened.id);
        assert.ok(subscription);
        const link = path(unsubscribeUrl(settings, subscription.id));

        // A GET (a link checker, or the resident) only asks.
        const page = await app.inject(link);
        assert.equal(page.statusCode, 200);
        assert.ok(
          screen(page.body).getByRole('heading', { name: `Stop updates about ${opened.ref}?` }),
        );
        assert.ok(await caseService.subscription(subscription.id), 'still subscribed after a GET');

        // RFC 8058: the mail provider POSTs from its own servers, without cookies or a CSRF token.
        const oneClick = await app.inject({
          method: 'POST',
          url: link,
          payload: 'List-Unsubscribe=One-Click',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.equal(oneClick.statusCode, 200);
        assert.equal(await caseService.subscription(subscription.id), undefined);

        const again = await app.inject({ method: 'POST', url: link, payload: {} });
        assert.equal(again.statusCode, 200, 'doing it twice is fine');
        assert.match(again.body, /already stopped them/);
      },
    );

    await t.test('a made-up or altered unsubscribe link is refused, clearly', async () => {
      const forged = await app.inject({
        method: 'POST',
        url: '/notifications/unsubscribe/not-a-real-token',
        payload: {},
      });
      assert.equal(forged.statusCode, 404);
      assert.match(forged.body, /This link is not right/);
    });

    await t.test('links in emails sent before links were sealed still work', async () => {
      const opened = await caseService.openCase(report({ contact: { email: 'bo@example.org' } }));
      const [subscription] = await caseService.subscribers(opened.id);
      assert.ok(subscription);
      const old = await app.inject(`/track/unsubscribe/${subscription.token}`);
      assert.equal(old.statusCode, 301);
      const token = String(old.headers.location).split('/notifications/unsubscribe/')[1] ?? '';
      assert.equal(subscriptionFromLink(config.sessionSecret, token), subscription.id);
      assert.equal((await app.inject('/track/unsubscribe/nope')).statusCode, 404);
    });

    await t.test(
      'the satisfaction question: one answer, an error if none, kept for staff',
      async () => {
        const opened = await caseService.openCase(report({ contact: { email: 'cy@example.org' } }));
        const link = path(surveyUrl(settings, opened.id));
        const visitor = new Visitor(app);
        const page = await visitor.get(link);
        assert.equal(page.statusCode, 200);
        assert.ok(
          screen(page.body).getByRole('group', {
            name: 'How satisfied are you with how we handled this?',
          }),
        );
        const blank = await visitor.post(link, {});
        assert.equal(blank.statusCode, 400);
        assert.deepEqual(errorsOn(blank.body), ['Select how satisfied you are']);
        const made = await visitor.post(link, { rating: 'bogus' });
        assert.equal(made.statusCode, 400);
        const done = await visitor.post(link, { rating: 'satisfied', comment: 'Quick work.' });
        assert.equal(done.statusCode, 200);
        assert.match(done.body, /Thank you for your feedback/);
        const feedback = (await caseService.timeline(opened.id, { publicOnly: false })).filter(
          (e) => e.type === 'feedback',
        );
        assert.deepEqual(
          feedback.map((e) => [e.public, e.body, e.data]),
          [[false, 'Satisfied: Quick work.', { rating: 'satisfied', comment: 'Quick work.' }]],
        );
        assert.equal((await app.inject('/notifications/survey/forged')).statusCode, 404);
      },
    );

    await t.test('the development mailbox does not exist outside development', async () => {
      assert.equal((await app.inject('/dev/mailbox')).statusCode, 404);
      assert.equal((await app.inject('/dev/mailbox/1')).statusCode, 404);
    });

    await t.test('web push: the key is public; devices are added only when signed in', async () => {
      const key = await app.inject('/notifications/push/key');
      assert.equal(key.statusCode, 200);
      const { publicKey } = key.json<{ publicKey: string }>();
      assert.equal(Buffer.from(publicKey, 'base64url').length, 65, 'an uncompressed P-256 key');
      assert.equal(
        (await app.inject('/notifications/push/key')).json<{ publicKey: string }>().publicKey,
        publicKey,
      );

      const pushService = await fakePushService(t);
      const device = pushService.subscription();
      const resident = newResident();
      const browser = new Visitor(app);
      await signUp(built, browser, resident);
      await browser.get('/account');
      const send = (body: unknown) =>
        app.inject({
          method: 'POST',
          url: '/account/push-subscriptions',
          payload: body as Record<string, unknown>,
          headers: {
            cookie: browser.cookie,
            'x-csrf-token': browser.csrf,
            accept: 'application/json',
          },
        });
      // Push services are HTTPS; the fake one runs on 127.0.0.1 with its own certificate.
      const added = await send(device);
      assert.equal(added.statusCode, 201, added.body);
      const rows = await database.db.selectFrom('push_subscriptions').selectAll().execute();
      assert.deepEqual(
        rows.map((r) => r.endpoint),
        [device.endpoint],
      );
      assert.deepEqual(
        await database.db
          .selectFrom('accounts')
          .select('notify_channel')
          .where('email', '=', resident.email)
          .execute(),
        [{ notify_channel: 'app' }],
        'updates now go to the phone',
      );
      const bad = await send({
        endpoint: 'http://evil.example/',
        keys: { p256dh: 'x', auth: 'y' },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
      const noToken = await app.inject({
        method: 'POST',
        url: '/account/push-subscriptions',
        payload: device as unknown as Record<string, unknown>,
        headers: { cookie: browser.cookie },
      });
      assert.equal(noToken.statusCode, 403, 'CSRF applies to JSON from a browser too');
      const removed = await app.inject({
        method: 'POST',
        url: '/account/push-subscriptions/remove',
        payload: { endpoint: device.endpoint },
        headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrf },
      });
      assert.equal(removed.statusCode, 204);
      assert.equal(
        (await database.db.selectFrom('push_subscriptions').selectAll().execute()).length,
        0,
      );
    });

    await t.test(
      'a resident whose email bounced is asked to check it when they sign in',
      async () => {
        const resident = newResident();
        const browser = new Visitor(app);
        await signUp(built, browser, resident);
        await browser.post('/account/sign-out', {});
        await database.db
          .updateTable('accounts')
          .set({ email_bounced_at: new Date().toISOString() })
          .where('email', '=', resident.email)
          .execute();
        await browser.get('/account/sign-in?returnTo=/account/profile');
        const signedIn = await browser.post('/account/sign-in', {
          email: resident.email,
          password: resident.password,
          returnTo: '/account/profile',
        });
        assert.equal(signedIn.statusCode, 303);
        assert.equal(
          signedIn.headers.location,
          '/account/email-bounced?returnTo=%2Faccount%2Fprofile',
        );
        const ask = await browser.get('/account/email-bounced?returnTo=%2Faccount%2Fprofile');
        assert.ok(screen(ask.body).getByRole('heading', { name: 'Check your email address' }));
        assert.match(ask.body, new RegExp(resident.email));
        const right = await browser.post('/account/email-bounced', {
          returnTo: '/account/profile',
        });
        assert.equal(right.statusCode, 303);
        assert.equal(right.headers.location, '/account/profile');
        await browser.post('/account/sign-out', {});
        const next = await signIn(browser, resident);
        assert.equal(next.headers.location, '/account', 'not asked again');
      },
    );
  });
}

await test('the development mailbox, in development', async (t) => {
  const { app, database } = await buildTestApp(t, 'sqlite', { SHIRE_ENV: 'development' });
  await database.db
    .insertInto('mailbox')
    .values({
      message_id: '<1@example>',
      recipient: 'ada@example.org',
      subject: 'We received your report: PTH-0000-0001',
      text: 'Thank you.\nYour reference is PTH-0000-0001.',
      html: '<!doctype html><html lang="en"><body><p style="color:red">Thank you.</p></body></html>',
      headers: JSON.stringify({ 'List-Unsubscribe': '<https://x/u>' }),
      created_at: new Date().toISOString(),
    })
    .execute();
  const list = await app.inject('/dev/mailbox');
  assert.equal(list.statusCode, 200);
  const link = screen(list.body).getByRole('link', {
    name: 'We received your report: PTH-0000-0001',
  });
  const message = await app.inject(link.getAttribute('href') ?? '');
  assert.equal(message.statusCode, 200);
  assert.match(message.body, /Your reference is PTH-0000-0001\./);
  assert.match(message.body, /List-Unsubscribe/);
  const html = await app.inject(`${link.getAttribute('href')}/html`);
  assert.equal(html.statusCode, 200);
  assert.match(String(html.headers['content-security-policy']), /sandbox/);
  assert.equal((await app.inject('/dev/mailbox/999')).statusCode, 404);
});
