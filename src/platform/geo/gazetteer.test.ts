import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Gazetteer, GazetteerError, parseCoordinates, type Place } from './gazetteer.js';
import { distanceMetres, insideBoundary, type Boundary } from './geo.js';

const DEMO_CSV = fileURLToPath(new URL('../../../config/gazetteer.csv', import.meta.url));
/** The demo council's boundary, as in config/council.yaml. */
const WESTMOOR: Boundary = {
  type: 'Polygon',
  coordinates: [
    [
      [-2.38, 51.24],
      [-2.02, 51.24],
      [-2.02, 51.48],
      [-2.38, 51.48],
      [-2.38, 51.24],
    ],
  ],
};

// Removed at the end of this file (the tests run one after another).
const directory = await mkdtemp(path.join(tmpdir(), 'shire-gazetteer-'));

async function csvFile(name: string, text: string): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, text);
  return file;
}

const loadStarted = performance.now();
const gazetteer = await Gazetteer.load(DEMO_CSV);
const loadTook = performance.now() - loadStarted;

await test('the demo gazetteer (config/gazetteer.csv)', async (t) => {
  await t.test('loads quickly', () => {
    assert.ok(loadTook < 1000, `loading took ${loadTook.toFixed(0)} ms`);
  });

  const firstResults: { query: string; label: string; type?: Place['type'] }[] = [
    { query: 'WM1 1AA', label: 'WM1 1AA', type: 'postcode' },
    { query: 'wm11aa', label: 'WM1 1AA', type: 'postcode' },
    { query: ' wm1 1aa ', label: 'WM1 1AA', type: 'postcode' },
    { query: 'WM9 9ZZ', label: 'WM9 9ZZ', type: 'postcode' },
    { query: 'wm1 1', label: 'WM1 1AA', type: 'postcode' },
    { query: 'WM8 9ZZ', label: 'Dunford Lane, Dunford', type: 'street' }, // no postcode row
    { query: 'hihg street, westmoor', label: 'High Street, Westmoor' },
    { query: 'chruch lane westmoor', label: 'Church Lane, Westmoor' },
    { query: 'high street, brindle', label: 'High Street, Brindle' },
    { query: 'high street brindle', label: 'High Street, Brindle' },
    { query: 'High St, Kingsford', label: 'High Street, Kingsford' },
    { query: 'station rd brindle', label: 'Station Road, Brindle' },
    { query: 'park ave', label: 'Park Avenue, Westmoor' },
    { query: 'coombe ln', label: 'Coombe Lane, Ashcombe' },
    { query: 'st marys rd', label: "St Mary's Road, Westmoor" },
    { query: 'Ashcombe', label: 'Ashcombe', type: 'place' },
    { query: 'ashcomb', label: 'Ashcombe', type: 'place' },
    { query: 'brindel', label: 'Brindle', type: 'place' },
    { query: 'cold harbour', label: 'Cold Harbour Lane, Coldharbour' },
    { query: 'coldharbor', label: 'Coldharbour', type: 'place' },
    { query: 'Northfield', label: 'Northfield, Westmoor', type: 'place' },
    { query: 'A36', label: 'A36', type: 'road' },
    { query: 'a36 millbridge', label: 'A36, Millbridge', type: 'road' },
    { query: 'M4', label: 'M4, Kingsford', type: 'road' },
    { query: 'canal towpath brindle', label: 'Westmoor Canal Towpath, Brindle' },
    { query: 'warminster road', label: 'Warminster Road, Millbridge' },
    { query: 'high street thornbury vale', label: 'High Street, Thornbury Vale' },
  ];
  for (const { query, label, type } of firstResults)
    await t.test(`"${query}" finds ${label} first`, () => {
      const [first] = gazetteer.search(query);
      assert.equal(first?.label, label);
      if (type) assert.equal(first.type, type);
    });

  await t.test('a full postcode that matches returns just that one', () => {
    assert.deepEqual(
      gazetteer.search('wm11aa').map((p) => p.label),
      ['WM1 1AA'],
    );
  });

  await t.test('High Street in several towns is told apart by its locality', () => {
    const labels = gazetteer.search('high street').map((p) => p.label);
    for (const town of ['Westmoor', 'Ashcombe', 'Brindle', 'Kingsford', 'Coldharbour'])
      assert.ok(labels.includes(`High Street, ${town}`), labels.join(' | '));
  });

  await t.test('empty, blank and punctuation-only queries find nothing', () => {
    for (const query of ['', '   ', '\t', ',,', '!!!'])
      assert.deepEqual(gazetteer.search(query), [], JSON.stringify(query));
    assert.deepEqual(gazetteer.search('zzzzqx'), []);
  });

  await t.test('limit caps the results', () => {
    assert.equal(gazetteer.search('road', 3).length, 3);
  });

  await t.test('A36 is found by road number, and a street on it carries the road', () => {
    const a36 = gazetteer.search('A36').filter((p) => p.road === 'A36');
    assert.ok(a36.length >= 3);
    assert.ok(a36.every((p) => Math.abs(p.point.lng + 2.298) < 0.002));
    assert.equal(gazetteer.search('warminster road')[0]?.road, 'A36');
  });

  await t.test('every row is inside Westmoor except the neighbouring county’s', async () => {
    const rows = parse<Record<string, string>>(await readFile(DEMO_CSV), {
      columns: true,
      comment: '#',
      comment_no_infix: true,
    });
    assert.ok(rows.length > 150);
    const outside = rows
      .filter((row) => !insideBoundary(WESTMOOR, { lat: Number(row.lat), lng: Number(row.lng) }))
      .map((row) => `${row.name ?? ''} (${row.type ?? ''})`);
    assert.deepEqual(outside, [
      'Thornbury Vale (place)',
      'High Street (street)',
      'TV1 4AB (postcode)',
      'London Road (street)',
    ]);
    assert.equal(gazetteer.search('tv14ab')[0]?.locality, 'Thornbury Vale');
    assert.equal(gazetteer.search('london road eastbrook')[0]?.label, 'London Road, Eastbrook');
  });

  await t.test('ids are URL-safe, found again by byId and the same after a restart', async () => {
    const again = await Gazetteer.load(DEMO_CSV);
    for (const query of ['high street brindle', 'WM1 1AA', 'A36', 'Ashcombe']) {
      const [place] = gazetteer.search(query);
      assert.ok(place);
      assert.match(place.id, /^[A-Za-z0-9_-]+$/);
      assert.equal(gazetteer.byId(place.id), place);
      assert.deepEqual(again.byId(place.id), place);
    }
    assert.equal(gazetteer.byId('no-such-place'), undefined);
  });

  await t.test('nearest() names the street at a tapped point', () => {
    const countyHall = { lat: 51.4205, lng: -2.2013 };
    assert.equal(gazetteer.nearest(countyHall, 100)?.label, 'Market Street, Westmoor');
    assert.equal(gazetteer.nearest(countyHall, 100, ['postcode'])?.label, 'WM1 1AA');
    assert.equal(gazetteer.nearest({ lat: 51.3, lng: -2.36 }, 200), undefined);
    assert.equal(gazetteer.nearest({ lat: 51.272, lng: -2.2985 }, 100)?.label, 'A36, Millbridge');
  });
});

await test('Gazetteer.fromPlaces', async (t) => {
  await t.test('an empty gazetteer finds nothing', () => {
    const empty = Gazetteer.fromPlaces([]);
    assert.equal(empty.size, 0);
    assert.deepEqual(empty.search('high street'), []);
    assert.equal(empty.nearest({ lat: 51.4, lng: -2.2 }, 1000), undefined);
  });

  await t.test('nearest() is quick with 50,000 rows and agrees with a full scan', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const places: Place[] = Array.from({ length: 50_000 }, (_, i) => ({
      id: `p${i}`,
      name: `Street ${i}`,
      type: 'street',
      locality: null,
      postcode: null,
      road: null,
      point: { lat: 51.24 + random() * 0.24, lng: -2.38 + random() * 0.36 },
      label: `Street ${i}`,
    }));
    const large = Gazetteer.fromPlaces(places);
    const taps = Array.from({ length: 1000 }, () => ({
      lat: 51.24 + random() * 0.24,
      lng: -2.38 + random() * 0.36,
    }));
    const started = performance.now();
    const found = taps.map((tap) => large.nearest(tap, 250));
    const took = performance.now() - started;
    assert.ok(took < 1000, `1000 look-ups took ${took.toFixed(0)} ms`);
    for (const [i, tap] of taps.slice(0, 20).entries()) {
      const closest = places
        .map((p) => ({ p, d: distanceMetres(tap, p.point) }))
        .filter(({ d }) => d <= 250)
        .sort((a, b) => a.d - b.d)[0]?.p;
      assert.equal(found[i], closest);
    }
  });
});

await test('errors in a gazetteer file stop start-up, naming the line', async (t) => {
  const HEADER = 'name,type,locality,postcode,lat,lng,road\n';
  const cases: { name: string; csv: string; message: RegExp }[] = [
    {
      name: 'a latitude that is not a number',
      csv: `${HEADER}High Street,street,Ashcombe,,51.45,-2.32,\nMill Lane,street,Ashcombe,,north,-2.32,\n`,
      message: /^bad\.csv line 3: lat must be a number between -90 and 90$/,
    },
    {
      name: 'a latitude out of range',
      csv: `${HEADER}High Street,street,Ashcombe,,151.45,-2.32,\n`,
      message: /^bad\.csv line 2: lat must be a number between -90 and 90$/,
    },
    {
      name: 'a missing longitude',
      csv: `${HEADER}High Street,street,Ashcombe,,51.45,,\n`,
      message: /^bad\.csv line 2: lng must be a number between -180 and 180$/,
    },
    {
      name: 'a missing name',
      csv: `${HEADER}# a comment line still counts\nHigh Street,street,Ashcombe,,51.45,-2.32,\n,street,Ashcombe,,51.45,-2.32,\n`,
      message: /^bad\.csv line 4: name is missing$/,
    },
    {
      name: 'an unknown type',
      csv: `${HEADER}High Street,avenue,Ashcombe,,51.45,-2.32,\n`,
      message:
        /^bad\.csv line 2: type must be one of street, place, postcode, road \(not "avenue"\)$/,
    },
    {
      name: 'a postcode row without a postcode',
      csv: `${HEADER}Somewhere,postcode,Ashcombe,,51.45,-2.32,\n`,
      message: /^bad\.csv line 2: postcode must be a full postcode like WM1 1AA$/,
    },
    {
      name: 'a street with a postcode that is not one',
      csv: `${HEADER}High Street,street,Ashcombe,12345,51.45,-2.32,\n`,
      message: /^bad\.csv line 2: postcode must be a postcode like WM1 1AA or a district like WM1$/,
    },
    {
      name: 'a header without lat',
      csv: 'name,type,locality,postcode,latitude,lng,road\n',
      message: /^bad\.csv line 1: the header has no lat column$/,
    },
    {
      name: 'a first row that is neither format',
      csv: 'High Street,street,Ashcombe,,51.45,-2.32,\n',
      message: /^bad\.csv line 1: the first row must be the header name,type,/,
    },
    {
      name: 'an unclosed quote',
      csv: `${HEADER}High Street,street,"Ashcombe,,51.45,-2.32,\n`,
      message: /^bad\.csv line \d+: .*Quote Not Closed/,
    },
    {
      name: 'no places at all',
      csv: `${HEADER}\n,,,,,,\n`,
      message: /^bad\.csv: has no streets, places, roads or postcodes$/,
    },
  ];
  for (const { name, csv, message } of cases)
    await t.test(name, async () => {
      const file = await csvFile('bad.csv', csv);
      await assert.rejects(Gazetteer.load(file), (error: unknown) => {
        assert.ok(error instanceof GazetteerError);
        assert.match(error.message, message);
        return true;
      });
    });

  await t.test('a missing file', async () => {
    await assert.rejects(Gazetteer.load(path.join(directory, 'missing.csv')), {
      name: 'GazetteerError',
      message: 'missing.csv: cannot be read (ENOENT)',
    });
  });
});

await test('the simple format', async (t) => {
  await t.test('skips and counts blank and repeated rows, and logs the counts', async () => {
    const file = await csvFile(
      'simple.csv',
      [
        'lat,lng,name,type,usrn', // any column order; unknown columns are ignored
        '51.45,-2.32,High Street,street,123',
        '',
        ',,,,',
        '51.45,-2.32,High Street,street,123',
        '51.45,-2.32,wm3 1ab,POSTCODE,',
      ].join('\n'),
    );
    const logged: unknown[] = [];
    const gazetteer = await Gazetteer.load(file, {
      info: (...args: unknown[]) => logged.push(args),
    });
    assert.equal(gazetteer.size, 2);
    assert.deepEqual(gazetteer.skipped, { blank: 2, 'duplicate of an earlier row': 1 });
    assert.deepEqual(gazetteer.search('WM3 1AB')[0]?.postcode, 'WM3 1AB');
    assert.deepEqual(logged, [
      [{ file, places: 2, skipped: gazetteer.skipped }, 'gazetteer loaded'],
    ]);
  });
});

await test('OS Open Names', async (t) => {
  // The documented column order (Doc/OS_Open_Names_Header.csv in the OS download).
  const OS_HEADER = [
    'ID',
    'NAMES_URI',
    'NAME1',
    'NAME1_LANG',
    'NAME2',
    'NAME2_LANG',
    'TYPE',
    'LOCAL_TYPE',
    'GEOMETRY_X',
    'GEOMETRY_Y',
    'MOST_DETAIL_VIEW_RES',
    'LEAST_DETAIL_VIEW_RES',
    'MBR_XMIN',
    'MBR_YMIN',
    'MBR_XMAX',
    'MBR_YMAX',
    'POSTCODE_DISTRICT',
    'POSTCODE_DISTRICT_URI',
    'POPULATED_PLACE',
    'POPULATED_PLACE_URI',
    'POPULATED_PLACE_TYPE',
    'DISTRICT_BOROUGH',
    'DISTRICT_BOROUGH_URI',
    'DISTRICT_BOROUGH_TYPE',
    'COUNTY_UNITARY',
    'COUNTY_UNITARY_URI',
    'COUNTY_UNITARY_TYPE',
    'REGION',
    'REGION_URI',
    'COUNTRY',
    'COUNTRY_URI',
    'RELATED_SPATIAL_OBJECT',
    'SAME_AS_DBPEDIA',
    'SAME_AS_GEONAMES',
  ];
  const row = (values: Partial<Record<string, string>>) =>
    OS_HEADER.map((column) => values[column] ?? '').join(',');
  const common = { COUNTY_UNITARY: 'Westmoor', REGION: 'South West', COUNTRY: 'England' };
  const fixture = [
    row({
      ...common,
      ID: 'SW1A1AA',
      NAME1: 'SW1A 1AA',
      TYPE: 'other',
      LOCAL_TYPE: 'Postcode',
      GEOMETRY_X: '529090',
      GEOMETRY_Y: '179645',
      POPULATED_PLACE: 'Westminster',
    }),
    row({
      ...common,
      ID: 'osgb4000000074500001',
      NAME1: 'Abbey Road',
      TYPE: 'transportNetwork',
      LOCAL_TYPE: 'Named Road',
      GEOMETRY_X: '395180',
      GEOMETRY_Y: '154043',
      POSTCODE_DISTRICT: 'WM9',
      POPULATED_PLACE: 'Stoke Abbas',
    }),
    row({
      ...common,
      ID: 'ID_4e27cf36-1157-4748-a7ab-4c63283ba101',
      NAME1: 'Abbey Road',
      TYPE: 'transportNetwork',
      LOCAL_TYPE: 'Section Of Named Road',
      GEOMETRY_X: '395190',
      GEOMETRY_Y: '154050',
      POSTCODE_DISTRICT: 'WM9',
      POPULATED_PLACE: 'Stoke Abbas',
      RELATED_SPATIAL_OBJECT: 'osgb4000000074500001',
    }),
    row({
      ...common,
      ID: 'osgb4000000074500002',
      NAME1: 'A36',
      TYPE: 'transportNetwork',
      LOCAL_TYPE: 'Numbered Road',
      GEOMETRY_X: '379308',
      GEOMETRY_Y: '152581',
      POPULATED_PLACE: 'Millbridge',
    }),
    row({
      ...common,
      ID: 'osgb5000005100000001',
      NAME1: 'Ashcombe',
      NAME2: 'Aescumb',
      NAME2_LANG: 'ang',
      TYPE: 'populatedPlace',
      LOCAL_TYPE: 'Village',
      GEOMETRY_X: '377860',
      GEOMETRY_Y: '172384',
      DISTRICT_BOROUGH: 'Westmoor',
    }),
    row({
      ...common,
      ID: 'osgb5000005100000002',
      NAME1: 'Westmoor Hill',
      TYPE: 'landform',
      LOCAL_TYPE: 'Hill Or Mountain',
      GEOMETRY_X: '386183',
      GEOMETRY_Y: '166793',
    }),
    '',
  ];

  for (const withHeader of [false, true])
    await t.test(
      `reads a file ${withHeader ? 'with OS’s header row' : 'without a header'}`,
      async () => {
        const lines = withHeader ? [OS_HEADER.join(','), ...fixture] : fixture;
        const gazetteer = await Gazetteer.load(await csvFile('opname.csv', lines.join('\n')));
        assert.equal(gazetteer.size, 4);
        assert.deepEqual(gazetteer.skipped, {
          'not a street, road, place or postcode (e.g. a hill or river)': 1,
          'section of a road already listed in the same place': 1,
        });

        // SW1A 1AA as published (postcodes.io, from ONS): E 529090 N 179645 = 51.501009, -0.141588.
        const [postcode, ...others] = gazetteer.search('sw1a1aa');
        assert.equal(others.length, 0);
        assert.equal(postcode?.type, 'postcode');
        assert.equal(postcode.id, 'SW1A1AA');
        assert.equal(postcode.label, 'SW1A 1AA');
        const error = distanceMetres(postcode.point, { lat: 51.501009, lng: -0.141588 });
        assert.ok(error < 10, `${error.toFixed(1)} m from the published position`);

        const [street] = gazetteer.search('abbey rd');
        assert.equal(street?.label, 'Abbey Road, Stoke Abbas');
        assert.equal(street.type, 'street');
        assert.equal(street.postcode, 'WM9');
        assert.ok(distanceMetres(street.point, { lat: 51.2855, lng: -2.0705 }) < 10);

        const [road] = gazetteer.search('A36');
        assert.equal(road?.type, 'road');
        assert.equal(road.road, 'A36');
        assert.equal(road.label, 'A36, Millbridge');

        const [village] = gazetteer.search('aescumb');
        assert.equal(village?.label, 'Ashcombe, Westmoor');
        assert.equal(village.type, 'place');
        assert.ok(!gazetteer.search('westmoor hill').some((p) => p.name === 'Westmoor Hill'));
      },
    );

  await t.test('a row with a bad easting names the line and the column', async () => {
    const bad = row({ ID: 'x1', NAME1: 'Mill Lane', LOCAL_TYPE: 'Named Road', GEOMETRY_X: 'east' });
    const file = await csvFile('opname-bad.csv', [fixture[0], bad].join('\n'));
    await assert.rejects(Gazetteer.load(file), {
      name: 'GazetteerError',
      message: 'opname-bad.csv line 2: GEOMETRY_X must be an easting in metres (0 to 700000)',
    });
  });

  await t.test('a row with missing columns names the line', async () => {
    const file = await csvFile('opname-short.csv', [fixture[0], 'x1,,Mill Lane'].join('\n'));
    await assert.rejects(Gazetteer.load(file), {
      message: 'opname-short.csv line 2: an OS Open Names row has 34 columns, not 3',
    });
  });
});

await test('parseCoordinates', async (t) => {
  const cases: [string, { lat: number; lng: number } | null][] = [
    ['51.38, -2.36', { lat: 51.38, lng: -2.36 }],
    ['51.38,-2.36', { lat: 51.38, lng: -2.36 }],
    ['51.38 -2.36', { lat: 51.38, lng: -2.36 }],
    ['  51.38   -2.36  ', { lat: 51.38, lng: -2.36 }],
    ['51.38°N 2.36°W', { lat: 51.38, lng: -2.36 }],
    ['51.38° N, 2.36° W', { lat: 51.38, lng: -2.36 }],
    ['51.38n 2.36w', { lat: 51.38, lng: -2.36 }],
    ['2.36°W 51.38°N', { lat: 51.38, lng: -2.36 }],
    ['51.38 −2.36', { lat: 51.38, lng: -2.36 }],
    ['-33.86, 151.21', { lat: -33.86, lng: 151.21 }],
    ['91, -2.36', null],
    ['51.38, -181', null],
    ['51.38°N 2.36°N', null],
    ['51.38°N -2.36°W', null],
    ['51.38', null],
    ['51.38, -2.36, 4', null],
    ['WM1 1AA', null],
    ['High Street', null],
    ['', null],
  ];
  for (const [text, expected] of cases)
    await t.test(JSON.stringify(text), () => {
      assert.deepEqual(parseCoordinates(text), expected);
    });
});

await rm(directory, { recursive: true, force: true });
