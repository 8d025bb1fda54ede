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

/** Great-circle distance in metres (haversine). */
export function distanceMetres(a: Point, b: Point): number {
  const R = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/**
 * The geohash cells (at a precision coarser than the radius) that together cover a circle,
 * so a "near here" query is a few indexed prefix scans followed by an exact distance filter.
 */
export function coveringCells(centre: Point, radiusMetres: number): string[] {
  // Cell heights by precision (metres); pick the finest precision whose cell is taller than the radius.
  const heights = [5_000_000, 625_000, 156_000, 19_500, 4_890, 610, 153, 19];
  let precision = 1;
  for (let p = 1; p <= heights.length; p++)
    if ((heights[p - 1] ?? 0) >= radiusMetres) precision = p;
  const centreCell = ngeohash.encode(centre.lat, centre.lng, precision);
  return [centreCell, ...ngeohash.neighbors(centreCell)];
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
