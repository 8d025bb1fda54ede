// Types for the two browser libraries the Report It pages bundle, as we import them.
//
// Leaflet ships no types and its package points bundlers at a UMD build, so we import
// its ES module build by path and declare only the parts we call. exifr's own types
// describe every build; its lite build is the one that reads JPEG and HEIC in a browser.

declare module 'leaflet/dist/leaflet-src.esm.js' {
  export interface LatLng {
    lat: number;
    lng: number;
  }
  export type LatLngTuple = [number, number];

  export interface LeafletMouseEvent {
    /** Missing when Leaflet turns Enter on a focused map or marker into a click. */
    latlng?: LatLng;
  }

  export interface Layer {
    addTo(map: Map): this;
    remove(): this;
  }

  export interface CircleMarker extends Layer {
    setLatLng(latlng: LatLngTuple): this;
  }

  export interface Popup {
    getElement(): HTMLElement | undefined;
  }

  export interface PopupEvent {
    popup: Popup;
  }

  export interface Marker extends Layer {
    bindPopup(content: HTMLElement): this;
    openPopup(): this;
    getElement(): HTMLElement | undefined;
    on(type: 'popupopen' | 'popupclose', handler: (event: PopupEvent) => void): this;
  }

  export interface Icon {
    createIcon(oldIcon?: HTMLElement): HTMLElement;
  }

  export interface Map {
    setView(center: LatLngTuple, zoom?: number): this;
    panTo(center: LatLngTuple): this;
    getCenter(): LatLng;
    getZoom(): number;
    on(type: 'click', handler: (event: LeafletMouseEvent) => void): this;
    closePopup(): this;
    /** Takes the map out of its element, leaving it as it was. */
    remove(): this;
    fitBounds(
      points: LatLngTuple[],
      options?: { padding?: [number, number]; maxZoom?: number },
    ): this;
    attributionControl: { setPrefix(prefix: string | false): unknown };
  }

  export interface MapOptions {
    center?: LatLngTuple;
    zoom?: number;
    keyboard?: boolean;
    scrollWheelZoom?: boolean;
  }

  export function map(element: HTMLElement, options?: MapOptions): Map;

  export function tileLayer(
    urlTemplate: string,
    options?: { attribution?: string; maxZoom?: number },
  ): Layer;

  export function marker(
    latlng: LatLngTuple,
    options?: { icon?: Icon; title?: string; keyboard?: boolean; riseOnHover?: boolean },
  ): Marker;

  export function divIcon(options?: { className?: string; iconSize?: [number, number] }): Icon;

  export function circleMarker(
    latlng: LatLngTuple,
    options?: { radius?: number; className?: string; interactive?: boolean },
  ): CircleMarker;
}

declare module 'exifr/dist/lite.esm.mjs' {
  export { gps } from 'exifr';
}
