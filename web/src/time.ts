// Times in the user's own zone, with the zone named (an operations team spans zones: "14:05"
// alone is ambiguous), and SLA countdowns.
import { zoneOffsetMs } from "./calendar";

// Zones the browser's ICU still names by their old names, as the IANA database names them now
// (an Indian user is in Asia/Kolkata, not Asia/Calcutta). Both name the same rules.
const CURRENT_ZONE_NAMES: Record<string, string> = {
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Europe/Kiev": "Europe/Kyiv",
  "America/Godthab": "America/Nuuk",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Pacific/Enderbury": "Pacific/Kanton",
};

export function currentZoneName(name: string): string {
  return CURRENT_ZONE_NAMES[name] ?? name;
}

let zone: string | null = null;
export function zoneName(): string {
  zone ??= currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  return zone;
}

// Formatters by zone and locale: making one costs far more than formatting with it, and a
// queue formats two times per row on every render.
const formatters = new Map<string, Intl.DateTimeFormat>();

// "1 Dec 2026, 14:05:09 CET", in `zone` (the user's by default).
export function formatTime(iso: string | undefined, zone = zoneName(), locale?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const key = `${zone}|${locale ?? ""}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = makeFormatter(zone, locale);
    formatters.set(key, formatter);
  }
  return formatter.format(date);
}

// "1 Dec, 14:05 CET": the queue's short form (the record shows the full one).
export function formatShort(iso: string | undefined, zone = zoneName(), locale?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const key = `short|${zone}|${locale ?? ""}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone: zone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    formatters.set(key, formatter);
  }
  return formatter.format(date);
}

// A service's sentence with times in it ("also changed by CHG0000002
// (2026-12-10T16:00:00.000000Z..2026-12-10T18:00:00.000000Z)"), its times in `zone`.
export function withLocalTimes(text: string | undefined, zone = zoneName(), locale?: string): string {
  return (text ?? "").replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, (iso) => formatShort(iso, zone, locale));
}

function makeFormatter(zone: string, locale?: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, {
    timeZone: zone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
}

export type SlaLevel = "ok" | "warning" | "breached" | "done";

// What is left until `due` at `now`: "2h 05m left", "12m 30s overdue"; the level colours it
// (under a quarter of the target left: warning).
export function countdown(dueIso: string | undefined, now: number, targetMs?: number): { text: string; level: SlaLevel } {
  if (!dueIso) return { text: "—", level: "done" };
  const left = Date.parse(dueIso) - now;
  const text = `${duration(Math.abs(left))} ${left >= 0 ? "left" : "overdue"}`;
  if (left < 0) return { text, level: "breached" };
  if (targetMs !== undefined && left < targetMs / 4) return { text, level: "warning" };
  return { text, level: "ok" };
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  return `${m}m ${pad(s % 60)}s`;
}

// A proto3 JSON Duration ("3600s", "-12.5s") in milliseconds.
export function durationMs(json: string | undefined): number | undefined {
  if (!json || !/^-?\d+(\.\d+)?s$/.test(json)) return undefined;
  return Math.round(Number(json.slice(0, -1)) * 1000);
}

// A `datetime-local` input's value ("2026-12-05T22:00", a wall-clock time in `zone`) as the
// instant the API takes (RFC 3339, UTC); "" when it is not one. A time skipped by a
// spring-forward is the switch, a repeated one its first occurrence.
export function localInputToIso(value: string, zone = zoneName()): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return "";
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The instants whose local time is `wall`, under the offsets in force a day before and after:
  // one usually; two in the hour a fall-back repeats (the first is taken); none in the hour a
  // spring-forward skips (the switch itself is taken) — as the change service reads a window's
  // local times, so that a slot and a window typed alike mean the same instants.
  const before = wall - zoneOffsetMs(wall - 86_400_000, zone);
  const after = wall - zoneOffsetMs(wall + 86_400_000, zone);
  const fits = [before, after].filter((t) => t + zoneOffsetMs(t, zone) === wall);
  if (fits.length > 0) return new Date(Math.min(...fits)).toISOString();
  // Skipped: the switch lies between the two (later offset from it on), found to the minute.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  const laterOffset = zoneOffsetMs(hi, zone);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (zoneOffsetMs(mid, zone) === laterOffset) hi = mid;
    else lo = mid;
  }
  return new Date(hi).toISOString();
}

// An instant as a `datetime-local` input's value in `zone` ("" for none).
export function isoToLocalInput(iso: string | undefined, zone = zoneName()): string {
  const ms = Date.parse(iso ?? "");
  if (Number.isNaN(ms)) return "";
  return new Date(ms + zoneOffsetMs(ms, zone)).toISOString().slice(0, 16);
}
