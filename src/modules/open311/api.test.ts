/**
 * GeoReport v2 and the updates extension, every endpoint in XML and JSON, through the whole
 * app on each database: what each answers, and every refusal with its status and words. XML
 * answers are read with a real XML parser (jsdom's), so a malformed document fails the test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects } from '../../../test/helper.js';
import { loadCatalogue } from '../catalogue/definition.js';
import { newReference } from '../cases/reference.js';
import { CaseService } from '../cases/service.js';
import { ApiKeys } from './keys.js';
import { ADMIN, issueKey, POTHOLE, postForm, texts, xml } from './testing.js';

const BASE = '/open311/v2';
const FLY_TIPPING = {
  service_code: 'report-fly-tipping',
  address_string: 'WM1 1TQ',
  'attribute[wasteTypes][]': ['household', 'tyres'],
  'attribute[amount]': 'van',
  'attribute[sawWhoDidIt]': 'yes',
  'attribute[whatYouSaw]': 'A white van at dawn.',
  description: 'Bags and tyres in the lay-by.',
};
const DAY = 24 * 60 * 60_000;

type Json = Record<string, unknown>;

/** The errors of an Open311 error answer, the same in both formats. */
function errorsOf(format: 'xml' | 'json', body: string): { code: string; description: string }[] {
  if (format === 'json')
    return (JSON.parse(body) as { code: number; description: string }[]).map((e) => ({
      code: String(e.code),
      description: e.description,
    }));
  const doc = xml(body);
  assert.equal(doc.documentElement.tagName, 'errors');
  return [...doc.getElementsByTagName('error')].map((e) => ({
    code: texts(e, 'code')[0] ?? '',
    description: texts(e, 'description')[0] ?? '',
  }));
}

for (const dialect of dialects()) {
  await test(`Open311 GeoReport v2 on ${dialect}`, async (t) => {
    // Many calls from one address in well under a minute: lift the general limit.
    const app = await buildTestApp(t, dialect, { RATE_LIMIT_PER_MINUTE: '100000' });
    const db = app.database.db;
    const cases = new CaseService(db);
    const { key } = await issueKey(app);
    const get = (path: string) => app.app.inject(`${BASE}/${path}`);
    const post = (path: string, fields: Record<string, string | string[]>) =>
      postForm(app, `${BASE}/${path}`, fields);
    const caseCount = async () => (await db.selectFrom('cases').select('id').execute()).length;
    const report = async (fields: Record<string, string | string[]> = POTHOLE) => {
      const made = await post('requests.json', { api_key: key, ...fields });
      assert.equal(made.statusCode, 200, made.body);
      const [answer] = made.json<Json[]>();
      return String(answer?.service_request_id);
    };
    const found = async (ref: string) => {
      const c = await cases.getByRef(ref);
      assert.ok(c, ref);
      return c;
    };

    await t.test('discovery names the spec, this endpoint and both formats', async () => {
      const asXml = xml((await get('discovery.xml')).body);
      assert.deepEqual(texts(asXml, 'specification'), ['http://wiki.open311.org/GeoReport_v2']);
      assert.deepEqual(texts(asXml, 'url'), [`${app.config.publicUrl}/open311/v2`]);
      assert.deepEqual(texts(asXml, 'format'), ['text/xml', 'application/json']);
      const asJson = (await get('discovery.json')).json<{ endpoints: Json[]; contact: string }>();
      assert.deepEqual(asJson.endpoints[0]?.formats, ['text/xml', 'application/json']);
      assert.match(asJson.contact, /contact@westmoor\.example\.gov\.uk/);
    });

    await t.test(
      'services lists every Report It category with its group and keywords',
      async () => {
        const categories = loadCatalogue(app.config.servicesDir).services.filter(
          (s) => s.kind === 'report',
        );
        const codes = categories.map((c) => c.code).sort();
        const res = await get('services.xml');
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/xml/);
        const doc = xml(res.body);
        assert.deepEqual(texts(doc, 'service_code').sort(), codes);
        const pothole = [...doc.getElementsByTagName('service')].find(
          (s) => texts(s, 'service_code')[0] === 'report-a-pothole',
        );
        assert.ok(pothole);
        assert.deepEqual(texts(pothole, 'group'), ['Roads and transport']);
        assert.deepEqual(texts(pothole, 'metadata'), ['true']);
        assert.deepEqual(texts(pothole, 'type'), ['realtime']);
        assert.ok(texts(pothole, 'keywords')[0]?.split(',').includes('pot hole'));

        const json = (await get('services.json')).json<Json[]>();
        assert.deepEqual(json.map((s) => s.service_code).sort(), codes);
        const flyTipping = json.find((s) => s.service_code === 'report-fly-tipping');
        assert.equal(flyTipping?.group, 'Waste and recycling');
        assert.equal(flyTipping.service_name, 'Report fly-tipping');
        assert.match(String(flyTipping.keywords), /dumped rubbish/);
      },
    );

    await t.test('services/{code} gives each question as an attribute', async () => {
      const doc = xml((await get('services/report-a-pothole.xml')).body);
      assert.deepEqual(texts(doc, 'code'), ['position', 'depth', 'width', 'dangerous']);
      assert.deepEqual(texts(doc, 'order'), ['1', '2', '3', '4']);
      assert.deepEqual(texts(doc, 'datatype'), Array(4).fill('singlevaluelist'));
      assert.deepEqual(texts(doc, 'required'), Array(4).fill('true'));
      assert.deepEqual(texts(doc, 'variable'), Array(4).fill('true'));
      const [position] = doc.getElementsByTagName('attribute');
      assert.ok(position);
      assert.deepEqual(texts(position, 'key'), ['road', 'pavement', 'cycle-lane', 'verge']);
      assert.equal(texts(position, 'name')[0], 'In the road');

      const json = (await get('services/report-fly-tipping.json')).json<{
        service_code: string;
        attributes: Json[];
      }>();
      assert.equal(json.service_code, 'report-fly-tipping');
      const byCode = new Map(json.attributes.map((a) => [a.code, a]));
      assert.equal(byCode.get('wasteTypes')?.datatype, 'multivaluelist');
      assert.equal((byCode.get('wasteTypes')?.values as unknown[]).length, 9);
      assert.equal(byCode.get('sawWhoDidIt')?.datatype, 'singlevaluelist');
      // Asked only after "yes": not required in itself, and the description says when.
      assert.equal(byCode.get('whatYouSaw')?.datatype, 'text');
      assert.equal(byCode.get('whatYouSaw')?.required, false);
      assert.match(String(byCode.get('whatYouSaw')?.datatype_description), /Only asked when/);
      assert.equal(byCode.get('vehicleRegistration')?.datatype, 'string');

      const address = (await get('services/report-a-blocked-drain.json')).json<{
        attributes: Json[];
      }>();
      const codes = address.attributes.map((a) => a.code);
      assert.ok(
        codes.some((c) => String(c).endsWith('-postcode')),
        codes.join(),
      );

      for (const format of ['xml', 'json'] as const) {
        const unknown = await get(`services/report-a-unicorn.${format}`);
        assert.equal(unknown.statusCode, 404);
        assert.match(
          errorsOf(format, unknown.body)[0]?.description ?? '',
          /no service "report-a-unicorn"/,
        );
        assert.equal(errorsOf(format, unknown.body)[0]?.code, '404');
      }
      assert.equal((await get('services/report-a-pothole.csv')).statusCode, 404);
    });

    await t.test('POST requests opens a report that staff and the public see', async () => {
      const made = await post('requests.xml', { api_key: key, ...POTHOLE });
      assert.equal(made.statusCode, 200, made.body);
      const doc = xml(made.body);
      const [ref = ''] = texts(doc, 'service_request_id');
      assert.match(ref, /^PTH-/);
      assert.match(texts(doc, 'service_notice')[0] ?? '', /20 working days/);
      const pothole = await found(ref);
      assert.equal(pothole.channel, 'api');
      assert.equal(pothole.kind, 'report');
      assert.equal(pothole.contact.email, 'sam@example.org');
      assert.equal(pothole.contact.name, 'Sam Jones');
      assert.equal((pothole.data.answers as unknown[]).length, 4);
      // In its team's queue, and on the public list near Market Street.
      const queue = await cases.queue({
        team: pothole.team ?? '',
        status: 'open',
        sort: 'due',
        limit: 50,
        offset: 0,
      });
      assert.ok(
        queue.some((c) => c.ref === ref),
        `${ref} in ${String(pothole.team)}'s queue`,
      );
      assert.match((await app.app.inject('/reports?place=Market%20Street')).body, new RegExp(ref));

      // A list of answers as attribute[code][], and a place as address_string.
      const json = await post('requests.json', { api_key: key, ...FLY_TIPPING });
      assert.equal(json.statusCode, 200, json.body);
      const [answer] = json.json<Json[]>();
      const flyTipping = await found(String(answer?.service_request_id));
      assert.match(String(answer?.token), /^[0-9a-f-]{36}$/);
      assert.equal(flyTipping.contact.email, null, 'nobody to tell: no contact');
      const answers = flyTipping.data.answers as { question: string; answer: string[] }[];
      assert.deepEqual(answers[0]?.answer, ['Black bags or household rubbish', 'Tyres']);
      assert.equal(answers.length, 4);

      const audited = await db
        .selectFrom('audit_log')
        .select(['action', 'target', 'actor_name'])
        .where('action', '=', 'open311.report')
        .execute();
      assert.deepEqual(audited.map((a) => a.target).sort(), [ref, flyTipping.ref].sort());
      assert.equal(audited[0]?.actor_name, 'Open311 key: Highways asset system');
    });

    await t.test('POST requests refuses what is wrong, naming it, and makes nothing', async () => {
      const { key: revoked, id } = await issueKey(app, 'Old app');
      await new ApiKeys(db).revoke(ADMIN, id);
      const refusals: [string, Record<string, string>, number, RegExp][] = [
        ['no key', { ...POTHOLE }, 403, /api_key is required/],
        [
          'a wrong key',
          { ...POTHOLE, api_key: 'shire_not-a-key' },
          403,
          /not a key this council has issued/,
        ],
        ['a revoked key', { ...POTHOLE, api_key: revoked }, 403, /has been revoked/],
        [
          'no service_code',
          { ...POTHOLE, service_code: '' },
          400,
          /^service_code: service_code is required/,
        ],
        [
          'an unknown service_code',
          { ...POTHOLE, service_code: 'report-a-unicorn' },
          400,
          /"report-a-unicorn" is not a service here/,
        ],
        [
          'no location',
          { ...POTHOLE, lat: '', long: '' },
          400,
          /^address_string: Enter a street name, place or postcode/,
        ],
        [
          'a latitude off the earth',
          { ...POTHOLE, lat: '95' },
          400,
          /^lat: Enter a latitude between -90 and 90/,
        ],
        [
          'a latitude without a longitude',
          { ...POTHOLE, long: '' },
          400,
          /^long: Enter a longitude/,
        ],
        [
          'a place nobody knows',
          { ...POTHOLE, lat: '', long: '', address_string: 'Atlantis' },
          400,
          /^address_string: We could not find “Atlantis”/,
        ],
        [
          'a place outside the boundary',
          { ...POTHOLE, lat: '51.60', long: '-2.20' },
          400,
          /outside Westmoor County Council's area/,
        ],
        [
          'a description over 4,000 characters',
          { ...POTHOLE, description: 'x'.repeat(4001) },
          400,
          /description must be 4,000 characters or fewer \(it has 4,001\)/,
        ],
        [
          'an answer not on the list',
          { ...POTHOLE, 'attribute[depth]': 'bottomless' },
          400,
          /^attribute\[depth\]: Select how deep it is/,
        ],
        [
          'an attribute no question has',
          { ...POTHOLE, 'attribute[colour]': 'grey' },
          400,
          /^attribute\[colour\]: report-a-pothole has no attribute "colour"/,
        ],
        [
          'a bad email',
          { ...POTHOLE, email: 'sam at example' },
          400,
          /^email: Enter an email address in the correct format/,
        ],
        [
          'a media_url that is not a web address',
          { ...POTHOLE, media_url: 'javascript:alert(1)' },
          400,
          /^media_url:/,
        ],
        [
          'another jurisdiction',
          { ...POTHOLE, jurisdiction_id: 'elsewhere.gov.uk' },
          404,
          /"elsewhere\.gov\.uk" is not served here/,
        ],
      ];
      const before = await caseCount();
      for (const [index, [what, fields, status, words]] of refusals.entries()) {
        const format = index % 2 === 0 ? 'xml' : 'json';
        const withKey = what.includes('key') ? fields : { api_key: key, ...fields };
        const res = await post(`requests.${format}`, withKey);
        assert.equal(res.statusCode, status, `${what}: ${res.body}`);
        const errors = errorsOf(format, res.body);
        assert.ok(
          errors.some((e) => words.test(e.description)),
          `${what}: ${res.body}`,
        );
        assert.ok(
          errors.every((e) => e.code === String(status)),
          what,
        );
      }
      assert.equal(await caseCount(), before, 'no report was made');

      // Several wrong fields are each named.
      const many = await post('requests.json', {
        api_key: key,
        ...POTHOLE,
        lat: '95',
        'attribute[depth]': '',
      });
      assert.deepEqual(
        errorsOf('json', many.body).map((e) => e.description.split(':')[0]),
        ['lat', 'attribute[depth]'],
      );
      // The boundary cases that are fine: exactly 4,000 characters, and our own jurisdiction.
      const long = await post('requests.json', {
        api_key: key,
        ...POTHOLE,
        description: 'y'.repeat(4000),
        jurisdiction_id: 'westmoor.example.gov.uk',
      });
      assert.equal(long.statusCode, 200, long.body);
    });

    await t.test('GET requests lists public reports by window, code, status and id', async () => {
      const recent = await report();
      const tipping = await report(FLY_TIPPING);
      const old = await report();
      const longAgo = new Date(Date.now() - 100 * DAY).toISOString();
      await db.updateTable('cases').set({ created_at: longAgo }).where('ref', '=', old).execute();
      const fixed = await report();
      await cases.changeStatus((await found(fixed)).id, 'fixed', { type: 'staff', name: 'Olu' });
      const hidden = await report();
      await cases.changeStatus((await found(hidden)).id, 'hidden', { type: 'staff', name: 'Olu' });

      const all = xml((await get('requests.xml')).body);
      const listed = texts(all, 'service_request_id');
      for (const ref of [recent, tipping, fixed]) assert.ok(listed.includes(ref), ref);
      assert.ok(!listed.includes(old), 'older than 90 days: not by default');
      assert.ok(!listed.includes(hidden), 'hidden: never');
      assert.equal(listed[0], fixed, 'newest first');

      const pothole = (await get(`requests.json?service_request_id=${recent}`)).json<Json[]>();
      assert.equal(pothole.length, 1);
      const [one] = pothole;
      assert.ok(one);
      assert.equal(one.service_code, 'report-a-pothole');
      assert.equal(one.status, 'open');
      assert.equal(one.lat, 51.4203);
      assert.equal(one.long, -2.2011);
      assert.equal(one.description, POTHOLE.description);
      assert.equal(one.address, 'Near Market Street, Westmoor');
      assert.ok(!JSON.stringify(pothole).includes('sam@example.org'), 'no contact details');

      const ids = (
        await get(
          `requests.json?service_request_id=${old},${recent.toLowerCase()},${hidden}&status=closed`,
        )
      ).json<Json[]>();
      assert.deepEqual(
        ids.map((r) => r.service_request_id).sort(),
        [old, recent].sort(),
        'ids override the other filters',
      );

      const byCode = (await get('requests.json?service_code=report-fly-tipping')).json<Json[]>();
      assert.ok(byCode.length > 0 && byCode.every((r) => r.service_code === 'report-fly-tipping'));
      const closed = (await get('requests.json?status=closed')).json<Json[]>();
      assert.deepEqual(
        closed.map((r) => r.service_request_id),
        [fixed],
      );
      assert.equal(closed[0]?.status_notes, 'Fixed');
      const both = (await get('requests.json?status=open,closed')).json<Json[]>();
      assert.ok(both.some((r) => r.service_request_id === fixed) && both.length > 1);

      const from = new Date(Date.now() - 101 * DAY).toISOString();
      const to = new Date(Date.now() - 99 * DAY).toISOString();
      const window = xml((await get(`requests.xml?start_date=${from}&end_date=${to}`)).body);
      assert.deepEqual(texts(window, 'service_request_id'), [old]);
      const endOnly = (await get(`requests.json?end_date=${to}`)).json<Json[]>();
      assert.deepEqual(
        endOnly.map((r) => r.service_request_id),
        [old],
      );

      const refusals: [string, RegExp][] = [
        ['start_date=last-tuesday', /^start_date: start_date must be a W3C date/],
        ['end_date=2026-12-07T10:30:00', /^end_date: end_date must be a W3C date/],
        ['start_date=2026-06-01&end_date=2026-05-01', /start_date must be before end_date/],
        ['start_date=2026-01-01&end_date=2026-06-01', /at most 90 days apart/],
        ['status=pending', /status must be open, closed or both/],
        ['service_code=report-a-unicorn', /"report-a-unicorn" is not a service here/],
        ['service_request_id=nonsense', /"nonsense" is not a service_request_id/],
      ];
      for (const [index, [query, words]] of refusals.entries()) {
        const format = index % 2 === 0 ? 'xml' : 'json';
        const res = await get(`requests.${format}?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.match(errorsOf(format, res.body)[0]?.description ?? '', words, query);
      }
      // 90 days of dates, end date included, is allowed.
      assert.equal(
        (await get('requests.json?start_date=2026-09-08&end_date=2026-12-06')).statusCode,
        200,
      );
      assert.equal((await get('requests.json?jurisdiction_id=elsewhere')).statusCode, 404);
    });

    await t.test('requests/{id} and tokens/{token} find one report', async () => {
      const made = await post('requests.json', {
        api_key: key,
        ...POTHOLE,
        description: 'Fish & chips <b>shop</b> "corner" \u0001',
      });
      const [answer] = made.json<Json[]>();
      const ref = String(answer?.service_request_id);
      const token = String(answer?.token);

      const asXml = xml((await get(`requests/${ref}.xml`)).body);
      assert.deepEqual(texts(asXml, 'service_request_id'), [ref]);
      assert.deepEqual(
        texts(asXml, 'description'),
        ['Fish & chips <b>shop</b> "corner" '],
        'escaped, and what XML cannot carry left out',
      );
      assert.deepEqual(texts(asXml, 'status'), ['open']);
      const asJson = (await get(`requests/${ref.toLowerCase()}.json`)).json<Json[]>();
      assert.equal(asJson[0]?.service_request_id, ref);
      assert.match(String(asJson[0].requested_datetime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

      assert.deepEqual(texts(xml((await get(`tokens/${token}.xml`)).body), 'service_request_id'), [
        ref,
      ]);
      assert.equal((await get(`tokens/${token}.json`)).json<Json[]>()[0]?.service_request_id, ref);

      const missing = newReference('PTH');
      for (const [path, words] of [
        [`requests/${missing}.xml`, /no service request/],
        [`requests/${missing}.json`, /no service request/],
        ['requests/nonsense.json', /no service request nonsense/],
        ['tokens/00000000-0000-4000-8000-000000000000.xml', /no token/],
        ['tokens/not-a-token.json', /no token/],
      ] as const) {
        const res = await get(path);
        assert.equal(res.statusCode, 404, path);
        assert.match(
          errorsOf(path.endsWith('.xml') ? 'xml' : 'json', res.body)[0]?.description ?? '',
          words,
        );
      }
      await cases.changeStatus((await found(ref)).id, 'hidden', { type: 'staff', name: 'Olu' });
      assert.equal((await get(`requests/${ref}.json`)).statusCode, 404, 'hidden: gone');
    });

    await t.test('POST servicerequestupdates changes the report as staff would, once', async () => {
      const ref = await report();
      const pothole = await found(ref);
      const push = (format: 'xml' | 'json', fields: Record<string, string>) =>
        post(`servicerequestupdates.${format}`, {
          api_key: key,
          service_request_id: ref,
          updated_datetime: new Date().toISOString(),
          ...fields,
        });
      const first = await push('xml', {
        update_id: 'HW-1',
        status: 'ACTION_SCHEDULED',
        description: 'A crew is booked for Tuesday.',
        first_name: 'Pat',
        last_name: 'Ganger',
      });
      assert.equal(first.statusCode, 200, first.body);
      const [updateId = ''] = texts(xml(first.body), 'update_id');
      assert.equal((await found(ref)).status, 'action_scheduled');
      const timeline = await cases.timeline(pothole.id, { publicOnly: true });
      const event = timeline.at(-1);
      assert.equal(String(event?.id), updateId);
      assert.equal(event?.body, 'A crew is booked for Tuesday.');
      assert.ok(event);
      assert.equal(event.actor.name, 'Pat Ganger (Highways asset system)');
      // The resident hears as they would from staff: the outbox has the notification.
      const jobs = await db
        .selectFrom('jobs')
        .select('payload')
        .where('type', '=', 'case.notify')
        .execute();
      assert.ok(
        jobs.some((j) => (JSON.parse(j.payload) as { eventId: number }).eventId === event.id),
      );

      // The same update_id again, even with another status: the same answer, nothing changed.
      const again = await push('json', {
        update_id: 'HW-1',
        status: 'FIXED',
        description: 'Done.',
      });
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), [{ update_id: updateId }]);
      assert.equal((await found(ref)).status, 'action_scheduled');
      assert.equal(
        (await cases.timeline(pothole.id, { publicOnly: true })).length,
        timeline.length,
      );
      const stored = await db
        .selectFrom('open311_updates')
        .selectAll()
        .where('update_id', '=', 'HW-1')
        .execute();
      assert.equal(stored.length, 1);

      // Every status of the extension, each to its Report It status.
      const mapping: [string, string][] = [
        ['INVESTIGATING', 'investigating'],
        ['IN_PROGRESS', 'in_progress'],
        ['FIXED', 'fixed'],
        ['REOPEN', 'confirmed'],
        ['NO_FURTHER_ACTION', 'unable_to_fix'],
        ['OPEN', 'confirmed'],
        ['NOT_COUNCILS_RESPONSIBILITY', 'not_responsible'],
        ['DUPLICATE', 'duplicate'],
        ['INTERNAL_REFERRAL', 'closed'],
        ['ACTION_SCHEDULED', 'action_scheduled'],
        ['CLOSED', 'closed'],
      ];
      for (const [index, [status, ours]] of mapping.entries()) {
        const res = await push(index % 2 ? 'xml' : 'json', {
          update_id: `HW-map-${String(index)}`,
          status: status.toLowerCase(),
          description: `Now ${status}.`,
        });
        assert.equal(res.statusCode, 200, `${status}: ${res.body}`);
        assert.equal((await found(ref)).status, ours, status);
      }
      // The same status with words: an update on the timeline, the status as it was.
      const words = await push('json', {
        update_id: 'HW-words',
        status: 'CLOSED',
        description: 'Closed after inspection.',
      });
      assert.equal(words.statusCode, 200);
      assert.equal(
        (await cases.timeline(pothole.id, { publicOnly: true })).at(-1)?.type,
        'public_update',
      );

      const other = await report();
      const refusals: [string, Record<string, string>, number, RegExp][] = [
        ['no key', { api_key: '', update_id: 'x1', status: 'FIXED' }, 403, /api_key is required/],
        [
          'a wrong key',
          { api_key: 'shire_wrong', update_id: 'x2', status: 'FIXED' },
          403,
          /not a key/,
        ],
        ['no update_id', { status: 'FIXED' }, 400, /^update_id: update_id is required/],
        [
          'a status outside the extension',
          { update_id: 'x3', status: 'MENDED' },
          400,
          /^status: status must be one of OPEN, INVESTIGATING/,
        ],
        [
          'an unknown request',
          { update_id: 'x4', status: 'FIXED', service_request_id: newReference('PTH') },
          404,
          /no service request/,
        ],
        [
          'no updated_datetime',
          { update_id: 'x5', status: 'FIXED', updated_datetime: '' },
          400,
          /updated_datetime is required/,
        ],
        [
          'a time without its zone',
          { update_id: 'x6', status: 'FIXED', updated_datetime: '2026-12-07T10:30:00' },
          400,
          /with its time zone/,
        ],
        [
          'a time in the future',
          {
            update_id: 'x7',
            status: 'FIXED',
            updated_datetime: new Date(Date.now() + DAY).toISOString(),
          },
          400,
          /must not be in the future/,
        ],
        [
          'a description over 4,000 characters',
          { update_id: 'x8', status: 'FIXED', description: 'z'.repeat(4001) },
          400,
          /4,000 characters or fewer/,
        ],
        [
          'the same status and no words',
          { update_id: 'x9', status: 'OPEN', service_request_id: other },
          400,
          /already reported: send a description/,
        ],
      ];
      for (const [index, [what, fields, status, pattern]] of refusals.entries()) {
        const format = index % 2 === 0 ? 'xml' : 'json';
        const res = await push(format, fields);
        assert.equal(res.statusCode, status, `${what}: ${res.body}`);
        assert.match(errorsOf(format, res.body)[0]?.description ?? '', pattern, what);
      }
      assert.equal((await found(other)).status, 'confirmed');
      const withdrawn = await report();
      await cases.changeStatus((await found(withdrawn)).id, 'hidden', { type: 'resident' });
      const hidden = await push('json', {
        update_id: 'x10',
        status: 'FIXED',
        service_request_id: withdrawn,
      });
      assert.equal(hidden.statusCode, 400);
      assert.match(errorsOf('json', hidden.body)[0]?.description ?? '', /withdrawn or hidden/);
      assert.equal((await found(withdrawn)).status, 'hidden');
      const kept = await db
        .selectFrom('open311_updates')
        .select('update_id')
        .where('update_id', 'like', 'x%')
        .execute();
      assert.deepEqual(kept, [], 'refused updates are not remembered');
    });

    await t.test('GET servicerequestupdates lists public updates in a window', async () => {
      const ref = await report();
      const pothole = await found(ref);
      const staff = { type: 'staff' as const, id: 1, name: 'Olu' };
      await cases.changeStatus(pothole.id, 'investigating', staff, {
        publicText: 'An inspector is on the way.',
      });
      await cases.recordEvent(pothole.id, {
        type: 'internal_note',
        actor: staff,
        public: false,
        body: 'Secret note',
      });
      await cases.recordEvent(pothole.id, {
        type: 'public_update',
        actor: staff,
        public: true,
        body: 'Inspected: it is deep.',
      });

      const doc = xml((await get('servicerequestupdates.xml')).body);
      const mine = [...doc.getElementsByTagName('request_update')].filter(
        (u) => texts(u, 'service_request_id')[0] === ref,
      );
      assert.deepEqual(
        mine.map((u) => texts(u, 'status')[0]),
        ['INVESTIGATING', 'INVESTIGATING'],
      );
      assert.deepEqual(
        mine.map((u) => texts(u, 'description')[0]),
        ['An inspector is on the way.', 'Inspected: it is deep.'],
      );
      assert.ok(!doc.documentElement.textContent.includes('Secret note'));

      const json = (await get('servicerequestupdates.json')).json<Json[]>();
      const first = json.find((u) => u.service_request_id === ref);
      assert.equal(first?.status, 'INVESTIGATING');
      assert.match(String(first.updated_datetime), /Z$/);
      assert.ok(
        json.some((u) => u.status === 'ACTION_SCHEDULED'),
        'pushed updates are listed too',
      );

      const past = new Date(Date.now() - 30 * DAY).toISOString();
      const earlier = (await get(`servicerequestupdates.json?end_date=${past}`)).json<Json[]>();
      assert.deepEqual(earlier, []);
      for (const [format, query, words] of [
        ['xml', 'start_date=yesterday', /start_date must be a W3C date/],
        ['json', 'start_date=2026-01-01&end_date=2026-12-01', /at most 90 days apart/],
      ] as const) {
        const res = await get(`servicerequestupdates.${format}?${query}`);
        assert.equal(res.statusCode, 400);
        assert.match(errorsOf(format, res.body)[0]?.description ?? '', words);
      }
    });

    await t.test('every call made with a key is in the audit log', async () => {
      const rows = async () =>
        await db
          .selectFrom('audit_log')
          .select(['action', 'target', 'after'])
          .where('actor_name', '=', 'Open311 key: Highways asset system')
          .orderBy('id')
          .execute();
      const before = (await rows()).length;
      await get(`services.json?api_key=${key}`);
      await get(`requests.xml?api_key=${key}&status=bogus`);
      await get('services.json');
      const after = await rows();
      assert.equal(after.length, before + 2, 'a call without a key is not one made with a key');
      assert.deepEqual(
        after.slice(-2).map((r) => [r.action, (JSON.parse(r.after ?? '{}') as Json).status]),
        [
          ['open311.services', 200],
          ['open311.requests', 400],
        ],
      );
      assert.equal((await get('services.json?api_key=shire_wrong')).statusCode, 403);
    });

    await t.test('each key has its own limit of calls a minute', async () => {
      const { key: slow } = await issueKey(app, 'Slow app', 2);
      assert.equal((await get(`services.xml?api_key=${slow}`)).statusCode, 200);
      assert.equal((await get(`services.json?api_key=${slow}`)).statusCode, 200);
      const third = await post('requests.xml', { api_key: slow, ...POTHOLE });
      assert.equal(third.statusCode, 429);
      assert.match(String(third.headers['retry-after']), /^\d+$/);
      assert.match(
        errorsOf('xml', third.body)[0]?.description ?? '',
        /This key may make 2 calls a minute/,
      );
      assert.equal(
        (await get(`services.json?api_key=${key}`)).statusCode,
        200,
        'other keys are not held up',
      );
    });
  });
}
