import type { Council } from '../../platform/config.js';

const DAY_NAMES: Record<string, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** "08:30" → "8:30am", "17:00" → "5pm", as GOV.UK writes times. */
export function describeTime(hhmm: string): string {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  const suffix = h >= 12 ? 'pm' : 'am';
  const hour = h % 12 === 0 ? 12 : h % 12;
  return m === 0 ? `${hour}${suffix}` : `${hour}:${String(m).padStart(2, '0')}${suffix}`;
}

/** "Monday to Friday, 8:30am to 5pm" for each configured block of days. */
export function describeOpeningHours(hours: Council['openingHours']): string[] {
  return hours.map(({ days, opens, closes }) => {
    const names = days.map((d) => DAY_NAMES[d] ?? d);
    const consecutive =
      days.length > 2 &&
      days.every(
        (d, i) =>
          i === 0 ||
          Object.keys(DAY_NAMES).indexOf(d) ===
            Object.keys(DAY_NAMES).indexOf(days[i - 1] ?? '') + 1,
      );
    const dayText = consecutive
      ? `${names[0]} to ${names[names.length - 1]}`
      : names.join(', ').replace(/, ([^,]*)$/, ' and $1');
    return `${dayText}, ${describeTime(opens)} to ${describeTime(closes)}`;
  });
}

/** The day and time in the council's own time zone (UK local time, summer time included). */
const LOCAL = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function localDayAndTime(at: Date): { day: string; time: string } {
  const parts = LOCAL.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    day: part('weekday').toLowerCase().slice(0, 3),
    time: `${part('hour')}:${part('minute')}`,
  };
}

/** Whether `at` falls within the opening hours (opens inclusive, closes exclusive). */
export function isOpenAt(hours: Council['openingHours'], at: Date): boolean {
  const { day, time } = localDayAndTime(at);
  return hours.some(
    (block) => (block.days as string[]).includes(day) && time >= block.opens && time < block.closes,
  );
}
