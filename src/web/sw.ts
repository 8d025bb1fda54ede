// The app's service worker, served from /sw.js so that it controls every page.
//
// It keeps the app shell on the phone: the stylesheets and scripts, the offline page, and
// the app's home and report pages as anyone sees them before signing in. Those two pages
// open from the phone at once when nobody is signed in on it (the copy is exactly what the
// council would send), and are refreshed behind them for next time; for a signed-in
// resident they come from the council, and from the phone only when there is no signal.
// Any other page that cannot be fetched shows the offline page instead of the browser's
// own error. Other pages are never stored: some are personal, and a phone may be shared.
//
// Reports made with no signal wait in IndexedDB (./app/outbox.ts); the worker sends them
// when the connection returns (Background Sync), or when a page asks it to. It shows the
// council's push messages, and a tap opens the report they are about.
//
// The server puts the shell's list in front of this script (`self.shireShell`), with a
// cache name that changes whenever the shell does. A new version waits until no page is
// using the old one, so a report being written is never interrupted; and drafts live in
// IndexedDB, which every version shares, so none is lost when the new one takes over.
import { DRAFTS_CHANGED, SYNC_TAG, sendWaiting, signedInHere } from './app/outbox.js';

// This file is compiled with the DOM library, not WebWorker's (the two cannot be loaded
// together), so the few service worker types it uses are written out here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { json(): unknown } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification & { data: unknown };
}
interface WindowClient {
  readonly url: string;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
  postMessage(message: unknown): void;
}
export interface Shell {
  /** The name of this version's cache. */
  cache: string;
  /** What every version's cache name starts with: other caches so named are old. */
  cachePrefix: string;
  /** Stored on install: the shell's hashed assets and pages. */
  urls: string[];
  /** Pages stored as anyone sees them, and answered from the phone when there is no signal. */
  pages: string[];
  /** Shown for a page that cannot be fetched. */
  offlineUrl: string;
  /** Shown with a notification. */
  icon: string;
}
interface ServiceWorkerScope {
  readonly location: Location;
  readonly shireShell: Shell;
  readonly clients: {
    claim(): Promise<void>;
    matchAll(options: { type: 'window'; includeUncontrolled?: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  readonly registration: {
    showNotification(
      title: string,
      options: NotificationOptions & { data?: unknown },
    ): Promise<void>;
  };
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
}

const worker = self as unknown as ServiceWorkerScope;
const shell = worker.shireShell;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(shell.cache).then(async (cache) => {
      await cache.addAll(shell.urls);
      await Promise.all(shell.pages.map((page) => storePage(cache, page)));
    }),
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
  else if (request.mode === 'navigate') event.respondWith(shellOrNetwork(event, url));
});

/** Stored without cookies: the copy must be nobody's, whoever installed the app. */
async function storePage(cache: Cache, page: string): Promise<void> {
  const response = await fetch(page, { credentials: 'omit' });
  if (!response.ok) throw new Error(`${page} answered ${String(response.status)}`);
  await cache.put(page, response);
}

/** A shell page from the phone when nobody is signed in on it; anything else from the council. */
async function shellOrNetwork(event: FetchEvent, url: URL): Promise<Response> {
  // The query is read on the phone (?draft=…), so any query shows the same page.
  if (shell.pages.includes(url.pathname)) {
    const cache = await caches.open(shell.cache);
    const stored = await cache.match(url.pathname);
    if (stored && !(await signedInHere().catch(() => true))) {
      // Refreshed for next time, so a new category shows on the visit after it is added.
      event.waitUntil(storePage(cache, url.pathname).catch(() => undefined));
      return stored;
    }
  }
  return fromNetworkOrShell(event.request, url);
}

/** Files under /assets/ are named after their content, so a stored copy is never stale. */
async function fromCacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(shell.cache);
  const stored = await cache.match(request);
  if (stored) return stored;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function fromNetworkOrShell(request: Request, url: URL): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(shell.cache);
    const page = shell.pages.includes(url.pathname) ? await cache.match(url.pathname) : undefined;
    const fallback = page ?? (await cache.match(shell.offlineUrl));
    if (fallback) return fallback;
    throw error;
  }
}

// ---- Reports made with no signal ------------------------------------------------------------

async function sendAndTell(): Promise<void> {
  const results = await sendWaiting();
  if (results.length === 0) return;
  for (const client of await worker.clients.matchAll({ type: 'window' }))
    client.postMessage({ type: DRAFTS_CHANGED });
  // Still no connection: failing the sync makes the browser try again later.
  if (results.some((result) => result.kind === 'later')) throw new Error('Not sent yet');
}

worker.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendAndTell());
});

// ---- Push: updates on a resident's reports ---------------------------------------------------

interface PushMessage {
  title: string;
  body: string;
  url: string;
  tag?: string;
}

worker.addEventListener('push', (event) => {
  const message = event.data?.json() as PushMessage | undefined;
  if (!message?.title) return;
  event.waitUntil(
    worker.registration.showNotification(message.title, {
      body: message.body,
      // One notification per case: a newer update replaces the one before.
      ...(message.tag ? { tag: message.tag } : {}),
      icon: shell.icon,
      data: { url: message.url },
    }),
  );
});

worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(
    (event.notification.data as { url?: string } | null)?.url ?? '/app',
    worker.location.origin,
  );
  // Only ever the council's own pages.
  const url = target.origin === worker.location.origin ? target.href : '/app';
  event.waitUntil(
    worker.clients.matchAll({ type: 'window' }).then(async (windows) => {
      const open = windows[0];
      if (open) {
        await open.navigate(url);
        await open.focus();
      } else await worker.clients.openWindow(url);
    }),
  );
});
