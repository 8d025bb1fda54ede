import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprint, seal, unseal } from './crypto.js';

await test('sealed values', async (t) => {
  const secret = 'x'.repeat(40);
  await t.test('open with the same secret and purpose only', () => {
    const sealed = seal(secret, 'saved-forms', { answers: { name: 'Ann' } });
    assert.doesNotMatch(sealed, /Ann/);
    assert.deepEqual(unseal(secret, 'saved-forms', sealed), { answers: { name: 'Ann' } });
    assert.equal(unseal(secret, 'other-purpose', sealed), undefined);
    assert.equal(unseal('y'.repeat(40), 'saved-forms', sealed), undefined);
  });
  await t.test('refuse tampering', () => {
    const sealed = seal(secret, 'p', 'hello');
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    assert.equal(unseal(secret, 'p', flipped.toString('base64url')), undefined);
    assert.equal(unseal(secret, 'p', 'not base64 at all!'), undefined);
  });
  await t.test('fingerprints are stable and do not reveal the token', () => {
    assert.equal(fingerprint('abc'), fingerprint('abc'));
    assert.notEqual(fingerprint('abc'), fingerprint('abd'));
    assert.doesNotMatch(fingerprint('secret-token'), /secret/);
  });
});
