import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCatalogue } from './definition.js';
import { ServiceSearch } from './search.js';

/** What residents type, and the service that must come first. */
const FIRST_RESULTS: [query: string, expected: string][] = [
  ['libary', 'join-the-library'],
  ['renew libary books', 'renew-library-books'],
  ['renew books', 'renew-library-books'],
  ['renewing library books', 'renew-library-books'],
  ['pot hole', 'report-a-pothole'],
  ['pothole', 'report-a-pothole'],
  ['potholes in my road', 'report-a-pothole'],
  ['bin not collected', 'report-a-missed-bin-collection'],
  ['blue badge', 'apply-for-a-blue-badge'],
  ['bleu badge', 'apply-for-a-blue-badge'],
  ['fly tipping', 'report-fly-tipping'],
  ['flytipping', 'report-fly-tipping'],
  ['fly-tipping', 'report-fly-tipping'],
  ['street light not working', 'report-a-street-light-fault'],
  ['school place', 'apply-for-a-primary-school-place'],
  ['secondary school', 'apply-for-a-secondary-school-place'],
  ['birth certificate', 'order-a-birth-death-or-marriage-certificate'],
  ['register a birth', 'book-a-birth-registration-appointment'],
  ['wedding', 'book-a-wedding-or-civil-partnership-ceremony'],
  ['foi', 'make-a-freedom-of-information-request'],
  ['freedom of information', 'make-a-freedom-of-information-request'],
  ['skip', 'apply-for-a-skip-permit'],
  ['dropped kerb', 'request-a-dropped-kerb'],
  ['bus pass', 'apply-for-a-bus-pass'],
  ['complain', 'make-a-complaint'],
  ['foster', 'enquire-about-fostering'],
  ['free school meals', 'apply-for-free-school-meals'],
  ['council tax', 'pay-council-tax'],
  ['tip', 'book-a-recycling-centre-visit'],
];

await test('the service finder', async (t) => {
  const search = new ServiceSearch(loadCatalogue().services);

  await t.test('puts the right service first for what residents type', () => {
    const misses = FIRST_RESULTS.flatMap(([query, expected]) => {
      const first = search.search(query)[0]?.service.code;
      return first === expected
        ? []
        : [`"${query}": expected ${expected}, got ${first ?? 'nothing'}`];
    });
    assert.deepEqual(misses, []);
  });

  await t.test('finds nothing for nonsense, punctuation or only small words', () => {
    assert.deepEqual(search.search('zzqxj'), []);
    assert.deepEqual(search.search('   '), []);
    assert.deepEqual(search.search('!!!'), []);
    assert.deepEqual(search.search('the to of'), []);
  });
});
