/**
 * Who may reach each back-office route, and do what there. Every /staff route is tried as
 * every kind of visitor: nobody (sent to sign in), a resident (refused: these pages are for
 * council staff), a member of staff who has not set up two-factor (sent to set it up), and
 * each staff role, in the case's team and in another. The expected answer for each is written
 * down in the table below and checked; every refused change is checked to have changed
 * nothing at all. The list of routes is checked against the app's own, so a new route cannot
 * be left out. How each change works is tested in routes.test.ts; this is the matrix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, routesOf, screen, Visitor } from '../../../test/helper.js';
import { createServices } from '../../app.js';
import { newResident, report, signUp } from '../account/testing.js';
import { CaseService, type Case } from '../cases/service.js';
import type { Chat } from '../chat/service.js';
import { ApiKeys } from '../open311/keys.js';
import type { Staff } from './roles.js';
import { signedInStaff } from './testing.js';

/** The team every case here starts with, another team, and where the allowed move goes. */
const HIGHWAYS = 'Highways';
const LIBRARIES = 'Libraries';
const DRAINAGE = 'Highways Drainage';

/** Everyone who tries each route, in the order of the table's columns. */
const WHO = [
  'nobody',
  'resident',
  'staff without two-factor', // an administrator, who could otherwise do anything
  'agent',
  'officer', // of the case's team (Highways)
  'officer, other team', // Libraries
  'lead', // of the case's team
  'lead, other team',
  'admin',
] as const;
type Who = (typeof WHO)[number];

/**
 * The expected status of each route for each visitor, in WHO's order. A 303 is, for nobody,
 * to sign in; for staff without two-factor, to set it up; for a change to a case, back to the
 * case (done). Adding a note is open to all staff, agents included (agents take the calls
 * and log them), whichever team has the case; every other change to a case is for its own
 * team's officers and lead, or an administrator. Anyone on the staff can read any case, the
 * queue, its spreadsheet and the dashboard. A bulk change always answers 200 with what
 * happened to each case: it changes the case only for those who may change its status (the
 * status row), and tells the others why not.
 */
// prettier-ignore
const MATRIX: Record<string, readonly number[]> = {
  //                                 nobody resident no2FA agent officer other lead other admin
  'GET /staff':                       [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'GET /staff/cases':                 [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'GET /staff/cases.csv':             [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'GET /staff/dashboard':             [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'POST /staff/cases/bulk':           [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'GET /staff/cases/:ref':            [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'POST /staff/cases/:ref/status':    [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/note':      [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/cases/:ref/assign':    [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/due':       [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/team':      [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/duplicate': [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/service':   [303,   403,    303,  403,  303,    403,  303,  403,  303],
  'POST /staff/cases/:ref/hide':      [303,   403,    303,  403,  303,    403,  303,  403,  303],
  // These cases have no photos: someone allowed gets as far as "no such photo".
  'POST /staff/cases/:ref/photos':    [303,   403,    303,  403,  404,    403,  404,  403,  404],
  'GET /staff/cases/:ref/photos/:id/:rendition':
                                      [303,   403,    303,  404,  404,    404,  404,  404,  404],
  'GET /staff/assist':                [303,   403,    303,  200,  200,    200,  200,  200,  200],
  // Starting sends them to the services, as the resident; finishing, back to this page.
  'POST /staff/assist':               [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/assist/finish':        [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'GET /staff/contacts':              [303,   403,    303,  200,  200,    200,  200,  200,  200],
  // Logging a contact shows the page again, saying so.
  'POST /staff/contacts':             [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'GET /staff/admin/staff':           [303,   403,    303,  403,  403,    403,  403,  403,  200],
  // Adding a member of staff shows the staff page again, saying so: 200, not a redirect.
  'POST /staff/admin/staff':          [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'GET /staff/admin/audit':           [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'GET /staff/admin/services':        [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'GET /staff/admin/services/:code':  [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/services/:code': [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'GET /staff/admin/costs':           [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/costs':          [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'GET /staff/admin/categories':      [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'GET /staff/admin/categories/new':  [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/categories/new': [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'GET /staff/admin/categories/:code':[303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/categories/:code':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'POST /staff/admin/categories/:code/retire':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'GET /staff/admin/categories/:code/questions/new':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/categories/:code/questions/new':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'GET /staff/admin/categories/:code/questions/:name':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/categories/:code/questions/:name':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  'POST /staff/admin/categories/:code/questions/:name/move':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  // Last: it removes the question the routes above change.
  'POST /staff/admin/categories/:code/questions/:name/remove':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  // Open311 keys. Issuing one shows the page again with the key, once: 200, not a redirect.
  'GET /staff/admin/open311':         [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/open311/keys':   [303,   403,    303,  403,  403,    403,  403,  403,  200],
  'POST /staff/admin/open311/keys/:id/revoke':
                                      [303,   403,    303,  403,  403,    403,  403,  403,  303],
  // Live chat: every member of staff may take chats. Each acts in a chat they have accepted
  // (someone else's is refused with a 403: console.test.ts); any of them may read any chat.
  'GET /staff/chat':                  [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'POST /staff/chat/status':          [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'GET /staff/chat/:id':              [303,   403,    303,  200,  200,    200,  200,  200,  200],
  'POST /staff/chat/:id/accept':      [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/chat/:id/message':     [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/chat/:id/case':        [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/chat/:id/transfer':    [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/chat/:id/close':       [303,   403,    303,  303,  303,    303,  303,  303,  303],
  'POST /staff/chat/:id/block':       [303,   403,    303,  303,  303,    303,  303,  303,  303],
};

/** Report categories' changes, each with a valid body and what the audit log then says. */
const CATEGORY_CHANGES: Record<string, { body: Record<string, string>; action: string }> = {
  'POST /staff/admin/categories/new': {
    body: {
      name: 'Report a broken bench',
      summary: 'A broken bench in a park or on a street.',
      group: 'leisure',
      keywords: 'bench\nseat\npark bench',
      intro: 'Use this to report a broken bench.',
      next: 'We inspect it within 10 working days.',
      team: 'Parks',
      slaDays: '10',
      refPrefix: 'BNC',
    },
    action: 'category.create',
  },
  'POST /staff/admin/categories/:code': {
    body: {
      name: 'Report a pothole',
      summary: 'A pothole or sunken road.',
      group: 'roads-transport',
      keywords: 'pothole\npot hole\nroad surface',
      intro: 'Use this to report a pothole.',
      next: 'We inspect it within 5 working days.',
    },
    action: 'category.update',
  },
  'POST /staff/admin/categories/:code/retire': {
    body: { retired: 'no' },
    action: 'category.restore',
  },
  'POST /staff/admin/categories/:code/questions/new': {
    body: { label: 'Is it near a school?', type: 'yesno' },
    action: 'category.question.add',
  },
  'POST /staff/admin/categories/:code/questions/:name': {
    body: { label: 'Where on the road is it?', options: 'In the road\nOn the pavement' },
    action: 'category.question.update',
  },
  'POST /staff/admin/categories/:code/questions/:name/move': {
    body: { direction: 'down' },
    action: 'category.question.move',
  },
  'POST /staff/admin/categories/:code/questions/:name/remove': {
    body: {},
    action: 'category.question.remove',
  },
};

const expected = (route: string, who: Who): number => {
  const row = MATRIX[route];
  const status = row?.[WHO.indexOf(who)];
  if (status === undefined) throw new Error(`No expected status for ${route} as ${who}`);
  return status;
};

/** What each refusal says, so a 403 is known to be this refusal and not, say, a bad CSRF token. */
function refusal(route: string, who: Who): RegExp {
  if (who === 'resident') return /These pages are for council staff/;
  if (route.includes('/admin/')) return /Only administrators can do that/;
  if (who === 'agent') return /Contact centre agents can add notes, but not change a case/;
  return /This case is with Highways\. You can change your own team’s cases/;
}

/** The version field of the case page's first form, as a browser would send it back. */
function version(html: string): string {
  return screen(html).document.querySelector<HTMLInputElement>('input[name=version]')?.value ?? '';
}

for (const dialect of dialects()) {
  await test(`back-office authorisation on ${dialect}: every route, every role`, async (t) => {
    // Hundreds of requests from one address in well under a minute: lift the general limit.
    const app = await buildTestApp(t, dialect, { RATE_LIMIT_PER_MINUTE: '100000' });
    const db = app.database.db;
    const cases = new CaseService(db);

    /** Each member of staff who tries the routes, as the chat service knows them. */
    const staffAs: Partial<Record<Who, Staff>> = {};
    const member = async (who: Who, role: Staff['role'], team: string | null, name: string) => {
      const signedIn = await signedInStaff(app, role, team, name);
      staffAs[who] = { id: signedIn.id, name, role, team };
      return signedIn;
    };
    const officer = await member('officer', 'officer', HIGHWAYS, 'Olu Officer');
    const visitors: Record<Who, Visitor> = {
      nobody: new Visitor(app.app),
      resident: new Visitor(app.app),
      'staff without two-factor': new Visitor(app.app),
      agent: (await member('agent', 'agent', null, 'Ade Agent')).visitor,
      officer: officer.visitor,
      'officer, other team': (await member('officer, other team', 'officer', LIBRARIES, 'Lin'))
        .visitor,
      lead: (await member('lead', 'lead', HIGHWAYS, 'Hal Lead')).visitor,
      'lead, other team': (await member('lead, other team', 'lead', LIBRARIES, 'Lou Lead')).visitor,
      admin: (await member('admin', 'admin', null, 'Ali Admin')).visitor,
    };
    const isStaff = (who: Who) => WHO.indexOf(who) >= WHO.indexOf('agent');

    // Visitors who cannot load a case page get a CSRF token, as their browser would have,
    // from a page they can load: so their POSTs are refused for who they are, not for a token.
    await visitors.nobody.get('/account/sign-in');
    await signUp(app, visitors.resident, newResident('Rae Resident'));
    await visitors.resident.get('/account');
    const unready = newResident('Nia Unready');
    await signUp(app, visitors['staff without two-factor'], unready);
    await db
      .updateTable('accounts')
      .set({ role: 'admin', team: null })
      .where('email', '=', unready.email)
      .execute();
    const setUp = await visitors['staff without two-factor'].get('/account/two-factor/set-up');
    assert.equal(setUp.statusCode, 200);
    for (const who of WHO) assert.notEqual(visitors[who].csrf, '', `${who} has a CSRF token`);

    const fresh = () => cases.openCase(report({ team: HIGHWAYS, title: 'Pothole on Mill Lane' }));
    /** A case read by the GET routes; each POST gets a case of its own, below. */
    const reading = await fresh();
    /** What the duplicate POSTs point to; it gains a note each time, so it is not `reading`. */
    const original = await fresh();

    // Live chat: residents' chats started through the chat service, as its socket does.
    const chats = createServices(app.database, app.config).chat;
    const tia = await signedInStaff(app, 'agent', null, 'Tia Transfer');
    let chatCount = 0;
    /** A chat for a route: waiting to be accepted, or accepted by whoever will act in it. */
    const chatFor = async (route: string, who: Who): Promise<Chat> => {
      chatCount += 1;
      const started = await chats.start({
        topic: `Question ${String(chatCount)} about my bins`,
        name: 'Sam Jones',
        email: 'sam@example.org',
      });
      const chat = await chats.requestAgent(started.chat);
      if (route === 'POST /staff/chat/:id/accept') return chat;
      const adviser = staffAs[isStaff(who) && route.startsWith('POST') ? who : 'agent'];
      assert.ok(adviser);
      // Whoever a chat is passed to must be taking chats, seen within the last minute.
      await chats.setAgentStatus(tia.id, 'available');
      return chats.accept(adviser, chat.id);
    };
    const readingChat = await chatFor('GET /staff/chat/:id', 'agent');

    /** The case a route acts on (a chat's own case, for a chat's routes) and its address. */
    const target = async (route: string, who: Who): Promise<{ found: Case; url: string }> => {
      const [method = '', pattern = ''] = route.split(' ');
      let found = reading;
      let id = 'no-such-photo';
      if (pattern.startsWith('/staff/chat/:id')) {
        const chat = method === 'GET' ? readingChat : await chatFor(route, who);
        const chatCase = await cases.getById(chat.case_id);
        assert.ok(chatCase);
        found = chatCase;
        id = String(chat.id);
      } else if (pattern.startsWith('/staff/admin/open311/keys/:id')) {
        // A key of its own to revoke, issued as an administrator would.
        const admin = staffAs.admin;
        assert.ok(admin);
        id = String(
          (await new ApiKeys(db).issue(admin, { name: `App for ${who}`, perMinute: '60' })).id,
        );
      } else if (method === 'POST' && pattern.startsWith('/staff/cases/')) found = await fresh();
      const url = pattern
        .replace(':ref', found.ref)
        .replace(':id', id)
        .replace(':code', 'report-a-pothole')
        .replace(':name', 'position')
        .replace(':rendition', 'thumb.jpg');
      return { found, url };
    };

    /**
     * Live chat's changes: a valid body, the audit entry, and where each goes next. An
     * adviser's availability is their own state, and a reply is its own permanent record on
     * the chat (with the accept and transfer entries saying who held it when): neither is
     * audited.
     */
    const CHAT_CHANGES: Record<
      string,
      { body: Record<string, string>; action?: string; next: RegExp }
    > = {
      'POST /staff/chat/status': { body: { status: 'available' }, next: /^\/staff\/chat$/ },
      'POST /staff/chat/:id/accept': {
        body: {},
        action: 'chat.accept',
        next: /^\/staff\/chat\/\d+$/,
      },
      'POST /staff/chat/:id/message': {
        body: { text: 'How can I help?', clientId: 'matrix-reply' },
        next: /^\/staff\/chat\/\d+#reply$/,
      },
      'POST /staff/chat/:id/case': {
        body: { service: 'apply-for-a-blue-badge', submission: 'matrix-case' },
        action: 'chat.case',
        next: /^\/staff\/cases\/BBD-/,
      },
      'POST /staff/chat/:id/transfer': {
        body: { to: String(tia.id) },
        action: 'chat.transfer',
        next: /^\/staff\/chat$/,
      },
      'POST /staff/chat/:id/close': {
        body: { outcome: 'answered' },
        action: 'chat.close',
        next: /^\/staff\/chat$/,
      },
      'POST /staff/chat/:id/block': { body: {}, action: 'chat.block', next: /^\/staff\/chat$/ },
    };

    const auditRows = async () => (await db.selectFrom('audit_log').select('id').execute()).length;
    const accountRows = async () => (await db.selectFrom('accounts').select('id').execute()).length;
    const rows = async (table: 'cases' | 'chat_messages') =>
      (await db.selectFrom(table).select('id').execute()).length;
    const liveKeys = async () =>
      (await db.selectFrom('open311_keys').select('id').where('revoked_at', 'is', null).execute())
        .length;
    const availableRows = async () =>
      (
        await db
          .selectFrom('chat_agents')
          .select('status')
          .where('status', '=', 'available')
          .execute()
      ).length;
    /** Everything a change could touch. */
    const snapshot = async (found: Case) => {
      const now = await cases.getById(found.id);
      return {
        status: now?.status,
        team: now?.team,
        assigneeId: now?.assigneeId,
        due: now?.dueAt?.toISOString() ?? null,
        version: now?.updatedAt.toISOString(),
        events: (await cases.timeline(found.id, { publicOnly: false })).length,
        audit: await auditRows(),
        accounts: await accountRows(),
        cases: await rows('cases'),
        chatMessages: await rows('chat_messages'),
        available: await availableRows(),
        keys: await liveKeys(),
      };
    };

    let newcomers = 0;
    /** A valid body for each POST route, so only who is sending it can make it fail. */
    const bodyFor = (route: string, found: Case, caseVersion: string): Record<string, string> => {
      const category = CATEGORY_CHANGES[route] ?? CHAT_CHANGES[route];
      if (category) return category.body;
      const path = route.split('/').at(-1);
      switch (path) {
        case 'bulk':
          return {
            refs: found.ref,
            bulkAction: 'status',
            bulkStatus: 'action_scheduled',
            bulkText: 'A crew is booked.',
          };
        case 'status':
          return {
            status: 'action_scheduled',
            publicText: 'A crew is booked.',
            version: caseVersion,
          };
        case 'note':
          return { note: 'Resident rang: it is getting bigger.', version: caseVersion };
        case 'assign':
          return { assignee: String(officer.id), version: caseVersion };
        case 'due':
          return { due: '2026-12-18', version: caseVersion };
        case 'team':
          return { team: DRAINAGE, version: caseVersion };
        case 'service':
          return { service: 'report-a-blocked-drain', version: caseVersion };
        case 'duplicate':
          return { original: original.ref, version: caseVersion };
        case 'hide':
          return { reason: 'It names a neighbour.', version: caseVersion };
        case 'photos':
          return { photo: 'no-such-photo', shown: 'no', version: caseVersion };
        case 'assist':
          return { channel: 'phone' };
        case 'finish':
          return {};
        case ':code':
          return { team: 'Highways', slaDays: '5' };
        case 'costs':
          return {
            web: '0.15',
            app: '0.15',
            api: '0.15',
            chat: '1.00',
            email: '1.50',
            phone: '2.83',
            face_to_face: '8.62',
          };
        case 'contacts':
          return { channel: 'phone', outcome: 'answered', couldBeOnline: 'no' };
        case 'keys':
          return { name: 'Highways asset system', perMinute: '60' };
        case 'revoke':
          return {};
        default:
          newcomers += 1;
          return {
            name: 'Nell Newcomer',
            email: `newcomer${newcomers}@westmoor.example.gov.uk`,
            role: 'agent',
            team: '',
          };
      }
    };

    /** What an allowed change must have done: one audit row, and the change itself. */
    const checkDone = async (
      route: string,
      found: Case,
      before: Awaited<ReturnType<typeof snapshot>>,
    ) => {
      const after = await snapshot(found);
      const message = `${route} changed what it should`;
      const path = route.split('/').at(-1);
      // Helping a resident is a way of working, not a change: what they send is on its case.
      if (path === 'assist' || path === 'finish') {
        assert.deepEqual(after, before, message);
        return;
      }
      const chatChange = CHAT_CHANGES[route];
      if (chatChange) {
        const audited = chatChange.action ? 1 : 0;
        assert.equal(
          after.audit,
          before.audit + audited,
          `${route}: ${String(audited)} audit rows`,
        );
        const [entry] = await db
          .selectFrom('audit_log')
          .select(['action', 'target'])
          .orderBy('id', 'desc')
          .limit(1)
          .execute();
        if (chatChange.action)
          assert.deepEqual(entry, { action: chatChange.action, target: found.ref }, message);
        if (path === 'status') assert.equal(after.available, before.available + 1, message);
        if (path === 'message' || path === 'case')
          assert.equal(after.chatMessages, before.chatMessages + 1, message);
        if (path === 'case') assert.equal(after.cases, before.cases + 1, message);
        if (path === 'accept') assert.equal(after.status, 'active', message);
        if (path === 'transfer') assert.equal(after.assigneeId, tia.id, message);
        if (path === 'close') assert.equal(after.status, 'resolved', message);
        if (path === 'block') assert.equal(after.status, 'abandoned', message);
        return;
      }
      assert.equal(after.audit, before.audit + 1, `${route}: one audit row`);
      const [last] = await db
        .selectFrom('audit_log')
        .select(['action', 'target'])
        .orderBy('id', 'desc')
        .limit(1)
        .execute();
      const category = CATEGORY_CHANGES[route];
      if (category) {
        assert.equal(last?.action, category.action, message);
        return;
      }
      if (path === 'contacts' || path === ':code' || path === 'costs') {
        const actions = {
          contacts: 'contact.log',
          ':code': 'service.settings',
          costs: 'unit-costs',
        };
        assert.equal(last?.action, actions[path], message);
        return;
      }
      if (path === 'keys' || path === 'revoke') {
        assert.equal(last?.action, `open311.key.${path === 'keys' ? 'issue' : 'revoke'}`, message);
        assert.equal(after.keys, before.keys + (path === 'keys' ? 1 : -1), message);
        return;
      }
      if (path === 'staff') {
        assert.equal(last?.action, 'staff.create');
        assert.equal(after.accounts, before.accounts + 1, message);
        return;
      }
      const action = path === 'bulk' ? 'status' : (path ?? '');
      assert.deepEqual(last, { action: `case.${action}`, target: found.ref });
      assert.ok(after.events > before.events, `${route}: on the timeline`);
      if (path === 'status' || path === 'bulk')
        assert.equal(after.status, 'action_scheduled', message);
      if (path === 'assign') assert.equal(after.assigneeId, officer.id, message);
      if (path === 'due') assert.equal(after.due?.slice(0, 10), '2026-12-18', message);
      if (path === 'team') assert.equal(after.team, DRAINAGE, message);
      if (path === 'duplicate') assert.equal(after.status, 'duplicate', message);
      if (path === 'service') assert.equal(after.team, 'Highways Drainage', message);
      if (path === 'hide') assert.equal(after.status, 'hidden', message);
    };

    await t.test('every /staff route is in the table', () => {
      const staffRoutes = [...routesOf(app.app)].filter((route) => / \/staff(\/|$)/.test(route));
      assert.deepEqual(staffRoutes.sort(), Object.keys(MATRIX).sort());
    });

    for (const who of WHO)
      await t.test(`as ${who}`, async () => {
        const visitor = visitors[who];
        for (const route of Object.keys(MATRIX)) {
          const [method = ''] = route.split(' ');
          const want = expected(route, who);
          const { found, url } = await target(route, who);
          let caseVersion = found.updatedAt.toISOString();
          if (isStaff(who)) {
            // As staff do: open the case, then send its form (this also keeps the CSRF token).
            const page = await visitor.get(`/staff/cases/${found.ref}`);
            assert.equal(page.statusCode, 200, `${who} reads the case`);
            caseVersion = version(page.body);
            assert.equal(caseVersion, found.updatedAt.toISOString());
          }
          const body = method === 'POST' ? bodyFor(route, found, caseVersion) : {};
          const before = await snapshot(found);
          const res = method === 'GET' ? await visitor.get(url) : await visitor.post(url, body);
          const label = `${route} as ${who}`;
          assert.equal(res.statusCode, want, `${label}: ${res.body.slice(0, 300)}`);

          if (want === 403) assert.match(res.body, refusal(route, who), label);
          if (want === 303) {
            const location = String(res.headers.location);
            if (who === 'nobody') assert.match(location, /^\/account\/sign-in(\?|$)/, label);
            else if (who === 'staff without two-factor')
              assert.equal(location, '/account/two-factor/set-up', label);
            else if (route === 'GET /staff') assert.equal(location, '/staff/cases', label);
            else if (route === 'POST /staff/assist') assert.equal(location, '/', label);
            else if (route === 'POST /staff/assist/finish')
              assert.equal(location, '/staff/assist', label);
            else if (route === 'POST /staff/admin/categories/new')
              assert.equal(location, '/staff/admin/categories/report-a-broken-bench', label);
            else if (route.startsWith('POST /staff/admin/categories/'))
              assert.match(
                location,
                /^\/staff\/admin\/categories\/report-a-pothole(#questions)?$/,
                label,
              );
            else if (route === 'POST /staff/admin/open311/keys/:id/revoke')
              assert.equal(location, '/staff/admin/open311', label);
            else if (route.startsWith('POST /staff/admin/'))
              assert.equal(location, route.replace('POST ', '').replace('/:code', ''), label);
            else if (CHAT_CHANGES[route]) assert.match(location, CHAT_CHANGES[route].next, label);
            else assert.equal(location, `/staff/cases/${found.ref}`, label);
          }
          if (method === 'GET' && !isStaff(who))
            assert.doesNotMatch(res.body, new RegExp(found.ref), `${label}: shows no case`);

          // A bulk change does, or refuses, what a change of status does, case by case.
          const asOne =
            route === 'POST /staff/cases/bulk' ? 'POST /staff/cases/:ref/status' : route;
          const done =
            method === 'POST' && isStaff(who) && ![403, 404].includes(expected(asOne, who));
          if (route === 'POST /staff/cases/bulk' && isStaff(who)) {
            assert.match(res.body, new RegExp(`${done ? 1 : 0} of 1 changed`), label);
            if (!done) assert.match(res.body, refusal(asOne, who), label);
          }
          if (route === 'GET /staff/cases.csv' && want === 200)
            assert.match(String(res.headers['content-type']), /^text\/csv/, label);
          if (done) await checkDone(route, found, before);
          else assert.deepEqual(await snapshot(found), before, `${label}: nothing changed`);
          if (method === 'POST' && route.includes('/admin/') && !done)
            assert.equal(
              (
                await db
                  .selectFrom('accounts')
                  .select('id')
                  .where('email', '=', body.email ?? '')
                  .execute()
              ).length,
              0,
              `${label}: no account made`,
            );
        }
      });

    await t.test('staff POSTs without a CSRF token are refused, and change nothing', async () => {
      for (const who of WHO.filter(isStaff))
        for (const route of Object.keys(MATRIX).filter((r) => r.startsWith('POST'))) {
          if (expected(route, who) === 403) continue; // Already refused for who they are.
          const { found, url } = await target(route, who);
          const before = await snapshot(found);
          const res = await app.app.inject({
            method: 'POST',
            url,
            payload: new URLSearchParams(
              bodyFor(route, found, found.updatedAt.toISOString()),
            ).toString(),
            headers: {
              cookie: visitors[who].cookie,
              'content-type': 'application/x-www-form-urlencoded',
            },
          });
          assert.equal(res.statusCode, 403, `${route} as ${who} without a token`);
          assert.deepEqual(await snapshot(found), before, `${route} as ${who}: nothing changed`);
        }
    });
  });
}
