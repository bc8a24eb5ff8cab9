// SLA compliance by service and priority (pure: unit-tested): the compliance report's rows
// (grouped by service, then priority) as a matrix with a total per service, and the scale of
// its chart. int64 counts arrive as strings (proto3 JSON).

export interface ComplianceRow {
  service?: string;
  priority?: string;
  met?: string | number;
  breached?: string | number;
  inProgress?: string | number;
  cancelled?: string | number;
  percentMet?: number;
  meanTimeToRespond?: string;
  meanTimeToResolve?: string;
  p90TimeToResolve?: string;
}

export interface Cell {
  met: number;
  breached: number;
  inProgress: number;
  cancelled: number;
  // met / (met + breached) * 100; null when no clock completed (nothing to judge yet).
  percent: number | null;
}

export interface ServiceCompliance {
  service: string;
  byPriority: Map<string, Cell>;
  total: Cell;
}

const PRIORITY_ORDER = ["PRIORITY_P1", "PRIORITY_P2", "PRIORITY_P3", "PRIORITY_P4", "PRIORITY_P5"];

function cell(met: number, breached: number, inProgress: number, cancelled: number): Cell {
  return { met, breached, inProgress, cancelled, percent: met + breached === 0 ? null : (met / (met + breached)) * 100 };
}

// Services by name ("" — records without a service — last, as "(no service)"), priorities P1
// first; the service's total adds its rows' counts (a mean of percentages would weigh a
// priority with 2 clocks like one with 2,000).
export function complianceByService(rows: ComplianceRow[]): { services: ServiceCompliance[]; priorities: string[] } {
  const services = new Map<string, ServiceCompliance>();
  const priorities = new Set<string>();
  for (const r of rows) {
    const name = r.service ?? "";
    const priority = r.priority && r.priority !== "PRIORITY_UNSPECIFIED" ? r.priority : "";
    let s = services.get(name);
    if (!s) services.set(name, (s = { service: name, byPriority: new Map(), total: cell(0, 0, 0, 0) }));
    const c = cell(Number(r.met ?? 0), Number(r.breached ?? 0), Number(r.inProgress ?? 0), Number(r.cancelled ?? 0));
    const before = s.byPriority.get(priority);
    s.byPriority.set(priority, before ? cell(before.met + c.met, before.breached + c.breached, before.inProgress + c.inProgress, before.cancelled + c.cancelled) : c);
    const t = s.total;
    s.total = cell(t.met + c.met, t.breached + c.breached, t.inProgress + c.inProgress, t.cancelled + c.cancelled);
    priorities.add(priority);
  }
  const rank = (p: string) => (PRIORITY_ORDER.indexOf(p) < 0 ? 99 : PRIORITY_ORDER.indexOf(p));
  return {
    services: [...services.values()].sort((a, b) => (a.service === "") !== (b.service === "") ? (a.service === "" ? 1 : -1) : a.service.localeCompare(b.service)),
    priorities: [...priorities].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
  };
}

// "97.5 %", or "—" when nothing completed.
export function percentText(p: number | null): string {
  return p === null ? "—" : `${p.toFixed(p === 100 || p === 0 ? 0 : 1)} %`;
}

// The level a percentage is shown in: at or above the target met, within 5 points a warning.
export function complianceLevel(p: number | null, target: number): "ok" | "warning" | "breached" | "done" {
  if (p === null) return "done";
  if (p >= target) return "ok";
  return p >= target - 5 ? "warning" : "breached";
}

// The start and end (exclusive) of a chosen period as RFC 3339, from local dates in the user's
// zone: "this month" is the month the user sees on their wall, not UTC's.
export function periodBounds(fromDate: string, toDate: string, midnight: (y: number, m: number, d: number) => number): { start: string; end: string } {
  const [fy, fm, fd] = fromDate.split("-").map(Number);
  const [ty, tm, td] = toDate.split("-").map(Number);
  return { start: new Date(midnight(fy, fm, fd)).toISOString(), end: new Date(midnight(ty, tm, td + 1)).toISOString() };
}

export type Preset = "this-month" | "last-month" | "last-7-days" | "last-30-days";

// The local dates (inclusive) of a preset period, from today's local date (y, m 1..12, d).
export function presetDates(preset: Preset, y: number, m: number, d: number): { from: string; to: string } {
  const iso = (t: Date) => t.toISOString().slice(0, 10);
  const day = (dy: number, dm: number, dd: number) => new Date(Date.UTC(dy, dm - 1, dd));
  switch (preset) {
    case "this-month":
      return { from: iso(day(y, m, 1)), to: iso(day(y, m, d)) };
    case "last-month":
      return { from: iso(day(y, m - 1, 1)), to: iso(day(y, m, 0)) };
    case "last-7-days":
      return { from: iso(day(y, m, d - 6)), to: iso(day(y, m, d)) };
    case "last-30-days":
      return { from: iso(day(y, m, d - 29)), to: iso(day(y, m, d)) };
  }
}
