import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, errorsOn, screen, type TestApp } from '../../../test/helper.js';
import { createServices } from '../../app.js';
import { signedInStaff } from './testing.js';

const BENCH = '/staff/admin/categories/report-a-broken-bench';
const MARKET_STREET = { lat: '51.4203', lng: '-2.2011' };

/** A report made through the API, as an app would: its status and problem fields. */
async function apiReport(app: TestApp, fields: Record<string, string>) {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    payload: new URLSearchParams({
      ...MARKET_STREET,
      email: 'bench@example.org',
      ...fields,
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const errors =
    res.statusCode === 400
      ? res.json<{ errors: { field: string; message: string }[] }>().errors
      : [];
  return { status: res.statusCode, errors, body: res.body };
}

/** The questions listed on a category's back-office page, in order. */
function labelsOf(html: string): string[] {
  return [...screen(html).document.querySelectorAll('.app-question-list__item strong')].map((e) =>
    e.textContent.trim(),
  );
}

for (const dialect of dialects()) {
  await test(`administrators' report categories on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);
    const admin = await signedInStaff(app, 'admin', null, 'Ali Admin');
    const officer = await signedInStaff(app, 'officer', 'Highways', 'Olu Officer');

    await t.test('only administrators reach the category pages', async () => {
      for (const url of ['/staff/admin/categories', '/staff/admin/categories/report-a-pothole'])
        assert.equal((await officer.visitor.get(url)).statusCode, 403, url);
      const post = await officer.visitor.post('/staff/admin/categories/new', { name: 'x' });
      assert.equal(post.statusCode, 403);
      assert.match(post.body, /Only administrators can do that/);
      const list = await admin.visitor.get('/staff/admin/categories');
      assert.equal(list.statusCode, 200);
      assert.match(list.body, /Report a pothole/);
      assert.equal((await admin.visitor.get('/staff/admin/categories/nope')).statusCode, 404);
      // A service that is not a report category is not edited here.
      const form = await admin.visitor.get('/staff/admin/categories/renew-library-books');
      assert.equal(form.statusCode, 404);
    });

    await t.test('a new category is checked field by field, then offered at once', async () => {
      const empty = await admin.visitor.post('/staff/admin/categories/new', {});
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), [
        'Enter the name, like Report a broken bench',
        'Enter a one-line summary',
        'Choose where it is listed',
        'Enter at least 3 words or phrases residents search for, one on each line',
        'Enter what the service is for',
        'Enter what happens after someone reports it',
        'Enter the team that handles it',
        'Enter the working days as a whole number from 0 to 365',
        'Enter 3 capital letters without I, L, O or U, like BNC',
      ]);
      const details = {
        name: 'Report a broken bench',
        summary: 'Tell us about a broken or damaged bench in a park or on a street.',
        group: 'environment-planning',
        keywords: 'bench\nbroken bench\nseat\npark bench',
        intro: 'Use this service to report a broken bench.',
        next: 'We inspect benches within 10 working days.',
        team: 'Parks',
        slaDays: '10',
      };
      const taken = await admin.visitor.post('/staff/admin/categories/new', {
        ...details,
        refPrefix: 'PTH',
      });
      assert.equal(taken.statusCode, 400);
      assert.deepEqual(errorsOn(taken.body), ['PTH is already used by another service']);
      const twice = await admin.visitor.post('/staff/admin/categories/new', {
        ...details,
        name: 'Report a pothole',
        refPrefix: 'BNC',
      });
      assert.deepEqual(errorsOn(twice.body), ['A service called Report a pothole already exists']);

      const made = await admin.visitor.post('/staff/admin/categories/new', {
        ...details,
        refPrefix: 'bnc',
      });
      assert.equal(made.statusCode, 303, made.body);
      assert.equal(made.headers.location, BENCH);
      const page = await admin.visitor.get(BENCH);
      assert.match(page.body, /Category added/);
      assert.match(page.body, /It asks no questions yet/);

      const chooser = await app.app.inject('/report?category=report-a-broken-bench');
      assert.equal(chooser.statusCode, 200, 'a resident can start reporting it');
      assert.match(chooser.body, /broken bench/i);
      const start = await app.app.inject('/services/report-a-broken-bench');
      assert.equal(start.statusCode, 200);
      assert.match(start.body, /Use this service to report a broken bench/);
      const found = await app.app.inject('/api/v1/services?q=park%20bench');
      assert.equal(
        found.json<{ services: { code: string }[] }>().services[0]?.code,
        'report-a-broken-bench',
      );
      const a2z = await app.app.inject('/services/a-to-z');
      assert.match(a2z.body, /Report a broken bench/);

      const sent = await apiReport(app, { service_code: 'report-a-broken-bench' });
      assert.equal(sent.status, 201, sent.body);
      const ref = JSON.parse(sent.body) as { ref: string };
      assert.match(ref.ref, /^BNC-/);
      const made2 = await app.database.db
        .selectFrom('cases')
        .select(['team', 'due_at'])
        .where('ref', '=', ref.ref)
        .executeTakeFirstOrThrow();
      assert.equal(made2.team, 'Parks');
      assert.ok(made2.due_at, 'due from its SLA');
    });

    await t.test('questions are added, changed, ordered and removed', async () => {
      const noOptions = await admin.visitor.post(`${BENCH}/questions/new`, {
        label: 'What is wrong with it?',
        type: 'radios',
        options: 'Broken\n',
      });
      assert.equal(noOptions.statusCode, 400);
      assert.deepEqual(errorsOn(noOptions.body), ['Enter at least 2 answers, one on each line']);
      const noType = await admin.visitor.post(`${BENCH}/questions/new`, { label: 'Hm?' });
      assert.deepEqual(errorsOn(noType.body), ['Choose the kind of answer']);
      const same = await admin.visitor.post(`${BENCH}/questions/new`, {
        label: 'What is wrong?',
        type: 'radios',
        options: 'Broken\nbroken',
      });
      assert.deepEqual(errorsOn(same.body), ['Each answer must be different']);

      const questions: Record<string, string>[] = [
        {
          label: 'What is wrong with it?',
          type: 'radios',
          options: 'Broken slats\nLoose or wobbly\nGraffiti on it',
        },
        { label: 'Is it dangerous to sit on?', type: 'yesno' },
        { label: 'Anything else we should know?', type: 'textarea', optional: 'yes' },
      ];
      for (const question of questions) {
        const added = await admin.visitor.post(`${BENCH}/questions/new`, question);
        assert.equal(added.statusCode, 303, added.body);
      }
      let page = await admin.visitor.get(BENCH);
      assert.deepEqual(labelsOf(page.body), [
        'What is wrong with it?',
        'Is it dangerous to sit on?',
        'Anything else we should know?',
      ]);

      // Required questions are asked of every new report, on the web and through the API.
      const unanswered = await apiReport(app, { service_code: 'report-a-broken-bench' });
      assert.equal(unanswered.status, 400);
      assert.deepEqual(
        unanswered.errors.map((e) => e.field),
        ['attribute[whatIsWrongWithIt]', 'attribute[isItDangerousToSit]'],
      );
      const answered = await apiReport(app, {
        service_code: 'report-a-broken-bench',
        'attribute[whatIsWrongWithIt]': 'loose-or-wobbly',
        'attribute[isItDangerousToSit]': 'yes',
      });
      assert.equal(answered.status, 201, answered.body);

      const moved = await admin.visitor.post(`${BENCH}/questions/isItDangerousToSit/move`, {
        direction: 'up',
      });
      assert.equal(moved.statusCode, 303);
      const changed = await admin.visitor.post(`${BENCH}/questions/whatIsWrongWithIt`, {
        label: 'What is wrong with the bench?',
        hint: 'Choose the main problem.',
        options: 'Broken slats\nLoose or wobbly\nGraffiti on it\nMissing altogether',
        optional: 'yes',
      });
      assert.equal(changed.statusCode, 303, changed.body);
      const removed = await admin.visitor.post(
        `${BENCH}/questions/anythingElseWeShouldKnow/remove`,
        {},
      );
      assert.equal(removed.statusCode, 303);
      page = await admin.visitor.get(BENCH);
      assert.deepEqual(labelsOf(page.body), [
        'Is it dangerous to sit on?',
        'What is wrong with the bench?',
      ]);
      assert.match(page.body, /Missing altogether/);
      // Now optional: only the yes/no is needed.
      const lighter = await apiReport(app, {
        service_code: 'report-a-broken-bench',
        'attribute[isItDangerousToSit]': 'no',
      });
      assert.equal(lighter.status, 201, lighter.body);
      assert.equal((await admin.visitor.get(`${BENCH}/questions/nope`)).statusCode, 404);
    });

    await t.test('a question another depends on cannot be removed or moved below it', async () => {
      const drain = '/staff/admin/categories/report-a-blocked-drain';
      const page = await admin.visitor.get(drain);
      assert.match(page.body, /Only asked depending on the answer to/);
      // Which property is asked only when a property is affected.
      const refused = await admin.visitor.post(`${drain}/questions/propertyAffected/remove`, {});
      assert.equal(refused.statusCode, 400);
      assert.match(errorsOn(refused.body)[0] ?? '', /is only asked depending on the answer to/);
      const above = await admin.visitor.post(`${drain}/questions/propertyAddress/move`, {
        direction: 'up',
      });
      assert.equal(above.statusCode, 400);
      const log = await app.database.db
        .selectFrom('audit_log')
        .select('id')
        .where('target', '=', 'report-a-blocked-drain')
        .execute();
      assert.equal(log.length, 0, 'nothing was changed');
    });

    await t.test('every change is audited, and reaches another node', async () => {
      const log = await app.database.db
        .selectFrom('audit_log')
        .select('action')
        .where('target', '=', 'report-a-broken-bench')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        log.map((row) => row.action),
        [
          'category.create',
          'category.question.add',
          'category.question.add',
          'category.question.add',
          'category.question.move',
          'category.question.update',
          'category.question.remove',
        ],
      );
      // Another node starting later reads the stored definitions.
      const other = createServices(app.database, app.config);
      await other.settings.load();
      assert.equal(
        other.catalogue.byCode('report-a-broken-bench')?.form?.pages[0]?.fields.length,
        2,
      );
    });

    await t.test('a retired category takes no new reports; its old ones stay', async () => {
      const details = await admin.visitor.post(BENCH, {
        name: 'Report a broken bench',
        summary: 'A broken bench.',
        group: 'leisure',
        keywords: '',
        intro: 'x',
        next: 'y',
      });
      assert.equal(details.statusCode, 400);
      assert.deepEqual(errorsOn(details.body), [
        'Enter at least 3 words or phrases residents search for, one on each line',
      ]);
      const retired = await admin.visitor.post(`${BENCH}/retire`, { retired: 'yes' });
      assert.equal(retired.statusCode, 303);
      assert.equal((await app.app.inject('/services/report-a-broken-bench')).statusCode, 404);
      const refused = await apiReport(app, { service_code: 'report-a-broken-bench' });
      assert.equal(refused.status, 400);
      const old = await app.database.db
        .selectFrom('cases')
        .select('ref')
        .where('service_code', '=', 'report-a-broken-bench')
        .executeTakeFirstOrThrow();
      const publicPage = await app.app.inject(`/reports/${old.ref}`);
      assert.equal(publicPage.statusCode, 200);
      assert.match(publicPage.body, /Broken bench/);
      const list = await admin.visitor.get('/staff/admin/categories');
      assert.match(list.body, /Retired/);
      const restored = await admin.visitor.post(`${BENCH}/retire`, { retired: 'no' });
      assert.equal(restored.statusCode, 303);
      assert.equal((await app.app.inject('/services/report-a-broken-bench')).statusCode, 200);
    });
  });
}
