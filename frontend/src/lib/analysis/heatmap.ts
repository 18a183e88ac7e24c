/** Weekdays counts a week; row 0 is Monday, as the Go heat map sends it. */
export const Weekdays = 7;

/**
 * toLocalHeatmap moves a weekday × hour heat map counted in UTC (Monday = 0)
 * into the time zone offsetMinutes east of UTC (e.g. +60 for CET; note that
 * Date.getTimezoneOffset() has the opposite sign). Cells move by whole hours,
 * wrapping across midnight and from Sunday to Monday. Offsets that are not
 * whole hours are rounded to the nearest hour.
 */
export function toLocalHeatmap(utc: readonly (readonly number[])[], offsetMinutes: number): number[][] {
  const shift = Math.round(offsetMinutes / 60);
  const out = Array.from({ length: Weekdays }, () => new Array<number>(24).fill(0));
  for (let day = 0; day < Weekdays; day++) {
    const row = utc[day] ?? [];
    for (let hour = 0; hour < 24; hour++) {
      const n = row[hour] ?? 0;
      if (n === 0) continue;
      const h = day * 24 + hour + shift;
      const wrapped = ((h % (Weekdays * 24)) + Weekdays * 24) % (Weekdays * 24);
      const target = out[Math.floor(wrapped / 24)];
      if (target !== undefined) target[wrapped % 24] = (target[wrapped % 24] ?? 0) + n;
    }
  }
  return out;
}

/** localOffsetMinutes is this machine's offset east of UTC now, in minutes (+60 in CET). */
export function localOffsetMinutes(now = new Date()): number {
  return -now.getTimezoneOffset();
}

/** heatMax returns the largest cell (at least 1, so shares never divide by zero). */
export function heatMax(map: readonly (readonly number[])[]): number {
  return Math.max(1, ...map.flat());
}
