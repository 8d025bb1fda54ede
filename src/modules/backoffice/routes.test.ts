import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, errorsOn, screen, Visitor } from '../../../test/helper.js';
import { emailsTo, newResident, report, signUp } from '../account/testing.js';
import { CaseService } from '../cases/service.js';
import { signedInStaff } from './testing.js';

const HIGHWAYS = 'Highways';
const LIBRARIES = 'Libraries';

/** The version field of the case page's first form, as a browser would send it back. */
function version(html: string): string {
  return screen(html).document.querySelector<HTMLInputElement>('input[name=version]')?.value ?? '';
}

for (const dialect of dialects()) {
  await test(`the back office on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);
    const cases = new CaseService(app.database.db);
    const pothole = await cases.openCase(
      report({ team: HIGHWAYS, contact: { name: 'Sam Jones', email: 'sam@example.org' } }),
    );
    const book = await cases.openCase(
      report({
        serviceCode: 'renew-library-books',
        kind: 'application',
        refPrefix: 'BKS',
        title: 'Lost library card',
        team: LIBRARIES,
      }),
    );
    const officer = await signedInStaff(app, 'officer', HIGHWAYS, 'Olu Officer');
    const colleague = await signedInStaff(app, 'officer', HIGHWAYS, 'Cat Colleague');
    const agent = await signedInStaff(app, 'agent', null, 'Ade Agent');
    const admin = await signedInStaff(app, 'admin', null, 'Ali Admin');

    await t.test('nobody is sent to sign in; a resident is refused every page', async () => {
      const nobody = await new Visitor(app.app).get('/staff/cases');
      assert.equal(nobody.statusCode, 303);
      assert.equal(nobody.headers.location, '/account/sign-in?returnTo=%2Fstaff%2Fcases');
      const resident = new Visitor(app.app);
      await signUp(app, resident, newResident());
      for (const url of ['/staff/cases', `/staff/cases/${pothole.ref}`, '/staff/admin/audit']) {
        const res = await resident.get(url);
        assert.equal(res.statusCode, 403, url);
        assert.match(res.body, /These pages are for council staff/);
      }
      const post = await resident.post(`/staff/cases/${pothole.ref}/note`, { note: 'x' });
      assert.equal(post.statusCode, 403);
    });

    await t.test('a case officer starts on their team’s open cases', async () => {
      const queue = await officer.visitor.get('/staff/cases');
      assert.equal(queue.statusCode, 200);
      const refs = screen(queue.body)
        .getAllByRole('link')
        .map((a) => a.textContent.trim());
      assert.ok(refs.includes(pothole.ref));
      assert.ok(!refs.includes(book.ref), 'another team’s case is not in their queue');
      const libraryOnly = await officer.visitor.get(
        '/staff/cases?team=all&service=renew-library-books',
      );
      assert.match(libraryOnly.body, new RegExp(book.ref));
      assert.doesNotMatch(libraryOnly.body, new RegExp(pothole.ref));
      const everyone = await officer.visitor.get('/staff/cases?team=all');
      assert.match(everyone.body, new RegExp(book.ref));
      const byEmail = await officer.visitor.get('/staff/cases?team=all&search=SAM%40example.org');
      assert.match(byEmail.body, new RegExp(pothole.ref));
      assert.doesNotMatch(byEmail.body, new RegExp(book.ref));
      const byRef = await officer.visitor.get(`/staff/cases?search=${pothole.ref.toLowerCase()}`);
      assert.equal(byRef.statusCode, 303);
      assert.equal(byRef.headers.location, `/staff/cases/${pothole.ref}`);
      // A street or postcode finds cases within 500 metres of it, shown on a map too.
      const nearMarket = await cases.openCase(
        report({
          team: HIGHWAYS,
          title: 'Pothole by the market',
          location: { lat: 51.4205, lng: -2.2014 },
        }),
      );
      const far = await cases.openCase(
        report({
          team: HIGHWAYS,
          title: 'Pothole in Ashcombe',
          location: { lat: 51.4505, lng: -2.3235 },
        }),
      );
      const byPostcode = await officer.visitor.get('/staff/cases?team=all&search=WM1+1AA');
      assert.equal(byPostcode.statusCode, 200);
      assert.match(byPostcode.body, new RegExp(nearMarket.ref));
      assert.doesNotMatch(byPostcode.body, new RegExp(far.ref));
      assert.match(byPostcode.body, /data-list-map data-link-base="\/staff\/cases\/"/);
      const byStreet = await officer.visitor.get('/staff/cases?team=all&search=market+street');
      assert.match(byStreet.body, new RegExp(nearMarket.ref));
      const nonsense = await officer.visitor.get('/staff/cases?search=potholes');
      assert.equal(nonsense.statusCode, 400);
      assert.deepEqual(errorsOn(nonsense.body), [
        'Enter a reference like PTH-4F7K-92QX, an email address, or a street or postcode in the county',
      ]);
    });

    await t.test(
      'an officer posts a public update: the resident is told, and it is audited',
      async () => {
        const page = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
        assert.equal(page.statusCode, 200);
        const done = await officer.visitor.post(`/staff/cases/${pothole.ref}/status`, {
          status: 'action_scheduled',
          publicText: 'A crew will fill it on Tuesday.',
          version: version(page.body),
        });
        assert.equal(done.statusCode, 303);
        const after = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
        assert.match(after.body, /Status saved\. The resident will be told\./);
        assert.match(after.body, /A crew will fill it on Tuesday\./);
        assert.equal((await cases.getById(pothole.id))?.status, 'action_scheduled');
        const log = await app.database.db
          .selectFrom('audit_log')
          .selectAll()
          .where('target', '=', pothole.ref)
          .execute();
        assert.deepEqual(
          log.map((e) => [e.action, e.actor_name, e.before, e.after]),
          [
            [
              'case.status',
              'Olu Officer',
              JSON.stringify({ status: 'confirmed' }),
              JSON.stringify({
                status: 'action_scheduled',
                publicText: 'A crew will fill it on Tuesday.',
              }),
            ],
          ],
        );
        // The fan-out runs in the outbox; run its job as the worker would, then look.
        const timeline = await cases.timeline(pothole.id, { publicOnly: true });
        assert.equal(timeline.at(-1)?.body, 'A crew will fill it on Tuesday.');
      },
    );

    await t.test(
      'two officers on the same case: the second is told, nothing is overwritten',
      async () => {
        const mine = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
        const theirs = await colleague.visitor.get(`/staff/cases/${pothole.ref}`);
        const first = await colleague.visitor.post(`/staff/cases/${pothole.ref}/status`, {
          status: 'in_progress',
          publicText: '',
          version: version(theirs.body),
        });
        assert.equal(first.statusCode, 303);
        const second = await officer.visitor.post(`/staff/cases/${pothole.ref}/status`, {
          status: 'fixed',
          publicText: 'Fixed.',
          version: version(mine.body),
        });
        assert.equal(second.statusCode, 409);
        assert.match(second.body, /Someone else changed this case while you had it open/);
        assert.equal((await cases.getById(pothole.id))?.status, 'in_progress', 'not overwritten');
      },
    );

    await t.test(
      'an officer cannot change another team’s case; an agent can only add notes',
      async () => {
        const page = await officer.visitor.get(`/staff/cases/${book.ref}`);
        assert.equal(page.statusCode, 200, 'they can read it');
        assert.equal(
          screen(page.body).queryByRole('button', { name: 'Save and tell the resident' }),
          null,
        );
        const refused = await officer.visitor.post(`/staff/cases/${book.ref}/status`, {
          status: 'approved',
          publicText: '',
          version: version(page.body),
        });
        assert.equal(refused.statusCode, 403);
        assert.match(refused.body, /This case is with Libraries/);
        for (const path of ['assign', 'due', 'team'])
          assert.equal(
            (
              await officer.visitor.post(`/staff/cases/${book.ref}/${path}`, {
                version: version(page.body),
              })
            ).statusCode,
            403,
            path,
          );

        const agentPage = await agent.visitor.get(`/staff/cases/${pothole.ref}`);
        const noted = await agent.visitor.post(`/staff/cases/${pothole.ref}/note`, {
          note: 'Resident rang: the hole is getting bigger.',
          version: version(agentPage.body),
        });
        assert.equal(noted.statusCode, 303);
        const internal = await cases.timeline(pothole.id, { publicOnly: false });
        assert.equal(internal.at(-1)?.body, 'Resident rang: the hole is getting bigger.');
        assert.equal(internal.at(-1)?.public, false);
        const agentStatus = await agent.visitor.post(`/staff/cases/${pothole.ref}/status`, {
          status: 'fixed',
          publicText: '',
          version: version((await agent.visitor.get(`/staff/cases/${pothole.ref}`)).body),
        });
        assert.equal(agentStatus.statusCode, 403);
      },
    );

    await t.test('assign, due date and team: each checked, each on the timeline', async () => {
      const page = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
      const badDate = await officer.visitor.post(`/staff/cases/${pothole.ref}/due`, {
        due: '2026-02-30',
        version: version(page.body),
      });
      assert.equal(badDate.statusCode, 400);
      assert.deepEqual(errorsOn(badDate.body), ['Enter a real date, like 2026-12-18']);
      const assigned = await officer.visitor.post(`/staff/cases/${pothole.ref}/assign`, {
        assignee: String(colleague.id),
        version: version(page.body),
      });
      assert.equal(assigned.statusCode, 303);
      assert.equal((await cases.getById(pothole.id))?.assigneeId, colleague.id);
      const mine = await colleague.visitor.get('/staff/cases?assigned=me');
      assert.match(mine.body, new RegExp(pothole.ref));
      const next = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
      const due = await officer.visitor.post(`/staff/cases/${pothole.ref}/due`, {
        due: '2026-12-18',
        version: version(next.body),
      });
      assert.equal(due.statusCode, 303);
      assert.equal(
        (await cases.getById(pothole.id))?.dueAt?.toISOString().slice(0, 10),
        '2026-12-18',
      );
      const third = await officer.visitor.get(`/staff/cases/${pothole.ref}`);
      const moved = await officer.visitor.post(`/staff/cases/${pothole.ref}/team`, {
        team: 'Highways Drainage',
        version: version(third.body),
      });
      assert.equal(moved.statusCode, 303);
      const now = await cases.getById(pothole.id);
      assert.equal(now?.team, 'Highways Drainage');
      assert.equal(now.assigneeId, null, 'it leaves the old team’s officer');
      const types = (await cases.timeline(pothole.id, { publicOnly: false })).map((e) => e.type);
      for (const type of ['assigned', 'due_date_set', 'moved'] as const)
        assert.ok(types.includes(type), type);
    });

    await t.test(
      'a duplicate: its followers follow the original, the resident is told which',
      async () => {
        const original = await cases.openCase(
          report({ team: HIGHWAYS, title: 'Pothole by the school' }),
        );
        const copy = await cases.openCase(
          report({
            team: HIGHWAYS,
            title: 'Hole by the school',
            contact: { email: 'kim@example.org' },
          }),
        );
        await cases.subscribe(copy.id, { email: 'lee@example.org' });
        const page = await officer.visitor.get(`/staff/cases/${copy.ref}`);
        for (const [given, message] of [
          ['', 'Enter the reference of the case it duplicates, like PTH-4F7K-92QX'],
          ['PTH-0000-0000', 'There is no case PTH-0000-0000'],
          [copy.ref, 'A case cannot be a duplicate of itself'],
        ] as const) {
          const refused = await officer.visitor.post(`/staff/cases/${copy.ref}/duplicate`, {
            original: given,
            version: version(page.body),
          });
          assert.equal(refused.statusCode, 400, given);
          assert.deepEqual(errorsOn(refused.body), [message]);
        }
        const done = await officer.visitor.post(`/staff/cases/${copy.ref}/duplicate`, {
          original: original.ref.toLowerCase(),
          version: version(page.body),
        });
        assert.equal(done.statusCode, 303);
        assert.equal((await cases.getById(copy.id))?.status, 'duplicate');
        const said = (await cases.timeline(copy.id, { publicOnly: true })).at(-1)?.body ?? '';
        assert.match(said, new RegExp(`Follow ${original.ref} for updates`));
        const following = (await cases.subscribers(original.id)).map((s) => s.email).sort();
        assert.ok(following.includes('kim@example.org') && following.includes('lee@example.org'));
        const note = (await cases.timeline(original.id, { publicOnly: false })).at(-1);
        assert.match(
          note?.body ?? '',
          new RegExp(`${copy.ref} was marked as a duplicate of this case. 2 people follow`),
        );
      },
    );

    await t.test(
      'moving a report to the right category moves it to that category’s team',
      async () => {
        const filed = await cases.openCase(report({ team: HIGHWAYS, title: 'Water everywhere' }));
        const page = await officer.visitor.get(`/staff/cases/${filed.ref}`);
        const same = await officer.visitor.post(`/staff/cases/${filed.ref}/service`, {
          service: filed.serviceCode,
          version: version(page.body),
        });
        assert.deepEqual(errorsOn(same.body), ['It is already in that category']);
        const form = await officer.visitor.post(`/staff/cases/${filed.ref}/service`, {
          service: 'make-a-complaint',
          version: version(page.body),
        });
        assert.deepEqual(errorsOn(form.body), ['Choose a category from the list'], 'not a report');
        const moved = await officer.visitor.post(`/staff/cases/${filed.ref}/service`, {
          service: 'report-a-blocked-drain',
          version: version(page.body),
        });
        assert.equal(moved.statusCode, 303);
        const now = await cases.getById(filed.id);
        assert.equal(now?.serviceCode, 'report-a-blocked-drain');
        assert.equal(now.team, 'Highways Drainage');
      },
    );

    await t.test(
      'hiding a report takes it off the public site, with the reason for staff',
      async () => {
        const rude = await cases.openCase(
          report({ team: HIGHWAYS, title: 'My neighbour at number 4 is…' }),
        );
        const page = await officer.visitor.get(`/staff/cases/${rude.ref}`);
        const noReason = await officer.visitor.post(`/staff/cases/${rude.ref}/hide`, {
          reason: ' ',
          version: version(page.body),
        });
        assert.deepEqual(errorsOn(noReason.body), ['Say why it is hidden']);
        const hidden = await officer.visitor.post(`/staff/cases/${rude.ref}/hide`, {
          reason: 'It names a neighbour.',
          version: version(page.body),
        });
        assert.equal(hidden.statusCode, 303);
        assert.equal((await cases.getById(rude.id))?.status, 'hidden');
        assert.equal((await app.app.inject(`/reports/${rude.ref}`)).statusCode, 404);
        const internal = await cases.timeline(rude.id, { publicOnly: false });
        assert.ok(
          internal.some((e) => e.body === 'Report hidden: It names a neighbour.' && !e.public),
        );
      },
    );

    await t.test(
      'assisted digital: an agent sends a form for a caller; the case says phone and who',
      async () => {
        const start = await agent.visitor.get('/staff/assist');
        assert.equal(start.statusCode, 200);
        const none = await agent.visitor.post('/staff/assist', {});
        assert.deepEqual(errorsOn(none.body), ['Choose how the resident is contacting you']);
        const began = await agent.visitor.post('/staff/assist', { channel: 'phone' });
        assert.equal(began.headers.location, '/');
        const complaint = '/services/make-a-complaint';
        const first = await agent.visitor.get(`${complaint}/start`);
        assert.equal(first.statusCode, 303);
        const page = await agent.visitor.get(`${complaint}/form/service`);
        assert.match(page.body, /You are completing this for a resident on the phone/);
        await agent.visitor.post(`${complaint}/form/service`, {
          service: 'libraries',
          onBehalf: 'myself',
        });
        await agent.visitor.get(`${complaint}/form/details`);
        await agent.visitor.post(`${complaint}/form/details`, {
          whatWentWrong: 'The library was closed when the website said it was open.',
          putRight: 'Update the opening times.',
          previousContact: 'no',
        });
        await agent.visitor.get(`${complaint}/form/contact`);
        await agent.visitor.post(`${complaint}/form/contact`, {
          fullName: 'Caller Example',
          email: 'caller@example.org',
          contactPreference: 'email',
        });
        const check = await agent.visitor.get(`${complaint}/check`);
        const submission = /name="submission" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
        const sent = await agent.visitor.post(`${complaint}/check`, { submission });
        assert.equal(sent.headers.location, `${complaint}/confirmation`);
        const confirmation = await agent.visitor.get(`${complaint}/confirmation`);
        const ref = /[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(confirmation.body)?.[0] ?? '';
        const made = await cases.getByRef(ref);
        assert.ok(made, confirmation.body.slice(0, 300));
        assert.equal(made.channel, 'phone');
        assert.equal(made.accountId, null, 'not the agent’s own case');
        assert.equal(made.contact.email, 'caller@example.org');
        const [created] = await cases.timeline(made.id, { publicOnly: false });
        assert.deepEqual(created?.actor, { type: 'staff', id: agent.id, name: 'Ade Agent' });
        // The back office still knows who they are; finishing stops it.
        assert.equal((await agent.visitor.get('/staff/cases')).statusCode, 200);
        await agent.visitor.get('/staff/assist');
        assert.equal((await agent.visitor.post('/staff/assist/finish', {})).statusCode, 303);
        const after = await agent.visitor.get(`${complaint}/form/service`);
        assert.doesNotMatch(after.body, /completing this for a resident/);
      },
    );

    await t.test('the contact log: each field checked, each contact counted', async () => {
      const page = await agent.visitor.get('/staff/contacts');
      assert.equal(page.statusCode, 200);
      const empty = await agent.visitor.post('/staff/contacts', {});
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), [
        'Choose how they contacted us',
        'Choose what happened',
        'Say whether they could have done it online',
      ]);
      const logged = await agent.visitor.post('/staff/contacts', {
        channel: 'phone',
        service: 'renew-library-books',
        outcome: 'signposted',
        couldBeOnline: 'yes',
        note: 'Showed them the renewals page.',
      });
      assert.equal(logged.statusCode, 200);
      assert.match(logged.body, /Contact logged\./);
      const rows = await app.database.db.selectFrom('contact_log').selectAll().execute();
      assert.deepEqual(
        rows.map((r) => [r.agent_id, r.channel, r.service_code, r.outcome, r.could_be_online]),
        [[agent.id, 'phone', 'renew-library-books', 'signposted', 1]],
      );
    });

    await t.test('a filtered list downloads as CSV, formulas defused', async () => {
      await cases.openCase(
        report({ team: HIGHWAYS, title: '=HYPERLINK("http://evil.example")', contact: {} }),
      );
      const csv = await officer.visitor.get('/staff/cases.csv?team=Highways');
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.match(String(csv.headers['content-disposition']), /attachment; filename="cases-/);
      const lines = csv.body.trim().split('\n');
      assert.equal(
        lines[0],
        'reference,title,service,status,team,channel,received,updated,due,closed',
      );
      assert.ok(
        lines.some((line) => line.includes(`'=HYPERLINK(""http://evil.example"")`)),
        csv.body,
      );
      assert.ok(!csv.body.includes(book.ref), 'only the filtered team');
      const bad = await officer.visitor.get('/staff/cases.csv?search=nonsense');
      assert.equal(bad.statusCode, 400);
    });

    await t.test('bulk changes: a result for each case, refused ones untouched', async () => {
      const extra = await cases.openCase(report({ team: HIGHWAYS, title: 'Another pothole' }));
      const queue = await officer.visitor.get('/staff/cases');
      assert.ok(screen(queue.body).getByRole('checkbox', { name: `Select ${extra.ref}` }));
      const none = await officer.visitor.post('/staff/cases/bulk', { bulkAction: 'status' });
      assert.equal(none.statusCode, 400);
      assert.deepEqual(errorsOn(none.body), ['Select at least one case']);
      const done = await officer.visitor.post('/staff/cases/bulk', {
        refs: [extra.ref, book.ref],
        bulkAction: 'status',
        bulkStatus: 'investigating',
        bulkText: 'We are looking at these.',
      });
      assert.equal(done.statusCode, 200);
      const rows = screen(done.body)
        .getAllByRole('row')
        .slice(1)
        .map((row) => row.textContent.replace(/\s+/g, ' ').trim());
      assert.equal(rows.length, 2);
      assert.match(rows[0] ?? '', new RegExp(`${extra.ref} Done Status changed`));
      assert.match(
        rows[1] ?? '',
        new RegExp(`${book.ref} Not changed This case is with Libraries`),
      );
      assert.equal((await cases.getById(extra.id))?.status, 'investigating');
      assert.equal((await cases.getById(book.id))?.status, book.status);
    });

    await t.test(
      'the dashboard counts a team’s open cases by status, and overdue ones',
      async () => {
        const page = await officer.visitor.get('/staff/dashboard');
        assert.equal(page.statusCode, 200);
        const table = screen(page.body).getByRole('table', { name: 'Open cases by status' });
        assert.match(table.textContent, /Investigating\s*1/);
        assert.match(page.body, /<strong>\d+<\/strong> overdue/);
      },
    );

    await t.test('administrators set a service’s team and SLA, and the channel costs', async () => {
      assert.equal((await officer.visitor.get('/staff/admin/services')).statusCode, 403);
      const list = await admin.visitor.get('/staff/admin/services');
      assert.equal(list.statusCode, 200);
      const page = await admin.visitor.get('/staff/admin/services/make-a-complaint');
      assert.match(page.body, /Its definition says/);
      const bad = await admin.visitor.post('/staff/admin/services/make-a-complaint', {
        team: ' ',
        slaDays: 'ten',
      });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(errorsOn(bad.body), [
        'Enter the team that handles it',
        'Enter the working days as a whole number from 0 to 365',
      ]);
      const saved = await admin.visitor.post('/staff/admin/services/make-a-complaint', {
        team: 'Customer Feedback',
        slaDays: '15',
      });
      assert.equal(saved.statusCode, 303);
      const described = await app.app.inject('/api/v1/services/make-a-complaint');
      assert.deepEqual(
        (({ team, sla_days }) => ({ team, sla_days }))(
          described.json<{ team: string; sla_days: number }>(),
        ),
        { team: 'Customer Feedback', sla_days: 15 },
        'new cases use it at once',
      );
      assert.equal((await admin.visitor.get('/staff/admin/services/nope')).statusCode, 404);

      const costs = await admin.visitor.get('/staff/admin/costs');
      assert.match(costs.body, /value="2.83"/);
      const wrong = await admin.visitor.post('/staff/admin/costs', { phone: 'lots' });
      assert.equal(wrong.statusCode, 400);
      assert.ok(errorsOn(wrong.body).includes('Enter the cost in pounds and pence, like 2.83'));
      const channels = { web: '0.15', app: '0.15', api: '0.15', chat: '1.00', email: '1.50' };
      const done = await admin.visitor.post('/staff/admin/costs', {
        ...channels,
        phone: '£3.10',
        face_to_face: '9',
      });
      assert.equal(done.statusCode, 303);
      const after = await admin.visitor.get('/staff/admin/costs');
      assert.match(after.body, /value="3.10"/);
      assert.match(after.body, /value="9.00"/);
    });

    await t.test(
      'administrators add staff; others cannot; the audit log cannot be changed',
      async () => {
        assert.equal((await officer.visitor.get('/staff/admin/staff')).statusCode, 403);
        assert.equal((await officer.visitor.get('/staff/admin/audit')).statusCode, 403);
        const page = await admin.visitor.get('/staff/admin/staff');
        assert.equal(page.statusCode, 200);
        const empty = await admin.visitor.post('/staff/admin/staff', {});
        assert.equal(empty.statusCode, 400);
        assert.deepEqual(errorsOn(empty.body), [
          'Enter their name',
          'Enter an email address in the correct format, like name@example.gov.uk',
          'Choose what they can do',
        ]);
        const noTeam = await admin.visitor.post('/staff/admin/staff', {
          name: 'Nia New',
          email: 'nia@westmoor.example.gov.uk',
          role: 'officer',
        });
        assert.deepEqual(errorsOn(noTeam.body), ['Choose the team whose cases they work']);
        const added = await admin.visitor.post('/staff/admin/staff', {
          name: 'Nia New',
          email: 'Nia@Westmoor.example.gov.uk',
          role: 'officer',
          team: LIBRARIES,
        });
        assert.equal(added.statusCode, 200);
        assert.match(added.body, /We have emailed nia@westmoor\.example\.gov\.uk/);
        const [invite] = await emailsTo(app, 'nia@westmoor.example.gov.uk');
        assert.match(invite?.subject ?? '', /staff account/);
        assert.match(invite?.text ?? '', /\/account\/verify\//);

        const audit = await admin.visitor.get('/staff/admin/audit?action=staff.create');
        assert.match(audit.body, /nia@westmoor\.example\.gov\.uk/);
        assert.doesNotMatch(audit.body, /<td class="govuk-table__cell">case\.status<\/td>/);
        await assert.rejects(
          app.database.db.updateTable('audit_log').set({ actor_name: 'Someone else' }).execute(),
          /audit log cannot be changed/,
        );
        await assert.rejects(
          app.database.db.deleteFrom('audit_log').execute(),
          /audit log cannot be changed/,
        );
      },
    );
  });
}
