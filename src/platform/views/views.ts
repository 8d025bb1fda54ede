import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC_DIR = path.resolve(here, '../..');
const ROOT_DIR = path.resolve(SRC_DIR, '..');

/**
 * One Nunjucks environment for the whole app. Templates are named from their search root:
 * `layout.njk` and `errors/404.njk` (platform), `home/views/home.njk` (a module's own
 * views), `govuk/components/…` (govuk-frontend's macros).
 */
export function createViews(): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(
      [
        path.join(here, 'templates'),
        path.join(SRC_DIR, 'modules'),
        path.join(ROOT_DIR, 'node_modules/govuk-frontend/dist'),
      ],
      { noCache: false },
    ),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  );
  env.addFilter('date', formatDate);
  env.addFilter('dateTime', formatDateTime);
  env.addFilter('pounds', formatPounds);
  env.addFilter('age', formatAge);
  return env;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: '2-digit',
  // Not hour12, which in en-GB gives "0:50 pm" for ten to one in the afternoon.
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});

/** "29 November 2026", the GOV.UK style. */
export function formatDate(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return dateFormat.format(new Date(value));
}

/** "29 November 2026 at 2:05pm". */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const d = new Date(value);
  return `${dateFormat.format(d)} at ${timeFormat.format(d).replace(/\s/g, '').toLowerCase()}`;
}

/** Integer pence to "£2.83". */
export function formatPounds(pence: number): string {
  return `£${(pence / 100).toFixed(2)}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long ago, in words people use: "today", "yesterday", "3 days ago", "2 weeks ago", else the date. */
export function formatAge(value: Date | string, now: Date = new Date()): string {
  const then = new Date(value);
  const londonDay = (d: Date) => Date.parse(dayFormat.format(d));
  const days = Math.round((londonDay(now) - londonDay(then)) / DAY_MS);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days < 14) return `${String(days)} days ago`;
  if (days < 60) return `${String(Math.floor(days / 7))} weeks ago`;
  return `on ${formatDate(then)}`;
}

// ISO-like calendar day in London, so "yesterday" turns over at midnight there, not in UTC.
const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' });
