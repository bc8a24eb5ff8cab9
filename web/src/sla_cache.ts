// The SLA clocks of the records on screen, read lazily — one slaStatus call per record, only
// for rows the queue shows (a 10,000-record queue must not cost 10,000 calls) — and kept:
// clock events from the stream are applied to what is kept (sla.ts), and a record's own event
// (a change that may start, pause or stop clocks) makes it read again if it is on screen.
// Views subscribe and re-render when something they show changed.
//
// A clock event can reach the console before its record is first read, and that read can come
// too early to see it: the gateway's stream and the SLA service consume the SLA topic each at
// its own pace, so a record created a moment ago may be read from an SLA service that has not
// applied its clock's start yet. Such events are kept (a bounded number of records) and merged
// into the record's first read.
import { clockOfEvent, clockOfStatus, mergeClocks, type ClockView } from "./sla";

type Fetch = (recordId: string) => Promise<unknown[]>;

interface Entry {
  clocks: ClockView[];
  // A read is under way, or done: neither is started again until the entry is invalidated.
  state: "loading" | "loaded" | "stale";
}

export class SlaCache {
  private readonly entries = new Map<string, Entry>();
  // Clock events of records not read yet, oldest record first.
  private readonly early = new Map<string, ClockView[]>();
  private readonly earlyRecords = 2000;
  private readonly listeners = new Set<() => void>();
  private wanted = new Set<string>();
  private queue: string[] = [];
  private forbidden = false;
  // The gateway refused the sign-in itself (401: revoked, expired): the session is ending, and
  // reading on would only add refusals.
  private unauthenticated = false;
  private inFlight = 0;
  // Reads at once: enough for a screen in a few round trips, without bursting past the
  // gateway's per-caller read rate limit when someone scrolls fast.
  private readonly parallel = 4;

  constructor(private readonly fetchClocks: Fetch) {}

  clocksOf(recordId: string): ClockView[] | undefined {
    return this.entries.get(recordId)?.clocks;
  }
  loaded(recordId: string): boolean {
    return this.entries.get(recordId)?.state === "loaded";
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // The records now on screen: those not read yet (or invalidated) are read, the rest are not.
  want(recordIds: string[]): void {
    this.wanted = new Set(recordIds);
    this.queue = recordIds.filter((id) => {
      const e = this.entries.get(id);
      return !e || e.state === "stale";
    });
    this.pump();
  }

  // An event of the stream: a clock event is applied; a record event marks that record's
  // clocks stale and reads them again if it is on screen.
  onEvent(data: string, recordId: string | null): void {
    const clock = clockOfEvent(data);
    if (clock) {
      const e = this.entries.get(clock.recordId);
      if (e) {
        e.clocks = mergeClocks(e.clocks, [clock]);
        this.notify();
      } else {
        this.keepEarly(clock);
      }
      return;
    }
    if (recordId && this.entries.has(recordId)) {
      this.entries.get(recordId)!.state = "stale";
      if (this.wanted.has(recordId)) {
        this.queue.push(recordId);
        this.pump();
      }
    }
  }

  // The stream lost its position: everything kept may be out of date.
  reset(): void {
    for (const e of this.entries.values()) e.state = "stale";
    this.want([...this.wanted]);
  }

  // The gateway said the caller may not read SLA clocks (403): none is read again.
  isForbidden(): boolean {
    return this.forbidden;
  }

  private pump(): void {
    while (!this.forbidden && !this.unauthenticated && this.inFlight < this.parallel && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const e = this.entries.get(id);
      if (e?.state === "loading" || !this.wanted.has(id)) continue;
      this.entries.set(id, { clocks: mergeClocks(e?.clocks ?? [], this.takeEarly(id)), state: "loading" });
      this.inFlight++;
      const asOf = Date.now();
      this.fetchClocks(id)
        .then((clocks) => {
          const now = this.entries.get(id);
          const read = clocks.map((c) => clockOfStatus(c as Parameters<typeof clockOfStatus>[0], asOf));
          this.entries.set(id, { clocks: mergeClocks(now?.clocks ?? [], read), state: now?.state === "stale" ? "stale" : "loaded" });
        })
        .catch((error: unknown) => {
          const now = this.entries.get(id);
          if ((error as { status?: number }).status === 401) {
            this.unauthenticated = true;
            this.queue = [];
            return;
          }
          if ((error as { status?: number }).status === 403) {
            // The caller's roles may not read clocks (a requester): final, never asked again.
            this.forbidden = true;
            this.queue = [];
            if (now) now.state = "loaded";
            return;
          }
          // Rate-limited (429) or unavailable: read again a little later if still on screen.
          if (now) now.state = "stale";
          this.retryLater();
        })
        .finally(() => {
          this.inFlight--;
          // Changed while it was read (marked stale meanwhile): once more, if still on screen.
          if (this.entries.get(id)?.state === "stale" && this.wanted.has(id) && !this.retrying) this.queue.push(id);
          this.notify();
          this.pump();
        });
    }
  }

  private keepEarly(clock: ClockView): void {
    const kept = this.early.get(clock.recordId) ?? [];
    this.early.delete(clock.recordId); // re-inserted last: the newest record
    this.early.set(clock.recordId, mergeClocks(kept, [clock]));
    if (this.early.size > this.earlyRecords) this.early.delete(this.early.keys().next().value!);
  }

  private takeEarly(recordId: string): ClockView[] {
    const kept = this.early.get(recordId) ?? [];
    this.early.delete(recordId);
    return kept;
  }

  private retrying = false;
  private retryLater(): void {
    if (this.retrying) return;
    this.retrying = true;
    setTimeout(() => {
      this.retrying = false;
      this.want([...this.wanted]);
    }, 2000);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
