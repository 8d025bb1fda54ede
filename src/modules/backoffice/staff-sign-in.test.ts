/**
 * Staff must sign in with a second factor: Shire's two-factor, or the council's own identity
 * provider (OIDC_<ID>_STAFF=true), which enforces its own. Signed in through that provider, a
 * member of staff reaches the back office without setting up Shire's; signed in any other way,
 * or through it without multi-factor by its own `amr` claim, they are sent to set it up as
 * before. Against a real OpenID Connect provider (test/fake-oidc.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FAKE_OIDC_PUBLIC_URL,
  signInWithProvider,
  startFakeOidcProvider,
  type FakeOidcProvider,
} from '../../../test/fake-oidc.js';
import { buildTestApp, dialects, Visitor, type TestApp } from '../../../test/helper.js';
import { newResident, signIn, signUp, type Resident } from '../account/testing.js';
import { signedInStaff } from './testing.js';

const SET_UP = '/account/two-factor/set-up';
const SECOND_FACTOR = '/account/sign-in/two-factor';

let subjects = 0;

/** A member of staff without Shire's two-factor. */
async function officer(app: TestApp): Promise<Resident> {
  const person = newResident('Olu Officer');
  await signUp(app, new Visitor(app.app), person);
  await app.database.db
    .updateTable('accounts')
    .set({ role: 'officer', team: 'Highways' })
    .where('email', '=', person.email)
    .execute();
  return person;
}

/** Makes `person` the one the provider signs in next, by their address, saying `amr` of how. */
function knownTo(provider: FakeOidcProvider, person: Resident, amr?: string[]) {
  subjects += 1;
  const subject = `sub-${String(subjects)}`;
  provider.people.set(subject, { email: person.email, email_verified: true, name: person.name });
  provider.control.signingIn = subject;
  provider.control.amr = amr;
}

/** Signs in with the provider, coming back to the queue. */
async function viaProvider(visitor: Visitor, provider: 'entra' | 'onelogin') {
  const back = await signInWithProvider(visitor, { provider, returnTo: '/staff/cases' });
  assert.equal(back.statusCode, 303, back.body);
  return back;
}

for (const dialect of dialects()) {
  await test(`staff sign in with the council's identity provider on ${dialect}`, async (t) => {
    const provider = await startFakeOidcProvider(t, { providerIds: ['entra', 'onelogin'] });
    const app = await buildTestApp(t, dialect, {
      PUBLIC_URL: FAKE_OIDC_PUBLIC_URL,
      OIDC_PROVIDERS: 'entra,onelogin',
      OIDC_ENTRA_NAME: 'Westmoor staff sign-in',
      OIDC_ENTRA_ISSUER: provider.issuer,
      OIDC_ENTRA_CLIENT_ID: 'shire',
      OIDC_ENTRA_CLIENT_SECRET: 'a-client-secret-for-the-tests-only',
      OIDC_ENTRA_STAFF: 'true',
      OIDC_ONELOGIN_NAME: 'Test One Login',
      OIDC_ONELOGIN_ISSUER: provider.issuer,
      OIDC_ONELOGIN_CLIENT_ID: 'shire',
      OIDC_ONELOGIN_CLIENT_SECRET: 'a-client-secret-for-the-tests-only',
    });

    for (const [said, amr] of [
      ['saying nothing of how', undefined],
      ['saying it was multi-factor', ['pwd', 'mfa']],
    ] as const) {
      await t.test(`the council's provider, ${said}, lets staff into the back office`, async () => {
        const person = await officer(app);
        knownTo(provider, person, amr && [...amr]);
        const visitor = new Visitor(app.app);
        const back = await viaProvider(visitor, 'entra');
        assert.equal(back.headers.location, '/staff/cases');
        assert.equal((await visitor.get('/staff/cases')).statusCode, 200);
        // Nor do their own account pages send them to set up two-factor.
        assert.equal((await visitor.get('/account')).statusCode, 200);

        // Changing their password renews the session's sign-in, and keeps how it was made.
        await visitor.get('/account/profile/password');
        const changed = await visitor.post('/account/profile/password', {
          currentPassword: person.password,
          password: 'a brand new password for staff',
        });
        assert.equal(changed.statusCode, 303, changed.body);
        assert.equal((await visitor.get('/staff/cases')).statusCode, 200);
      });
    }

    await t.test(
      "the council's provider, saying it was a password alone, is not enough",
      async () => {
        const person = await officer(app);
        knownTo(provider, person, ['pwd']);
        const visitor = new Visitor(app.app);
        await viaProvider(visitor, 'entra');
        const queue = await visitor.get('/staff/cases');
        assert.equal(queue.statusCode, 303);
        assert.equal(queue.headers.location, SET_UP);
      },
    );

    await t.test('another provider leaves staff to set up two-factor', async () => {
      // Even one that says it was multi-factor: only the council's own is trusted for staff.
      knownTo(provider, await officer(app), ['pwd', 'mfa']);
      const visitor = new Visitor(app.app);
      await viaProvider(visitor, 'onelogin');
      const queue = await visitor.get('/staff/cases');
      assert.equal(queue.statusCode, 303);
      assert.equal(queue.headers.location, SET_UP);
      assert.equal((await visitor.get('/account')).headers.location, SET_UP);
    });

    await t.test('a password leaves staff to set up two-factor', async () => {
      const person = await officer(app);
      const visitor = new Visitor(app.app);
      assert.equal((await signIn(visitor, person)).statusCode, 303);
      const queue = await visitor.get('/staff/cases');
      assert.equal(queue.statusCode, 303);
      assert.equal(queue.headers.location, SET_UP);
    });

    await t.test(
      "staff with two-factor on are asked for it after any provider but the council's",
      async () => {
        const { person } = await signedInStaff(app, 'officer', 'Highways');
        knownTo(provider, person);
        const viaCouncil = await viaProvider(new Visitor(app.app), 'entra');
        assert.equal(viaCouncil.headers.location, '/staff/cases');
        knownTo(provider, person);
        const viaOther = await viaProvider(new Visitor(app.app), 'onelogin');
        assert.equal(viaOther.headers.location, SECOND_FACTOR);
      },
    );

    await t.test(
      "a resident with two-factor on is asked for it after the council's provider",
      async () => {
        // A former member of staff, who kept two-factor on.
        const { person, id } = await signedInStaff(app, 'agent', null);
        await app.database.db
          .updateTable('accounts')
          .set({ role: 'resident', team: null })
          .where('id', '=', id)
          .execute();
        knownTo(provider, person);
        const back = await viaProvider(new Visitor(app.app), 'entra');
        assert.equal(back.headers.location, SECOND_FACTOR);
      },
    );
  });
}
