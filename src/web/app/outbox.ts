// Reports made in the app, kept on the phone (IndexedDB) until they reach the council, and
// whether a resident is signed in on the phone, which the worker also needs to know.
//
// Used by the report page (which saves drafts and sends them) and by the service worker
// (which sends them when the connection comes back, through Background Sync). Each draft
// is sent with its id as the idempotency key, so a send cut off half-way and tried again,
// or the page and the worker sending at the same moment, never makes two cases.

const DB_NAME = 'shire-app';
const DRAFTS = 'drafts';
/** Small facts about the phone, by name. */
const SETTINGS = 'settings';
const SIGNED_IN = 'signedIn';
/** Bump with an upgrade step in openDatabase, never by dropping a store: it holds residents' reports. */
const DB_VERSION = 2;
/** What the worker posts to its pages when it has sent drafts. */
export const DRAFTS_CHANGED = 'shire:drafts-changed';
/** The Background Sync tag the worker answers. */
export const SYNC_TAG = 'send-reports';
/** Where drafts go; the answer is JSON (201 with the reference, or problem JSON). */
export const SEND_URL = '/app/reports';
/** A fresh CSRF token for the session the send will use, and whether anyone is signed in. */
const TOKEN_URL = '/app/token';

export type DraftStatus =
  /** Still being filled in on the report page. */
  | 'editing'
  /** Complete, waiting for a connection. */
  | 'waiting'
  /** The council has it: `ref` and `url` are set. */
  | 'sent'
  /** The council refused it (`errors` says why); the resident must change it. */
  | 'refused';

export interface Draft {
  /** A random UUID, sent as the Idempotency-Key. */
  id: string;
  status: DraftStatus;
  /** The form's fields as the server reads them (a question with several answers is a list). */
  fields: Record<string, string | string[]>;
  /** Already scaled down on the phone. */
  photos: File[];
  savedAt: number;
  /** What the resident chose and where, as they gave it: "Pothole, High Street". */
  title?: string;
  ref?: string;
  url?: string;
  errors?: { field: string; message: string }[];
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      resolve(req.result);
    };
    req.onerror = () => {
      reject(req.error ?? new Error('IndexedDB request failed'));
    };
  });
}

let opened: Promise<IDBDatabase> | undefined;
function openDatabase(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, DB_VERSION);
    open.onupgradeneeded = () => {
      // Version 1 had the drafts; version 2 added the settings.
      const stores = open.result.objectStoreNames;
      if (!stores.contains(DRAFTS)) open.result.createObjectStore(DRAFTS, { keyPath: 'id' });
      if (!stores.contains(SETTINGS)) open.result.createObjectStore(SETTINGS);
    };
    open.onsuccess = () => {
      // Another tab opening a newer version asks this one to let go.
      open.result.onversionchange = () => {
        open.result.close();
        opened = undefined;
      };
      resolve(open.result);
    };
    open.onerror = () => {
      opened = undefined;
      reject(open.error ?? new Error('IndexedDB would not open'));
    };
  });
  return opened;
}

async function store(name: string, mode: IDBTransactionMode): Promise<IDBObjectStore> {
  return (await openDatabase()).transaction(name, mode).objectStore(name);
}

/** Whether a resident was signed in on this phone when it last had a connection. */
export async function signedInHere(): Promise<boolean> {
  return (await request((await store(SETTINGS, 'readonly')).get(SIGNED_IN))) === true;
}

export async function rememberSignIn(signedIn: boolean): Promise<void> {
  await request((await store(SETTINGS, 'readwrite')).put(signedIn, SIGNED_IN));
}

export async function saveDraft(draft: Draft): Promise<void> {
  await request((await store(DRAFTS, 'readwrite')).put({ ...draft, savedAt: Date.now() }));
}

export async function getDraft(id: string): Promise<Draft | undefined> {
  return request((await store(DRAFTS, 'readonly')).get(id) as IDBRequest<Draft | undefined>);
}

export async function deleteDraft(id: string): Promise<void> {
  await request((await store(DRAFTS, 'readwrite')).delete(id));
}

/** Every draft, newest first. */
export async function allDrafts(): Promise<Draft[]> {
  const drafts = await request((await store(DRAFTS, 'readonly')).getAll() as IDBRequest<Draft[]>);
  return drafts.sort((a, b) => b.savedAt - a.savedAt);
}

export type SendResult =
  | { kind: 'sent'; draft: Draft }
  | { kind: 'refused'; draft: Draft }
  /** No connection, or the server could not answer: try again later. */
  | { kind: 'later' };

/** Asks the council for a CSRF token for this phone's session; throws with no connection. */
export async function fetchToken(): Promise<{ token: string; signedIn: boolean }> {
  const response = await fetch(TOKEN_URL, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${TOKEN_URL} answered ${String(response.status)}`);
  return (await response.json()) as { token: string; signedIn: boolean };
}

/** Sends one waiting draft, and records what became of it. */
export async function sendDraft(draft: Draft): Promise<SendResult> {
  let response: Response;
  try {
    const { token: csrf } = await fetchToken();
    const body = new FormData();
    for (const [name, value] of Object.entries(draft.fields))
      for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
    for (const photo of draft.photos) body.append('photos', photo, photo.name);
    response = await fetch(SEND_URL, {
      method: 'POST',
      body,
      headers: { accept: 'application/json', 'idempotency-key': draft.id, 'x-csrf-token': csrf },
    });
  } catch {
    return { kind: 'later' };
  }
  // Too many at once, or the server is unwell: nothing is wrong with the report itself.
  if (response.status === 429 || response.status >= 500) return { kind: 'later' };
  const answer = (await response.json().catch(() => ({}))) as {
    ref?: string;
    url?: string;
    detail?: string;
    errors?: { field: string; message: string }[];
  };
  if (response.ok && answer.ref) {
    const sent: Draft = { ...draft, status: 'sent', ref: answer.ref, url: answer.url ?? '' };
    // The photos are with the council now; the phone keeps only the reference.
    sent.photos = [];
    await saveDraft(sent);
    return { kind: 'sent', draft: sent };
  }
  const refused: Draft = {
    ...draft,
    status: 'refused',
    errors: answer.errors?.length
      ? answer.errors
      : [{ field: '', message: answer.detail ?? 'The council could not take this report.' }],
  };
  await saveDraft(refused);
  return { kind: 'refused', draft: refused };
}

/**
 * Sends every waiting draft, one at a time (one connection on a poor signal does better
 * than several). Stops at the first that must wait, as the rest would too.
 */
export async function sendWaiting(): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const waiting = (await allDrafts()).filter((d) => d.status === 'waiting').reverse();
  for (const draft of waiting) {
    const result = await sendDraft(draft);
    results.push(result);
    if (result.kind === 'later') break;
  }
  return results;
}
