import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, dialects, screen, Visitor } from '../../../test/helper.js';
import { newResident, signIn, signUp } from '../account/testing.js';
import { emailsTo } from '../account/testing.js';

type Form = Record<string, string | string[]>;

/** A resident with a browser's cookie jar, filling in forms through app.inject. */
function resident(app: FastifyInstance) {
  let cookie = '';
  const remember = (setCookie: string | string[] | undefined) => {
    const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (header) cookie = header.split(';')[0] ?? '';
  };
  return {
    get cookie() {
      return cookie;
    },
    async get(url: string) {
      const res = await app.inject({ url, headers: { cookie } });
      remember(res.headers['set-cookie']);
      return res;
    },
    /** Loads the page at `url`, then sends its form with these answers. */
    async send(url: string, answers: Form, extra: Form = {}) {
      const page = await this.get(url);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const submission = /name="submission" value="([^"]+)"/.exec(page.body)?.[1];
      const body = new URLSearchParams();
      const all: Form = {
        _csrf: csrf,
        ...(submission ? { submission } : {}),
        ...answers,
        ...extra,
      };
      for (const [k, v] of Object.entries(all)) {
        const values: string[] = Array.isArray(v) ? v : [v];
        for (const value of values) body.append(k, value);
      }
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: body.toString(),
      });
      remember(res.headers['set-cookie']);
      return res;
    },
  };
}

const complaint = '/services/make-a-complaint';
const complaintAnswers: [page: string, answers: Form][] = [
  ['service', { service: 'libraries', onBehalf: 'myself' }],
  [
    'details',
    {
      whatWentWrong: 'The library was closed when the website said it was open.',
      putRight: 'Update the opening times.',
      previousContact: 'no',
    },
  ],
  ['contact', { fullName: 'Ann Example', email: 'Ann@Example.com', contactPreference: 'email' }],
];

async function completeComplaint(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const built = await buildTestApp(t, dialect);
  const person = resident(built.app);
  const start = await person.get(`${complaint}/start`);
  assert.equal(start.statusCode, 303);
  assert.equal(start.headers.location, `${complaint}/form/service`);
  for (const [page, answers] of complaintAnswers) {
    const res = await person.send(`${complaint}/form/${page}`, answers);
    assert.equal(res.statusCode, 303, `${page}: ${res.body.slice(0, 200)}`);
  }
  return { ...built, person };
}

for (const dialect of dialects()) {
  await test(`the form engine on ${dialect}`, async (t) => {
    await t.test('an empty page shows an error summary linking to each field', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const res = await resident(app).send(`${complaint}/form/service`, {});
      assert.equal(res.statusCode, 400);
      const page = screen(res.body);
      assert.match(page.document.title, /^Error: /);
      const summary = page.getByRole('alert');
      assert.match(summary.textContent, /There is a problem/);
      const links = [...summary.querySelectorAll('a')].map((a) => a.getAttribute('href'));
      assert.deepEqual(links, ['#service', '#onBehalf']);
      // The follow-up question only applies to "someone else", so it is not demanded.
      assert.doesNotMatch(summary.textContent, /person the complaint is about/);
    });

    await t.test(
      'answers flow page by page to check your answers, then one case with a reference',
      async (t) => {
        const { database, person } = await completeComplaint(t, dialect);
        const check = await person.get(`${complaint}/check`);
        assert.equal(check.statusCode, 200);
        const page = screen(check.body);
        assert.equal(
          page.getByRole('heading', { level: 1 }).textContent,
          'Check your answers before sending',
        );
        assert.match(check.body, /The library was closed/);
        assert.ok(page.getAllByRole('link', { name: /^Change/ }).length >= 5);
        const sent = await person.send(`${complaint}/check`, {});
        assert.equal(sent.statusCode, 303);
        assert.equal(sent.headers.location, `${complaint}/confirmation`);
        const confirmation = await person.get(`${complaint}/confirmation`);
        const ref = /CMP-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(confirmation.body)?.[0];
        assert.ok(ref, confirmation.body.slice(0, 500));
        assert.ok(screen(confirmation.body).getByRole('heading', { name: 'What happens next' }));

        const row = await database.db
          .selectFrom('cases')
          .selectAll()
          .where('ref', '=', ref)
          .executeTakeFirstOrThrow();
        assert.equal(row.service_code, 'make-a-complaint');
        assert.equal(row.channel, 'web');
        assert.equal(row.kind, 'request');
        assert.equal(row.team, 'Customer Feedback');
        assert.equal(row.contact_email, 'ann@example.com');
        assert.ok(row.due_at && row.due_at > row.created_at, 'due by the SLA');
        const data = JSON.parse(row.data) as {
          serviceVersion: number;
          answers: { field: string; question: string; answer: string[] }[];
        };
        assert.equal(data.serviceVersion, 1);
        assert.deepEqual(
          data.answers.find((a) => a.field === 'service'),
          {
            page: 'service',
            field: 'service',
            question: 'Which service is it about?',
            answer: ['Libraries'],
            value: 'libraries',
          },
        );
        assert.equal(
          data.answers.some((a) => a.field === 'personName'),
          false,
        );
        const jobs = await database.db.selectFrom('jobs').select('type').execute();
        assert.deepEqual(
          jobs.map((j) => j.type),
          ['case.notify'],
          'a receipt is queued',
        );
      },
    );

    await t.test('a double-clicked Send makes one case, not two', async (t) => {
      const { app, database, person } = await completeComplaint(t, dialect);
      const check = await person.get(`${complaint}/check`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
      const submission = /name="submission" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
      const cookie = person.cookie;
      const send = () =>
        app.inject({
          method: 'POST',
          url: `${complaint}/check`,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrf, submission }).toString(),
        });
      const [first, second] = await Promise.all([send(), send()]);
      const third = await send();
      for (const res of [first, second, third]) assert.equal(res.statusCode, 303);
      assert.equal((await database.db.selectFrom('cases').select('id').execute()).length, 1);
    });

    await t.test('a same-page follow-up is asked only when its answer calls for it', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const person = resident(app);
      const missing = await person.send(`${complaint}/form/service`, {
        service: 'libraries',
        onBehalf: 'someone-else',
      });
      assert.equal(missing.statusCode, 400);
      assert.match(
        screen(missing.body).getByRole('alert').textContent,
        /person the complaint is about/,
      );
      const ignored = await person.send(`${complaint}/form/service`, {
        service: 'libraries',
        onBehalf: 'myself',
        personName: 'Should be dropped',
      });
      assert.equal(ignored.statusCode, 303);
    });
  });
}

await test('save and come back later', async (t) => {
  const { app, database, config } = await buildTestApp(t);

  await t.test(
    'answers are saved sealed, the link is emailed, and it works once on another device',
    async () => {
      const person = resident(app);
      await person.send(`${complaint}/form/service`, { service: 'libraries', onBehalf: 'myself' });
      const bad = await person.send(`${complaint}/save`, { email: 'not an email' });
      assert.equal(bad.statusCode, 400);
      assert.match(
        screen(bad.body).getByRole('alert').textContent,
        /Enter an email address in the correct format/,
      );
      const saved = await person.send(`${complaint}/save`, { email: 'Ann@Example.com' });
      assert.equal(saved.statusCode, 200);
      assert.ok(screen(saved.body).getByRole('heading', { name: 'Your answers are saved' }));

      const [row] = await database.db.selectFrom('saved_forms').selectAll().execute();
      assert.ok(row);
      assert.doesNotMatch(row.sealed, /libraries|ann@example/i, 'answers are encrypted at rest');
      const expiresInDays = (Date.parse(row.expires_at) - Date.now()) / 86_400_000;
      assert.ok(expiresInDays > 27.9 && expiresInDays <= 28, String(expiresInDays));
      const [delivery] = await database.db.selectFrom('deliveries').selectAll().execute();
      assert.ok(delivery);
      assert.doesNotMatch(delivery.sealed, /ann@example|resume/i, 'the queued email is sealed too');
      const [email] = await emailsTo({ app, database, config }, 'ann@example.com');
      assert.ok(email);
      assert.equal(email.to, 'ann@example.com');
      const link = /\/services\/make-a-complaint\/resume\/[\w-]+/.exec(email.text)?.[0];
      assert.ok(link, email.text);

      const elsewhere = resident(app);
      const resumed = await elsewhere.get(link);
      assert.equal(resumed.statusCode, 303);
      assert.equal(
        resumed.headers.location,
        `${complaint}/form/details`,
        'carries on where they left off',
      );
      const first = await elsewhere.get(`${complaint}/form/service`);
      assert.match(first.body, /<option value="libraries" selected>/);
      const again = await resident(app).get(link);
      assert.equal(again.statusCode, 404, 'the link works once');
      assert.match(again.body, /expired or has already been used/);
    },
  );

  await t.test('an expired or made-up link explains itself', async () => {
    const person = resident(app);
    await person.send(`${complaint}/form/service`, { service: 'libraries', onBehalf: 'myself' });
    await person.send(`${complaint}/save`, { email: 'ann@example.com' });
    await database.db
      .updateTable('saved_forms')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .execute();
    const email = (await emailsTo({ app, database, config }, 'ann@example.com')).at(-1) ?? {
      text: '',
    };
    const link = /\/services\/make-a-complaint\/resume\/[\w-]+/.exec(email.text)?.[0] ?? '';
    assert.equal((await resident(app).get(link)).statusCode, 404);
    assert.equal((await resident(app).get(`${complaint}/resume/made-up-token`)).statusCode, 404);
  });

  await t.test(
    'signed in, a form is saved to the account and finished from My Account on another device',
    async () => {
      const person = newResident('Ann Saver');
      const laptop = new Visitor(app);
      await signUp({ app, database, config }, laptop, person);
      await laptop.get(`${complaint}/start`);
      await laptop.get(`${complaint}/form/service`);
      await laptop.post(`${complaint}/form/service`, { service: 'libraries', onBehalf: 'myself' });
      const savePage = await laptop.get(`${complaint}/save`);
      assert.match(savePage.body, /Save to my account/);
      assert.doesNotMatch(savePage.body, /name="email"/);
      const saved = await laptop.post(`${complaint}/save`, {});
      assert.match(saved.body, /your account/);

      const phone = new Visitor(app);
      await signIn(phone, person);
      const dashboard = await phone.get('/account');
      const dashboardPage = screen(dashboard.body);
      const link = dashboardPage.getByRole('link', { name: 'Make a complaint' });
      assert.equal(link.getAttribute('href'), `${complaint}/start`);
      const carryOn = await phone.get(`${complaint}/start`);
      assert.notEqual(
        carryOn.headers.location,
        `${complaint}/form/service`,
        'the first page is done',
      );
      const page = await phone.get(carryOn.headers.location as string);
      assert.equal(page.statusCode, 200);
      // Someone else signed in does not see it.
      const other = new Visitor(app);
      await signUp({ app, database, config }, other, newResident('Someone Else'));
      assert.doesNotMatch((await other.get('/account')).body, /Make a complaint/);
      assert.equal(
        (await other.get(`${complaint}/start`)).headers.location,
        `${complaint}/form/service`,
      );
    },
  );

  await t.test('there is nothing to save before the first answer', async () => {
    const res = await resident(app).get(`${complaint}/save`);
    assert.equal(res.statusCode, 303);
  });
});

await test('bad input to the form engine', async (t) => {
  const { app, database } = await buildTestApp(t);

  await t.test(
    'tampered options, wrong types and oversized answers are refused with the field’s message',
    async () => {
      const person = resident(app);
      const res = await person.send(`${complaint}/form/service`, {
        service: 'not-a-service',
        onBehalf: ['myself', 'someone-else'],
      });
      assert.equal(res.statusCode, 400);
      const links = [...screen(res.body).getByRole('alert').querySelectorAll('a')].map((a) =>
        a.getAttribute('href'),
      );
      assert.deepEqual(links, ['#service', '#onBehalf']);
      await person.send(`${complaint}/form/service`, { service: 'libraries', onBehalf: 'myself' });
      const huge = await person.send(`${complaint}/form/details`, {
        whatWentWrong: 'x'.repeat(6000),
        putRight: 'Fix it',
        previousContact: 'no',
      });
      assert.equal(huge.statusCode, 400);
      assert.match(huge.body, /must be 5,000 characters or fewer/);
    },
  );

  await t.test('pages cannot be skipped, and unknown services and pages are 404s', async () => {
    const person = resident(app);
    const ahead = await person.get(`${complaint}/form/contact`);
    assert.equal(ahead.statusCode, 303);
    assert.equal(ahead.headers.location, `${complaint}/form/service`);
    const check = await person.get(`${complaint}/check`);
    assert.equal(check.headers.location, `${complaint}/form/service`);
    assert.equal((await person.get('/services/not-a-service/start')).statusCode, 404);
    assert.equal((await person.get(`${complaint}/form/no-such-page`)).statusCode, 404);
    // A service that is not a form (here, an external link) has no form pages.
    assert.equal((await person.get('/services/pay-council-tax/start')).statusCode, 404);
  });

  await t.test('a Send with a forged or stale submission token opens nothing', async () => {
    const person = resident(app);
    for (const [page, answers] of complaintAnswers)
      await person.send(`${complaint}/form/${page}`, answers);
    const res = await person.send(`${complaint}/check`, {}, { submission: 'forged' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `${complaint}/check`);
    assert.equal((await database.db.selectFrom('cases').select('id').execute()).length, 0);
  });

  await t.test('uploads are checked by what they contain, not what they are called', async () => {
    const person = resident(app);
    await person.send(`${complaint}/form/service`, { service: 'libraries', onBehalf: 'myself' });
    const page = await person.get(`${complaint}/form/details`);
    assert.match(page.body, /enctype="multipart\/form-data"/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const upload = (filename: string, bytes: Buffer) => {
      const boundary = 'shire-test-boundary';
      const fields = {
        _csrf: csrf,
        whatWentWrong: 'Closed early',
        putRight: 'Open on time',
        previousContact: 'no',
      };
      const parts = Object.entries(fields).map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      );
      const payload = Buffer.concat([
        Buffer.from(parts.join('')),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return app.inject({
        method: 'POST',
        url: `${complaint}/form/details`,
        headers: {
          cookie: person.cookie,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload,
      });
    };
    const exe = await upload('photo.png', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]));
    assert.equal(exe.statusCode, 400);
    assert.match(exe.body, /The selected file must be a/);
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const ok = await upload('C:\\Users\\ann\\evidence.png', png);
    assert.equal(ok.statusCode, 303);
  });

  await t.test('forms need the session’s CSRF token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `${complaint}/form/service`,
      payload: { service: 'libraries', onBehalf: 'myself' },
    });
    assert.equal(res.statusCode, 403);
  });
});
