// Suppliers: the list (ListSuppliers by name, status and risk) and the contract deadlines coming
// up across them (ListDeadlines, the next 90 days), each supplier linking to its scorecard.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { enumLabel, query } from "../labels";
import { orderDeadlines, type Deadline, type Supplier } from "../supplier";
import { formatTime } from "../time";
import { ErrorText, useRead } from "./read";

const STATUSES = ["SUPPLIER_STATUS_PROSPECTIVE", "SUPPLIER_STATUS_ACTIVE", "SUPPLIER_STATUS_UNDER_REVIEW", "SUPPLIER_STATUS_TERMINATED"];
const HORIZON_DAYS = 90;

export function Suppliers({ api }: { api: Api }) {
  const [name, setName] = useState("");
  const [status, setStatus] = useState("");
  const [applied, setApplied] = useState({ name: "", status: "" });
  const list = useRead(
    () =>
      api
        .get<{ suppliers?: Supplier[] }>(`/v1/suppliers?${query([["page.page_size", 500], ["name_contains", applied.name.trim()], ["statuses", applied.status]])}`)
        .then((r) => r.suppliers ?? []),
    [applied],
  );
  const deadlines = useRead(
    () =>
      api
        .get<{ deadlines?: Deadline[] }>(`/v1/contractDeadlines?${query([["page.page_size", 500], ["due_before", new Date(Date.now() + HORIZON_DAYS * 86_400_000).toISOString()]])}`)
        .then((r) => orderDeadlines(r.deadlines ?? [], Date.now()).filter((d) => Date.parse(d.deadlineTime ?? "") >= Date.now())),
    [],
  );
  const names = new Map((list.data ?? []).map((s) => [s.id, s.name ?? s.id]));
  return (
    <section aria-labelledby="suppliers-title">
      <h1 id="suppliers-title" tabIndex={-1}>
        Suppliers
      </h1>
      <form
        class="filters"
        aria-label="Search suppliers"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ name, status });
        }}
      >
        <div class="field">
          <label for="sup-name">Name contains</label>
          <input id="sup-name" type="search" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="sup-status">Status</label>
          <select id="sup-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {enumLabel(s, "SUPPLIER_STATUS")}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <span aria-hidden="true">&nbsp;</span>
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorText error={list.error} />
      <p class="count" aria-live="polite">
        {list.loading ? "Loading…" : `${list.data?.length ?? 0} supplier${list.data?.length === 1 ? "" : "s"}`}
      </p>
      <table id="supplier-table">
        <caption class="visually-hidden">Suppliers matching the search</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Name</th>
            <th scope="col">Category</th>
            <th scope="col">Status</th>
            <th scope="col">Risk</th>
            <th scope="col">Services</th>
            <th scope="col">Next review</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.number}</td>
              <td>
                <a href={`#/suppliers/${encodeURIComponent(s.id)}`}>{s.name}</a>
              </td>
              <td>{s.category || "—"}</td>
              <td>{enumLabel(s.status, "SUPPLIER_STATUS")}</td>
              <td>{enumLabel(s.riskRating, "RISK_RATING")}</td>
              <td>{(s.services ?? []).join(", ") || "—"}</td>
              <td>{s.nextReviewDate || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 id="deadlines-title">Deadlines in the next {HORIZON_DAYS} days</h2>
      {deadlines.error ? (
        <ErrorText error={deadlines.error} />
      ) : (deadlines.data ?? []).length === 0 ? (
        <p class="help">None.</p>
      ) : (
        <table aria-labelledby="deadlines-title" id="upcoming-deadlines">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Supplier</th>
            </tr>
          </thead>
          <tbody>
            {(deadlines.data ?? []).map((d, n) => (
              <tr key={n}>
                <td>{formatTime(d.deadlineTime)}</td>
                <td>{enumLabel(d.kind, "DEADLINE_KIND")}</td>
                <td>
                  <a href={`#/suppliers/${encodeURIComponent(d.supplierId ?? "")}`}>{names.get(d.supplierId ?? "") ?? d.supplierId}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
