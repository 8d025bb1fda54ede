// What every Report It map shares: a Leaflet map in a server-rendered `.report-map`
// element, showing the council's tiles with their attribution, and named for assistive
// technology. The element is empty and takes no space until this makes it a map.
import {
  map as createMap,
  tileLayer,
  type LatLngTuple,
  type Map as LeafletMap,
} from 'leaflet/dist/leaflet-src.esm.js';
import { toCoordinates, type Coordinates } from './coordinates.js';

export interface TileMapOptions {
  /**
   * 'application' for a map that takes the arrow keys to choose a point; 'region' for a
   * map that only shows what the page already says in words.
   */
  role: 'application' | 'region';
  /** The map's accessible name. */
  label: string;
  /** The id of text that explains how to use the map. */
  describedBy?: string;
  /** Classes beyond `report-map--active`, e.g. a smaller size. */
  classes?: string[];
}

/** The attributes `createTileMap` adds, taken away again if the map fails. */
const ADDED_ATTRIBUTES = ['role', 'aria-label', 'aria-describedby'];

/**
 * Turns `container` into a map configured by its data attributes: `data-tiles` (URL
 * template), `data-attribution`, `data-centre` ("lat,lng") and `data-zoom`. The map moves
 * with the keyboard once focused (arrows, + and -), but not with the mouse wheel: a map
 * sits among text and forms, and the wheel should scroll the page. Throws, leaving the
 * element as it was, if there are no tiles or Leaflet cannot run.
 */
export function createTileMap(container: HTMLElement, options: TileMapOptions): LeafletMap {
  const tiles = container.dataset.tiles;
  if (!tiles) throw new Error('The map has no data-tiles URL');
  const centre = centreOf(container) ?? { lat: 54, lng: -2 };
  const zoom = Number(container.dataset.zoom) || 11;

  const classes = ['report-map--active', ...(options.classes ?? [])];
  // Sized before Leaflet measures it: without JavaScript the element takes no space.
  container.classList.add(...classes);
  container.setAttribute('role', options.role);
  container.setAttribute('aria-label', options.label);
  if (options.describedBy) container.setAttribute('aria-describedby', options.describedBy);

  let map: LeafletMap | undefined;
  try {
    map = createMap(container, {
      center: toLatLng(centre),
      zoom,
      keyboard: true,
      scrollWheelZoom: false,
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    tileLayer(tiles, { attribution: container.dataset.attribution ?? '', maxZoom: 19 }).addTo(map);
    return map;
  } catch (error) {
    // Back to the page as it was: no empty box named as a map.
    map?.remove();
    container.classList.remove(...classes);
    for (const name of ADDED_ATTRIBUTES) container.removeAttribute(name);
    throw error;
  }
}

/** The map element's `data-centre` ("lat,lng"), or null if it has none. */
export function centreOf(container: HTMLElement): Coordinates | null {
  const [lat, lng] = (container.dataset.centre ?? '').split(',');
  return toCoordinates(lat, lng);
}

/** The point as Leaflet takes it. */
export function toLatLng(point: Coordinates): LatLngTuple {
  return [point.lat, point.lng];
}
