// A record's SLA clocks on its page: each one counting down live (sla_cache.ts: read once,
// then the timer's clock events), and why it is where it is — the SLA service's explanation
// (GET /v1/records/{id}/slaClocks:explain, docs/sla.md section 11): the derivation of its due
// time and the timeline of what started, paused, resumed, re-targeted and stopped it.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api";
import { clockCell, type ClockView } from "../sla";
import type { SlaCache } from "../sla_cache";
import { formatTime } from "../time";
import { useNow, useSlaCache } from "./sla_hooks";

interface TimelineEntry {
  time?: string;
  eventType?: string;
  cause?: string;
  explanation?: string;
}
interface Explanation {
  clockId: string;
  slaDefinitionName?: string;
  slaDefinitionVersion?: string;
  calendarName?: string;
  timeZone?: string;
  clockKind?: string;
  timeline?: TimelineEntry[];
  derivation?: { steps?: string[] };
  note?: string;
}

export function SlaClocks({ api, sla, recordId, version }: { api: Api; sla: SlaCache; recordId: string; version?: string }) {
  useSlaCache(sla);
  const now = useNow();
  const [explained, setExplained] = useState<Explanation[]>([]);
  const [retries, setRetries] = useState(0);
  const clocks: ClockView[] = sla.clocksOf(recordId) ?? [];
  // A clock event for this record changes the latest event time: explain again then.
  const latest = clocks.reduce((m, c) => Math.max(m, c.lastEventTime), 0);

  useEffect(() => {
    sla.want([recordId]);
    return () => sla.want([]);
  }, [recordId]);
  useEffect(() => setRetries(0), [recordId, latest]);
  useEffect(() => {
    let current = true;
    api
      .get<{ clocks?: Explanation[] }>(`/v1/records/${encodeURIComponent(recordId)}/slaClocks:explain`)
      .then(
        (r) => current && setExplained(r.clocks ?? []),
        () => current && setExplained([]),
      );
    return () => {
      current = false;
    };
  }, [recordId, version, latest, retries]);
  // The SLA service explains a clock once it has consumed the clock's events, which can be after
  // the timer's event for it reached this page: ask again, later each time (0.5 s, 1 s, 2 s … up
  // to 8 s, ten times), until every clock shown is explained.
  const unexplained = clocks.some((c) => !explained.some((e) => e.clockId === c.clockId));
  useEffect(() => {
    if (!unexplained || retries >= 10) return;
    const timer = setTimeout(() => setRetries((n) => n + 1), Math.min(500 * 2 ** retries, 8000));
    return () => clearTimeout(timer);
  }, [unexplained, retries, explained]);

  if (clocks.length === 0 && explained.length === 0) {
    // Nothing read is nothing known, not "no clock runs" (a requester's console).
    if (sla.isForbidden()) return <p>Your roles do not show SLA clocks; the service desk watches them for you.</p>;
    return <p>{sla.loaded(recordId) ? "No SLA clock runs for this record." : "Reading the SLA clocks…"}</p>;
  }
  const order = (c: ClockView) => explained.findIndex((e) => e.clockId === c.clockId);
  return (
    <ul class="clocks">
      {[...clocks]
        .sort((a, b) => order(a) - order(b))
        .map((c) => {
          const cell = clockCell(c, now);
          const why = explained.find((e) => e.clockId === c.clockId);
          return (
            <li key={c.clockId} class="clock">
              <span class={`sla sla-${cell.level}`} data-testid="sla-clock">
                {c.name} ({c.kind}): <strong>{cell.text}</strong>
              </span>
              {c.dueTime && c.running && <> — due {formatTime(c.dueTime)}</>}
              {why && (
                <details>
                  <summary>Why: how this clock got here</summary>
                  <p class="help">
                    {why.slaDefinitionName} v{why.slaDefinitionVersion} on calendar {why.calendarName} ({why.timeZone})
                    {why.note ? ` — ${why.note}` : ""}
                  </p>
                  {(why.derivation?.steps?.length ?? 0) > 0 && (
                    <ul class="steps">
                      {why.derivation!.steps!.map((s) => (
                        <li>{s}</li>
                      ))}
                    </ul>
                  )}
                  <table class="timeline">
                    <caption>Timeline of the {c.kind} clock</caption>
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col">Event</th>
                        <th scope="col">Cause</th>
                        <th scope="col">Why</th>
                      </tr>
                    </thead>
                    <tbody>
                      {(why.timeline ?? []).map((t, n) => (
                        <tr key={n}>
                          <td>{formatTime(t.time)}</td>
                          <td>{(t.eventType ?? "").replace(/^Sla/, "")}</td>
                          <td>{t.cause?.replace(/_/g, " ")}</td>
                          <td>{t.explanation}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              )}
            </li>
          );
        })}
    </ul>
  );
}
