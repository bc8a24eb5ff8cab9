// A service request or a problem: its fields, SLA clocks (service requests), an edit form, the
// transitions its state allows (record_forms.ts), its notes (notes.tsx) and its audit trail.
// Like the incident's page (record.tsx), the record follows the event stream; history is read
// again on a new version.
import { useEffect, useState } from "preact/hooks";
import { may, mayOnlyAsOwner, type Caller } from "../access";
import type { Api } from "../api";
import { KINDS } from "../kinds";
import { priorityLabel, stateLabel, type AuditEntry, type Incident, type Problem, type RecordKind, type ServiceRequest, type WorkRecord } from "../model";
import { transitionsFrom, type TransitionSpec } from "../record_forms";
import type { SlaCache } from "../sla_cache";
import { formatTime } from "../time";
import { Field, invalid } from "./field";
import { useApiCall } from "./api_call";
import { useCaller } from "./caller";
import { HistoryTable } from "./history_table";
import { useKeepFocus } from "./keep_focus";
import { LinkedRecords } from "./linked_records";
import { Notes } from "./notes";
import { EditForm } from "./record_form";
import { SlaClocks } from "./sla_clocks";
import { readWholeList, type WholeList } from "../paging";

interface Props {
  api: Api;
  kind: RecordKind;
  id: string;
  records: Map<string, WorkRecord>;
  merge: (records: WorkRecord[]) => void;
  sla: SlaCache;
}

export function WorkRecordView({ api, kind, id, records, merge, sla }: Props) {
  const info = KINDS[kind];
  const [loadError, setLoadError] = useState("");
  const [history, setHistory] = useState<WholeList<AuditEntry>>({ items: [], more: false });
  const [linked, setLinked] = useState<string[]>([]);
  const record = records.get(id) ?? [...records.values()].find((r) => r.number === id && r.kind === kind);
  // The work on it is offered to the roles that may do it (access.ts); the service decides.
  const caller = useCaller(api);

  // A problem's linked incidents are the incidents' own links: read again when the problem
  // changes (a resolve with its incidents) and when the stream brings an incident that links to
  // it or did (linked or unlinked elsewhere meanwhile), so that the list is what a resolve acts on.
  const incidentLinks =
    kind === "problem" && record
      ? [...records.values()]
          .filter((r) => r.kind === "incident" && ((r as Incident).problemId === record.id || linked.includes(r.id)))
          .map((r) => `${r.id}:${r.version}`)
          .sort()
          .join(",")
      : "";
  useEffect(() => {
    api
      .get<Record<string, unknown>>(`/v1/${info.collection}/${encodeURIComponent(id)}`)
      .then((r) => {
        merge([{ ...(r[info.itemKey] as WorkRecord), kind }]);
        setLinked((r.linkedIncidentIds as string[] | undefined) ?? []);
      })
      .catch((e: Error) => setLoadError(e.message));
  }, [kind, id, record?.version, incidentLinks]);
  useEffect(() => {
    if (!record) return;
    readWholeList<AuditEntry>((p) => api.get(p), `/v1/${info.collection}/${encodeURIComponent(record.id)}/history`, "entries").then(setHistory, () => {});
  }, [record?.id, record?.version]);
  // A move's button is gone once the state moved on: the focus goes to the work on it (or the
  // title), not back to the page's start.
  useKeepFocus(record?.version, ["actions-title", "record-title"], /*live=*/ true);

  if (!record) {
    return (
      <section>
        <h1 tabIndex={-1}>{info.singular}</h1>
        <p role={loadError ? "alert" : "status"} class={loadError ? "error" : ""}>
          {loadError || "Loading…"}
        </p>
      </section>
    );
  }
  const request = record as ServiceRequest;
  const problem = record as Problem;
  const facts: Array<[string, string | undefined]> =
    kind === "serviceRequest"
      ? [
          ["Catalogue item", request.catalogItem],
          ["Requested for", request.requestedFor],
          ["Quantity", String(request.quantity ?? 1)],
          ["Approver", request.approver],
          ["Decision", request.decisionReason],
          ["Fulfilment notes", request.fulfillmentNotes],
          ["Cancelled because", request.cancelReason],
        ]
      : [
          ["Category", problem.category],
          ["Root cause", problem.rootCause],
          ["Workaround", problem.workaround],
          ["Resolution", problem.resolutionCode ? `${problem.resolutionCode}: ${problem.resolutionNotes}` : undefined],
          ["Linked incidents", linked.length ? String(linked.length) : undefined],
          ["Cancelled because", problem.cancelReason],
        ];
  return (
    <section aria-labelledby="record-title">
      <h1 id="record-title" tabIndex={-1}>
        {record.number} · {record.title}
      </h1>
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="state">{stateLabel(record.state)}</dd>
        <dt>Priority</dt>
        <dd>{priorityLabel(record.priority)}</dd>
        <dt>Assignee</dt>
        <dd>{record.assignee || "—"}</dd>
        <dt>Assignment group</dt>
        <dd>{record.assignmentGroup || "—"}</dd>
        <dt>Service</dt>
        <dd>{record.service || "—"}</dd>
        {facts
          .filter(([, v]) => v)
          .map(([label, value]) => (
            <>
              <dt>{label}</dt>
              <dd class="multiline">{value}</dd>
            </>
          ))}
        <dt>Created</dt>
        <dd>
          {formatTime(record.createTime)} by {record.createdBy || "—"}
        </dd>
        <dt>Updated</dt>
        <dd>{formatTime(record.updateTime)}</dd>
      </dl>
      {record.description && <p class="description">{record.description}</p>}

      {info.hasSla && (
        <>
          <h2>SLA clocks</h2>
          <SlaClocks api={api} sla={sla} recordId={record.id} version={record.version} />
        </>
      )}
      {kind === "problem" && (
        <>
          <h2>Linked records</h2>
          <LinkedRecords api={api} links={{ configurationItemIds: problem.configurationItemIds, incidentIds: linked }} />
        </>
      )}

      {!info.finalStates.includes(record.state ?? "") && (
        <>
          <Transitions api={api} record={record} merge={merge} caller={caller} />
          {may(caller, `${kind}.update`) && <EditForm api={api} record={record} merge={merge} />}
        </>
      )}

      <Notes api={api} kind={kind} record={record} merge={merge} />

      <HistoryTable id="history" title="History" entries={history.items} more={history.more} />
    </section>
  );
}

function Transitions({ api, record, merge, caller }: { api: Api; record: WorkRecord; merge: (r: WorkRecord[]) => void; caller: Caller | null | undefined }) {
  const kind = record.kind ?? "incident";
  const info = KINDS[kind];
  const [reason, setReason] = useState("");
  const [code, setCode] = useState("Solved (permanently)");
  const [notes, setNotes] = useState("");
  const [withIncidents, setWithIncidents] = useState(false);
  const { error, busy, run, v } = useApiCall(record.version);
  // An owner (a requester) is offered what owners may do: cancel their request.
  const action = `${kind}.transition` as const;
  const owner = kind === "serviceRequest" ? (record as ServiceRequest).requestedFor : undefined;
  const options = may(caller, action)
    ? transitionsFrom(record.state)
    : mayOnlyAsOwner(caller, action, owner)
      ? transitionsFrom(record.state).filter((o) => o.target.endsWith("_CANCELLED"))
      : [];
  const needsReason = options.some((o) => o.needs === "reason");
  const needsResolution = options.some((o) => o.needs === "resolution");

  const go = async (t: TransitionSpec) => {
    const body: Record<string, unknown> = { version: record.version, targetState: t.target };
    if (t.needs === "reason" && reason.trim()) body.reason = reason;
    if (t.needs === "resolution") Object.assign(body, { resolutionCode: code, resolutionNotes: notes, resolveLinkedIncidents: withIncidents });
    const r = await run(() => api.post<Record<string, WorkRecord>>(`/v1/${info.collection}/${encodeURIComponent(record.id)}:transition`, body));
    if (!r) return;
    merge([{ ...r[info.itemKey], kind }]);
    setReason("");
  };
  if (options.length === 0) return null;
  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title" tabIndex={-1}>
        Work on it
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form aria-label="Change the state" onSubmit={(e) => e.preventDefault()}>
        {needsReason && (
          <Field id="transition-reason" label="Reason (required to reject or cancel)" error={v("reason")}>
            <textarea id="transition-reason" rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} {...invalid("transition-reason", v("reason"))} />
          </Field>
        )}
        {needsResolution && (
          <>
            <Field id="problem-resolution-code" label="Resolution code" error={v("resolutionCode")}>
              <input id="problem-resolution-code" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} {...invalid("problem-resolution-code", v("resolutionCode"))} />
            </Field>
            <Field id="problem-resolution-notes" label="Resolution notes" error={v("resolutionNotes")}>
              <textarea id="problem-resolution-notes" rows={2} value={notes} onInput={(e) => setNotes((e.target as HTMLTextAreaElement).value)} {...invalid("problem-resolution-notes", v("resolutionNotes"))} />
            </Field>
            <label class="check">
              <input type="checkbox" checked={withIncidents} onChange={() => setWithIncidents(!withIncidents)} />
              Resolve its linked incidents too
            </label>
          </>
        )}
        <div>
          {options.map((o) => (
            <button type="button" key={o.target} disabled={busy} onClick={() => void go(o)}>
              {o.label}
            </button>
          ))}
        </div>
      </form>
    </section>
  );
}
