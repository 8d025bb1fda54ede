// Maps that show where reports are, on pages that already say it in words: a report's own
// page (its place, named above the map) and the public list (each report, linked in the
// list below the map). The maps add a picture; nothing is only on them.
import {
  circleMarker,
  divIcon,
  marker as createMarker,
  type LatLngTuple,
  type Marker,
} from 'leaflet/dist/leaflet-src.esm.js';
import { toCoordinates } from './coordinates.js';
import { centreOf, createTileMap, toLatLng } from './tile-map.js';

/** Close enough to see the street, with a few around it, when the reports are close together. */
const MAX_FIT_ZOOM = 17;
/** Room around the outermost markers, so none sits on the edge or under a control. */
const FIT_PADDING: [number, number] = [32, 32];
/** WCAG 2.2's minimum target size, as the pins are buttons. */
const PIN_SIZE: [number, number] = [24, 24];

/**
 * Turns a report page's `<div class="report-map" data-readonly data-lat data-lng>` into a
 * small map with a marker where the problem is. It can be moved and zoomed, but chooses
 * nothing. Throws, leaving the element as it was, if the map cannot be made.
 */
export function showReportMap(container: HTMLElement): void {
  const point = toCoordinates(container.dataset.lat, container.dataset.lng);
  if (!point) return;
  const map = createTileMap(container, {
    role: 'region',
    label: 'Map showing where the problem is',
    classes: ['report-map--small'],
  });
  circleMarker(toLatLng(point), {
    radius: 10,
    className: 'report-map__marker',
    interactive: false,
  }).addTo(map);
}

/**
 * Turns the public list's `<div class="report-map" data-list-map>` into a map with a pin for
 * each `<li data-lat data-lng data-ref data-title>` in `list`, fitted to show them all and
 * the place searched for (the map's `data-centre`). A pin, clicked or pressed with Enter or
 * Space, opens a popup linking to its report. Throws, leaving the element as it was, if
 * the map cannot be made.
 */
export function showListMap(container: HTMLElement, list: HTMLElement): void {
  const reports = [...list.querySelectorAll<HTMLElement>('[data-ref][data-lat][data-lng]')].flatMap(
    (item) => {
      const point = toCoordinates(item.dataset.lat, item.dataset.lng);
      const ref = item.dataset.ref;
      return point && ref ? [{ point, ref, title: item.dataset.title || ref }] : [];
    },
  );
  if (!reports.length) return;

  const map = createTileMap(container, {
    role: 'region',
    label: 'Map of the reports listed below',
  });
  const icon = divIcon({ className: 'report-map__pin', iconSize: PIN_SIZE });
  const shown: LatLngTuple[] = [];
  // In the list's order, so the keyboard reaches the pins in the order the list reads.
  for (const { point, ref, title } of reports) {
    const at = toLatLng(point);
    shown.push(at);
    const pin = createMarker(at, { icon, title, keyboard: true, riseOnHover: true })
      // The public list links to public pages; the back office's to its own case pages.
      .bindPopup(popupContent(ref, title, container.dataset.linkBase ?? '/reports/'))
      .addTo(map);
    followFocus(pin);
  }
  const centre = centreOf(container);
  if (centre) shown.push(toLatLng(centre));
  map.fitBounds(shown, { padding: FIT_PADDING, maxZoom: MAX_FIT_ZOOM });
  container.addEventListener('keydown', (event) => {
    // Leaflet closes a popup on Escape only while the map itself has focus, not a pin or
    // the popup's link.
    if (event.key === 'Escape' && event.target !== container) map.closePopup();
  });
}

/** The title as a link to the report, built as nodes: titles include what residents typed. */
function popupContent(ref: string, title: string, linkBase: string): HTMLElement {
  const content = document.createElement('p');
  content.className = 'report-map__popup';
  const link = document.createElement('a');
  link.className = 'govuk-link';
  link.href = `${linkBase}${encodeURIComponent(ref)}`;
  link.textContent = title;
  content.append(link);
  return content;
}

/**
 * Keyboard care for a pin and its popup. Leaflet opens the popup on Enter only, and leaves
 * focus on the pin; a button opens with Space too, and a popup opened from the keyboard
 * should take focus to its link, and give it back to the pin when it closes.
 */
function followFocus(pin: Marker): void {
  const element = pin.getElement();
  if (!element) return;
  element.addEventListener('keydown', (event) => {
    if (event.key !== ' ') return;
    event.preventDefault();
    pin.openPopup();
  });
  pin.on('popupopen', ({ popup }) => {
    // Not after a click or tap: those focus the pin without showing it (:focus-visible).
    if (element.matches(':focus-visible')) popup.getElement()?.querySelector('a')?.focus();
  });
  pin.on('popupclose', ({ popup }) => {
    const focused = document.activeElement;
    // Focus in the popup, or lost with it (once the popup is gone, it is on the page's body).
    if (popup.getElement()?.contains(focused) || focused === document.body) element.focus();
  });
}
