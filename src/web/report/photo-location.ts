import { toCoordinates, type Coordinates } from './coordinates.js';

/**
 * Where the photo was taken, from the GPS position the camera wrote into it, or null if
 * it holds none. Read in the browser because many phones' browsers strip the position
 * from photos they upload. Throws if the file is not a photo exifr can read.
 */
export async function photoLocation(file: Blob): Promise<Coordinates | null> {
  // Loaded only when a resident chooses a photo, so the page itself stays light.
  const { gps } = await import('exifr/dist/lite.esm.mjs');
  // exifr's types promise a position, but it gives undefined when the photo has none.
  const found = (await gps(file)) as Partial<Awaited<ReturnType<typeof gps>>> | undefined;
  return toCoordinates(found?.latitude, found?.longitude);
}
