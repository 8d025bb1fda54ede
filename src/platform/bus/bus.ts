import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export type BusHandler = (message: unknown) => void;

/**
 * Publish/subscribe for realtime updates (live chat, staff dashboards). In one process the
 * in-memory bus is enough; with several app nodes, Redis carries each message to every
 * node, so a WebSocket on any node hears what happened on any other.
 */
export interface Bus {
  publish(topic: string, message: unknown): Promise<void>;
  /** Returns a function that stops this subscription. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class MemoryBus implements Bus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(topic: string, message: unknown): Promise<void> {
    // A copy through JSON, so subscribers see exactly what Redis would have delivered.
    const copy: unknown = JSON.parse(JSON.stringify(message ?? null));
    this.emitter.emit(topic, copy);
    return Promise.resolve();
  }

  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    this.emitter.on(topic, handler);
    return Promise.resolve(() => {
      this.emitter.off(topic, handler);
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}

export class RedisBus implements Bus {
  private readonly publisher: Redis;
  // A connection in subscriber mode can do nothing else, so it gets its own.
  private readonly subscriber: Redis;
  private readonly local = new EventEmitter().setMaxListeners(0);

  constructor(
    url: string,
    private readonly prefix = 'shire:bus:',
    onError: (err: unknown) => void = () => undefined,
  ) {
    // ioredis 5.8.2+ may send CLIENT SETINFO while a subscriber connection is entering
    // subscriber mode, which Redis refuses (ioredis issue #2037); the info is not needed.
    this.publisher = new Redis(url, { maxRetriesPerRequest: 2, disableClientInfo: true });
    this.subscriber = new Redis(url, { disableClientInfo: true });
    // ioredis reconnects by itself; without a listener an error would be "unhandled".
    for (const connection of [this.publisher, this.subscriber])
      connection.on('error', (err: unknown) => {
        onError(err);
      });
    this.subscriber.on('message', (channel: string, data: string) => {
      this.local.emit(channel, JSON.parse(data) as unknown);
    });
  }

  async publish(topic: string, message: unknown): Promise<void> {
    await this.publisher.publish(this.prefix + topic, JSON.stringify(message ?? null));
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    const channel = this.prefix + topic;
    if (this.local.listenerCount(channel) === 0) await this.subscriber.subscribe(channel);
    this.local.on(channel, handler);
    return async () => {
      this.local.off(channel, handler);
      if (this.local.listenerCount(channel) === 0) await this.subscriber.unsubscribe(channel);
    };
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    await Promise.all([this.publisher.quit(), this.subscriber.quit()]);
  }
}

export function createBus(redisUrl: string | undefined, onError?: (err: unknown) => void): Bus {
  return redisUrl ? new RedisBus(redisUrl, undefined, onError) : new MemoryBus();
}
