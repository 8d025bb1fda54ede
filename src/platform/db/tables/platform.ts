import type { Generated } from 'kysely';

/** The outbox: durable jobs written in the same transaction as the change that caused them. */
export interface JobTable {
  id: Generated<number>;
  type: string;
  payload: string;
  status: 'pending' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface SessionTable {
  id: string;
  data: string;
  expires_at: string;
}

/** A form saved to finish later (the forms module). `sealed` holds the answers and email, encrypted. */
export interface SavedFormTable {
  id: Generated<number>;
  token_hash: string;
  service_code: string;
  sealed: string;
  expires_at: string;
  created_at: string;
  /** Set when a signed-in resident saved it: it is listed in My Account, and no link is emailed. */
  account_id: number | null;
}

/** One message to one recipient on one channel; its key makes queueing and sending idempotent. */
export interface DeliveryTable {
  id: Generated<number>;
  key: string;
  channel: 'email' | 'sms' | 'push';
  recipient: string;
  template: string;
  sealed: string;
  case_id: number | null;
  account_id: number | null;
  subscription_id: number | null;
  status: 'queued' | 'sent' | 'skipped' | 'failed';
  detail: string | null;
  created_at: string;
  finished_at: string | null;
}

/** The development mailbox: email that would have been sent, shown at /dev/mailbox. */
export interface MailboxTable {
  id: Generated<number>;
  message_id: string;
  recipient: string;
  subject: string;
  text: string;
  html: string | null;
  headers: string;
  created_at: string;
}

/** A browser or installed app that asked for web push, for one account. */
export interface PushSubscriptionTable {
  id: Generated<number>;
  account_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: string;
}

/** Values the platform generates once and keeps, such as the VAPID keys. */
export interface SettingTable {
  key: string;
  value: string;
  created_at: string;
}

/** Every staff action: who, what, when, before and after. The database refuses changes. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor_id: number | null;
  actor_name: string;
  action: string;
  target_type: string;
  target: string;
  before: string | null;
  after: string | null;
}

/** A call or visit that made no case, for the channel-cost figures. */
export interface ContactLogTable {
  id: Generated<number>;
  at: string;
  agent_id: number;
  channel: string;
  service_code: string | null;
  outcome: string;
  could_be_online: number;
  note: string | null;
}

/** An administrator's choice of team and SLA for a service, over the catalogue file's. */
export interface ServiceSettingTable {
  service_code: string;
  team: string;
  sla_days: number;
  updated_at: string;
}

/** A report category an administrator made or changed: its whole definition, as JSON. */
export interface ServiceDefinitionTable {
  service_code: string;
  definition: string;
  retired_at: string | null;
  updated_at: string;
}

/** An administrator's cost of one transaction on a channel, in pence, over council.yaml's. */
export interface UnitCostTable {
  channel: string;
  pence: number;
  updated_at: string;
}

/** A live chat's own state beside its case (migration 1400). */
export interface ChatTable {
  id: Generated<number>;
  case_id: number;
  token_hash: string;
  status: string;
  topic: string;
  account_id: number | null;
  name: string | null;
  email: string | null;
  agent_id: number | null;
  team: string | null;
  last_seq: Generated<number>;
  created_at: string;
  queued_at: string | null;
  accepted_at: string | null;
  closed_at: string | null;
  outcome: string | null;
  suggested: string | null;
  followed: string | null;
  rating: number | null;
  blocked_at: string | null;
}

export interface ChatMessageTable {
  id: Generated<number>;
  chat_id: number;
  seq: number;
  client_id: string | null;
  sender: string;
  sender_name: string;
  body: string;
  links: string | null;
  at: string;
}

export interface ChatAgentTable {
  account_id: number;
  status: string;
  seen_at: string;
}
