// Times in the user's own zone, with the zone named (an operations team spans zones: "14:05"
// alone is ambiguous), and SLA countdowns.
import { zoneOffsetMs } from "./calendar";

let zone: string | null = null;
export function zoneName(): string {
  zone ??= Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
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
// instant the API takes (RFC 3339, UTC); "" when it is not one. Done with the zone's offset at
// that instant, found as localMidnight finds it (calendar.ts): a time skipped by a
// spring-forward lands after the switch.
export function localInputToIso(value: string, zone = zoneName()): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return "";
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let t = wall - zoneOffsetMs(wall, zone);
  t = wall - zoneOffsetMs(t, zone);
  return new Date(t).toISOString();
}

// An instant as a `datetime-local` input's value in `zone` ("" for none).
export function isoToLocalInput(iso: string | undefined, zone = zoneName()): string {
  const ms = Date.parse(iso ?? "");
  if (Number.isNaN(ms)) return "";
  return new Date(ms + zoneOffsetMs(ms, zone)).toISOString().slice(0, 16);
}
