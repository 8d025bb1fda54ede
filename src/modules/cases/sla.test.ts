import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addWorkingDays } from './sla.js';

await test('SLA due dates count working days only', () => {
  const friday = new Date('2026-11-27T10:00:00Z');
  assert.equal(addWorkingDays(friday, 0).toISOString(), '2026-11-27T10:00:00.000Z');
  assert.equal(
    addWorkingDays(friday, 1).toISOString(),
    '2026-11-30T10:00:00.000Z',
    'Friday + 1 is Monday',
  );
  assert.equal(addWorkingDays(friday, 5).toISOString(), '2026-12-04T10:00:00.000Z');
  const saturday = new Date('2026-11-28T10:00:00Z');
  assert.equal(addWorkingDays(saturday, 1).toISOString(), '2026-11-30T10:00:00.000Z');
  assert.equal(addWorkingDays(friday, 20).toISOString(), '2026-12-25T10:00:00.000Z');
});
