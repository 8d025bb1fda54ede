import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.js';

await test('logs redact personal data but keep what operators need', () => {
  let output = '';
  const memory = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const logger = createLogger('info', memory);
  logger.info(
    {
      req: { id: 'r1', method: 'GET', url: '/track?ref=PTH-1234-5678&email=ann@example.com' },
      case: {
        ref: 'PTH-1234-5678',
        contact_email: 'ann@example.com',
        contact_phone: '07700 900123',
        lat: 51.35,
        lng: -2.21,
      },
    },
    'case opened',
  );
  assert.doesNotMatch(output, /ann@example\.com|07700|51\.35|-2\.21/);
  assert.match(output, /"path":"\/track"/);
  assert.match(output, /PTH-1234-5678/, 'references are not personal data');
  assert.match(output, /\[redacted\]/);
  assert.doesNotThrow(() => JSON.parse(output) as unknown, 'one JSON line');
});
