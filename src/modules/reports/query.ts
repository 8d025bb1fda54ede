import { ValidationError } from '../../platform/errors.js';
import type { Point } from '../../platform/geo/geo.js';

/** The largest radius a caller may ask about, so one request can't scan the whole county. */
export const MAX_RADIUS_METRES = 5000;

/** `lat` and `lng` from a query string, or a ValidationError naming the one that is wrong. */
export function readPoint(query: Record<string, string | undefined>): Point {
  const lat = Number(query.lat);
  const lng = Number(query.lng);
  if (query.lat === undefined || query.lat === '' || !Number.isFinite(lat) || lat < -90 || lat > 90)
    throw new ValidationError('lat must be a latitude between -90 and 90', 'lat');
  if (
    query.lng === undefined ||
    query.lng === '' ||
    !Number.isFinite(lng) ||
    lng < -180 ||
    lng > 180
  )
    throw new ValidationError('lng must be a longitude between -180 and 180', 'lng');
  return { lat, lng };
}

export function readRadius(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const radius = Number(value);
  if (!Number.isInteger(radius) || radius < 1 || radius > MAX_RADIUS_METRES)
    throw new ValidationError(
      `radius must be a whole number of metres from 1 to ${String(MAX_RADIUS_METRES)}`,
      'radius',
    );
  return radius;
}
