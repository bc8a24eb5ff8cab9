// One supplier: its facts and contacts, its scorecard month by month (GetScorecard: incidents,
// response and resolution percentiles, reopen rate, underpinning-contract compliance, incidents
// caused by its changes), its contracts and their deadlines, its reviews and its history.
import type { Api } from "../api";
import { enumLabel } from "../labels";
import type { AuditEntry } from "../model";
import { basisPoints, durationText, moneyText, orderDeadlines, periodText, type Contract, type Deadline, type Review, type Scorecard, type ScorecardPeriod, type Supplier } from "../supplier";
import { formatTime, zoneName } from "../time";
import { HistoryTable } from "./history_table";
import { ScorecardChart } from "./scorecard_chart";
import { ErrorText, useRead } from "./read";
import { readWholeList } from "../paging";

function PeriodCells({ p }: { p: ScorecardPeriod | undefined }) {
  return (
    <>
      <td class="num">{p?.incidents ?? "0"}</td>
      <td class="num">{p?.responded ?? "0"}</td>
      <td class="num">{durationText(p?.responseP50)}</td>
      <td class="num">{durationText(p?.responseP90)}</td>
      <td class="num">{p?.resolved ?? "0"}</td>
      <td class="num">{durationText(p?.resolutionP50)}</td>
      <td class="num">{durationText(p?.resolutionP90)}</td>
      <td class="num">{basisPoints(p?.reopenRateBp)}</td>
      <td class="num">{basisPoints(p?.ucComplianceBp)}</td>
      <td class="num">{p?.causedIncidents ?? "0"}</td>
    </>
  );
}

export function SupplierView({ api, id }: { api: Api; id: string }) {
  const sid = encodeURIComponent(id);
  // Months in the user's zone, as every time the console shows.
  const card = useRead(() => api.get<Scorecard>(`/v1/suppliers/${sid}/scorecard?time_zone=${encodeURIComponent(zoneName())}`), [id]);
  const contracts = useRead(() => api.get<{ contracts?: Contract[] }>(`/v1/contracts?supplier_id=${sid}&page.page_size=500`).then((r) => r.contracts ?? []), [id]);
  const deadlines = useRead(
    () => api.get<{ deadlines?: Deadline[] }>(`/v1/contractDeadlines?supplier_id=${sid}&page.page_size=500`).then((r) => orderDeadlines(r.deadlines ?? [], Date.now())),
    [id],
  );
  const reviews = useRead(() => api.get<{ reviews?: Review[] }>(`/v1/suppliers/${sid}/reviews`).then((r) => r.reviews ?? []), [id]);
  const history = useRead(() => readWholeList<AuditEntry>((p) => api.get(p), `/v1/suppliers/${sid}/history`, "entries"), [id]);
  // The supplier is read on its own: roles that may read suppliers but not their scorecard see
  // its facts, contracts and reviews, and the scorecard's refusal where the scorecard would be.
  const supplier = useRead(() => api.get<{ supplier?: Supplier }>(`/v1/suppliers/${sid}`).then((r) => r.supplier), [id]);
  const s = supplier.data ?? card.data?.supplier;
  if (!s) {
    return (
      <section aria-labelledby="supplier-title">
        <p class="help">
          <a href="#/suppliers">← Suppliers</a>
        </p>
        <h1 id="supplier-title" tabIndex={-1}>
          Supplier
        </h1>
        {supplier.loading ? <p>Loading…</p> : <ErrorText error={supplier.error} />}
      </section>
    );
  }
  const contractTitle = new Map((contracts.data ?? []).map((c) => [c.id, `${c.number} ${c.title}`]));
  const now = Date.now();
  return (
    <section aria-labelledby="supplier-title">
      <p class="help">
        <a href="#/suppliers">← Suppliers</a>
      </p>
      <h1 id="supplier-title" tabIndex={-1}>
        {s.number} {s.name}
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{enumLabel(s.status, "SUPPLIER_STATUS")}</dd>
        <dt>Category</dt>
        <dd>{s.category || "—"}</dd>
        <dt>Risk</dt>
        <dd>{enumLabel(s.riskRating, "RISK_RATING")}</dd>
        <dt>Services</dt>
        <dd>{(s.services ?? []).join(", ") || "—"}</dd>
        <dt>Assignment groups</dt>
        <dd>{(s.assignmentGroups ?? []).join(", ") || "—"}</dd>
        <dt>Next review</dt>
        <dd>
          {s.nextReviewDate || "—"} {s.nextReviewDate && `(${s.reviewTimeZone || "UTC"})`}
        </dd>
        <dt>Contacts</dt>
        <dd>{(s.contacts ?? []).map((c) => [c.name, enumLabel(c.role, "CONTACT_ROLE"), c.email, c.phone].filter((x) => x && x !== "—").join(", ")).join("; ") || "—"}</dd>
      </dl>

      <h2 id="scorecard-title">Scorecard</h2>
      {card.error ? <ErrorText error={card.error} /> : <ScorecardSection card={card.data} />}

      <h2 id="contracts-title">Contracts</h2>
      <ErrorText error={contracts.error} />
      {(contracts.data ?? []).length === 0 ? (
        <p class="help">No contracts.</p>
      ) : (
        <table aria-labelledby="contracts-title" id="contracts">
          <thead>
            <tr>
              <th scope="col">Contract</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Term</th>
              <th scope="col">Notice</th>
              <th scope="col">Renewal</th>
              <th scope="col">Value per term</th>
            </tr>
          </thead>
          <tbody>
            {(contracts.data ?? []).map((c) => (
              <tr key={c.id}>
                <td>
                  {c.number} {c.title}
                </td>
                <td>{enumLabel(c.type, "CONTRACT_TYPE")}</td>
                <td>{enumLabel(c.state, "CONTRACT_STATE")}</td>
                <td>
                  {c.startDate} to {c.endDate} ({c.timeZone || "UTC"})
                </td>
                <td>{periodText(c.noticePeriod)}</td>
                <td>
                  {enumLabel(c.renewalKind, "RENEWAL_KIND")}
                  {c.renewalKind === "RENEWAL_KIND_AUTOMATIC" ? ` by ${periodText(c.renewalTerm)}` : ""}
                  {c.renewalCount ? `, renewed ${c.renewalCount}×` : ""}
                </td>
                <td class="num">{moneyText(c.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="deadlines-title">Deadlines</h2>
      {/* A refusal (a role that may not read deadlines) is said as such, never as "None." */}
      {deadlines.error ? (
        <ErrorText error={deadlines.error} />
      ) : (deadlines.data ?? []).length === 0 ? (
        <p class="help">None.</p>
      ) : (
        <table aria-labelledby="deadlines-title" id="deadlines">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">About</th>
            </tr>
          </thead>
          <tbody>
            {(deadlines.data ?? []).map((d, n) => (
              <tr key={n} class={Date.parse(d.deadlineTime ?? "") < now ? "past" : ""}>
                <td>
                  {formatTime(d.deadlineTime)}
                  {Date.parse(d.deadlineTime ?? "") < now ? " (passed)" : ""}
                </td>
                <td>
                  {enumLabel(d.kind, "DEADLINE_KIND")}
                  {d.leadDays ? ` (reminder ${d.leadDays} days ahead, ${formatTime(d.dueTime)})` : ""}
                </td>
                <td>{d.recordId === s.id ? "the supplier" : contractTitle.get(d.recordId ?? "") ?? d.recordId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="reviews-title">Reviews</h2>
      {reviews.error ? (
        <ErrorText error={reviews.error} />
      ) : (reviews.data ?? []).length === 0 ? (
        <p class="help">No reviews.</p>
      ) : (
        <ul class="notes" aria-labelledby="reviews-title" id="reviews">
          {(reviews.data ?? []).map((r) => (
            <li key={r.id}>
              <p class="meta">
                {r.reviewDate}, with {(r.participants ?? []).join(", ") || "—"}; recorded by {r.recordedBy}
              </p>
              <p>{r.findings}</p>
              {(r.actions ?? []).length > 0 && (
                <ul>
                  {(r.actions ?? []).map((a, n) => (
                    <li key={n}>
                      {a.description} — {a.owner || "no owner"}, due {a.dueDate || "—"}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}

      <ErrorText error={history.error} />
      <HistoryTable id="history" title="History" entries={history.data?.items ?? []} more={history.data?.more} />
    </section>
  );
}

function ScorecardSection({ card }: { card?: Scorecard }) {
  return (
    <>
      <p class="help">The 12 months up to this one, in {zoneName()}.</p>
      <ul class="legend" aria-label="Chart legend">
        <li>
          <span class="swatch bar-incidents" aria-hidden="true" />
          Incidents its groups handled or on its CIs
        </li>
        <li>
          <span class="swatch bar-resolved" aria-hidden="true" />
          Resolved
        </li>
      </ul>
      <div class="graph-box">
        <ScorecardChart periods={card?.periods ?? []} />
      </div>
      <table aria-labelledby="scorecard-title" id="scorecard">
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col" class="num">
              Incidents
            </th>
            <th scope="col" class="num">
              Responded
            </th>
            <th scope="col" class="num">
              Response p50
            </th>
            <th scope="col" class="num">
              Response p90
            </th>
            <th scope="col" class="num">
              Resolved
            </th>
            <th scope="col" class="num">
              Resolution p50
            </th>
            <th scope="col" class="num">
              Resolution p90
            </th>
            <th scope="col" class="num">
              Reopened
            </th>
            <th scope="col" class="num">
              UC clocks met
            </th>
            <th scope="col" class="num">
              Caused by its changes
            </th>
          </tr>
        </thead>
        <tbody>
          {(card?.periods ?? []).map((p) => (
            <tr key={p.month}>
              <th scope="row">{p.month}</th>
              <PeriodCells p={p} />
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All months</th>
            <PeriodCells p={card?.total} />
          </tr>
        </tfoot>
      </table>
    </>
  );
}
