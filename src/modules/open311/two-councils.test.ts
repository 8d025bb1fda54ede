/**
 * Two Shires, end to end over real HTTP: A sends its potholes to B's Open311 API, staff on B
 * mark one fixed in B's back office, A reads B's updates on its schedule, and A's resident
 * is told by email, once. Each is the whole app on its own database; B listens on a local
 * port, and A's outbox worker runs every real handler (email kept in A's mailbox table).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { buildTestApp, dialects, screen } from '../../../test/helper.js';
import { CaseService } from '../cases/service.js';
import { signedInStaff } from '../backoffice/testing.js';
import { councilSendingTo, issueKey, outboxWorker } from './testing.js';

const MINUTE = 60_000;
const RESIDENT = 'priya.shah@example.org';

for (const dialect of dialects()) {
  await test(`a report sent from one Shire to another on ${dialect}`, async (t) => {
    const b = await buildTestApp(t, dialect);
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    const bUrl = `http://127.0.0.1:${String((b.app.server.address() as AddressInfo).port)}`;
    const { key } = await issueKey(b, 'Westmoor Report It (council A)');

    const a = await buildTestApp(t, dialect, {
      COUNCIL_CONFIG: councilSendingTo(t, [
        {
          id: 'county-highways',
          name: 'County Highways',
          endpoint: `${bUrl}/open311/v2`,
          apiKeyEnv: 'OPEN311_COUNTY_KEY',
          categories: ['report-a-pothole'],
        },
      ]),
      OPEN311_COUNTY_KEY: key,
    });
    const aWorker = outboxWorker(a);
    // As A's worker does when it starts: its reads of B's updates are scheduled.
    await aWorker.services.open311RemoteUpdates.schedule();
    const aCases = new CaseService(a.database.db);
    const bCases = new CaseService(b.database.db);

    // A resident reports a pothole on A, through A's API as the app would.
    const made = await a.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: new URLSearchParams({
        service_code: 'report-a-pothole',
        lat: '51.4203',
        lng: '-2.2011',
        position: 'road',
        depth: 'deep',
        width: 'medium',
        dangerous: 'yes',
        description: 'Deep hole on the bend by the school.',
        name: 'Priya Shah',
        email: RESIDENT,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(made.statusCode, 201, made.body);
    const aRef = made.json<{ ref: string }>().ref;
    const aCase = await aCases.getByRef(aRef);
    assert.ok(aCase);

    // A's worker sends it to B.
    await aWorker.drain();
    const sent = await a.database.db
      .selectFrom('open311_sent')
      .selectAll()
      .where('case_id', '=', aCase.id)
      .executeTakeFirstOrThrow();
    assert.equal(sent.status, 'sent', sent.last_error ?? '');
    const bRef = sent.external_id ?? '';

    // B has it, with the resident's answers and details, opened through its Open311 API.
    const bCase = await bCases.getByRef(bRef);
    assert.ok(bCase, `B has ${bRef}`);
    assert.equal(bCase.serviceCode, 'report-a-pothole');
    assert.equal(bCase.channel, 'api');
    assert.equal(bCase.status, 'confirmed');
    assert.deepEqual(bCase.contact, { name: 'Priya Shah', email: RESIDENT, phone: null });
    // The same answers as on A, question by question.
    const answers = (data: Record<string, unknown>) =>
      (data.answers as { field: string; value: unknown }[]).map((x) => [x.field, x.value]);
    assert.deepEqual(answers(bCase.data), answers(aCase.data));
    assert.equal(answers(bCase.data).length, 4);
    assert.equal(bCase.data.description, 'Deep hole on the bend by the school.');

    // Staff on B mark it fixed in B's back office.
    const staff = await signedInStaff(b, 'admin', null);
    const page = await staff.visitor.get(`/staff/cases/${bRef}`);
    assert.equal(page.statusCode, 200);
    const version =
      screen(page.body).document.querySelector<HTMLInputElement>('input[name=version]')?.value ??
      '';
    const fixed = await staff.visitor.post(`/staff/cases/${bRef}/status`, {
      status: 'fixed',
      publicText: 'Filled and sealed this morning.',
      version,
    });
    assert.equal(fixed.statusCode, 303, fixed.body);
    assert.equal((await bCases.getByRef(bRef))?.status, 'fixed');

    // A's next scheduled read comes round (twice: the second finds nothing new to tell).
    const mailToResident = () =>
      a.database.db
        .selectFrom('mailbox')
        .select(['subject', 'text'])
        .where('recipient', '=', RESIDENT)
        .orderBy('id')
        .execute();
    for (const period of [1, 2]) {
      await a.database.db
        .updateTable('open311_fetches')
        .set({ next_fetch_at: new Date().toISOString() })
        .execute();
      await aWorker.drain(new Date(Date.now() + period * 11 * MINUTE));
    }

    const updated = await aCases.getById(aCase.id);
    assert.equal(updated?.status, 'fixed');
    const change = (await aCases.timeline(aCase.id, { publicOnly: true })).filter(
      (e) => e.type === 'status_changed',
    );
    assert.deepEqual(
      change.map((e) => [e.actor.name, e.body]),
      [['County Highways', 'Filled and sealed this morning.']],
    );
    // Everything A's resident was sent: the receipt, and B's fix in B's words, once.
    const mail = await mailToResident();
    assert.deepEqual(
      mail.map((m) => m.subject),
      [`We received your report: ${aRef}`, `Your report ${aRef} is closed: Fixed`],
    );
    assert.match(mail[1]?.text ?? '', /Filled and sealed this morning\./);
  });
}
