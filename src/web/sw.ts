// The app's service worker, served from /sw.js so that it controls every page.
//
// It keeps the app shell (stylesheet, script, icons and the offline page) on the phone,
// so pages draw from the phone's copy and a lost connection shows a helpful page
// instead of the browser's own error. Pages themselves always come from the network
// and are never stored: some are personal (My Account, a resident's reports), and a
// phone may be shared.
//
// The server puts the shell's list in front of this script (`self.shireShell`), with a
// cache name that changes whenever the shell does; a changed script is a new version,
// which takes over at once and deletes the caches of older versions.

// This file is compiled with the DOM library, not WebWorker's (the two cannot be loaded
// together), so the few service worker types it uses are written out here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
export interface Shell {
  /** The name of this version's cache. */
  cache: string;
  /** What every version's cache name starts with: other caches so named are old. */
  cachePrefix: string;
  /** Stored on install: the shell's hashed assets and the offline page. */
  urls: string[];
  /** Shown for a page that cannot be fetched. */
  offlineUrl: string;
}
interface ServiceWorkerScope {
  readonly location: Location;
  readonly shireShell: Shell;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}

const worker = self as unknown as ServiceWorkerScope;
const shell = worker.shireShell;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(shell.cache)
      .then((cache) => cache.addAll(shell.urls))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(shell.cachePrefix) && name !== shell.cache)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin) return;
  if (url.pathname.startsWith('/assets/')) event.respondWith(fromCacheFirst(request));
  else if (request.mode === 'navigate') event.respondWith(fromNetworkOrOffline(request));
});

/** Files under /assets/ are named after their content, so a stored copy is never stale. */
async function fromCacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(shell.cache);
  const stored = await cache.match(request);
  if (stored) return stored;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function fromNetworkOrOffline(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(shell.offlineUrl);
    if (offline) return offline;
    throw error;
  }
}
