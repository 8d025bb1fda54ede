/** A chat WebSocket client for tests and the bench: frames received, and waiting for one. */
import WebSocket from 'ws';
import { frameText } from '../src/modules/chat/protocol.js';

export type Frame = Record<string, unknown> & { t: string };

export class ChatClient {
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(frameText(data)) as Frame;
      this.frames.push(frame);
      for (const waiter of [...this.waiters])
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
    });
  }

  /** Connects to `url` (ws://…) as a page on `origin` would, with a session cookie if given. */
  static connect(url: string, origin: string, cookie?: string): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { origin, headers: cookie ? { cookie } : {} });
      socket.once('open', () => {
        resolve(new ChatClient(socket));
      });
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`refused with ${String(res.statusCode)}`));
      });
    });
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The first frame, already received or still to come, that matches; fails after `ms`. */
  next(match: (f: Frame) => boolean, ms = 15_000, from = 0): Promise<Frame> {
    const already = this.frames.slice(from).find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no matching frame in ${String(ms)} ms; had ${JSON.stringify(this.frames.slice(-5))}`,
          ),
        );
      }, ms);
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Messages (t: 'msg') received so far, in arrival order. */
  messages(): Frame[] {
    return this.frames.filter((f) => f.t === 'msg');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) {
        resolve();
        return;
      }
      this.socket.once('close', () => {
        resolve();
      });
      this.socket.close();
    });
  }
}
