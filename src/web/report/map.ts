// The map a resident can tap, click or (with the keyboard) move to say where a problem
// is. It is an extra way to answer: the search box above it works for everyone.
import {
  circleMarker,
  type CircleMarker,
  type Map as LeafletMap,
} from 'leaflet/dist/leaflet-src.esm.js';
import type { Coordinates } from './coordinates.js';
import { createTileMap, toLatLng } from './tile-map.js';

export interface LocationMap {
  /** Puts the marker at `point`; `closeUp` also centres the map on it, zoomed in to street level. */
  show(point: Coordinates, closeUp: boolean): void;
  /** Takes the marker away. */
  clear(): void;
}

const STREET_ZOOM = 17;
const HINT_ID = 'report-map-hint';
const KEYBOARD_CLASS = 'report-map--keyboard';

/**
 * Turns the empty `.report-map` element into a map (configured as `createTileMap`
 * describes), with a hint above it on how to use it. Calls `onChoose` with the point the resident clicks, taps, or (pressing
 * Enter or Space on the focused map) has in the middle of the map.
 */
export function createLocationMap(
  container: HTMLElement,
  onChoose: (point: Coordinates) => void,
): LocationMap {
  const hint = document.createElement('p');
  hint.className = 'govuk-hint report-map-hint';
  hint.id = HINT_ID;
  hint.textContent =
    'Or select the place on the map. With a keyboard, move the map with the arrow keys, ' +
    'zoom with + and -, and press Enter to choose the middle of the map.';
  container.before(hint);

  let map: LeafletMap;
  try {
    map = createTileMap(container, {
      // An application, so screen readers pass the arrow keys to the map instead of reading with them.
      role: 'application',
      label: 'Map: select where the problem is',
      describedBy: HINT_ID,
    });
  } catch (error) {
    // No hint about a map that is not there.
    hint.remove();
    throw error;
  }

  map.on('click', ({ latlng }) => {
    if (latlng) onChoose({ lat: latlng.lat, lng: latlng.lng });
  });
  container.addEventListener('keydown', (event) => {
    // Only on the map itself: Enter on its zoom buttons or attribution links does their job.
    if (event.target !== container) return;
    container.classList.add(KEYBOARD_CLASS);
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    const middle = map.getCenter();
    onChoose({ lat: middle.lat, lng: middle.lng });
  });
  // While the keyboard moves the map, a ring marks the middle that Enter would choose; a
  // click or tap focuses the map too, but then chooses where it lands.
  let pointing = false;
  container.addEventListener('pointerdown', () => {
    pointing = true;
    container.classList.remove(KEYBOARD_CLASS);
  });
  container.addEventListener('pointerup', () => {
    pointing = false;
  });
  container.addEventListener('focus', () => {
    if (!pointing && container.matches(':focus-visible')) container.classList.add(KEYBOARD_CLASS);
  });
  container.addEventListener('blur', () => {
    container.classList.remove(KEYBOARD_CLASS);
  });

  let marker: CircleMarker | undefined;
  return {
    show(point, closeUp) {
      const at = toLatLng(point);
      if (marker) marker.setLatLng(at);
      // Not interactive, so a click on the marker chooses that spot on the map.
      else
        marker = circleMarker(at, {
          radius: 10,
          className: 'report-map__marker',
          interactive: false,
        }).addTo(map);
      if (closeUp) map.setView(at, Math.max(map.getZoom(), STREET_ZOOM));
    },
    clear() {
      marker?.remove();
      marker = undefined;
    },
  };
}
