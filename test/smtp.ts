/**
 * A real SMTP server for tests (smtp-server, on a local port) that parses what it receives
 * with mailparser. It can refuse recipients for now (450) or for good (550), hold a message
 * before saying "OK", stop, and start again on the same port, to test retries and crashes.
 */
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Received {
  envelope: { from: string | null; to: string[] };
  /** Lower-case header names; values as text. */
  headers: Map<string, string>;
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
}

export interface SmtpState {
  /** Refuse every recipient: 450 "try again later" or 550 "no such mailbox". */
  refuse: false | 450 | 550;
  /**
   * Called with each message before the server acknowledges it; the message counts as
   * received only once this resolves, as with a real relay's "250 OK".
   */
  beforeAccept: ((count: number) => Promise<void>) | undefined;
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'text' in value) return String(value.text);
  if (value && typeof value === 'object' && 'value' in value) {
    const v = value as { value: unknown; params?: Record<string, string> };
    return [String(v.value), ...Object.entries(v.params ?? {}).map(([k, p]) => `${k}=${p}`)].join(
      '; ',
    );
  }
  return JSON.stringify(value);
}

/** An SMTP server on a local port. */
export async function smtpServer(t: TestContext) {
  const state: SmtpState = { refuse: false, beforeAccept: undefined };
  const messages: Received[] = [];
  let seen = 0;
  const create = () => {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      // Many at once, like a relay: the outbox sends over a pool of connections.
      maxClients: 100,
      // Pooled clients keep connections open; a stop() should not wait for them.
      closeTimeout: 50,
      onRcptTo(_address, _session, callback) {
        if (state.refuse === 550)
          callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        else if (state.refuse === 450)
          callback(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 450 }));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const { mailFrom, rcptTo } = session.envelope;
          const accept = async () => {
            if (state.beforeAccept) await state.beforeAccept(++seen);
            const parsed = await simpleParser(raw);
            const headers = new Map<string, string>();
            // Raw lines, unfolded: mailparser's structured view folds List-* into one 'list'.
            for (const { key, line } of parsed.headerLines)
              headers.set(
                key,
                line
                  .slice(line.indexOf(':') + 1)
                  .replace(/\r?\n[ \t]+/g, ' ')
                  .trim(),
              );
            messages.push({
              envelope: {
                from: mailFrom ? mailFrom.address : null,
                to: rcptTo.map((r) => r.address),
              },
              headers,
              messageId: parsed.messageId ?? '',
              from: headerText(parsed.from),
              to: headerText(parsed.to),
              subject: parsed.subject ?? '',
              text: (parsed.text ?? '').replace(/\r\n/g, '\n').replace(/\n$/, ''),
              html: parsed.html || undefined,
            });
          };
          accept().then(
            () => {
              callback();
            },
            (err: unknown) => {
              callback(err as Error);
            },
          );
        });
      },
    });
    // A client dropping its connection (a worker killed mid-send) is the client's business,
    // not an error in the test: without a listener it would be thrown in the test process.
    server.on('error', () => undefined);
    return server;
  };
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
