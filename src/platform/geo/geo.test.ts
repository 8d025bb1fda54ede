import assert from 'node:assert/strict';
import { test } from 'node:test';
import ngeohash from 'ngeohash';
import {
  boundingBoxes,
  coveringRanges,
  distanceMetres,
  geohashOf,
  type CircleCover,
  type Point,
} from './geo.js';

/** The same pseudo-random places on every run, so a failure can be replayed. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function covers(cover: CircleCover, point: Point): boolean {
  const hash = geohashOf(point);
  const inRange = cover.ranges.some((r) => hash >= r.from && (r.to === undefined || hash < r.to));
  const inBox = cover.boxes.some(
    (b) =>
      point.lat >= b.south && point.lat <= b.north && point.lng >= b.west && point.lng <= b.east,
  );
  return inRange && inBox;
}

/** Points around a centre out to twice the radius, many of them right on the circle. */
function pointsAround(centre: Point, radiusMetres: number, random: () => number): Point[] {
  const degrees = (2 * radiusMetres) / 111_195;
  const points: Point[] = [];
  for (let i = 0; i < 400; i++) {
    const lat = Math.max(-90, Math.min(90, centre.lat + (random() * 2 - 1) * degrees));
    const width = degrees / Math.max(0.01, Math.cos((lat * Math.PI) / 180));
    let lng = centre.lng + (random() * 2 - 1) * Math.min(180, width);
    if (lng > 180) lng -= 360;
    if (lng < -180) lng += 360;
    points.push({ lat, lng });
  }
  // Along the circle itself: bisect each bearing to the last point still within the radius.
  for (let i = 0; i < 64; i++) {
    const angle = (2 * Math.PI * i) / 64;
    let inside = 0;
    let outside = 2 * degrees;
    for (let step = 0; step < 60; step++) {
      const mid = (inside + outside) / 2;
      const point = offset(centre, mid, angle);
      if (distanceMetres(centre, point) <= radiusMetres) inside = mid;
      else outside = mid;
    }
    points.push(offset(centre, inside, angle));
  }
  return points;
}

function offset(centre: Point, degrees: number, angle: number): Point {
  const lat = Math.max(-90, Math.min(90, centre.lat + degrees * Math.sin(angle)));
  const cos = Math.max(0.01, Math.cos((centre.lat * Math.PI) / 180));
  let lng = centre.lng + (degrees * Math.cos(angle)) / cos;
  if (lng > 180) lng -= 360;
  if (lng < -180) lng += 360;
  return { lat, lng };
}

await test('coveringRanges', async (t) => {
  const westmoor = { lat: 51.35, lng: -2.21 };

  await t.test('covers every point within the radius, at every radius Report It uses', () => {
    const random = randomSource(1);
    for (const radius of [0, 1, 20, 100, 250, 400, 1_000, 2_000, 5_000, 50_000]) {
      for (let i = 0; i < 20; i++) {
        const centre = { lat: 51.24 + random() * 0.24, lng: -2.38 + random() * 0.36 };
        const cover = coveringRanges(centre, radius);
        for (const point of pointsAround(centre, radius, random))
          if (distanceMetres(centre, point) <= radius)
            assert.ok(covers(cover, point), `${JSON.stringify(point)} is within ${radius} m`);
      }
    }
  });

  await t.test('covers points on the edges of geohash cells', () => {
    // A corner where cells of every precision meet, and points a hair either side of it.
    const [south, west] = ngeohash.decode_bbox('gcnkj');
    for (const radius of [30, 250, 2_000]) {
      const corner = { lat: south, lng: west };
      const cover = coveringRanges({ lat: south + 0.0001, lng: west + 0.0001 }, radius);
      for (const dLat of [-1e-9, 0, 1e-9])
        for (const dLng of [-1e-9, 0, 1e-9]) {
          const point = { lat: corner.lat + dLat, lng: corner.lng + dLng };
          assert.ok(covers(cover, point), `${JSON.stringify(point)} at ${radius} m`);
        }
    }
  });

  await t.test('holds circles across the 180° meridian and over the poles', () => {
    const random = randomSource(2);
    const places = [
      { lat: 0, lng: 179.9999 },
      { lat: -41, lng: -179.9995 },
      { lat: 89.999, lng: 10 },
      { lat: -89.9995, lng: -120 },
      { lat: 65, lng: 180 },
    ];
    for (const centre of places)
      for (const radius of [100, 250, 2_000]) {
        const cover = coveringRanges(centre, radius);
        for (const point of pointsAround(centre, radius, random))
          if (distanceMetres(centre, point) <= radius)
            assert.ok(
              covers(cover, point),
              `${JSON.stringify(point)} from ${JSON.stringify(centre)}`,
            );
      }
  });

  await t.test('stays a few sorted, separate ranges however large the circle', () => {
    for (const radius of [10, 100, 250, 2_000, 5_000, 100_000, 1_000_000, 30_000_000]) {
      const { ranges } = coveringRanges(westmoor, radius);
      assert.ok(
        ranges.length >= 1 && ranges.length <= 16,
        `${ranges.length} ranges at ${radius} m`,
      );
      for (let i = 1; i < ranges.length; i++) {
        const before = ranges[i - 1]?.to;
        assert.ok(before !== undefined && before < (ranges[i]?.from ?? ''), 'sorted, apart');
      }
    }
  });

  await t.test('uses cells near the radius’s size, not a county for a street', () => {
    const cellsAt = (radius: number) => coveringRanges(westmoor, radius).ranges[0]?.from.length;
    assert.equal(cellsAt(100), 7);
    assert.equal(cellsAt(250), 6);
    assert.equal(cellsAt(2_000), 5);
  });
});

await test('boundingBoxes', async (t) => {
  await t.test('is about the radius each way at Westmoor', () => {
    const [box, ...more] = boundingBoxes({ lat: 51.35, lng: -2.21 }, 1_000);
    assert.equal(more.length, 0);
    assert.ok(box);
    const north = distanceMetres({ lat: 51.35, lng: -2.21 }, { lat: box.north, lng: -2.21 });
    const east = distanceMetres({ lat: 51.35, lng: -2.21 }, { lat: 51.35, lng: box.east });
    assert.ok(Math.abs(north - 1_000) < 0.01, `north ${north}`);
    // At the latitude of the centre the widest point is slightly further east than due east.
    assert.ok(east >= 1_000 && east < 1_001, `east ${east}`);
  });

  await t.test('splits at the 180° meridian', () => {
    const boxes = boundingBoxes({ lat: 0, lng: 179.9999 }, 1_000);
    assert.equal(boxes.length, 2);
    assert.deepEqual(
      boxes.map((b) => [b.west > 0, b.east > 0]),
      [
        [true, true],
        [false, false],
      ],
    );
  });

  await t.test('takes the whole width of the globe at a pole', () => {
    const [box] = boundingBoxes({ lat: 89.9999, lng: 0 }, 1_000);
    assert.deepEqual([box?.west, box?.east, box?.north], [-180, 180, 90]);
  });
});

await test('distanceMetres is the great-circle distance', () => {
  // One degree of latitude on a sphere of radius 6,371 km.
  assert.equal(Math.round(distanceMetres({ lat: 51, lng: 0 }, { lat: 52, lng: 0 })), 111_195);
  assert.equal(distanceMetres({ lat: 51.35, lng: -2.21 }, { lat: 51.35, lng: -2.21 }), 0);
});
