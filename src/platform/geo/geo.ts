import ngeohash from 'ngeohash';

export interface Point {
  lat: number;
  lng: number;
}

/** GeoJSON polygons in [lng, lat] order, as in config/council.yaml. */
export type Boundary =
  | { type: 'Polygon'; coordinates: [number, number][][] }
  | { type: 'MultiPolygon'; coordinates: [number, number][][][] };

/** Precision 8 is a cell of about 38 m × 19 m: fine enough for "is this pothole already reported?". */
export const GEOHASH_PRECISION = 8;

export function geohashOf({ lat, lng }: Point): string {
  return ngeohash.encode(lat, lng, GEOHASH_PRECISION);
}

/** The mean Earth radius `distanceMetres` uses; bounding boxes must use the same sphere. */
export const EARTH_RADIUS_METRES = 6_371_000;

/** No two points on that sphere are further apart than this: half its circumference. */
export const FURTHEST_METRES = Math.PI * EARTH_RADIUS_METRES;

/** Great-circle distance in metres (haversine). */
export function distanceMetres(a: Point, b: Point): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.sqrt(h));
}

export interface BoundingBox {
  south: number;
  west: number;
  north: number;
  east: number;
}

/** Stored geohashes from `from` (inclusive) up to `to` (exclusive; none means to the end). */
export interface GeohashRange {
  from: string;
  to?: string;
}

/** Where a circle's points can be: boxes that hold all of it, and the geohash ranges that cover the boxes. */
export interface CircleCover {
  boxes: BoundingBox[];
  ranges: GeohashRange[];
}

/**
 * Few cells, because each range is a branch PostgreSQL plans anew on every query; the
 * position columns in the index drop what a coarse cell holds outside the circle's box.
 * Here, 100 m takes precision-7 cells (96 m × 153 m), 250 m and 400 m precision 6, 2 km 5.
 */
const MAX_COVERING_CELLS = 16;

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * The geohash ranges that hold every point within `radiusMetres` of `centre`, so "near here"
 * is a few index range scans and then an exact distance filter. The precision follows the
 * radius, so a 5 km search costs about as many ranges as a 250 m one.
 */
export function coveringRanges(centre: Point, radiusMetres: number): CircleCover {
  const boxes = boundingBoxes(centre, radiusMetres);
  let precision = GEOHASH_PRECISION;
  while (
    precision > 1 &&
    boxes.reduce((n, box) => n + cellsIn(box, precision), 0) > MAX_COVERING_CELLS
  )
    precision--;
  const cells = [
    ...new Set(
      boxes.flatMap((box) => ngeohash.bboxes(box.south, box.west, box.north, box.east, precision)),
    ),
  ].sort();
  const ranges: GeohashRange[] = [];
  for (const cell of cells) {
    const last = ranges.at(-1);
    // Cells next to each other in geohash order make one range: one index seek, not two.
    if (last?.to === cell) last.to = nextCell(cell);
    else ranges.push({ from: cell, to: nextCell(cell) });
  }
  return { boxes, ranges };
}

/** The cell after `cell` in geohash order, at the same precision; none after "zz…z". */
function nextCell(cell: string): string | undefined {
  for (let i = cell.length - 1; i >= 0; i--) {
    const digit = BASE32.indexOf(cell.charAt(i)) + 1;
    if (digit < BASE32.length)
      return cell.slice(0, i) + BASE32.charAt(digit) + '0'.repeat(cell.length - 1 - i);
  }
  return undefined;
}

/** An upper bound on how many cells of a precision a box touches. */
function cellsIn(box: BoundingBox, precision: number): number {
  const bits = 5 * precision;
  const cellLng = 360 / 2 ** Math.ceil(bits / 2);
  const cellLat = 180 / 2 ** Math.floor(bits / 2);
  return (
    (Math.floor((box.east - box.west) / cellLng) + 2) *
    (Math.floor((box.north - box.south) / cellLat) + 2)
  );
}

/**
 * Latitude/longitude boxes holding every point within the radius (J. P. Matuschek's bounds
 * for a sphere): two where the circle crosses the 180° meridian, the full width of the
 * globe where it reaches a pole.
 */
export function boundingBoxes(centre: Point, radiusMetres: number): BoundingBox[] {
  const deg = 180 / Math.PI;
  const angle = radiusMetres / EARTH_RADIUS_METRES;
  // A hair wider than the sphere says, so rounding never drops a point on the circle itself.
  const slack = 1e-9;
  const south = centre.lat - angle * deg - slack;
  const north = centre.lat + angle * deg + slack;
  if (south <= -90 || north >= 90)
    return [{ south: Math.max(south, -90), west: -180, north: Math.min(north, 90), east: 180 }];
  const halfWidth =
    Math.asin(Math.min(1, Math.sin(angle) / Math.cos(centre.lat / deg))) * deg + slack;
  const west = centre.lng - halfWidth;
  const east = centre.lng + halfWidth;
  if (east - west >= 360) return [{ south, west: -180, north, east: 180 }];
  if (west < -180)
    return [
      { south, west: -180, north, east },
      { south, west: west + 360, north, east: 180 },
    ];
  if (east > 180)
    return [
      { south, west, north, east: 180 },
      { south, west: -180, north, east: east - 360 },
    ];
  return [{ south, west, north, east }];
}

/** Ray casting on one ring; boundaries are small enough that lng/lat can be treated as planar. */
function insideRing(ring: [number, number][], { lat, lng }: Point): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a point lies inside the council's area (outer ring in, holes out). */
export function insideBoundary(boundary: Boundary, point: Point): boolean {
  const polygons = boundary.type === 'Polygon' ? [boundary.coordinates] : boundary.coordinates;
  return polygons.some(
    ([outer, ...holes]) =>
      outer !== undefined && insideRing(outer, point) && !holes.some((h) => insideRing(h, point)),
  );
}
