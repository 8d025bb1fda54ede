/** Photos as phones take them, for the browser tests. */
import sharp from 'sharp';

/** A JPEG whose EXIF says where it was taken, as a phone camera writes it. */
export async function photoWithGps(at: { latitude: number; longitude: number }): Promise<Buffer> {
  const dms = (degrees: number) => {
    const abs = Math.abs(degrees);
    const d = Math.floor(abs);
    const m = Math.floor((abs - d) * 60);
    const s = Math.round(((abs - d) * 60 - m) * 60 * 100);
    return `${d}/1 ${m}/1 ${s}/100`;
  };
  return sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a6a55' } })
    .jpeg()
    .withExif({
      IFD3: {
        GPSLatitudeRef: at.latitude < 0 ? 'S' : 'N',
        GPSLatitude: dms(at.latitude),
        GPSLongitudeRef: at.longitude < 0 ? 'W' : 'E',
        GPSLongitude: dms(at.longitude),
      },
    })
    .toBuffer();
}
