import { ValidationError } from '../../platform/errors.js';

/** Open311's longest window for a list, and its default: the last 90 days. */
export const WINDOW_DAYS = 90;
const DAY = 24 * 60 * 60_000;

/**
 * A W3C date and time with its zone (2026-12-07T10:30:00Z, …+01:00), or a date alone
 * (midnight UTC); undefined for anything else, a time without a zone included, since its
 * meaning would be a guess.
 */
export function parseTime(value: string): Date | undefined {
  const match = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/.exec(
    value,
  );
  if (!match) return undefined;
  const time = Date.parse(match[1] ? value : `${value}T00:00:00Z`);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * The window a list covers, from start_date and end_date: both, either (the other 90 days
 * away), or neither (the last 90 days). A date alone as end_date means the end of that day.
 * Never more than 90 days, as the spec says.
 */
export function readWindow(
  query: { start_date?: string | undefined; end_date?: string | undefined },
  now: Date,
): { from: Date; to: Date } {
  const read = (name: 'start_date' | 'end_date') => {
    const value = query[name]?.trim();
    if (!value) return undefined;
    const time = parseTime(value);
    if (!time)
      throw new ValidationError(
        `${name} must be a W3C date, or date and time with its time zone, like 2026-12-07 or 2026-12-07T10:30:00Z`,
        name,
      );
    return name === 'end_date' && /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? new Date(time.getTime() + DAY - 1)
      : time;
  };
  const start = read('start_date');
  const end = read('end_date');
  const from = start ?? new Date((end ?? now).getTime() - WINDOW_DAYS * DAY);
  const to = end ?? (start ? new Date(start.getTime() + WINDOW_DAYS * DAY) : now);
  if (from > to) throw new ValidationError('start_date must be before end_date', 'start_date');
  // A date alone as end_date reaches to the end of its day: 90 days of dates, not 89.
  const slack = end && /^\d{4}-\d{2}-\d{2}$/.test(query.end_date?.trim() ?? '') ? DAY : 0;
  if (to.getTime() - from.getTime() > WINDOW_DAYS * DAY + slack)
    throw new ValidationError(
      `start_date and end_date must be at most ${String(WINDOW_DAYS)} days apart`,
      'end_date',
    );
  return { from, to };
}
