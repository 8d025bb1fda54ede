import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseEmail, smtpServer } from '../../../test/smtp.js';
import { createMailer } from './mailer.js';

// The mailer has no database, so these tests run once rather than per dialect.

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

// Non-ASCII, a long line and '=' signs: all must survive the trip through quoted-printable.
const EMAIL = {
  to: 'ada@example.org',
  subject: 'Update on your report POT-4F7K-92QX: Not the council’s responsibility',
  text: [
    'There is an update on your report, “Pothole on Mill Lane”.',
    '',
    'Your reference is POT-4F7K-92QX. See its progress at https://www.westmoor.example.gov.uk/track/POT-4F7K-92QX',
    '',
    'To stop these emails: https://www.westmoor.example.gov.uk/track/unsubscribe/a-b_c==',
  ].join('\n'),
};

await test('createMailer with an SMTP URL', async (t) => {
  await t.test(
    'delivers the email over SMTP: sender, recipient, subject and body intact',
    async (t) => {
      const smtp = await smtpServer(t);
      const mailer = createMailer({ smtpUrl: smtp.url, from: FROM, dataDir: '/nonexistent' });
      await mailer.send(EMAIL);

      assert.equal(smtp.messages.length, 1);
      const [message] = smtp.messages;
      assert.ok(message, 'one message arrived');
      assert.deepEqual(message.envelope, {
        from: 'contact@westmoor.example.gov.uk',
        to: ['ada@example.org'],
      });
      assert.equal(message.from, FROM);
      assert.equal(message.to, 'ada@example.org');
      assert.equal(message.subject, EMAIL.subject);
      assert.equal(message.text, EMAIL.text);
      assert.match(message.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8$/i);
      assert.ok(message.headers.get('message-id'), 'has a Message-ID');
      assert.ok(message.headers.get('date'), 'has a Date');
    },
  );

  await t.test('sends one email per call, each to its own recipient', async (t) => {
    const smtp = await smtpServer(t);
    const mailer = createMailer({ smtpUrl: smtp.url, from: FROM, dataDir: '/nonexistent' });
    await mailer.send({ to: 'one@example.org', subject: 'First', text: 'one' });
    await mailer.send({ to: 'two@example.org', subject: 'Second', text: 'two' });
    assert.deepEqual(
      smtp.messages.map((m) => [m.envelope.to, m.subject, m.text]),
      [
        [['one@example.org'], 'First', 'one'],
        [['two@example.org'], 'Second', 'two'],
      ],
    );
  });

  await t.test('a refused recipient makes send() fail, so the outbox can retry', async (t) => {
    const smtp = await smtpServer(t);
    smtp.state.refuseRecipients = true;
    const mailer = createMailer({ smtpUrl: smtp.url, from: FROM, dataDir: '/nonexistent' });
    await assert.rejects(mailer.send(EMAIL), /Mailbox unavailable|550/);
    assert.equal(smtp.messages.length, 0);
  });

  await t.test('an unreachable server makes send() fail', async () => {
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${await closedPort()}`,
      from: FROM,
      dataDir: '/nonexistent',
    });
    await assert.rejects(mailer.send(EMAIL), /ECONNREFUSED/);
  });
});

await test('createMailer without an SMTP URL writes each email as an .eml file under <dataDir>/mail', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shire-mailer-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const mailer = createMailer({ smtpUrl: undefined, from: FROM, dataDir });

  await mailer.send(EMAIL);
  await mailer.send({
    to: 'bob@example.org',
    subject: 'Second',
    text: 'Another one, sent in the same millisecond perhaps.',
  });

  const folder = path.join(dataDir, 'mail');
  const files = (await readdir(folder)).sort();
  assert.equal(files.length, 2, `expected two files, found ${files.join(', ')}`);
  for (const file of files) assert.match(file, /^[\w.-]+\.eml$/);
  const emails = await Promise.all(
    files.map(async (file) => parseEmail(await readFile(path.join(folder, file), 'utf8'))),
  );
  const first = emails.find((email) => email.to === EMAIL.to);
  assert.ok(first, 'the first email was written');
  assert.equal(first.from, FROM);
  assert.equal(first.subject, EMAIL.subject);
  assert.equal(first.text, EMAIL.text);
  const second = emails.find((email) => email.to === 'bob@example.org');
  assert.equal(second?.subject, 'Second');
});
