// Service levels: SLA compliance by service and priority for a chosen period
// (GetComplianceReport grouped by service, then priority), as a bar chart against a target and
// as a table (the chart's text alternative). Periods are local dates in the user's zone.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { localDateOf, localMidnight } from "../calendar";
import { complianceByService, complianceLevel, percentText, periodBounds, presetDates, type Cell, type ComplianceRow, type Preset } from "../compliance";
import { query } from "../labels";
import { priorityLabel } from "../model";
import { zoneName } from "../time";
import { ErrorText, useRead } from "./read";

const KINDS: Array<[string, string]> = [
  ["AGREEMENT_KIND_SLA", "SLAs (with customers)"],
  ["AGREEMENT_KIND_OLA", "OLAs (with internal groups)"],
  ["AGREEMENT_KIND_UNDERPINNING_CONTRACT", "Underpinning contracts (with suppliers)"],
];
const PRESETS: Array<[Preset, string]> = [
  ["this-month", "This month"],
  ["last-month", "Last month"],
  ["last-7-days", "Last 7 days"],
  ["last-30-days", "Last 30 days"],
];

function cellText(c: Cell | undefined): string {
  if (!c) return "—";
  return `${percentText(c.percent)} (${c.met} met, ${c.breached} breached, ${c.inProgress} running)`;
}

// Bars per service (a group) and priority (a bar in the group), 0..100 % high, the target as a
// dashed line. A priority with nothing completed has no bar, only "n/a" at the base.
function Chart({ services, priorities, target }: { services: ReturnType<typeof complianceByService>["services"]; priorities: string[]; target: number }) {
  const bar = 22;
  const gap = 6;
  const groupGap = 34;
  const left = 44;
  const top = 16;
  const plot = 200;
  const groupWidth = priorities.length * (bar + gap) - gap;
  // Wide enough for the target's label even with one service.
  const width = Math.max(left + services.length * (groupWidth + groupGap) + 10, 260);
  const height = top + plot + 48;
  const yOf = (p: number) => top + plot - (p / 100) * plot;
  const summary = services.map((s) => `${s.service || "no service"}: ${percentText(s.total.percent)}`).join("; ");
  return (
    <svg class="chart" role="img" aria-label={`Percent of clocks met by service and priority, target ${target} %. ${summary}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      {[0, 25, 50, 75, 100].map((t) => (
        <g key={t}>
          <line class="grid" x1={left} x2={width - 10} y1={yOf(t)} y2={yOf(t)} />
          <text x={left - 6} y={yOf(t) + 4} text-anchor="end">
            {t}%
          </text>
        </g>
      ))}
      <line class="axis" x1={left} x2={left} y1={top} y2={top + plot} />
      {services.map((s, g) => {
        const x0 = left + 12 + g * (groupWidth + groupGap);
        return (
          <g key={s.service} data-service={s.service}>
            {priorities.map((p, i) => {
              const c = s.byPriority.get(p);
              const x = x0 + i * (bar + gap);
              if (!c || c.percent === null) {
                return (
                  <text key={p} x={x + bar / 2} y={top + plot - 4} text-anchor="middle" class="na">
                    n/a
                  </text>
                );
              }
              return (
                <g key={p}>
                  <rect class={`bar-${complianceLevel(c.percent, target)}`} x={x} y={yOf(c.percent)} width={bar} height={Math.max(top + plot - yOf(c.percent), 1)}>
                    <title>{`${s.service || "(no service)"} ${priorityLabel(p)}: ${cellText(c)}`}</title>
                  </rect>
                </g>
              );
            })}
            {priorities.map((p, i) => (
              <text key={`l-${p}`} x={x0 + i * (bar + gap) + bar / 2} y={top + plot + 14} text-anchor="middle">
                {p ? priorityLabel(p) : "all"}
              </text>
            ))}
            <text x={x0 + groupWidth / 2} y={top + plot + 34} text-anchor="middle" class="group">
              {s.service || "(no service)"}
            </text>
          </g>
        );
      })}
      <line class="target" x1={left} x2={width - 10} y1={yOf(target)} y2={yOf(target)} />
      <text x={width - 10} y={yOf(target) - 4} text-anchor="end">
        target {target} %
      </text>
    </svg>
  );
}

export function ServiceLevels({ api }: { api: Api }) {
  const zone = zoneName();
  const today = localDateOf(Date.now(), zone);
  const [from, setFrom] = useState(presetDates("this-month", today.y, today.m, today.d).from);
  const [to, setTo] = useState(presetDates("this-month", today.y, today.m, today.d).to);
  const [kind, setKind] = useState("");
  const [target, setTarget] = useState(95);
  const [applied, setApplied] = useState({ from, to, kind });
  const report = useRead(() => {
    const { start, end } = periodBounds(applied.from, applied.to, (y, m, d) => localMidnight(y, m, d, zone));
    return api.get<{ rows?: ComplianceRow[]; total?: ComplianceRow; clocksKnown?: string }>(
      `/v1/complianceReport?${query([
        ["start_time", start],
        ["end_time", end],
        ["group_by", "REPORT_DIMENSION_SERVICE"],
        ["group_by", "REPORT_DIMENSION_PRIORITY"],
        ["kind", applied.kind],
        ["time_zone", zone],
      ])}`,
    );
  }, [applied]);
  const { services, priorities } = complianceByService(report.data?.rows ?? []);
  const total = complianceByService(report.data?.total ? [report.data.total] : []).services[0]?.total;
  return (
    <section aria-labelledby="sl-title">
      <h1 id="sl-title" tabIndex={-1}>
        Service levels
      </h1>
      <div class="tabs" role="group" aria-label="Period">
        {PRESETS.map(([preset, label]) => {
          const dates = presetDates(preset, today.y, today.m, today.d);
          const current = applied.from === dates.from && applied.to === dates.to;
          return (
            <button
              key={preset}
              type="button"
              aria-pressed={current}
              onClick={() => {
                setFrom(dates.from);
                setTo(dates.to);
                setApplied({ from: dates.from, to: dates.to, kind });
              }}
            >
              {label}
            </button>
          );
        })}
      </div>
      <form
        class="filters"
        aria-label="Period and agreements"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ from, to, kind });
        }}
      >
        <div class="field">
          <label for="sl-from">From (clocks started on or after)</label>
          <input id="sl-from" type="date" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="sl-to">To (inclusive)</label>
          <input id="sl-to" type="date" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="sl-kind">Agreements</label>
          <select id="sl-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="">All kinds</option>
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sl-target">Target (% met)</label>
          <input id="sl-target" type="number" min="0" max="100" value={target} onInput={(e) => setTarget(Number((e.target as HTMLInputElement).value) || 0)} />
        </div>
        <div class="field">
          <span aria-hidden="true">&nbsp;</span>
          <button type="submit">Show</button>
        </div>
      </form>
      <p class="help">
        Clocks that started from {applied.from} to {applied.to} in {zone}. Met and breached count completed clocks (a clock past its due time counts as breached at once); running clocks are not judged yet.
      </p>
      <ErrorText error={report.error} />
      {report.loading && <p>Loading…</p>}
      {total && (
        <div class="cards" data-testid="totals">
          <p class="card">
            <span class="big">{percentText(total.percent)}</span> of completed clocks met
          </p>
          <p class="card">
            <span class="big">{total.met}</span> met
          </p>
          <p class="card">
            <span class="big">{total.breached}</span> breached
          </p>
          <p class="card">
            <span class="big">{total.inProgress}</span> running
          </p>
        </div>
      )}
      {services.length === 0 && !report.loading ? (
        <p class="help">No clock started in this period.</p>
      ) : (
        <>
          <div class="graph-box">
            <Chart services={services} priorities={priorities} target={target} />
          </div>
          <table id="compliance-table">
            <caption>Compliance by service and priority</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                {priorities.map((p) => (
                  <th key={p} scope="col">
                    {p ? priorityLabel(p) : "No priority"}
                  </th>
                ))}
                <th scope="col">All priorities</th>
              </tr>
            </thead>
            <tbody>
              {services.map((s) => (
                <tr key={s.service}>
                  <th scope="row">{s.service || "(no service)"}</th>
                  {priorities.map((p) => (
                    <td key={p} class={`sla-${complianceLevel(s.byPriority.get(p)?.percent ?? null, target)}`}>
                      {cellText(s.byPriority.get(p))}
                    </td>
                  ))}
                  <td class={`sla-${complianceLevel(s.total.percent, target)}`}>{cellText(s.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
