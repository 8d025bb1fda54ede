/**
 * When a case is due: `days` working days after `from`, counting Monday to Friday.
 * Bank holidays are not counted out yet; a council that needs them will add its
 * calendar to config (noted for the back office issue).
 */
export function addWorkingDays(from: Date, days: number): Date {
  const due = new Date(from);
  let left = days;
  while (left > 0) {
    due.setUTCDate(due.getUTCDate() + 1);
    const weekday = due.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return due;
}
