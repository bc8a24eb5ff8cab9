// The change calendar's arithmetic (pure: unit-tested): local days of a month or a week in the
// user's time zone, and where a change or window goes on them. A day is the span between two
// local midnights, so a day across a daylight-saving switch is 23 or 25 hours long; the week
// view's grid is 24 wall-clock hours, so an item is placed at its local time of day (12:00 is
// halfway down on every day, the switch days too).

const DAY_MS = 86_400_000;

export interface LocalDay {
  // "2026-12-05"
  date: string;
  // [start, end) in epoch ms: local midnight to the next.
  start: number;
  end: number;
  // 1 (Monday) .. 7 (Sunday).
  weekday: number;
  day: number;
  // Month view: whether the day belongs to the month shown (weeks are padded with its neighbours').
  inMonth: boolean;
}

// The zone's offset from UTC at `ms` (positive east), from Intl: no time-zone table is shipped.
export function zoneOffsetMs(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

// Epoch ms of local midnight starting y-m-d in `zone` (month 1..12; days overflow as Date.UTC's do).
export function localMidnight(y: number, m: number, d: number, zone: string): number {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - zoneOffsetMs(guess, zone);
  // Once more with the offset at the found instant: right across a switch between the two.
  t = guess - zoneOffsetMs(t, zone);
  return t;
}

// The local date (y, m 1..12, d) of an instant in `zone`.
export function localDateOf(ms: number, zone: string): { y: number; m: number; d: number } {
  const local = new Date(ms + zoneOffsetMs(ms, zone));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

function dayOf(y: number, m: number, d: number, zone: string, month?: number): LocalDay {
  const noon = new Date(Date.UTC(y, m - 1, d, 12));
  const [yy, mm, dd] = [noon.getUTCFullYear(), noon.getUTCMonth() + 1, noon.getUTCDate()];
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    date: `${yy}-${pad(mm)}-${pad(dd)}`,
    start: localMidnight(yy, mm, dd, zone),
    end: localMidnight(yy, mm, dd + 1, zone),
    weekday: ((noon.getUTCDay() + 6) % 7) + 1,
    day: dd,
    inMonth: month === undefined || mm === month,
  };
}

// The weeks (Monday first) that show month m of year y: 4 to 6 rows of 7 days.
export function monthWeeks(y: number, m: number, zone: string): LocalDay[][] {
  const first = dayOf(y, m, 1, zone, m);
  const weeks: LocalDay[][] = [];
  let d = 1 - (first.weekday - 1);
  for (;;) {
    const week = Array.from({ length: 7 }, (_, i) => dayOf(y, m, d + i, zone, m));
    weeks.push(week);
    d += 7;
    if (!week[6].inMonth || dayOf(y, m, d, zone, m).inMonth === false) break;
  }
  return weeks;
}

// The week (Monday to Sunday) holding local date y-m-d.
export function weekOf(y: number, m: number, d: number, zone: string): LocalDay[] {
  const day = dayOf(y, m, d, zone);
  return Array.from({ length: 7 }, (_, i) => dayOf(y, m, d - (day.weekday - 1) + i, zone));
}

export interface Span {
  key: string;
  start: number;
  end: number;
}

// The items overlapping each day, in start order.
export function itemsByDay<T extends Span>(days: LocalDay[], items: T[]): Map<string, T[]> {
  const sorted = [...items].sort((a, b) => a.start - b.start || a.end - b.end || (a.key < b.key ? -1 : 1));
  return new Map(days.map((day) => [day.date, sorted.filter((i) => i.start < day.end && i.end > day.start)]));
}

export interface Placed<T> {
  item: T;
  // Within the day column, in percent of the day: where it begins and how tall it is.
  top: number;
  height: number;
  // Overlapping items side by side: this one's lane and how many lanes the overlap needs.
  lane: number;
  lanes: number;
  // Clipped: it began before this day, or ends after it.
  continuesBefore: boolean;
  continuesAfter: boolean;
}

// An item's place in one day of the week view, by its local time of day in `zone` against the
// 24-hour grid; overlapping items share the width in lanes (the first free lane, greedily: items
// of a cluster of overlaps get the same lane count).
export function placeInDay<T extends Span>(day: LocalDay, items: T[], zone: string): Placed<T>[] {
  const dayWall = day.start + zoneOffsetMs(day.start, zone);
  // Percent of the wall-clock day at `ms` (the day's end is 100: the next local midnight).
  const wall = (ms: number) => (ms >= day.end ? 100 : Math.min(Math.max(((ms + zoneOffsetMs(ms, zone) - dayWall) / DAY_MS) * 100, 0), 100));
  const inside = itemsByDay([day], items).get(day.date)!;
  const placed: Placed<T>[] = [];
  let cluster: Placed<T>[] = [];
  let laneEnds: number[] = [];
  let clusterEnd = -Infinity;
  const close = () => {
    for (const p of cluster) p.lanes = laneEnds.length;
    cluster = [];
    laneEnds = [];
  };
  for (const item of inside) {
    const s = Math.max(item.start, day.start);
    const e = Math.min(item.end, day.end);
    if (s >= clusterEnd) close();
    let lane = laneEnds.findIndex((end) => end <= s);
    if (lane < 0) lane = laneEnds.push(e) - 1;
    else laneEnds[lane] = e;
    clusterEnd = Math.max(clusterEnd, e);
    const p: Placed<T> = {
      item,
      top: wall(s),
      height: Math.max(wall(e) - wall(s), 0),
      lane,
      lanes: 1,
      continuesBefore: item.start < day.start,
      continuesAfter: item.end > day.end,
    };
    cluster.push(p);
    placed.push(p);
  }
  close();
  return placed;
}

// The range a view reads from the calendar API: the first day's start to the last day's end.
export function rangeOf(days: LocalDay[]): { start: string; end: string } {
  return { start: new Date(days[0].start).toISOString(), end: new Date(days[days.length - 1].end).toISOString() };
}

// A month or week away (delta ±1) from local date y-m-d.
export function shift(view: "month" | "week", y: number, m: number, d: number, delta: number): { y: number; m: number; d: number } {
  const t = view === "month" ? new Date(Date.UTC(y, m - 1 + delta, 1, 12)) : new Date(Date.UTC(y, m - 1, d, 12) + delta * 7 * DAY_MS);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}
