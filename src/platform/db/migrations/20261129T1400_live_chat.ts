import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Live chat. Each conversation is a case (kind `chat`) with a row here for what only a chat
 * has: the resident's resume secret (hashed), where it is in the queue, the agent, the last
 * message number, and what Shire suggested doing online instead. Messages are numbered per
 * chat (seq) so a client that reconnects asks for everything after the last one it saw; a
 * client's own id for each message it sends makes a resend after a dropped connection
 * harmless (unique per chat).
 */
export const liveChat: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('chats')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) => c.notNull().references('cases.id'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      // 'triage' (suggesting services), 'waiting', 'active', 'message' (left one), 'closed'.
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('account_id', 'integer')
      .addColumn('name', 'text')
      .addColumn('email', 'text')
      .addColumn('agent_id', 'integer')
      .addColumn('team', 'text')
      .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('queued_at', 'text')
      .addColumn('accepted_at', 'text')
      .addColumn('closed_at', 'text')
      .addColumn('outcome', 'text')
      // JSON list of the service codes suggested, and the one followed, if any.
      .addColumn('suggested', 'text')
      .addColumn('followed', 'text')
      .addColumn('rating', 'integer')
      .addColumn('blocked_at', 'text')
      .execute();
    await db.schema
      .createIndex('chats_queue')
      .on('chats')
      .columns(['status', 'queued_at', 'id'])
      .execute();
    await db.schema.createIndex('chats_case').on('chats').column('case_id').execute();
    await db.schema
      .createIndex('chats_agent')
      .on('chats')
      .columns(['agent_id', 'status'])
      .execute();

    await db.schema
      .createTable('chat_messages')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('chat_id', 'integer', (c) => c.notNull().references('chats.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('client_id', 'text')
      // 'resident', 'agent' or 'system'.
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('sender_name', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      // JSON: links offered with a system message (services suggested).
      .addColumn('links', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addUniqueConstraint('chat_messages_seq', ['chat_id', 'seq'])
      .addUniqueConstraint('chat_messages_client', ['chat_id', 'client_id'])
      .execute();

    // Who is taking chats now: an agent's console says so, and keeps saying so while open.
    await db.schema
      .createTable('chat_agents')
      .addColumn('account_id', 'integer', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('seen_at', 'text', (c) => c.notNull())
      .execute();
  },
};
