// SLA clocks as the console shows them, apart from the views: read from the SLA service's
// GET /v1/incidents/{id}/slaStatus (ClockStatus, proto/itsm/sla/v1/sla.proto) and kept current
// by the timer's clock events on the stream (SlaClock, proto/itsm/sla/v1/events.proto), which
// carry the whole clock — so an event is applied as it comes instead of re-reading the SLA
// service, whose own projection of those events may not have caught up yet. Pure, so
// `node --test` checks it (tests/unit/sla.test.ts).
import { duration, durationMs } from "./time";

export interface ClockView {
  clockId: string;
  recordId: string;
  name: string;
  // "response" or "resolution".
  kind: string;
  // "running", "paused", "met", "breached" or "cancelled" (breached wins over running and met).
  state: string;
  running: boolean;
  paused: boolean;
  breached: boolean;
  targetMs: number;
  // When the target is reached if the clock keeps running; "" while paused.
  dueTime: string;
  // Business time left (target − business elapsed) at `asOf` (ms since the epoch).
  remainingMs: number;
  asOf: number;
  // The time of the clock's latest event: of two copies of a clock, the later one wins.
  lastEventTime: number;
}

interface ClockStatusJson {
  clockId?: string;
  incidentId?: string;
  slaDefinitionName?: string;
  clockKind?: string;
  stage?: string;
  breached?: boolean;
  state?: string;
  target?: string;
  dueTime?: string;
  remaining?: string;
  lastEventTime?: string;
}

const kindOf = (k: string | undefined) => (k ?? "").replace(/^CLOCK_KIND_/, "").toLowerCase();
const ms = (t: string | undefined) => (t ? Date.parse(t) : 0);

// A clock of a slaStatus answer read at `asOf` (its `remaining` is counted up to the call).
export function clockOfStatus(c: ClockStatusJson, asOf: number): ClockView {
  const state = c.state ?? "";
  return {
    clockId: c.clockId ?? "",
    recordId: c.incidentId ?? "",
    name: c.slaDefinitionName ?? "",
    kind: kindOf(c.clockKind),
    state,
    running: c.stage === "CLOCK_STAGE_RUNNING",
    paused: c.stage === "CLOCK_STAGE_PAUSED",
    breached: Boolean(c.breached),
    targetMs: durationMs(c.target) ?? 0,
    dueTime: c.stage === "CLOCK_STAGE_PAUSED" ? "" : c.dueTime ?? "",
    remainingMs: durationMs(c.remaining) ?? 0,
    asOf,
    lastEventTime: ms(c.lastEventTime),
  };
}

interface SlaClockJson {
  clockId?: string;
  incidentId?: string;
  slaDefinitionName?: string;
  clockKind?: string;
  stage?: string;
  breached?: boolean;
  target?: string;
  dueTime?: string;
  businessElapsed?: string;
  eventTime?: string;
}

// The clock a clock event of the SLA timer carries (SlaClockStarted … SlaMet, republished
// states), or null for any other event.
export function clockOfEvent(data: string): ClockView | null {
  try {
    const event = JSON.parse(data) as { type?: string; data?: { clock?: SlaClockJson } };
    const c = event.data?.clock;
    if (!event.type?.startsWith("itsm.sla.v1.") || !c?.clockId) return null;
    const targetMs = durationMs(c.target) ?? 0;
    const stage = c.stage ?? "";
    const breached = Boolean(c.breached);
    const state = breached
      ? "breached"
      : stage === "CLOCK_STAGE_RUNNING"
        ? "running"
        : stage === "CLOCK_STAGE_PAUSED"
          ? "paused"
          : stage === "CLOCK_STAGE_COMPLETED"
            ? "met"
            : "cancelled";
    const at = ms(c.eventTime);
    return {
      clockId: c.clockId,
      recordId: c.incidentId ?? "",
      name: c.slaDefinitionName ?? "",
      kind: kindOf(c.clockKind),
      state,
      running: stage === "CLOCK_STAGE_RUNNING",
      paused: stage === "CLOCK_STAGE_PAUSED",
      breached,
      targetMs,
      dueTime: stage === "CLOCK_STAGE_PAUSED" ? "" : c.dueTime ?? "",
      remainingMs: targetMs - (durationMs(c.businessElapsed) ?? 0),
      asOf: at,
      lastEventTime: at,
    };
  } catch {
    return null;
  }
}

// A record's clocks after `incoming`: by clock id, the copy with the later last event wins (a
// status read older than an event already applied changes nothing); at the same event, the
// later reading (its remaining time is counted to a later instant).
export function mergeClocks(existing: ClockView[], incoming: ClockView[]): ClockView[] {
  const byId = new Map(existing.map((c) => [c.clockId, c]));
  for (const c of incoming) {
    const old = byId.get(c.clockId);
    if (old && (old.lastEventTime > c.lastEventTime || (old.lastEventTime === c.lastEventTime && old.asOf > c.asOf))) continue;
    byId.set(c.clockId, c);
  }
  return [...byId.values()];
}

// Business time left at `now`. A running clock is counted down towards its due instant: the
// remaining business time shrinks in proportion to the real time left until due — exact on a
// 24x7 calendar and at both ends (the reading, the due instant) on any other; outside open
// hours it runs ahead of the true figure, which only makes the colour more cautious.
export function remainingAt(c: ClockView, now: number): number {
  if (!c.running) return c.remainingMs;
  const due = ms(c.dueTime);
  if (due > c.asOf && c.remainingMs > 0) return (c.remainingMs * (due - now)) / (due - c.asOf);
  return c.remainingMs - (now - c.asOf);
}

export type SlaLevel = "ok" | "warning" | "critical" | "breached" | "paused" | "met" | "none";

export interface SlaCell {
  text: string;
  level: SlaLevel;
  // Remaining share of the target, 0..1 (0 once breached); null for a clock that has stopped.
  share: number | null;
  clock: ClockView | null;
}

// The colour of a remaining share: over half left ok, over a quarter warning, less critical.
export function levelOf(share: number): SlaLevel {
  if (share <= 0) return "breached";
  if (share > 0.5) return "ok";
  if (share > 0.25) return "warning";
  return "critical";
}

// One clock at `now`: "1h 05m left · 45%", "12m 30s overdue", "paused · 40m left", "met".
export function clockCell(c: ClockView, now: number): SlaCell {
  const left = remainingAt(c, now);
  const share = c.targetMs > 0 ? Math.max(0, Math.min(1, left / c.targetMs)) : 0;
  if (c.running) {
    const due = ms(c.dueTime);
    const wall = due ? due - now : left;
    if (c.breached || wall < 0 || left <= 0) {
      const over = due ? Math.max(0, now - due) : Math.max(0, -left);
      return { text: `${duration(over)} overdue`, level: "breached", share: 0, clock: c };
    }
    return { text: `${duration(wall)} left · ${Math.round(share * 100)}%`, level: levelOf(share), share, clock: c };
  }
  if (c.paused) return { text: `paused · ${c.breached ? "breached" : `${duration(Math.max(0, left))} left`}`, level: c.breached ? "breached" : "paused", share, clock: c };
  if (c.state === "cancelled") return { text: "cancelled", level: "none", share: null, clock: c };
  return { text: c.breached ? "breached" : "met", level: c.breached ? "breached" : "met", share: null, clock: c };
}

// What a queue row shows of a record's clocks: the open clock (running or paused) with the
// least share left; with none open, the last one to stop (met or breached); "—" without clocks.
export function rowSla(clocks: ClockView[] | undefined, now: number): SlaCell {
  const live = (clocks ?? []).filter((c) => c.state !== "cancelled");
  if (live.length === 0) return { text: "—", level: "none", share: null, clock: null };
  const open = live.filter((c) => c.running || c.paused).map((c) => clockCell(c, now));
  if (open.length > 0) return open.sort((a, b) => (a.share ?? 1) - (b.share ?? 1))[0];
  const last = [...live].sort((a, b) => b.lastEventTime - a.lastEventTime)[0];
  return clockCell(last, now);
}
