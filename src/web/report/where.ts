// The "where is the problem?" page. Without JavaScript residents type a street, place or
// postcode, or a latitude and longitude. With it they can also tap the map, use their
// phone's location, or the place a photo was taken; each fills the latitude and
// longitude fields the form already has, so the server sees the same form either way.
import { formatCoordinate, toCoordinates, type Coordinates } from './coordinates.js';
import { createLocationMap, type LocationMap } from './map.js';
import { downscalePhoto, replaceFiles } from './photo-files.js';
import { photoLocation } from './photo-location.js';

const SEARCH_INSTEAD = 'Search for a street or postcode, or choose a place on the map.';
const MESSAGES = {
  chosenOnMap: 'Location chosen on the map. Select Continue.',
  locating: 'Finding your location…',
  located: 'We found your location.',
  notLocated: 'We could not find your location. Search for a street or postcode instead.',
  readingPhoto: 'Checking where this photo was taken…',
  photoLocated: 'We found where this photo was taken.',
  photoWithoutLocation: `This photo does not say where it was taken. ${SEARCH_INSTEAD}`,
  photoUnreadable: `We could not tell where this photo was taken. ${SEARCH_INSTEAD}`,
  searchInstead: 'We will look for the place you type instead of the location chosen before.',
};

/** Enhances `<form data-report-where>`; see the comment at the top of this file. */
export function enhanceWhere(form: HTMLFormElement): void {
  const field = (name: string) => form.querySelector<HTMLInputElement>(`input[name="${name}"]`);
  const place = field('place');
  const lat = field('lat');
  const lng = field('lng');
  const photo = field('photo');
  const status = form.querySelector<HTMLElement>('[data-report-status]');
  const container = form.querySelector<HTMLElement>('.report-map');
  // Every way of choosing a place ends in these two fields.
  if (!lat || !lng) return;

  const say = (message: string) => {
    if (status) status.textContent = message;
  };
  // Whether lat/lng hold a place the map, the phone or a photo chose (rather than
  // numbers the resident typed): typing a place to search for replaces only those.
  let chosen = false;
  // Finding the phone's location or reading a photo takes a moment; whatever the
  // resident does meanwhile wins over the answer that arrives late.
  let latestAction = 0;
  let map: LocationMap | null = null;

  const choose = (point: Coordinates, message: string, closeUp: boolean) => {
    lat.value = formatCoordinate(point.lat);
    lng.value = formatCoordinate(point.lng);
    chosen = true;
    if (place) place.value = '';
    map?.show(point, closeUp);
    if (!closeUp) say(message);
    else if (map) say(`${message} Check the marker on the map, then select Continue.`);
    else say(`${message} Select Continue.`);
  };

  // Made before the map, which puts its hint right above itself, under this button.
  const anchor = container ?? status;
  if (anchor && 'geolocation' in navigator && window.isSecureContext) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'govuk-button govuk-button--secondary report-locate-button';
    button.textContent = 'Use my current location';
    anchor.before(button);
    button.addEventListener('click', () => {
      const action = ++latestAction;
      say(MESSAGES.locating);
      navigator.geolocation.getCurrentPosition(
        (position) => {
          if (action !== latestAction) return;
          const point = toCoordinates(position.coords.latitude, position.coords.longitude);
          if (point) choose(point, MESSAGES.located, true);
          else say(MESSAGES.notLocated);
        },
        () => {
          if (action === latestAction) say(MESSAGES.notLocated);
        },
        { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
      );
    });
  }

  if (container) {
    try {
      map = createLocationMap(container, (point) => {
        latestAction++;
        choose(point, MESSAGES.chosenOnMap, false);
      });
    } catch {
      // No map (tiles not configured, or Leaflet cannot run here): the other ways still work.
      map = null;
    }
  }

  // A place chosen on an earlier visit: the server's, or the browser's restored form.
  const earlier =
    toCoordinates(container?.dataset.lat, container?.dataset.lng) ??
    toCoordinates(lat.value, lng.value);
  if (earlier) {
    lat.value ||= formatCoordinate(earlier.lat);
    lng.value ||= formatCoordinate(earlier.lng);
    chosen = true;
    map?.show(earlier, true);
  }

  photo?.addEventListener('change', () => {
    const file = photo.files?.[0];
    if (!file) return;
    const action = ++latestAction;
    say(MESSAGES.readingPhoto);
    void photoLocation(file).then(
      async (point) => {
        if (action === latestAction) {
          if (point) choose(point, MESSAGES.photoLocated, true);
          else say(MESSAGES.photoWithoutLocation);
        }
        // Only now, with the position read: a scaled-down copy keeps none of the photo's
        // metadata. A photo we could not read keeps its own, for the server to try.
        const smaller = await downscalePhoto(file);
        if (smaller !== file && photo.files?.[0] === file) replaceFiles(photo, [smaller]);
      },
      () => {
        if (action === latestAction) say(MESSAGES.photoUnreadable);
      },
    );
  });

  place?.addEventListener('input', () => {
    latestAction++;
    if (!chosen || !place.value.trim()) return;
    lat.value = '';
    lng.value = '';
    chosen = false;
    map?.clear();
    say(MESSAGES.searchInstead);
  });

  for (const coordinate of [lat, lng])
    coordinate.addEventListener('change', () => {
      latestAction++;
      chosen = false;
      const point = toCoordinates(lat.value, lng.value);
      if (point) map?.show(point, true);
      else map?.clear();
    });
}
