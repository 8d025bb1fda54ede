/**
 * A real SMTP server for tests (smtp-server, on a local port), and just enough MIME to read
 * the single-part text emails nodemailer writes. It can refuse recipients, stop, and start
 * again on the same port, to test retries.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';

export interface ParsedEmail {
  headers: Map<string, string>;
  /** Decoded From/To/Subject headers. */
  from: string;
  to: string;
  subject: string;
  /** Decoded body with \n line endings. */
  text: string;
}

export interface Received extends ParsedEmail {
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
export function parseEmail(raw: string): ParsedEmail {
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

/** An SMTP server on a local port, which can refuse recipients, be stopped, and start again on the same port. */
export async function smtpServer(t: TestContext) {
  const state = { refuseRecipients: false };
  const messages: Received[] = [];
  const create = () =>
    new SMTPServer({
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
            envelope: {
              from: mailFrom ? mailFrom.address : null,
              to: rcptTo.map((r) => r.address),
            },
          });
          callback();
        });
      },
    });
  const listen = async (server: SMTPServer, port: number) => {
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return (server.server.address() as AddressInfo).port;
  };
  const close = (server: SMTPServer) =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });

  let server: SMTPServer | undefined = create();
  const port = await listen(server, 0);
  t.after(() => server && close(server));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    state,
    async stop() {
      if (server) await close(server);
      server = undefined;
    },
    async start() {
      server = create();
      await listen(server, port);
    },
  };
}
