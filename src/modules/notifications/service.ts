import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type { PushTarget } from '../../platform/outbox/senders.js';
import { loadVapidKeys } from '../../platform/outbox/web-push.js';
import * as q from './queries.js';

/** Notifications' API for pages: devices for web push, what was sent about a case, the dev mailbox. */
export class NotificationService {
  private vapid: Promise<{ publicKey: string; privateKey: string }> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly secret: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Generated and stored on first use; the same pair for every app node from then on. */
  vapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
    this.vapid ??= loadVapidKeys(this.db, this.secret).catch((err: unknown) => {
      this.vapid = undefined;
      throw err;
    });
    return this.vapid;
  }

  addDevice(accountId: number, target: PushTarget): Promise<void> {
    return q.savePushSubscription(this.db, {
      account_id: accountId,
      endpoint: target.endpoint,
      p256dh: target.keys.p256dh,
      auth: target.keys.auth,
      created_at: this.clock().toISOString(),
    });
  }

  removeDevice(accountId: number, endpoint: string): Promise<void> {
    return q.deletePushEndpoint(this.db, accountId, endpoint);
  }

  devices(accountId: number) {
    return q.pushSubscriptionsOf(this.db, accountId);
  }

  /** Every message about a case and what became of it, newest first, for staff. */
  deliveriesOf(caseId: number) {
    return q.deliveriesOfCase(this.db, caseId);
  }

  mailbox(limit: number) {
    return q.mailbox(this.db, limit);
  }

  mailboxMessage(id: number) {
    return q.mailboxMessage(this.db, id);
  }
}
