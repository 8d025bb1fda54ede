import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAge, formatDate, formatDateTime, formatPounds } from './views.js';

await test('dates and money read the way GOV.UK writes them', () => {
  assert.equal(formatDate('2026-11-29T10:00:00Z'), '29 November 2026');
  assert.equal(formatDateTime('2026-11-29T14:05:00Z'), '29 November 2026 at 2:05pm');
  assert.equal(formatDateTime('2026-11-29T12:50:00Z'), '29 November 2026 at 12:50pm');
  assert.equal(formatPounds(283), '£2.83');
});

await test('how long ago counts London days, in words', () => {
  const now = new Date('2026-11-29T10:00:00Z');
  const cases: [string, string][] = [
    ['2026-11-29T00:30:00Z', 'today'],
    ['2026-11-28T23:59:00Z', 'yesterday'],
    ['2026-11-26T12:00:00Z', '3 days ago'],
    ['2026-11-14T12:00:00Z', '2 weeks ago'],
    ['2026-08-01T12:00:00Z', 'on 1 August 2026'],
  ];
  for (const [when, words] of cases) assert.equal(formatAge(when, now), words, when);
  // In summer London is an hour ahead: 23:30 UTC on the 1st is already the 2nd there.
  assert.equal(formatAge('2026-07-01T23:30:00Z', new Date('2026-07-02T09:00:00Z')), 'today');
});
