import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { dialects, testDatabase } from '../../../test/helper.js';
import { smtpServer } from '../../../test/smtp.js';
import { mailboxSender, smtpSender } from './mailer.js';
import { PermanentFailure, type Email } from './senders.js';

const FROM = 'Westmoor County Council <contact@westmoor.example.gov.uk>';

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

// Non-ASCII, a long line and '=' signs: all must survive the trip through the encodings.
const EMAIL: Email = {
  to: 'ada@example.org',
  subject: 'Update on your report POT-4F7K-92QX: Not the council’s responsibility',
  text: [
    'There is an update on your report, “Pothole on Mill Lane”.',
    '',
    'Your reference is POT-4F7K-92QX. See its progress at https://www.westmoor.example.gov.uk/reports/POT-4F7K-92QX',
  ].join('\n'),
  html: '<!doctype html><html lang="en"><body><p>There is an update on your report, “Pothole on Mill Lane”.</p></body></html>',
  messageId: '<0123456789abcdef@westmoor.example.gov.uk>',
  unsubscribeUrl: 'https://www.westmoor.example.gov.uk/notifications/unsubscribe/a-b_c',
};

await test('smtpSender', async (t) => {
  await t.test(
    'delivers text and HTML over SMTP, with our Message-ID and one-click unsubscribe headers',
    async (t) => {
      const smtp = await smtpServer(t);
      const sender = smtpSender({ smtpUrl: smtp.url, from: FROM });
      t.after(() => {
        sender.close();
      });
      const sent = await sender.sendEmail(EMAIL);

      assert.equal(smtp.messages.length, 1);
      const [message] = smtp.messages;
      assert.ok(message);
      assert.deepEqual(message.envelope, {
        from: 'contact@westmoor.example.gov.uk',
        to: ['ada@example.org'],
      });
      assert.equal(message.from, '"Westmoor County Council" <contact@westmoor.example.gov.uk>');
      assert.equal(message.subject, EMAIL.subject);
      assert.equal(message.text, EMAIL.text);
      assert.match(message.html ?? '', /“Pothole on Mill Lane”/);
      assert.equal(message.messageId, EMAIL.messageId);
      assert.equal(sent.id, EMAIL.messageId);
      assert.equal(
        message.headers.get('list-unsubscribe'),
        `<${EMAIL.unsubscribeUrl}> (Stop these emails)`,
      );
      assert.equal(message.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    },
  );

  await t.test('sends many at once over its pool, each to its own recipient', async (t) => {
    const smtp = await smtpServer(t);
    const sender = smtpSender({ smtpUrl: smtp.url, from: FROM, maxConnections: 3 });
    t.after(() => {
      sender.close();
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sender.sendEmail({ to: `r${i}@example.org`, subject: `Number ${i}`, text: String(i) }),
      ),
    );
    assert.equal(smtp.messages.length, 20);
    assert.deepEqual(
      smtp.messages.map((m) => m.envelope.to[0]).sort(),
      Array.from({ length: 20 }, (_, i) => `r${i}@example.org`).sort(),
    );
  });

  await t.test('a recipient refused for good (550) is a permanent failure: a bounce', async (t) => {
    const smtp = await smtpServer(t);
    smtp.state.refuse = 550;
    const sender = smtpSender({ smtpUrl: smtp.url, from: FROM });
    t.after(() => {
      sender.close();
    });
    const err = await sender.sendEmail(EMAIL).catch((e: unknown) => e);
    assert.ok(err instanceof PermanentFailure, String(err));
    assert.equal(err.reason, 'bounced');
    assert.match(err.message, /Mailbox unavailable/);
    assert.equal(smtp.messages.length, 0);
  });

  await t.test('a temporary refusal (450) is an ordinary error, to be retried', async (t) => {
    const smtp = await smtpServer(t);
    smtp.state.refuse = 450;
    const sender = smtpSender({ smtpUrl: smtp.url, from: FROM });
    t.after(() => {
      sender.close();
    });
    const err = await sender.sendEmail(EMAIL).catch((e: unknown) => e);
    assert.ok(err instanceof Error && !(err instanceof PermanentFailure), String(err));
  });

  await t.test('an unreachable server is an ordinary error, to be retried', async () => {
    const sender = smtpSender({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    const err = await sender.sendEmail(EMAIL).catch((e: unknown) => e);
    sender.close();
    assert.ok(err instanceof Error && !(err instanceof PermanentFailure));
    assert.match(err.message, /ECONNREFUSED/);
  });
});

for (const dialect of dialects()) {
  await test(`mailboxSender keeps each email in the database (${dialect})`, async (t) => {
    const database = await testDatabase(t, dialect);
    const sender = mailboxSender(database.db, FROM);
    await sender.sendEmail(EMAIL);
    await sender.sendEmail({ to: 'bob@example.org', subject: 'Second', text: 'Another one.' });
    const rows = await database.db.selectFrom('mailbox').selectAll().orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => [r.recipient, r.subject, r.message_id]),
      [
        [EMAIL.to, EMAIL.subject, EMAIL.messageId],
        ['bob@example.org', 'Second', rows[1]?.message_id],
      ],
    );
    const [first] = rows;
    assert.ok(first);
    assert.equal(first.text, EMAIL.text);
    assert.equal(first.html, EMAIL.html);
    assert.deepEqual(JSON.parse(first.headers), {
      from: FROM,
      'List-Unsubscribe': `<${EMAIL.unsubscribeUrl}> (Stop these emails)`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
}
