import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { LocalFileStorage } from './storage.js';

await test('local file storage', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'shire-files-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const storage = new LocalFileStorage(root);

  await t.test('keeps, returns and deletes a file by key', async () => {
    await storage.put('cases/12/photo-1.jpg', Buffer.from('jpeg bytes'));
    const stream = await storage.get('cases/12/photo-1.jpg');
    assert.ok(stream);
    assert.equal(await text(stream), 'jpeg bytes');
    await storage.delete('cases/12/photo-1.jpg');
    assert.equal(await storage.get('cases/12/photo-1.jpg'), undefined);
  });

  await t.test('refuses keys that could escape its folder', async () => {
    for (const key of [
      '../etc/passwd',
      '/abs',
      'a/../../b',
      'Upper.JPG',
      'a//b',
      'name with space',
    ]) {
      await assert.rejects(storage.put(key, Buffer.from('x')), /Storage key/, key);
    }
  });
});
