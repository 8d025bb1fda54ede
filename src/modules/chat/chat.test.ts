import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, errorsOn, Visitor } from '../../../test/helper.js';
import { ChatClient, type Frame } from '../../../test/chat-client.js';
import { newResident, signUp } from '../account/testing.js';
import { MAX_MESSAGE } from './service.js';
import { signedInStaff } from '../backoffice/testing.js';

/** A Monday morning, when the demo council's advisers are online. */
const IN_HOURS = () => new Date('2026-11-30T10:00:00Z');
const isMsg = (seq: number) => (f: Frame) => f.t === 'msg' && f.seq === seq;

for (const dialect of dialects()) {
  await test(`live chat for residents on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect, {}, { chatHoursClock: IN_HOURS });
    const db = app.database.db;
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `ws://127.0.0.1:${String(port)}/chat/socket`;
    const origin = new URL(app.config.publicUrl).origin;
    const connect = (cookie?: string) => ChatClient.connect(url, origin, cookie);
    const agent = await signedInStaff(app, 'agent', null, 'Ade Agent');
    const agentUrl = `ws://127.0.0.1:${String(port)}/chat/agent-socket`;
    const chats = () => db.selectFrom('chats').selectAll().execute();

    await t.test('only pages on the council’s sites may open a chat socket', async () => {
      await assert.rejects(ChatClient.connect(url, 'https://evil.example.com'), /refused with 403/);
      await assert.rejects(
        ChatClient.connect(url, 'https://www.westmoor-libraries.example.org.evil.com'),
        /refused with 403/,
      );
      const embedded = await ChatClient.connect(url, 'https://www.westmoor-libraries.example.org');
      await embedded.close();
    });

    await t.test('the first sentence is answered with the service to use online', async () => {
      const resident = await connect();
      resident.send({ t: 'start', topic: 'There is a pothole outside my house', id: 'first' });
      const started = await resident.next((f) => f.t === 'started');
      assert.match(String(started.ref), /^CHT-/);
      const mine = await resident.next(isMsg(1));
      assert.equal(mine.from, 'resident');
      assert.equal(mine.id, undefined, 'frames carry clientId, not id');
      assert.equal(mine.clientId, 'first');
      const offer = await resident.next(isMsg(2));
      assert.equal(offer.from, 'system');
      assert.match(
        String(offer.text),
        /You can report a pothole online now – it takes about 3 minutes/,
      );
      const [suggested] = offer.links as { href: string; text: string }[];
      assert.ok(suggested);
      assert.equal(suggested.text, 'Report a pothole');
      const state = await resident.next((f) => f.t === 'state');
      assert.equal(state.status, 'triage');
      assert.equal(state.open, false, 'no adviser is online yet');

      // Following the suggestion is recorded, and leads to the service.
      const follow = await app.app.inject(suggested.href);
      assert.equal(follow.statusCode, 303);
      assert.equal(follow.headers.location, '/report?category=report-a-pothole');
      const [chat] = await chats();
      assert.ok(chat);
      assert.equal(chat.followed, 'report-a-pothole');
      // Only a suggested service counts.
      const other = await app.app.inject(`/chat/follow/${String(chat.id)}/make-a-complaint`);
      assert.equal(other.headers.location, '/services');
      await resident.close();
    });

    await t.test('a resident waits in the queue, an adviser joins, and they talk', async () => {
      // Residents cannot open an adviser's socket; nor can staff from another site.
      const visitor = new Visitor(app.app);
      await signUp(app, visitor, newResident('Nosy Resident'));
      await assert.rejects(ChatClient.connect(agentUrl, origin, visitor.cookie), /403/);
      await assert.rejects(
        ChatClient.connect(
          agentUrl,
          'https://www.westmoor-libraries.example.org',
          agent.visitor.cookie,
        ),
        /403/,
      );

      const console = await ChatClient.connect(agentUrl, origin, agent.visitor.cookie);
      const hello = await console.next((f) => f.t === 'hello');
      assert.equal(hello.status, 'away');
      console.send({ t: 'status', status: 'available' });
      await console.next((f) => f.t === 'status');

      const resident = await connect();
      resident.send({ t: 'start', topic: 'My garden waste bin was not emptied' });
      const { token } = await resident.next((f) => f.t === 'started');
      await resident.next((f) => f.t === 'state' && f.open === true);
      resident.send({ t: 'agent' });
      const waiting = await resident.next((f) => f.t === 'state' && f.status === 'waiting');
      assert.equal(waiting.position, 1);
      assert.equal(typeof waiting.minutes, 'number');
      const queue = await console.next(
        (f) => f.t === 'queue' && (f.waiting as unknown[]).length === 1,
      );
      const [item] = queue.waiting as { id: number; topic: string }[];
      assert.ok(item);
      assert.equal(item.topic, 'My garden waste bin was not emptied');

      console.send({ t: 'accept', chat: item.id });
      const opened = await console.next((f) => f.t === 'chats');
      const [chat] = opened.chats as { id: number; messages: unknown[] }[];
      assert.ok((chat?.messages.length ?? 0) >= 2, 'the adviser sees what was said before');
      await resident.next(
        (f) =>
          f.t === 'msg' &&
          f.from === 'system' &&
          /Ade from the council has joined/.test(String(f.text)),
      );
      await resident.next((f) => f.t === 'state' && f.status === 'active');

      resident.send({ t: 'msg', id: 'r-1', text: 'It is the brown bin <b>at number 4</b>' });
      const ack = await resident.next((f) => f.t === 'ack' && f.id === 'r-1');
      const heard = await console.next((f) => f.t === 'msg' && f.seq === ack.seq);
      assert.equal(heard.text, 'It is the brown bin <b>at number 4</b>', 'kept as text');
      resident.send({ t: 'typing' });
      await console.next((f) => f.t === 'typing' && f.from === 'resident');

      // The resident's connection drops; the adviser carries on; the resident comes back.
      const lastSeen = Number(ack.seq);
      await resident.close();
      console.send({ t: 'msg', chat: chat?.id ?? 0, id: 'a-1', text: 'Sorry about that.' });
      console.send({
        t: 'msg',
        chat: chat?.id ?? 0,
        id: 'a-2',
        text: 'A crew will come tomorrow.',
      });
      await console.next((f) => f.t === 'ack' && f.id === 'a-2');
      const back = await connect();
      back.send({ t: 'resume', token, after: lastSeen });
      await back.next((f) => f.t === 'state');
      assert.deepEqual(
        back.messages().map((m) => m.text),
        ['Sorry about that.', 'A crew will come tomorrow.'],
        'exactly what was missed, in order',
      );
      // Its last message may not have been acknowledged: sent again, it is not stored twice.
      back.send({ t: 'msg', id: 'r-1', text: 'It is the brown bin <b>at number 4</b>' });
      const again = await back.next((f) => f.t === 'ack' && f.id === 'r-1');
      assert.equal(again.seq, ack.seq);
      const stored = await db
        .selectFrom('chat_messages')
        .select('seq')
        .where('chat_id', '=', chat?.id ?? 0)
        .where('client_id', '=', 'r-1')
        .execute();
      assert.equal(stored.length, 1);

      // Another adviser's chat cannot be written to; the adviser closes with an outcome.
      console.send({ t: 'msg', chat: 999_999, id: 'a-x', text: 'Hello?' });
      await console.next((f) => f.t === 'error' && f.code === 'refused');
      console.send({ t: 'close', chat: chat?.id ?? 0, outcome: 'answered' });
      await console.next((f) => f.t === 'closed');
      await back.next((f) => f.t === 'state' && f.status === 'closed');
      back.send({ t: 'rate', rating: 5 });
      await back.next((f) => f.t === 'rated');
      const [row] = await db
        .selectFrom('chats')
        .select(['outcome', 'rating', 'status'])
        .where('id', '=', chat?.id ?? 0)
        .execute();
      assert.deepEqual(row, { outcome: 'answered', rating: 5, status: 'closed' });

      // The resident asks for a copy by email.
      const copy = await app.app.inject({
        method: 'POST',
        url: '/chat/transcript',
        payload: { token: String(token), email: 'sam@example.org' },
      });
      assert.equal(copy.statusCode, 200, copy.body);
      const wrong = await app.app.inject({
        method: 'POST',
        url: '/chat/transcript',
        payload: { token: 'nope-nope-nope-nope-nope', email: 'sam@example.org' },
      });
      assert.equal(wrong.statusCode, 404);
      await back.close();
      console.send({ t: 'status', status: 'away' });
      await console.next((f) => f.t === 'status' && f.status === 'away');
      await console.close();
    });

    await t.test('nobody online: the resident leaves a message, answered by email', async () => {
      const resident = await connect();
      resident.send({ t: 'start', topic: 'When is my bin collected?' });
      const { ref } = await resident.next((f) => f.t === 'started');
      resident.send({ t: 'agent' });
      const closed = await resident.next((f) => f.t === 'state' && f.open === false, 15_000, 3);
      assert.equal(closed.status, 'triage');
      resident.send({ t: 'leave', name: 'Sam', email: 'not-an-email', text: 'Hello' });
      const refused = await resident.next((f) => f.t === 'error');
      assert.match(String(refused.message), /Enter an email address in the correct format/);
      resident.send({ t: 'leave', name: 'Sam Jones', email: 'sam@example.org', text: 'Bins?' });
      await resident.next((f) => f.t === 'state' && f.status === 'message');
      const found = await db
        .selectFrom('cases')
        .select(['status', 'contact_email', 'channel', 'kind', 'team'])
        .where('ref', '=', String(ref))
        .executeTakeFirstOrThrow();
      assert.deepEqual(found, {
        status: 'message',
        contact_email: 'sam@example.org',
        channel: 'chat',
        kind: 'chat',
        team: 'Contact Centre',
      });
      const subscribed = await db
        .selectFrom('subscriptions')
        .select('email')
        .innerJoin('cases', 'cases.id', 'subscriptions.case_id')
        .where('cases.ref', '=', String(ref))
        .execute();
      assert.deepEqual(subscribed, [{ email: 'sam@example.org' }]);
      await resident.close();
    });

    await t.test('bad frames, long messages and floods are refused', async () => {
      const resident = await connect();
      resident.send({ t: 'msg', id: 'x', text: 'hello' });
      assert.equal((await resident.next((f) => f.t === 'error')).code, 'no-chat');
      resident.socket.send('not json');
      await resident.next((f) => f.t === 'error' && f.code === 'bad');
      resident.send({ t: 'start', topic: 'x'.repeat(MAX_MESSAGE + 1) });
      const long = await resident.next((f) => f.t === 'error' && f.code === 'refused');
      assert.match(String(long.message), /Keep each message to 2000 characters/);
      for (let i = 0; i < 12; i += 1) resident.send({ t: 'start', topic: '' });
      await resident.next((f) => f.code === 'slow-down');
      await resident.close();
    });

    await t.test('other council websites load the chat with one script', async () => {
      for (const [url, type] of [
        ['/chat/embed.js', /^text\/javascript/],
        ['/chat/embed.css', /^text\/css/],
      ] as const) {
        const res = await app.app.inject(url);
        assert.equal(res.statusCode, 200, url);
        assert.match(String(res.headers['content-type']), type);
        assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
      }
      // An embedded chat reads the answer to "email me a copy" from its own site.
      const copy = await app.app.inject({
        method: 'POST',
        url: '/chat/transcript',
        headers: { origin: 'https://www.westmoor-libraries.example.org' },
        payload: { token: 'nope-nope-nope-nope-nope' },
      });
      assert.equal(
        copy.headers['access-control-allow-origin'],
        'https://www.westmoor-libraries.example.org',
      );
      const elsewhere = await app.app.inject({
        method: 'POST',
        url: '/chat/transcript',
        headers: { origin: 'https://evil.example.com' },
        payload: { token: 'nope-nope-nope-nope-nope' },
      });
      assert.equal(elsewhere.headers['access-control-allow-origin'], undefined);
    });

    await t.test('without JavaScript, the contact form leaves a message', async () => {
      const visitor = new Visitor(app.app);
      const form = await visitor.get('/chat');
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /Send us a message/);
      const empty = await visitor.post('/chat', {});
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), [
        'Enter your name',
        'Enter an email address in the correct format, like name@example.com',
        'Enter your message',
      ]);
      const sent = await visitor.post('/chat', {
        name: 'Pat Doe',
        email: 'pat@example.org',
        text: 'Can I get a new recycling box?',
      });
      assert.equal(sent.statusCode, 200);
      assert.match(sent.body, /Message sent/);
      assert.match(sent.body, /CHT-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    });

    await t.test('a signed-in resident’s chat is in My Account, with its transcript', async () => {
      const visitor = new Visitor(app.app);
      const person = newResident('Rae Resident');
      await signUp(app, visitor, person);
      const resident = await connect(visitor.cookie);
      resident.send({ t: 'start', topic: 'I need help with my council tax' });
      const { ref } = await resident.next((f) => f.t === 'started');
      await resident.close();
      const dashboard = await visitor.get('/account');
      assert.match(dashboard.body, new RegExp(String(ref)));
      const page = await visitor.get(`/account/cases/${String(ref)}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<h2 class="govuk-heading-m">Conversation<\/h2>/);
      assert.match(
        page.body,
        /You:<\/span>\s*<span class="app-chat__said">I need help with my council tax/,
      );
    });
  });
}
