/** What the Open311 tests share: a key issued as an administrator would, and calls made with it. */
import { JSDOM } from 'jsdom';
import type { TestApp } from '../../../test/helper.js';
import type { Staff } from '../backoffice/roles.js';
import { ApiKeys } from './keys.js';

export const ADMIN: Staff = { id: 1, name: 'Ali Admin', role: 'admin', team: null };

/** A pothole on Market Street, Westmoor, as a back office sends it to POST requests. */
export const POTHOLE = {
  service_code: 'report-a-pothole',
  lat: '51.4203',
  long: '-2.2011',
  'attribute[position]': 'road',
  'attribute[depth]': 'deep',
  'attribute[width]': 'small',
  'attribute[dangerous]': 'no',
  description: 'A deep pothole by the bus stop.',
  email: 'sam@example.org',
  first_name: 'Sam',
  last_name: 'Jones',
};

/** A new key for `name`, allowed `perMinute` calls a minute. */
export async function issueKey(app: TestApp, name = 'Highways asset system', perMinute = 1000) {
  return new ApiKeys(app.database.db).issue(ADMIN, { name, perMinute: String(perMinute) });
}

/** A form-encoded POST, as back offices send Open311 calls. */
export function postForm(app: TestApp, url: string, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return app.app.inject({
    method: 'POST',
    url,
    payload: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** An XML answer parsed by a real XML parser (jsdom's): a malformed document throws. */
export function xml(body: string): Document {
  return new JSDOM(body, { contentType: 'text/xml' }).window.document;
}

/** The text of each `name` element under `parent`, in order. */
export function texts(parent: Document | Element, name: string): string[] {
  return [...parent.getElementsByTagName(name)].map((e) => e.textContent);
}
