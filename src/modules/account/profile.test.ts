import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, screen, Visitor, type TestApp } from '../../../test/helper.js';
import { emailedLink, emailsTo, newResident, signIn, signUp, type Resident } from './testing.js';

const errorsOn = (html: string) =>
  [...screen(html).getByRole('alert').querySelectorAll('li')].map((li) => li.textContent.trim());
const heading = (html: string) => screen(html).getByRole('heading', { level: 1 }).textContent;

const accountRow = ({ database }: TestApp, email: string) =>
  database.db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();

/** A resident signed up and signed in on their own browser. */
async function signedUp(app: TestApp, name: string): Promise<[Resident, Visitor]> {
  const resident = newResident(name);
  const browser = new Visitor(app.app);
  await signUp(app, browser, resident);
  return [resident, browser];
}

for (const dialect of dialects()) {
  await test(`profile on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);

    await t.test('name, phone and address: checked like any form, then saved', async () => {
      const [ann, browser] = await signedUp(app, 'Ann Example');
      const page = await browser.get('/account/profile');
      assert.equal(page.statusCode, 200);
      assert.equal(heading(page.body), 'Your details');
      assert.match(page.body, new RegExp(ann.email));

      await browser.get('/account/profile/details');
      const wrong = await browser.post('/account/profile/details', {
        name: '',
        phone: '123',
        'address-line1': '1 Mill Lane',
        'address-town': 'Shireton',
        'address-postcode': '',
      });
      assert.equal(wrong.statusCode, 400);
      assert.deepEqual(errorsOn(wrong.body), [
        'Enter your name',
        'Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192',
        'Enter postcode',
      ]);
      assert.match(wrong.body, /value="1 Mill Lane"/, 'what was typed is shown back');

      const saved = await browser.post('/account/profile/details', {
        name: 'Ann Other',
        phone: '07700 900 982',
        'address-line1': '1 Mill Lane',
        'address-line2': '',
        'address-town': 'Shireton',
        'address-postcode': 'wm1 1aa',
      });
      assert.equal(saved.statusCode, 303);
      assert.equal(saved.headers.location, '/account/profile');
      const row = await accountRow(app, ann.email);
      assert.equal(row?.name, 'Ann Other');
      assert.equal(row.phone, '07700 900 982');
      assert.deepEqual(JSON.parse(row.address ?? 'null'), {
        line1: '1 Mill Lane',
        town: 'Shireton',
        postcode: 'WM1 1AA',
      });
      const after = await browser.get('/account/profile');
      assert.match(after.body, /Your details have been saved/);
      assert.match(after.body, /WM1 1AA/);

      // Phone and address are optional: clearing them removes them.
      await browser.get('/account/profile/details');
      await browser.post('/account/profile/details', { name: 'Ann Other', phone: '' });
      const cleared = await accountRow(app, ann.email);
      assert.equal(cleared?.phone, null);
      assert.equal(cleared.address, null);
    });

    await t.test('how and when we tell you, saying honestly what is not sent yet', async () => {
      const [ann, browser] = await signedUp(app, 'Ann Example');
      const page = await browser.get('/account/profile/preferences');
      assert.match(page.body, /If we cannot send a text, we will email you/);
      assert.ok(
        screen(page.body).getByRole('radio', { name: 'Email' }).hasAttribute('checked'),
        'email and every update until they choose',
      );
      const none = await browser.post('/account/profile/preferences', {});
      assert.equal(none.statusCode, 400);
      assert.deepEqual(errorsOn(none.body), [
        'Select how you want us to tell you about updates',
        'Select which updates you want',
      ]);
      const saved = await browser.post('/account/profile/preferences', {
        channel: 'sms',
        updates: 'finished',
      });
      assert.equal(saved.statusCode, 303);
      const row = await accountRow(app, ann.email);
      assert.equal(row?.notify_channel, 'sms');
      assert.equal(row.notify_updates, 'finished');
      const profile = await browser.get('/account/profile');
      assert.match(profile.body, /Until text messages are available, we will email you/);
      assert.match(profile.body, /Only when it is finished/);
    });

    await t.test(
      'a new email address: only once the link sent to it is used, by the same resident',
      async () => {
        const [ann, browser] = await signedUp(app, 'Ann Example');
        const [bob, bobBrowser] = await signedUp(app, 'Bob Example');
        await browser.get('/account/profile/email');
        assert.deepEqual(
          errorsOn((await browser.post('/account/profile/email', { email: ann.email })).body),
          ['That is already your email address'],
        );
        // Bob's address: the same reply as any other, and Bob is told; nothing changes.
        const taken = await browser.post('/account/profile/email', { email: bob.email });
        assert.equal(taken.statusCode, 303);
        const [warned] = (await emailsTo(app, bob.email)).filter(
          (mail) => mail.subject === 'Someone tried to use your email address',
        );
        assert.ok(warned);
        assert.doesNotMatch(warned.text, /\/account\/profile\/email\//, 'no link to use');
        const newEmail = `new-${ann.email}`;
        const sent = await browser.post('/account/profile/email', {
          email: newEmail.toUpperCase(),
        });
        assert.equal(sent.statusCode, 303);
        assert.match((await browser.get('/account/profile')).body, /We have sent an email to/);
        assert.ok(await accountRow(app, ann.email), 'nothing changes until the link is used');
        const link = await emailedLink(app, newEmail, '/account/profile/email');

        // Someone else signed in, and nobody signed in, cannot use Ann's link.
        assert.equal((await bobBrowser.get(link)).statusCode, 404);
        assert.equal((await bobBrowser.post(link, {})).statusCode, 404);
        const nobody = new Visitor(app.app);
        const toSignIn = await nobody.get(link);
        assert.equal(toSignIn.statusCode, 303);
        assert.match(String(toSignIn.headers.location), /^\/account\/sign-in\?returnTo=/);

        const confirm = await browser.get(link);
        assert.equal(heading(confirm.body), 'Confirm your new email address');
        const used = await browser.post(link, {});
        assert.equal(used.statusCode, 303);
        assert.match((await browser.get('/account/profile')).body, /Your email address is now/);
        const row = await accountRow(app, newEmail);
        assert.ok(row?.email_verified_at);
        assert.equal(await accountRow(app, ann.email), undefined);
        const [told] = await emailsTo(app, ann.email).then((mails) =>
          mails.filter((mail) => mail.subject === 'Your email address has been changed'),
        );
        assert.ok(told, 'the old address is told');
        assert.equal((await browser.post(link, {})).statusCode, 404, 'the link works once');

        const elsewhere = new Visitor(app.app);
        assert.equal((await signIn(elsewhere, ann)).statusCode, 400, 'the old address is gone');
        const withNew = await signIn(elsewhere, { ...ann, email: newEmail });
        assert.equal(withNew.statusCode, 303);
      },
    );

    await t.test('a new password: the current one is needed, other devices sign out', async () => {
      const [ann, browser] = await signedUp(app, 'Ann Example');
      const other = new Visitor(app.app);
      await signIn(other, ann);
      assert.equal((await other.get('/account')).statusCode, 200);

      await browser.get('/account/profile/password');
      const wrong = await browser.post('/account/profile/password', {
        currentPassword: 'not my password',
        password: 'bright harbour lantern',
      });
      assert.equal(wrong.statusCode, 400);
      assert.deepEqual(errorsOn(wrong.body), ['Your current password is not right']);
      const weak = await browser.post('/account/profile/password', {
        currentPassword: ann.password,
        password: 'short',
      });
      assert.deepEqual(errorsOn(weak.body), ['Password must be 8 characters or more']);

      const changed = await browser.post('/account/profile/password', {
        currentPassword: ann.password,
        password: 'bright harbour lantern',
      });
      assert.equal(changed.statusCode, 303);
      assert.equal((await browser.get('/account')).statusCode, 200, 'still signed in here');
      assert.equal((await other.get('/account')).statusCode, 303, 'signed out elsewhere');
      const mails = await emailsTo(app, ann.email);
      assert.ok(mails.some((mail) => mail.subject === 'Your password has been changed'));
      assert.equal((await signIn(new Visitor(app.app), ann)).statusCode, 400, 'the old password');
      assert.equal(
        (await signIn(new Visitor(app.app), { ...ann, password: 'bright harbour lantern' }))
          .statusCode,
        303,
      );
    });

    await t.test('a resident who signs in by link can create a password', async () => {
      const ann = newResident('Ann Example');
      const browser = new Visitor(app.app);
      await browser.get('/account/sign-up');
      await browser.post('/account/sign-up', { name: ann.name, email: ann.email });
      const link = await emailedLink(app, ann.email, '/account/verify');
      await browser.get(link);
      assert.equal((await browser.post(link, { choice: 'link' })).statusCode, 303);

      const page = await browser.get('/account/profile/password');
      assert.equal(heading(page.body), 'Create a password');
      assert.doesNotMatch(page.body, /Current password/);
      const created = await browser.post('/account/profile/password', {
        password: ann.password,
      });
      assert.equal(created.statusCode, 303);
      assert.equal((await signIn(new Visitor(app.app), ann)).statusCode, 303);
    });
  });
}
