import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, screen, Visitor, type TestApp } from '../../../test/helper.js';
import { CaseService } from '../cases/service.js';
import { emailedLink, newResident, report, signIn, signUp } from './testing.js';

const errorsOn = (html: string) =>
  [...screen(html).getByRole('alert').querySelectorAll('li')].map((li) => li.textContent.trim());

const idOf = async ({ database }: TestApp, email: string) =>
  (
    await database.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow()
  ).id;

for (const dialect of dialects()) {
  await test(`my data on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);
    const cases = new CaseService(app.database.db);
    const ann = newResident('Ann Example');
    const annBrowser = new Visitor(app.app);
    await signUp(app, annBrowser, ann);
    const bob = newResident('Bob Example');
    const bobBrowser = new Visitor(app.app);
    await signUp(app, bobBrowser, bob);

    const annCase = await cases.openCase(
      report({
        accountId: await idOf(app, ann.email),
        contact: { name: 'Ann Example', email: ann.email, phone: '07700 900 982' },
        // As the form engine stores them (forms/service.ts answeredQuestions).
        data: {
          serviceVersion: 1,
          answers: [
            { field: 'depth', question: 'How deep is it?', answer: ['Deeper than a mug'] },
            { field: 'fullName', question: 'Your name', answer: ['Ann Example'] },
            { field: 'phone', question: 'Phone number', answer: ['07700 900 982'] },
          ],
        },
      }),
    );
    await cases.changeStatus(
      annCase.id,
      'in_progress',
      { type: 'staff', name: 'Officer' },
      {
        publicText: 'A crew is on the way.',
      },
    );
    await cases.recordEvent(annCase.id, {
      type: 'internal_note',
      actor: { type: 'staff' },
      public: false,
      body: 'Staff-only note',
    });
    const bobCase = await cases.openCase(
      report({ title: 'Bob’s fly-tipping', accountId: await idOf(app, bob.email) }),
    );

    await t.test('the download holds her data, and nobody else’s', async () => {
      const res = await annBrowser.get('/account/data.json');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.match(String(res.headers['content-disposition']), /^attachment; filename=/);
      const data = JSON.parse(res.body) as {
        account: { email: string; name: string; preferences: { channel: string } };
        cases: {
          reference: string;
          answers: { answers: { field: string }[] };
          contact: { phone: string };
          updates: { text: string | null }[];
        }[];
        subscriptions: { reference: string }[];
        savedForms: unknown[];
      };
      assert.equal(data.account.email, ann.email);
      assert.equal(data.account.preferences.channel, 'email');
      assert.deepEqual(
        data.cases.map((c) => c.reference),
        [annCase.ref],
      );
      assert.deepEqual(
        data.cases[0]?.answers.answers.map((a) => a.field),
        ['depth', 'fullName', 'phone'],
      );
      assert.equal(data.cases[0].contact.phone, '07700 900 982');
      assert.ok(data.cases[0].updates.some((u) => u.text === 'A crew is on the way.'));
      assert.deepEqual(
        data.subscriptions.map((s) => s.reference),
        [annCase.ref],
      );
      assert.deepEqual(data.savedForms, []);
      assert.doesNotMatch(res.body, new RegExp(bobCase.ref));
      assert.doesNotMatch(res.body, new RegExp(bob.email));
      assert.doesNotMatch(res.body, /Staff-only note/, 'internal notes are not hers');
      assert.doesNotMatch(res.body, /\$scrypt|password_hash|totp/i, 'no secrets');

      const page = await annBrowser.get('/account/data');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, new RegExp(annCase.ref));
      assert.match(page.body, /How deep is it\?[\s\S]*Deeper than a mug/);
      assert.match(page.body, /A crew is on the way/);
      assert.doesNotMatch(page.body, new RegExp(bobCase.ref));
    });

    await t.test('deleting her account: confirmed with her password', async () => {
      const elsewhere = new Visitor(app.app);
      await signIn(elsewhere, ann);
      const page = await annBrowser.get('/account/delete');
      assert.equal(page.statusCode, 200);
      const wrong = await annBrowser.post('/account/delete', { confirmation: 'not it' });
      assert.equal(wrong.statusCode, 400);
      assert.deepEqual(errorsOn(wrong.body), ['Your password is not right']);
      assert.ok(await cases.getById(annCase.id).then((c) => c?.accountId), 'nothing yet');

      const deleted = await annBrowser.post('/account/delete', { confirmation: ann.password });
      assert.equal(deleted.statusCode, 303);
      assert.equal(deleted.headers.location, '/account/deleted');
      const confirmation = await annBrowser.get('/account/deleted');
      assert.equal(confirmation.statusCode, 200);
      assert.match(confirmation.body, /Your account has been deleted/);

      assert.equal((await annBrowser.get('/account')).statusCode, 303, 'signed out here');
      assert.equal((await elsewhere.get('/account')).statusCode, 303, 'and everywhere');

      // The case stays for the council's records, without who she was.
      const kept = await cases.getById(annCase.id);
      assert.ok(kept);
      assert.equal(kept.accountId, null);
      assert.deepEqual(kept.contact, { name: null, email: null, phone: null });
      assert.deepEqual(
        (kept.data.answers as { field: string }[]).map((answer) => answer.field),
        ['depth'],
        'her name and phone go from the answers too; what she reported stays',
      );
      const internal = await cases.timeline(annCase.id, { publicOnly: false });
      assert.ok(
        internal.some(
          (e) =>
            !e.public && e.body === 'Resident deleted their account; personal details removed.',
        ),
      );
      assert.deepEqual(await cases.subscribers(annCase.id), []);
      const db = app.database.db;
      assert.equal(
        await db
          .selectFrom('accounts')
          .select('id')
          .where('email', '=', ann.email)
          .executeTakeFirst(),
        undefined,
      );
      // Bob's case and account are untouched.
      assert.equal((await cases.getById(bobCase.id))?.accountId, await idOf(app, bob.email));
      assert.equal((await bobBrowser.get('/account')).statusCode, 200);

      assert.equal((await signIn(new Visitor(app.app), ann)).statusCode, 400, 'cannot sign in');
      const again = new Visitor(app.app);
      await signUp(app, again, ann);
      assert.equal((await again.get('/account')).statusCode, 200, 'the address can sign up afresh');
      const fresh = await again.get('/account/data.json');
      assert.doesNotMatch(fresh.body, new RegExp(annCase.ref), 'the old cases stay anonymous');
    });

    await t.test('without a password: confirmed by typing the words', async () => {
      const cat = newResident('Cat Example');
      const browser = new Visitor(app.app);
      await browser.get('/account/sign-up');
      await browser.post('/account/sign-up', { name: cat.name, email: cat.email });
      const link = await emailedLink(app, cat.email, '/account/verify');
      await browser.get(link);
      await browser.post(link, { choice: 'link' });
      await browser.get('/account/delete');
      const empty = await browser.post('/account/delete', { confirmation: '' });
      assert.deepEqual(errorsOn(empty.body), ['Type “delete my account” to confirm']);
      const done = await browser.post('/account/delete', { confirmation: 'Delete my account' });
      assert.equal(done.statusCode, 303);
      assert.equal(
        await app.database.db
          .selectFrom('accounts')
          .select('id')
          .where('email', '=', cat.email)
          .executeTakeFirst(),
        undefined,
      );
    });
  });
}
