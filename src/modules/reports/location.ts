import type { Council, OtherBody } from '../../platform/config.js';
import type { Gazetteer, Place } from '../../platform/geo/gazetteer.js';
import { parseCoordinates } from '../../platform/geo/gazetteer.js';
import { insideBoundary, type Point } from '../../platform/geo/geo.js';
import type { DraftLocation, LocationSource } from './draft.js';

/** How close (metres) a point must be to a road for "on the A36" to apply. */
const ON_ROAD_METRES = 30;
/** How close a street must be to name a tapped point after it. */
const NAMING_METRES = 150;

/** What the resident typed or sent on the "where" page. */
export interface WhereInput {
  place: string;
  lat: string;
  lng: string;
  /** Where the photo they chose says it was taken, if it says. */
  photoPoint: Point | null;
  /** Whether they chose a photo at all (to say why it did not give a place). */
  photoGiven: boolean;
}

export type WhereAnswer =
  | { kind: 'found'; location: DraftLocation; place?: Place }
  | { kind: 'choose'; places: Place[] }
  | { kind: 'error'; field: 'place' | 'lat' | 'lng'; message: string };

/** Whose problem a location is: ours, outside our area, or another body's road. */
export type Responsibility =
  | { kind: 'ours'; area: string | null }
  | { kind: 'outside' }
  | { kind: 'other-body'; body: OtherBody };

/**
 * Turns what the resident gave into one point. Typed coordinates (or a map tap, which fills
 * the same fields) win, then a search of the gazetteer, then the photo's own location.
 */
export function resolveWhere(input: WhereInput, gazetteer: Gazetteer): WhereAnswer {
  const lat = input.lat.trim();
  const lng = input.lng.trim();
  if (lat || lng) {
    const latitude = Number(lat);
    const longitude = Number(lng);
    if (!lat || !Number.isFinite(latitude) || latitude < -90 || latitude > 90)
      return {
        kind: 'error',
        field: 'lat',
        message: 'Enter a latitude between -90 and 90, like 51.3811',
      };
    if (!lng || !Number.isFinite(longitude) || longitude < -180 || longitude > 180)
      return {
        kind: 'error',
        field: 'lng',
        message: 'Enter a longitude between -180 and 180, like -2.3590',
      };
    const point = { lat: latitude, lng: longitude };
    return { kind: 'found', location: named(point, 'map', gazetteer) };
  }
  const place = input.place.trim();
  if (place) {
    const typed = parseCoordinates(place);
    if (typed) return { kind: 'found', location: named(typed, 'coordinates', gazetteer) };
    if (place.length > 100)
      return {
        kind: 'error',
        field: 'place',
        message: 'Street name, place or postcode must be 100 characters or fewer',
      };
    const places = gazetteer.search(place, 8);
    const [first] = places;
    if (!first)
      return {
        kind: 'error',
        field: 'place',
        message: `We could not find “${place}”. Check the spelling, or enter a postcode like WM1 1AA`,
      };
    // One match, a postcode, or the only place with exactly the name typed ("A36"): no need to ask.
    const exact = places.filter((p) => p.name.toLowerCase() === place.toLowerCase());
    const only =
      places.length === 1 || first.type === 'postcode'
        ? first
        : exact.length === 1
          ? exact[0]
          : undefined;
    if (only) return { kind: 'found', location: fromPlace(only), place: only };
    return { kind: 'choose', places };
  }
  if (input.photoPoint)
    return { kind: 'found', location: named(input.photoPoint, 'photo', gazetteer) };
  return {
    kind: 'error',
    field: 'place',
    message: input.photoGiven
      ? 'Your photo does not say where it was taken. Enter a street name, place or postcode'
      : 'Enter a street name, place or postcode',
  };
}

export function fromPlace(place: Place): DraftLocation {
  return { ...place.point, label: place.label, source: 'search' };
}

/** A point named after the nearest street, so staff and the public can read where it is. */
function named(point: Point, source: LocationSource, gazetteer: Gazetteer): DraftLocation {
  const street = gazetteer.nearest(point, NAMING_METRES, ['street', 'road']);
  const label = street
    ? `Near ${street.label}`
    : `${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}`;
  return { lat: point.lat, lng: point.lng, label, source };
}

/**
 * Whether the council looks after this place. Checked before anything is asked about the
 * problem, so nobody describes a problem we would only pass on.
 */
export function responsibilityFor(
  council: Council,
  gazetteer: Gazetteer,
  point: Point,
  place?: Place,
): Responsibility {
  if (!insideBoundary(council.boundary, point)) return { kind: 'outside' };
  const bodies = council.reporting.otherBodies;
  const road = place?.road ?? place?.name;
  const onRoad = gazetteer.nearest(point, ON_ROAD_METRES, ['road', 'street']);
  for (const body of bodies) {
    const roads = new Set(body.roads.map((r) => r.toLowerCase()));
    const named = [road, onRoad?.road, onRoad?.name].some((r) => r && roads.has(r.toLowerCase()));
    if (named || body.areas.some((area) => insideBoundary(area, point)))
      return { kind: 'other-body', body };
  }
  const area = council.reporting.areas.find((a) => insideBoundary(a.boundary, point));
  return { kind: 'ours', area: area?.name ?? null };
}
