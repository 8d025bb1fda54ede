import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createMailer } from './mailer.js';

// The mailer has no database, so these tests run once rather than per dialect.

const FROM = 'Westmoor County Council <contact@westmoor.example.gov.uk>';

interface ParsedEmail {
  headers: Map<string, string>;
  /** Decoded From/To/Subject headers. */
  from: string;
  to: string;
  subject: string;
  /** Decoded body with \n line endings. */
  text: string;
}

interface Received extends ParsedEmail {
  envelope: { from: string | null; to: string[] };
}

/** Bytes written as =XX (quoted-printable, Q encoding) back to a UTF-8 string. */
function decodeQuotedBytes(input: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const hex = input.slice(i + 1, i + 3);
    if (input[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(input.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), with the space between two of them dropped. */
function decodeHeader(value: string): string {
  return value.replace(
    /=\?[^?]+\?([QqBb])\?([^?]*)\?=(?:\s+(?==\?))?/g,
    (_match, encoding: string, text: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedBytes(text.replace(/_/g, ' ')),
  );
}

/** Just enough MIME to read the single-part text emails nodemailer writes. */
function parseEmail(raw: string): ParsedEmail {
  const normalised = raw.replace(/\r\n/g, '\n');
  const split = normalised.indexOf('\n\n');
  assert.ok(split > 0, 'an email has headers, a blank line and a body');
  const headers = new Map<string, string>();
  for (const line of normalised
    .slice(0, split)
    .replace(/\n[ \t]+/g, ' ')
    .split('\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), decodeHeader(line.slice(colon + 1).trim()));
  }
  const body = normalised.slice(split + 2);
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedBytes(body.replace(/=\n/g, ''))
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return {
    headers,
    from: headers.get('from') ?? '',
    to: headers.get('to') ?? '',
    subject: headers.get('subject') ?? '',
    text: text.replace(/\r\n/g, '\n').replace(/\n$/, ''),
  };
}

/** A real SMTP server on a free local port, collecting what it is sent; closed when the test ends. */
async function smtpServer(t: TestContext) {
  const state = { refuseRecipients: false };
  const messages: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (state.refuseRecipients)
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        messages.push({
          ...parseEmail(Buffer.concat(chunks).toString('utf8')),
          envelope: { from: mailFrom ? mailFrom.address : null, to: rcptTo.map((r) => r.address) },
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address() as AddressInfo;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return { url: `smtp://127.0.0.1:${port}`, messages, state };
}

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
