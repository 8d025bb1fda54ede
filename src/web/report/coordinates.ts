/** A point on the Earth in WGS84 degrees, as GPS, Leaflet and the form's fields give it. */
export interface Coordinates {
  lat: number;
  lng: number;
}

/**
 * The point, or null unless both are numbers (or the text of numbers) in range. A fix of
 * exactly 0, 0 is what some cameras write when they have none, so it is not a point.
 */
export function toCoordinates(lat: unknown, lng: unknown): Coordinates | null {
  const latitude = toNumber(lat);
  const longitude = toNumber(lng);
  if (latitude === null || longitude === null) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  if (latitude === 0 && longitude === 0) return null;
  return { lat: latitude, lng: longitude };
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'string') value = value.trim() === '' ? NaN : Number(value.trim());
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Six decimal places: about 10 cm, finer than any phone's GPS. */
export function formatCoordinate(degrees: number): string {
  return degrees.toFixed(6);
}
