import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, List, splitFormat, toJson, toXml } from './format.js';
import { texts, xml } from './testing.js';

await test('one document reads the same as XML and as JSON', () => {
  const document = {
    root: 'service_requests',
    value: new List('request', [
      { service_request_id: 'PTH-4F7K-92QT', lat: 51.42, open: true, notes: null, left: undefined },
      { service_request_id: 'FTP-4F7K-92QT', formats: new List('format', ['text/xml']) },
    ]),
  };
  assert.deepEqual(toJson(document.value), [
    { service_request_id: 'PTH-4F7K-92QT', lat: 51.42, open: true, notes: null },
    { service_request_id: 'FTP-4F7K-92QT', formats: ['text/xml'] },
  ]);
  const parsed = xml(toXml(document));
  assert.equal(parsed.documentElement.tagName, 'service_requests');
  assert.deepEqual(texts(parsed, 'service_request_id'), ['PTH-4F7K-92QT', 'FTP-4F7K-92QT']);
  assert.deepEqual(texts(parsed, 'lat'), ['51.42']);
  assert.deepEqual(texts(parsed, 'notes'), ['']);
  assert.equal(parsed.getElementsByTagName('left').length, 0, 'undefined is left out');
  assert.deepEqual(texts(parsed, 'format'), ['text/xml']);
});

await test('whatever a resident typed makes a document an XML parser accepts', () => {
  const typed =
    'A <b>big</b> & "deep" hole\'s edge ]]> \u0000\u0007\u001B\uFFFE \uD800 tab\there 🕳️';
  const parsed = xml(toXml({ root: 'r', value: { description: typed } }));
  assert.equal(
    texts(parsed, 'description')[0],
    'A <b>big</b> & "deep" hole\'s edge ]]>   tab\there 🕳️',
  );
  assert.equal(escapeXml('<&>'), '&lt;&amp;&gt;');
});

await test('the format is the extension: xml or json, nothing else', () => {
  assert.deepEqual(splitFormat('PTH-4F7K-92QT.json'), { name: 'PTH-4F7K-92QT', format: 'json' });
  assert.deepEqual(splitFormat('report-a-pothole.xml'), {
    name: 'report-a-pothole',
    format: 'xml',
  });
  assert.equal(splitFormat('report-a-pothole.csv'), undefined);
  assert.equal(splitFormat('report-a-pothole'), undefined);
  assert.equal(splitFormat('.json'), undefined);
});
