import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import sharp from 'sharp';
import { buildTestApp, dialects, errorsOn, Visitor, type TestApp } from '../../../test/helper.js';
import { LocalFileStorage } from '../../platform/storage/storage.js';
import { emailsTo } from '../account/testing.js';
import { askIfResolved } from '../notifications/fan-out.js';
import { reporterLink } from '../cases/reporter-link.js';
import { newResident, signUp } from '../account/testing.js';
import { CaseService } from '../cases/service.js';
import { loadCatalogue } from '../catalogue/definition.js';
import { CatalogueService } from '../catalogue/service.js';
import { processPhoto } from './photos.js';
import { ReportService } from './service.js';

/** A small photo, as a phone would send it. */
function photo(): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 480, channels: 3, background: '#807060' } })
    .jpeg()
    .toBuffer();
}

const POTHOLE_ANSWERS = { position: 'road', depth: 'deep', width: 'medium', dangerous: 'no' };
/** Market Street, Westmoor: in the North area, a council road. */
const MARKET_STREET = { lat: '51.4203', lng: '-2.2011' };

/** Where, details, contact: everything up to the check page, for a pothole on Market Street. */
async function reportUpToCheck(visitor: Visitor, where: Record<string, string> = MARKET_STREET) {
  await visitor.get('/report?category=report-a-pothole');
  const afterWhere = await visitor.post('/report/where', where);
  assert.equal(afterWhere.headers.location, '/report/details');
  await visitor.get('/report/details');
  const afterDetails = await visitor.post(
    '/report/details',
    { ...POTHOLE_ANSWERS, description: 'Outside the bakery, in the bus lane.' },
    [{ name: 'photos', filename: 'IMG_0001.jpg', content: await photo(), type: 'image/jpeg' }],
  );
  assert.equal(afterDetails.headers.location, '/report/contact');
  await visitor.get('/report/contact');
  const afterContact = await visitor.post('/report/contact', {
    name: 'Sam Resident',
    email: 'sam@example.org',
    phone: '',
  });
  assert.equal(afterContact.headers.location, '/report/check');
}

for (const dialect of dialects()) {
  await test(`Report It on ${dialect}`, async (t) => {
    const { app, database, config }: TestApp = await buildTestApp(t, dialect);
    const cases = new CaseService(database.db);

    await t.test(
      'a pothole with a photo, from start to reference, makes one public report',
      async () => {
        const visitor = new Visitor(app);
        await reportUpToCheck(visitor);
        const check = await visitor.get('/report/check');
        assert.equal(check.statusCode, 200);
        assert.match(check.body, /What everyone will see/);
        assert.match(check.body, /that a resident reported it, but not your name/);
        const draft = /name="draft" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
        await sleep(3100); // Faster than a person can report is refused as a bot.
        const sent = await visitor.post('/report/check', { draft, website: '' });
        assert.equal(sent.headers.location, '/report/confirmation');
        // A second click on Send shows the same report, and makes no second case.
        const again = await visitor.post('/report/check', { draft, website: '' });
        assert.equal(again.headers.location, '/report/confirmation');
        const confirmation = await visitor.get('/report/confirmation');
        const ref = /class="app-reference">([A-Z0-9-]+)</.exec(confirmation.body)?.[1] ?? '';
        assert.match(ref, /^PTH-/);

        const found = await cases.getByRef(ref);
        assert.ok(found);
        assert.equal(found.channel, 'web');
        assert.equal(found.team, 'Highways North');
        assert.ok(found.dueAt);
        assert.deepEqual(found.location, { lat: 51.4203, lng: -2.2011 });
        const count = await database.db
          .selectFrom('cases')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('idempotency_key', 'like', 'report:%')
          .executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 1);

        const page = await app.inject(`/reports/${ref}`);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /Pothole/);
        assert.match(page.body, /Outside the bakery/);
        assert.doesNotMatch(page.body, /sam@example.org|Sam Resident/);
        const src = /src="(\/reports\/[^"]+\/display\.jpg)"/.exec(page.body)?.[1] ?? '';
        const image = await app.inject(src);
        assert.equal(image.statusCode, 200);
        assert.equal(image.headers['content-type'], 'image/jpeg');

        const api = (await app.inject(`/api/v1/reports/${ref}`)).json<Record<string, unknown>>();
        assert.equal(api.status, 'confirmed');
        assert.equal(api.reported_by, null);
        assert.equal((api.photos as unknown[]).length, 1);
        assert.equal(JSON.stringify(api).includes('sam@example.org'), false);

        const feed = await app.inject(`/reports/feed.atom?lat=51.4203&lng=-2.2011`);
        assert.equal(feed.headers['content-type'], 'application/atom+xml; charset=utf-8');
        assert.match(feed.body, new RegExp(ref));
        const updates = await app.inject(`/reports/${ref}/updates.atom`);
        assert.match(updates.body, /We received your report/);

        const list = await app.inject('/reports?place=WM1+1AA&status=open');
        assert.match(list.body, new RegExp(ref));
        // The old "check progress" address leads to the report's own page.
        const track = await app.inject(`/track/${ref}`);
        assert.equal(track.headers.location, `/reports/${ref}`);
      },
    );

    await t.test(
      'signed in, there is no contact step and the report is in My Account',
      async () => {
        const resident = newResident('Rosa Signed');
        const visitor = new Visitor(app);
        await signUp({ app, database, config }, visitor, resident);
        await visitor.get('/report?category=report-fly-tipping');
        await visitor.post('/report/where', { place: 'WM1 1AA' });
        await visitor.get('/report/details');
        const details = await visitor.post('/report/details', {
          wasteTypes: 'household',
          amount: 'car-boot',
          sawWhoDidIt: 'no',
        });
        assert.equal(details.statusCode, 303, errorsOn(details.body).join('; '));
        // Straight from the details to the check page: we know who they are.
        assert.equal(details.headers.location, '/report/check');
        const check = await visitor.get('/report/check');
        assert.match(check.body, /You are signed in/);
        assert.match(check.body, new RegExp(resident.email));
        const draft = /name="draft" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
        await sleep(3100);
        await visitor.post('/report/check', { draft, website: '' });
        const confirmation = await visitor.get('/report/confirmation');
        const ref = /class="app-reference">([A-Z0-9-]+)</.exec(confirmation.body)?.[1] ?? '';
        const found = await cases.getByRef(ref);
        assert.ok(found);
        assert.ok(found.accountId);
        assert.equal(found.contact.email, resident.email);
        assert.equal(found.contact.name, 'Rosa Signed');
        const dashboard = await visitor.get('/account');
        assert.match(dashboard.body, new RegExp(ref));
      },
    );

    await t.test('an open report of the same problem nearby can be followed instead', async () => {
      const existing = await cases.openCase({
        serviceCode: 'report-a-pothole',
        refPrefix: 'PTH',
        kind: 'report',
        channel: 'web',
        title: 'Pothole, near Market Street, Westmoor',
        location: { lat: 51.4204, lng: -2.2012 },
        contact: { email: 'first@example.org' },
        actor: { type: 'resident' },
      });
      const visitor = new Visitor(app);
      await reportUpToCheck(visitor);
      const check = await visitor.get('/report/check');
      assert.match(check.body, /Has someone already reported it\?/);
      assert.match(check.body, new RegExp(existing.ref));
      await sleep(3100);
      const followed = await visitor.post('/report/follow', { ref: existing.ref, website: '' });
      assert.equal(followed.headers.location, '/report/following');
      const subscribers = await cases.subscribers(existing.id);
      assert.deepEqual(subscribers.map((s) => s.email).sort(), [
        'first@example.org',
        'sam@example.org',
      ]);
      const internal = await cases.timeline(existing.id, { publicOnly: false });
      assert.ok(internal.some((e) => e.data.alsoReported === true));
    });
  });
}

await test('Report It refuses what it cannot use, saying why', async (t) => {
  const { app } = await buildTestApp(t);

  await t.test('the where page explains each kind of bad location', async () => {
    const visitor = new Visitor(app);
    await visitor.get('/report');
    assert.deepEqual(errorsOn((await visitor.post('/report/where', { place: '' })).body), [
      'Enter a street name, place or postcode',
    ]);
    assert.deepEqual(
      errorsOn((await visitor.post('/report/where', { place: 'Xyzzy Plughton' })).body),
      ['We could not find “Xyzzy Plughton”. Check the spelling, or enter a postcode like WM1 1AA'],
    );
    assert.deepEqual(
      errorsOn((await visitor.post('/report/where', { lat: '951', lng: '-2.2' })).body),
      ['Enter a latitude between -90 and 90, like 51.3811'],
    );
    const notImage = await visitor.post('/report/where', { place: '' }, [
      { name: 'photo', filename: 'pothole.jpg', content: Buffer.from('not a photo at all') },
    ]);
    assert.equal(notImage.statusCode, 400);
    assert.equal(errorsOn(notImage.body).length, 1);
  });

  await t.test(
    'places outside the county, or on roads others look after, say who to contact',
    async () => {
      const visitor = new Visitor(app);
      await visitor.get('/report');
      const outside = await visitor.post('/report/where', { lat: '51.60', lng: '-2.20' });
      assert.equal(outside.headers.location, '/report/not-ours');
      assert.match((await visitor.get('/report/not-ours')).body, /outside our area/);
      const trunkRoad = await visitor.post('/report/where', { place: 'A36' });
      assert.equal(trunkRoad.headers.location, '/report/not-ours?body=National%20Highways');
      const page = await visitor.get(trunkRoad.headers.location);
      assert.match(page.body, /Report this to National Highways/);
      assert.match(page.body, /0300 123 5000/);
    },
  );

  await t.test('a street name in several towns asks which one', async () => {
    const visitor = new Visitor(app);
    await visitor.get('/report');
    const many = await visitor.post('/report/where', { place: 'High Street' });
    assert.match(many.headers.location ?? '', /^\/report\/where\/choose\?place=High/);
    const choose = await visitor.get(many.headers.location as string);
    assert.match(choose.body, /Which place do you mean\?/);
    assert.deepEqual(
      errorsOn((await visitor.post('/report/where/choose', { place: 'High Street' })).body),
      ['Select the place you mean'],
    );
    const brindle = /value="([^"]+)"[^>]*>\s*<label[^>]*>\s*High Street, Brindle/.exec(
      choose.body,
    )?.[1];
    assert.ok(brindle, 'High Street, Brindle is offered');
    const chosen = await visitor.post('/report/where/choose', {
      place: 'High Street',
      placeId: brindle,
    });
    assert.equal(chosen.headers.location, '/report/category');
    assert.deepEqual(errorsOn((await visitor.post('/report/category', {})).body), [
      'Select what the problem is',
    ]);
  });

  await t.test('details, contact and send each check what they are given', async () => {
    const visitor = new Visitor(app);
    await visitor.get('/report?category=report-a-pothole');
    await visitor.post('/report/where', MARKET_STREET);
    await visitor.get('/report/details');
    const missing = await visitor.post('/report/details', { description: 'x'.repeat(2001) });
    assert.equal(missing.statusCode, 400);
    assert.ok(errorsOn(missing.body).includes('Description must be 2000 characters or fewer'));
    assert.ok(errorsOn(missing.body).length >= 4, 'each unanswered pothole question is listed');
    await visitor.post('/report/details', POTHOLE_ANSWERS);
    const noEmail = await visitor.post('/report/contact', { name: 'Sam', email: 'not-an-email' });
    assert.equal(noEmail.statusCode, 400);
    assert.equal(errorsOn(noEmail.body).length, 1);
    // Skipping ahead goes back to the step still needed.
    assert.equal((await visitor.get('/report/check')).headers.location, '/report/contact');
    await visitor.post('/report/contact', { name: 'Sam', email: 'sam@example.org' });
    const check = await visitor.get('/report/check');
    const draft = /name="draft" value="([^"]+)"/.exec(check.body)?.[1] ?? '';
    const tooFast = await visitor.post('/report/check', { draft, website: '' });
    assert.equal(tooFast.statusCode, 400);
    assert.match(tooFast.body, /Your report was not sent/);
    await sleep(3100);
    const bot = await visitor.post('/report/check', { draft, website: 'http://spam.example' });
    assert.equal(bot.statusCode, 400);
  });

  await t.test('the API makes a report with a photo and names every bad field', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({
      service_code: 'report-a-pothole',
      lat: MARKET_STREET.lat,
      lng: MARKET_STREET.lng,
      email: 'app@example.org',
      'attribute[position]': 'road',
      'attribute[depth]': 'shallow',
      'attribute[width]': 'small',
      'attribute[dangerous]': 'no',
    }))
      form.append(name, value);
    form.append(
      'photos',
      new Blob([new Uint8Array(await photo())], { type: 'image/jpeg' }),
      'a.jpg',
    );
    const encoded = new Response(form);
    const made = await app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: Buffer.from(await encoded.arrayBuffer()),
      headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
    });
    assert.equal(made.statusCode, 201, made.body);
    const report = made.json<{ ref: string; photos: unknown[] }>();
    assert.equal(report.photos.length, 1);
    assert.equal(made.headers.location, `/api/v1/reports/${report.ref}`);

    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload:
        'service_code=report-a-pothole&lat=200&lng=-2.2&email=nope&attribute[depth]=bottomless',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
    const fields = bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
    assert.ok(fields.includes('lat'));
    assert.ok(fields.includes('email'));
    assert.ok(fields.includes('attribute[depth]'));

    const near = await app.inject('/api/v1/reports?lat=51.4203&lng=-2.2011&radius=100');
    assert.ok(
      near.json<{ reports: { ref: string }[] }>().reports.some((r) => r.ref === report.ref),
    );
    const noLat = await app.inject('/api/v1/reports?lng=-2.2');
    assert.equal(noLat.statusCode, 400);
    assert.equal(
      (await app.inject('/api/v1/reports?lat=51.4&lng=-2.2&radius=99999')).statusCode,
      400,
    );
    assert.equal((await app.inject('/api/v1/reports/PTH-0000-0000')).statusCode, 400);
  });
});

await test('the reporter, from the links in their emails, and staff look after a report', async (t) => {
  const { app, database, config } = await buildTestApp(t);
  const cases = new CaseService(database.db);
  const reports = new ReportService(
    cases,
    new CatalogueService(loadCatalogue(config.servicesDir)),
    config.council,
  );
  const pothole = reports.category('report-a-pothole');
  assert.ok(pothole);
  const stored = await processPhoto(await photo(), new LocalFileStorage(`${config.dataDir}/files`));
  assert.ok(stored.ok);
  const made = await reports.submit({
    id: 'staff-and-reporter',
    category: pothole,
    location: { lat: 51.4203, lng: -2.2011, label: 'Near Market Street, Westmoor', source: 'map' },
    area: 'North',
    answers: {},
    description: 'Next to the house of Mr Jones at number 4.',
    photos: [stored.photo],
    contact: { name: 'Sam Resident', email: 'sam@example.org', phone: null, showName: false },
    accountId: null,
    channel: 'web',
    actor: { type: 'resident' },
  });
  const path = (url: string) => url.replace(config.publicUrl, '');
  const staff = { type: 'staff' as const, id: 7, name: 'Highways officer' };

  await t.test('staff edit the public text, keeping the original, and hide a photo', async () => {
    await reports.editDescription(made, 'Next to number 4.', staff);
    const edited = await cases.getById(made.id);
    assert.ok(edited);
    assert.equal(edited.data.description, 'Next to number 4.');
    assert.equal(edited.data.originalDescription, 'Next to the house of Mr Jones at number 4.');
    const internal = await cases.timeline(made.id, { publicOnly: false });
    assert.ok(internal.some((e) => e.body === 'Public description edited.' && !e.public));
    const page = await app.inject(`/reports/${made.ref}`);
    assert.doesNotMatch(page.body, /Mr Jones/);
    const photoUrl = `/reports/${made.ref}/photos/${stored.photo.id}/display.jpg`;
    assert.equal((await app.inject(photoUrl)).statusCode, 200);
    await reports.setPhotoShown(made, stored.photo.id, false, staff);
    assert.equal((await app.inject(photoUrl)).statusCode, 404);
    assert.doesNotMatch((await app.inject(`/reports/${made.ref}`)).body, /Photos/);
  });

  await t.test('an expected fix date is shown once staff set one', async () => {
    await assert.rejects(reports.setExpectedFixDate(made, '31/12/2026', staff), /real date/);
    await reports.setExpectedFixDate(made, '2026-12-18', staff);
    const page = await app.inject(`/reports/${made.ref}`);
    assert.match(page.body, /Expected to be fixed by/);
    assert.match(page.body, /We expect to fix this by 18 December 2026\./);
  });

  await t.test(
    '“is it fixed?” four weeks after fixed; no reopens it with the reason for staff',
    async () => {
      const before = Date.now();
      await cases.changeStatus(made.id, 'fixed', staff, { publicText: 'Filled.' });
      const job = await database.db
        .selectFrom('jobs')
        .selectAll()
        .where('type', '=', 'case.check-resolved')
        .executeTakeFirstOrThrow();
      const days = (Date.parse(job.run_at) - before) / (24 * 60 * 60_000);
      assert.ok(days > 27.9 && days < 28.1, `asked after ${String(days)} days`);
      await askIfResolved({
        db: database.db,
        cases,
        settings: { secret: config.sessionSecret, publicUrl: config.publicUrl },
      })(JSON.parse(job.payload));
      const sent = (await emailsTo({ app, database, config }, 'sam@example.org')).filter(
        (e) => e.template === 'case-ask-if-resolved',
      );
      assert.equal(sent.length, 1);
      const [email] = sent;
      assert.ok(email);
      const link = /(https?:\/\/\S+\/resolved\/\S+)/.exec(email.text)?.[1] ?? '';
      const visitor = new Visitor(app);
      assert.equal((await visitor.get(path(link))).statusCode, 200);
      const noReason = await visitor.post(path(link), { fixed: 'no' });
      assert.deepEqual(errorsOn(noReason.body), ['Tell us what is still wrong']);
      await visitor.post(path(link), { fixed: 'no', reason: 'The hole is back after the rain.' });
      const reopened = await cases.getById(made.id);
      assert.equal(reopened?.status, 'confirmed');
      const internal = await cases.timeline(made.id, { publicOnly: false });
      assert.ok(
        internal.some((e) => e.body?.includes('The hole is back after the rain.') && !e.public),
      );
      // A forged or other report's link is refused.
      assert.equal(
        (await visitor.get(`/reports/${made.ref}/resolved/not-a-token`)).statusCode,
        404,
      );
    },
  );

  await t.test('the reporter shows or hides their name, and withdraws the report', async () => {
    const link = path(reporterLink(config, made, 'manage'));
    const visitor = new Visitor(app);
    await visitor.get(link);
    await visitor.post(link, { action: 'show-name' });
    assert.match((await app.inject(`/reports/${made.ref}`)).body, /by Sam Resident/);
    await visitor.post(link, { action: 'hide-name' });
    assert.doesNotMatch((await app.inject(`/reports/${made.ref}`)).body, /Sam Resident/);
    const withdrawn = await visitor.post(link, { action: 'withdraw', reason: 'Fixed it myself' });
    assert.match(withdrawn.body, /Your report is withdrawn/);
    assert.equal((await app.inject(`/reports/${made.ref}`)).statusCode, 404);
    const near = await app.inject('/api/v1/reports?lat=51.4203&lng=-2.2011&radius=50');
    assert.ok(!near.json<{ reports: { ref: string }[] }>().reports.some((r) => r.ref === made.ref));
    const internal = await cases.timeline(made.id, { publicOnly: false });
    assert.ok(
      internal.some((e) => e.body === 'Withdrawn by the reporter. Their reason: Fixed it myself'),
    );
  });
});
