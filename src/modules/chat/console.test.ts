/**
 * The advisers' chat console without JavaScript: every page and form through the real app,
 * checking both what the pages say and what was stored. The live side (the agents' socket)
 * is tested in chat.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, errorsOn, screen, Visitor } from '../../../test/helper.js';
import { createServices } from '../../app.js';
import { newResident, report, signUp } from '../account/testing.js';
import { signedInStaff } from '../backoffice/testing.js';

/** A Monday morning, when the demo council's advisers are online. */
const IN_HOURS = () => new Date('2026-11-30T10:00:00Z');

/** A hidden field's value on a page, as a browser would send it back. */
function hidden(html: string, name: string, form = 0): string {
  const inputs = screen(html).document.querySelectorAll<HTMLInputElement>(
    `input[type=hidden][name=${name}]`,
  );
  return inputs[form]?.value ?? '';
}

for (const dialect of dialects()) {
  await test(`the advisers' chat console on ${dialect}`, async (t) => {
    const app = await buildTestApp(
      t,
      dialect,
      { RATE_LIMIT_PER_MINUTE: '100000' },
      { chatHoursClock: IN_HOURS },
    );
    const db = app.database.db;
    // The same services on the same database: residents' side of a chat, without a socket.
    const services = createServices(app.database, app.config, { chatHours: IN_HOURS });
    const chats = services.chat;
    const ade = await signedInStaff(app, 'agent', null, 'Ade Agent');
    const bea = await signedInStaff(app, 'officer', 'Highways', 'Bea Officer');

    /** A resident waiting for an adviser. */
    const waiting = async (topic: string, resident: { name?: string; accountId?: number } = {}) => {
      const { chat } = await chats.start({
        topic,
        name: resident.name ?? 'Sam Jones',
        email: 'sam@example.org',
        accountId: resident.accountId ?? null,
      });
      return chats.requestAgent(chat);
    };
    /** A chat Ade has accepted through the console. */
    const adesChat = async (topic = 'My bin was not emptied') => {
      const chat = await waiting(topic);
      const res = await ade.visitor.post(`/staff/chat/${String(chat.id)}/accept`, {});
      assert.equal(res.statusCode, 303, res.body);
      return chat;
    };
    const messagesOf = (chatId: number) => chats.messagesAfter(chatId, 0);
    const auditActions = async () =>
      (await db.selectFrom('audit_log').select('action').orderBy('id').execute()).map(
        (row) => row.action,
      );

    await t.test('an adviser says whether they are taking chats', async () => {
      const page = await ade.visitor.get('/staff/chat');
      assert.equal(page.statusCode, 200);
      const away = screen(page.body).getByRole<HTMLInputElement>('radio', { name: 'Away' });
      assert.equal(away.checked, true, 'away until they say otherwise');
      assert.match(page.body, /agent\.[0-9a-f]+\.js/, 'the live console’s script is loaded');
      const saved = await ade.visitor.post('/staff/chat/status', { status: 'available' });
      assert.equal(saved.statusCode, 303);
      assert.equal(saved.headers.location, '/staff/chat');
      assert.equal(await chats.agentStatus(ade.id), 'available');
      const after = await ade.visitor.get('/staff/chat');
      assert.match(after.body, /You are available: residents can reach you/);
      const available = screen(after.body).getByRole<HTMLInputElement>('radio', {
        name: 'Available',
      });
      assert.equal(available.checked, true);
      assert.equal(await chats.availableAgents(), 1);
      assert.ok(!(await auditActions()).includes('chat.status'), 'their own state: not audited');

      const bad = await ade.visitor.post('/staff/chat/status', { status: 'asleep' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(errorsOn(bad.body), ['Choose whether you are taking chats']);
    });

    await t.test('the queue; accepting a chat, and losing the race for one', async () => {
      const chat = await waiting('Where do I get a parking permit?', { name: 'Pat Queue' });
      const page = await ade.visitor.get('/staff/chat');
      const row = screen(page.body).getByText('Where do I get a parking permit?').closest('tr');
      assert.ok(row, 'the chat is in the queue');
      assert.match(row.textContent, /Pat Queue/);
      assert.match(row.textContent, /No/, 'not signed in');
      assert.match(row.textContent, /\b\d{1,2}:\d{2}[ap]m\b/, 'waiting since');
      screen(page.body).getByRole('button', { name: 'Accept chat from Pat Queue' });

      // Bea loads the queue too, then Ade accepts first.
      await bea.visitor.get('/staff/chat');
      const accepted = await ade.visitor.post(`/staff/chat/${String(chat.id)}/accept`, {});
      assert.equal(accepted.statusCode, 303);
      assert.equal(accepted.headers.location, `/staff/chat/${String(chat.id)}`);
      const lost = await bea.visitor.post(`/staff/chat/${String(chat.id)}/accept`, {});
      assert.equal(lost.statusCode, 409);
      assert.deepEqual(errorsOn(lost.body), ['Another adviser has already taken this chat.']);
      assert.equal((await chats.byId(chat.id))?.agent_id, ade.id, 'still Ade’s');
      // Accept pressed twice by Ade: the first press took it; the second goes to the chat.
      const twice = await ade.visitor.post(`/staff/chat/${String(chat.id)}/accept`, {});
      assert.equal(twice.statusCode, 303);
      assert.equal(twice.headers.location, `/staff/chat/${String(chat.id)}`);
      assert.equal((await auditActions()).filter((a) => a === 'chat.accept').length, 1);

      const home = await ade.visitor.get('/staff/chat');
      assert.match(home.body, /You have joined the chat/);
      const mine = screen(home.body).getByRole('link', {
        name: 'Where do I get a parking permit?',
      });
      assert.equal(mine.getAttribute('href'), `/staff/chat/${String(chat.id)}`);
      const shown = await ade.visitor.get(`/staff/chat/${String(chat.id)}`);
      const log = screen(shown.body).getByRole('log');
      assert.equal(log.getAttribute('aria-live'), 'polite');
      assert.match(log.textContent, /Ade from the council has joined/);
      assert.ok(log.querySelector('.app-console-message--system'), 'system messages apart');
      assert.ok(log.querySelector('.app-console-message--resident'));
    });

    await t.test('a reply without JavaScript, sent twice, is stored once', async () => {
      const chat = await adesChat('Pothole on the High Street');
      await chats.append(chat.id, 'resident', 'Sam Jones', 'It is <b>huge</b>', 'r-1');
      const page = await ade.visitor.get(`/staff/chat/${String(chat.id)}`);
      assert.doesNotMatch(page.body, /<b>huge<\/b>/, 'what residents type is escaped');
      assert.match(page.body, /It is &lt;b&gt;huge&lt;\/b&gt;/);
      const clientId = hidden(page.body, 'clientId');
      assert.match(clientId, /^[\w-]{8,64}$/);
      const before = (await messagesOf(chat.id)).length;
      const url = `/staff/chat/${String(chat.id)}/message`;
      for (let i = 0; i < 2; i += 1) {
        const sent = await ade.visitor.post(url, { text: 'We will fix it this week.', clientId });
        assert.equal(sent.statusCode, 303);
        assert.equal(sent.headers.location, `/staff/chat/${String(chat.id)}#reply`);
      }
      const messages = await messagesOf(chat.id);
      assert.equal(messages.length, before + 1, 'a double submit is one message');
      assert.deepEqual(
        { from: messages.at(-1)?.from, name: messages.at(-1)?.name },
        { from: 'agent', name: 'Ade Agent' },
      );
      const after = await ade.visitor.get(`/staff/chat/${String(chat.id)}`);
      assert.match(screen(after.body).getByRole('log').textContent, /We will fix it this week/);
      assert.notEqual(hidden(after.body, 'clientId'), clientId, 'a new id for the next reply');

      const empty = await ade.visitor.post(url, { text: '   ', clientId: 'another-one' });
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), ['Enter a message']);
      const long = await ade.visitor.post(url, { text: 'x'.repeat(2001), clientId: 'long-one' });
      assert.equal(long.statusCode, 400);
      assert.deepEqual(errorsOn(long.body), ['Keep each message to 2000 characters']);
      assert.equal((await messagesOf(chat.id)).length, before + 1, 'nothing more stored');
    });

    await t.test('a quick reply sends its text', async () => {
      const chat = await adesChat();
      const page = await ade.visitor.get(`/staff/chat/${String(chat.id)}`);
      const [first] = app.config.council.chat.cannedReplies;
      assert.ok(first);
      const button = screen(page.body).getByRole('button', { name: `Send “${first.title}”` });
      assert.equal(button.getAttribute('data-canned-text'), first.text, 'JavaScript fills it in');
      const url = `/staff/chat/${String(chat.id)}/message`;
      const sent = await ade.visitor.post(url, {
        canned: '0',
        clientId: hidden(page.body, 'clientId', 1),
      });
      assert.equal(sent.statusCode, 303);
      assert.equal((await messagesOf(chat.id)).at(-1)?.text, first.text);
      const bad = await ade.visitor.post(url, { canned: '99', clientId: 'quick-bad' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(errorsOn(bad.body), ['Choose a reply to send']);
    });

    await t.test('only the adviser in a chat acts in it; any staff may read it', async () => {
      const chat = await adesChat('Council tax question');
      const url = `/staff/chat/${String(chat.id)}`;
      const read = await bea.visitor.get(url);
      assert.equal(read.statusCode, 200, 'any staff may read');
      assert.match(read.body, /Ade Agent is in this chat/);
      assert.equal(screen(read.body).queryByRole('button', { name: 'Send' }), null);
      const before = await messagesOf(chat.id);
      for (const [path, body] of [
        ['message', { text: 'Hello from Bea', clientId: 'bea-says-hello' }],
        ['close', { outcome: 'answered' }],
        ['block', {}],
        ['transfer', { to: String(bea.id) }],
        ['case', { service: 'apply-for-a-blue-badge', submission: 'bea-opens-one' }],
      ] as const) {
        const res = await bea.visitor.post(`${url}/${path}`, body);
        assert.equal(res.statusCode, 403, path);
        assert.match(res.body, /This chat is with Ade Agent/, path);
      }
      assert.deepEqual(await messagesOf(chat.id), before, 'nothing was said');
      assert.equal((await chats.byId(chat.id))?.status, 'active');

      // A waiting chat must be accepted first.
      const queued = await waiting('Not yet accepted');
      const early = await ade.visitor.post(`/staff/chat/${String(queued.id)}/message`, {
        text: 'Hi',
        clientId: 'too-early-1',
      });
      assert.equal(early.statusCode, 403);
      assert.match(early.body, /Accept this chat before you act in it/);

      const resident = new Visitor(app.app);
      await signUp(app, resident, newResident('Rae Resident'));
      for (const res of [
        await resident.get('/staff/chat'),
        await resident.get(url),
        await resident.post(`${url}/message`, { text: 'Hi', clientId: 'resident-1' }),
      ]) {
        assert.equal(res.statusCode, 403);
        assert.match(res.body, /These pages are for council staff/);
      }
      const nobody = await new Visitor(app.app).get(url);
      assert.equal(nobody.statusCode, 303, 'sent to sign in');

      for (const missing of ['/staff/chat/999999', '/staff/chat/not-a-chat'])
        assert.equal((await ade.visitor.get(missing)).statusCode, 404, missing);
      const noSuch = await ade.visitor.post('/staff/chat/999999/accept', {});
      assert.equal(noSuch.statusCode, 404);
    });

    await t.test('closing with an outcome, and blocking an abusive chat', async () => {
      const chat = await adesChat('A question about recycling');
      const url = `/staff/chat/${String(chat.id)}`;
      const page = await ade.visitor.get(url);
      const outcomes = screen(page.body)
        .getAllByRole('radio')
        .map((radio) => radio.getAttribute('value'));
      assert.ok(outcomes.includes('answered'));
      assert.ok(!outcomes.includes('blocked'), 'blocking has its own button');

      const none = await ade.visitor.post(`${url}/close`, {});
      assert.equal(none.statusCode, 400);
      assert.deepEqual(errorsOn(none.body), ['Choose how the chat ended']);
      const sneaky = await ade.visitor.post(`${url}/close`, { outcome: 'blocked' });
      assert.equal(sneaky.statusCode, 400);

      const closed = await ade.visitor.post(`${url}/close`, { outcome: 'answered' });
      assert.equal(closed.statusCode, 303);
      assert.equal(closed.headers.location, '/staff/chat');
      const row = await chats.byId(chat.id);
      assert.deepEqual(
        { status: row?.status, outcome: row?.outcome, blocked: row?.blocked_at },
        { status: 'closed', outcome: 'answered', blocked: null },
      );
      assert.equal((await messagesOf(chat.id)).at(-1)?.text, 'The conversation has ended.');
      assert.equal((await auditActions()).at(-1), 'chat.close');
      const home = await ade.visitor.get('/staff/chat');
      assert.match(home.body, /The chat has ended/);
      const again = await ade.visitor.post(`${url}/close`, { outcome: 'answered' });
      assert.equal(again.statusCode, 409);
      assert.deepEqual(errorsOn(again.body), ['This conversation has ended.']);
      const ended = await ade.visitor.get(url);
      assert.match(ended.body, /Ended – Question answered/);
      assert.equal(screen(ended.body).queryByRole('button', { name: 'Send' }), null);

      const abusive = await adesChat('You are all useless');
      const blocked = await ade.visitor.post(`/staff/chat/${String(abusive.id)}/block`, {});
      assert.equal(blocked.statusCode, 303);
      const after = await chats.byId(abusive.id);
      assert.equal(after?.outcome, 'blocked');
      assert.ok(after.blocked_at);
      assert.equal((await auditActions()).at(-1), 'chat.block');
    });

    await t.test('passing a chat to another adviser who is available', async () => {
      const chat = await adesChat('Help with a school application');
      const url = `/staff/chat/${String(chat.id)}`;
      const alone = await ade.visitor.get(url);
      assert.match(alone.body, /No other adviser is taking chats now/);
      const notThere = await ade.visitor.post(`${url}/transfer`, { to: String(bea.id) });
      assert.equal(notThere.statusCode, 400, 'Bea is away');
      assert.deepEqual(errorsOn(notThere.body), [
        'They are no longer taking chats. Choose someone else who is available',
      ]);
      const nobody = await ade.visitor.post(`${url}/transfer`, { to: '' });
      assert.equal(nobody.statusCode, 400);
      assert.deepEqual(errorsOn(nobody.body), ['Choose who to pass the chat to']);

      await bea.visitor.post('/staff/chat/status', { status: 'available' });
      const page = await ade.visitor.get(url);
      const select = screen(page.body).getByRole('combobox', { name: 'Pass to another adviser' });
      assert.match(select.textContent, /Bea Officer \(Highways\)/);
      assert.doesNotMatch(select.textContent, /Ade Agent/, 'not to themselves');
      const passed = await ade.visitor.post(`${url}/transfer`, { to: String(bea.id) });
      assert.equal(passed.statusCode, 303);
      assert.equal(passed.headers.location, '/staff/chat');
      assert.equal((await chats.byId(chat.id))?.agent_id, bea.id);
      assert.match((await messagesOf(chat.id)).at(-1)?.text ?? '', /Bea from the council/);
      assert.equal((await auditActions()).at(-1), 'chat.transfer');
      // Now Bea's, not Ade's.
      const adeTries = await ade.visitor.post(`${url}/message`, {
        text: 'Hi',
        clientId: 'ade-x-1',
      });
      assert.equal(adeTries.statusCode, 403);
      const beaHome = await bea.visitor.get('/staff/chat');
      screen(beaHome.body).getByRole('link', { name: 'Help with a school application' });
      const beaSays = await bea.visitor.post(`${url}/message`, {
        text: 'Hello, I am Bea.',
        clientId: 'bea-hello-1',
      });
      assert.equal(beaSays.statusCode, 303);
      await bea.visitor.post('/staff/chat/status', { status: 'away' });
    });

    await t.test('a signed-in resident’s other cases, and opening a case', async () => {
      const person = newResident('Cal Citizen');
      await signUp(app, new Visitor(app.app), person);
      const account = await db
        .selectFrom('accounts')
        .select('id')
        .where('email', '=', person.email)
        .executeTakeFirstOrThrow();
      const earlier = await services.cases.openCase(
        report({ accountId: account.id, title: 'Broken street light on Elm Road' }),
      );
      const chat = await waiting('I need a blue badge for my mother', {
        name: 'Cal Citizen',
        accountId: account.id,
      });
      await chats.append(chat.id, 'resident', 'Cal Citizen', 'She cannot walk far.', 'cal-2');
      await ade.visitor.post(`/staff/chat/${String(chat.id)}/accept`, {});
      const url = `/staff/chat/${String(chat.id)}`;
      const page = await ade.visitor.get(url);
      assert.match(page.body, /Cal Citizen \(signed in\)/);
      const link = screen(page.body).getByRole('link', { name: earlier.ref });
      assert.equal(link.getAttribute('href'), `/staff/cases/${earlier.ref}`);
      assert.match(page.body, /Broken street light on Elm Road/);
      const services_ = screen(page.body)
        .getByRole('combobox', { name: 'Open a case from this chat' })
        .querySelectorAll('option');
      const codes = [...services_].map((o) => o.getAttribute('value'));
      assert.ok(codes.includes('apply-for-a-blue-badge'));
      assert.ok(!codes.includes('report-a-pothole'), 'reports are made through Report It');

      const none = await ade.visitor.post(`${url}/case`, { service: '', submission: 'x1234567' });
      assert.equal(none.statusCode, 400);
      assert.deepEqual(errorsOn(none.body), ['Choose the service to open a case for']);

      const submission = hidden(page.body, 'submission');
      const count = async () => (await db.selectFrom('cases').select('id').execute()).length;
      const before = await count();
      const body = { service: 'apply-for-a-blue-badge', submission };
      const opened = await ade.visitor.post(`${url}/case`, body);
      assert.equal(opened.statusCode, 303, opened.body);
      const ref = /^\/staff\/cases\/(BBD-[\w-]+)$/.exec(String(opened.headers.location))?.[1];
      assert.ok(ref, String(opened.headers.location));
      const twice = await ade.visitor.post(`${url}/case`, body);
      assert.equal(twice.headers.location, `/staff/cases/${ref}`, 'a double submit: one case');
      assert.equal(await count(), before + 1);

      const found = await services.cases.getByRef(ref);
      assert.ok(found);
      assert.equal(found.channel, 'chat');
      assert.equal(found.accountId, account.id);
      assert.equal(found.title, 'I need a blue badge for my mother');
      assert.equal(found.team, 'Blue Badge');
      assert.ok(found.dueAt, 'due by the service’s SLA');
      assert.deepEqual(found.contact, {
        name: 'Cal Citizen',
        email: 'sam@example.org',
        phone: null,
      });
      assert.match(String(found.data.description), /blue badge for my mother\n\nShe cannot walk/);
      const timeline = await services.cases.timeline(found.id, { publicOnly: false });
      assert.ok(
        timeline.some((e) => e.type === 'internal_note' && /cannot walk/.test(e.body ?? '')),
      );
      const said = (await messagesOf(chat.id)).filter((m) => m.text.includes(ref));
      assert.equal(said.length, 1, 'the resident is told the reference once');
      assert.deepEqual(said[0]?.links, [{ href: `/track/${ref}`, text: `Track ${ref}` }]);
      assert.equal((await auditActions()).filter((a) => a === 'chat.case').length, 1);
      const casePage = await ade.visitor.get(`/staff/cases/${ref}`);
      assert.equal(casePage.statusCode, 200);
      assert.match(casePage.body, new RegExp(`Case ${ref} opened`));
    });
  });
}
