/** What the back-office tests share: a member of staff, signed in with two-factor, through the pages. */
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { screen, Visitor, type TestApp } from '../../../test/helper.js';
import { newResident, signUp, type Resident } from '../account/testing.js';
import type { StaffRole } from './roles.js';

export interface SignedInStaff {
  visitor: Visitor;
  person: Resident;
  id: number;
}

/**
 * Signs up through the pages, is given the role, and sets up two-factor as staff must; as
 * `visitor`, when the caller needs one of its own (one sending from another address).
 */
export async function signedInStaff(
  app: TestApp,
  role: StaffRole,
  team: string | null,
  name = `${role} ${team ?? ''}`.trim(),
  visitor = new Visitor(app.app),
): Promise<SignedInStaff> {
  const person = newResident(name);
  await signUp(app, visitor, person);
  const { id } = await app.database.db
    .updateTable('accounts')
    .set({ role, team })
    .where('email', '=', person.email)
    .returning('id')
    .executeTakeFirstOrThrow();
  const page = await visitor.get('/account/two-factor/set-up');
  assert.equal(page.statusCode, 200, page.body);
  const secret = (screen(page.body).document.getElementById('secret')?.textContent ?? '').replace(
    /\s/g,
    '',
  );
  const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
  const done = await visitor.post('/account/two-factor/set-up', { code });
  assert.equal(done.statusCode, 303, done.body);
  return { visitor, person, id };
}
