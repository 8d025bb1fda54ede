import type {
  AccountAttemptTable,
  AccountCaseViewTable,
  AccountIdentityTable,
  AccountRecoveryCodeTable,
  AccountTable,
  AccountTokenTable,
} from './tables/accounts.js';
import type {
  AttachmentTable,
  CaseEventTable,
  CaseTable,
  SubscriptionTable,
} from './tables/cases.js';
import type {
  AuditLogTable,
  ContactLogTable,
  ServiceSettingTable,
  ServiceDefinitionTable,
  ChatTable,
  ChatMessageTable,
  ChatAgentTable,
  UnitCostTable,
  DeliveryTable,
  JobTable,
  MailboxTable,
  PushSubscriptionTable,
  SavedFormTable,
  SessionTable,
  SettingTable,
} from './tables/platform.js';
import type {
  Open311FetchTable,
  Open311KeyTable,
  Open311ReceivedTable,
  Open311SentTable,
  Open311UpdateTable,
} from './tables/open311.js';

/** Every table Shire has, for Kysely's type checking. One file per group of tables under tables/. */
export interface DB {
  cases: CaseTable;
  case_events: CaseEventTable;
  attachments: AttachmentTable;
  subscriptions: SubscriptionTable;
  jobs: JobTable;
  sessions: SessionTable;
  saved_forms: SavedFormTable;
  accounts: AccountTable;
  account_tokens: AccountTokenTable;
  account_attempts: AccountAttemptTable;
  account_case_views: AccountCaseViewTable;
  account_identities: AccountIdentityTable;
  account_recovery_codes: AccountRecoveryCodeTable;
  deliveries: DeliveryTable;
  mailbox: MailboxTable;
  push_subscriptions: PushSubscriptionTable;
  settings: SettingTable;
  audit_log: AuditLogTable;
  contact_log: ContactLogTable;
  service_settings: ServiceSettingTable;
  service_definitions: ServiceDefinitionTable;
  chats: ChatTable;
  chat_messages: ChatMessageTable;
  chat_agents: ChatAgentTable;
  unit_costs: UnitCostTable;
  open311_keys: Open311KeyTable;
  open311_updates: Open311UpdateTable;
  open311_sent: Open311SentTable;
  open311_fetches: Open311FetchTable;
  open311_received: Open311ReceivedTable;
}
