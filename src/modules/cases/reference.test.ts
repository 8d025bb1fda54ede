import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidReferenceError, isValidPrefix, newReference, parseReference } from './reference.js';

await test('references', async (t) => {
  await t.test('look like BKS-4F7K-92QX and read back unchanged', () => {
    for (let i = 0; i < 500; i++) {
      const ref = newReference('BKS');
      assert.match(ref, /^BKS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      assert.equal(parseReference(ref), ref);
    }
  });

  await t.test(
    'forgive how residents type them: case, spaces, dashes, O for 0 and I or L for 1',
    () => {
      const ref = newReference('PTH');
      const sloppy = ref.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
      assert.equal(parseReference(` ${sloppy} `), ref);
      assert.equal(parseReference(ref.replace(/-/g, '')), ref);
    },
  );

  await t.test('catch every single mistyped character with "Check the reference"', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const ref = newReference('SCH');
    const compact = ref.replace(/-/g, '');
    for (let i = 3; i < compact.length; i++) {
      for (const c of alphabet) {
        if (c === compact[i]) continue;
        const typo = compact.slice(0, i) + c + compact.slice(i + 1);
        assert.throws(
          () => parseReference(typo),
          InvalidReferenceError,
          `${typo} should be rejected`,
        );
      }
    }
  });

  await t.test('catch swapped neighbours', () => {
    let caught = 0;
    let swaps = 0;
    for (let n = 0; n < 200; n++) {
      const compact = newReference('GRF').replace(/-/g, '');
      for (let i = 3; i < compact.length - 1; i++) {
        if (compact[i] === compact[i + 1]) continue;
        swaps++;
        const swapped =
          compact.slice(0, i) + compact.charAt(i + 1) + compact.charAt(i) + compact.slice(i + 2);
        try {
          parseReference(swapped);
        } catch {
          caught++;
        }
      }
    }
    // Luhn mod 32 misses only swaps of digit values that sum to 31 (e.g. 0 and Z after doubling): well under 5 %.
    assert.ok(caught / swaps > 0.95, `caught ${caught} of ${swaps}`);
  });

  await t.test('explain what a reference looks like when it is malformed', () => {
    for (const bad of [
      '',
      'hello',
      'BKS-4F7K',
      'BKS-4F7K-92QX-1',
      '123-4567-8901',
      'BKS-4F7K-92Q!',
    ]) {
      assert.throws(
        () => parseReference(bad),
        (err: Error) =>
          err instanceof InvalidReferenceError &&
          err.message === 'Check the reference — it should look like BKS-4F7K-92QX',
      );
    }
  });

  await t.test('prefixes avoid letters that look like digits', () => {
    assert.equal(isValidPrefix('BKS'), true);
    assert.equal(isValidPrefix('FLY'), false);
    assert.equal(isValidPrefix('bks'), false);
    assert.throws(() => newReference('OIL'), /without I, L, O or U/);
  });
});
