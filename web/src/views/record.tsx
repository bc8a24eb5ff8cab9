// One incident: its fields (priority with the impact and urgency it comes from, major or not, when
// it was first answered, resolved, closed, how often reopened), SLA clocks (counting down each second), the actions its state
// allows, notes (notes.tsx), and the audit trail. The record itself follows the event stream;
// history and clocks are read again whenever its version changes.
import { useEffect, useState } from "preact/hooks";
import { may, mayOnlyAsOwner, type Caller } from "../access";
import type { Api } from "../api";
import { priorityLabel, stateLabel, type AuditEntry, type Incident, type WorkRecord } from "../model";
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
  id: string;
  records: Map<string, WorkRecord>;
  merge: (records: WorkRecord[]) => void;
  sla: SlaCache;
}

const FINAL = ["INCIDENT_STATE_CLOSED", "INCIDENT_STATE_CANCELLED"];

// Impact and urgency run from 1 (high) to 3 (low), as the create form offers them.
function levelLabel(level?: number): string {
  return level === 1 ? "1 – high" : level === 2 ? "2 – medium" : level === 3 ? "3 – low" : "—";
}

export function RecordView({ api, id, records, merge, sla }: Props) {
  const [loadError, setLoadError] = useState("");
  const [history, setHistory] = useState<WholeList<AuditEntry>>({ items: [], more: false });
  const incident = (records.get(id) ?? [...records.values()].find((i) => i.number === id)) as Incident | undefined;
  // The work on it is offered to the roles that may do it (access.ts); the service decides.
  const caller = useCaller(api);

  useEffect(() => {
    api
      .get<{ incident: Incident }>(`/v1/incidents/${encodeURIComponent(id)}`)
      .then((r) => merge([r.incident]))
      .catch((e: Error) => setLoadError(e.message));
  }, [id]);

  const version = incident?.version;
  useEffect(() => {
    if (!incident) return;
    const rid = encodeURIComponent(incident.id);
    readWholeList<AuditEntry>((p) => api.get(p), `/v1/incidents/${rid}/history`, "entries").then(setHistory, () => {});
  }, [incident?.id, version]);
  // A move's button is gone once the state moved on: the focus goes to the work on it (or the
  // title), not back to the page's start.
  useKeepFocus(version, ["actions-title", "record-title"], /*live=*/ true);

  // The incidents filed under this one (a major incident's children), read with the record.
  const [children, setChildren] = useState<string[]>([]);
  useEffect(() => {
    if (!incident) return;
    const rid = encodeURIComponent(incident.id);
    api
      .get<{ incidents?: Incident[] }>(`/v1/incidents?parentIncidentId=${rid}&page.page_size=50`)
      .then((r) => setChildren((r.incidents ?? []).map((i) => i.id)), () => setChildren([]));
  }, [incident?.id, version]);

  if (!incident) {
    return (
      <section>
        <h1 tabIndex={-1}>Incident</h1>
        <p role={loadError ? "alert" : "status"} class={loadError ? "error" : ""}>
          {loadError || "Loading…"}
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="record-title">
      <h1 id="record-title" tabIndex={-1}>
        {incident.number} · {incident.title}
      </h1>
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="state">{stateLabel(incident.state)}</dd>
        {incident.holdReason && incident.holdReason !== "HOLD_REASON_UNSPECIFIED" && (
          <>
            <dt>On hold</dt>
            <dd>{incident.holdReason.replace(/^HOLD_REASON_/, "").toLowerCase().replace(/_/g, " ")}</dd>
          </>
        )}
        <dt>Priority</dt>
        <dd data-testid="priority">
          {priorityLabel(incident.priority)} (impact {levelLabel(incident.impact)}, urgency {levelLabel(incident.urgency)})
          {incident.majorIncident && <strong class="major"> · major incident</strong>}
        </dd>
        {incident.category && (
          <>
            <dt>Category</dt>
            <dd>{incident.category}</dd>
          </>
        )}
        <dt>Assignee</dt>
        <dd>{incident.assignee || "—"}</dd>
        <dt>Assignment group</dt>
        <dd>{incident.assignmentGroup || "—"}</dd>
        <dt>Service</dt>
        <dd>{incident.service || "—"}</dd>
        <dt>Caller</dt>
        <dd>{incident.caller || "—"}</dd>
        <dt>Created</dt>
        <dd>
          {formatTime(incident.createTime)} by {incident.createdBy || "—"}
        </dd>
        <dt>Updated</dt>
        <dd>{formatTime(incident.updateTime)}</dd>
        {incident.firstResponseTime && (
          <>
            <dt>First response</dt>
            <dd>{formatTime(incident.firstResponseTime)}</dd>
          </>
        )}
        {incident.resolveTime && (
          <>
            <dt>Resolved</dt>
            <dd>{formatTime(incident.resolveTime)}</dd>
          </>
        )}
        {incident.closeTime && (
          <>
            <dt>Closed</dt>
            <dd>{formatTime(incident.closeTime)}</dd>
          </>
        )}
        {(incident.reopenCount ?? 0) > 0 && (
          <>
            <dt>Reopened</dt>
            <dd data-testid="reopened">
              {incident.reopenCount} {incident.reopenCount === 1 ? "time" : "times"}
            </dd>
          </>
        )}
        {incident.resolutionCode && (
          <>
            <dt>Resolution</dt>
            <dd>
              {incident.resolutionCode}: {incident.resolutionNotes}
            </dd>
          </>
        )}
        {incident.cancelReason && (
          <>
            <dt>Cancelled because</dt>
            <dd>{incident.cancelReason}</dd>
          </>
        )}
      </dl>
      {incident.description && <p class="description">{incident.description}</p>}

      <h2>SLA clocks</h2>
      <SlaClocks api={api} sla={sla} recordId={incident.id} version={incident.version} />

      <h2>Linked records</h2>
      <LinkedRecords
        api={api}
        links={{ parentIncidentId: incident.parentIncidentId, childIncidentIds: children, problemId: incident.problemId, configurationItemIds: incident.configurationItemIds, changeIds: incident.changeIds }}
      />

      {!FINAL.includes(incident.state ?? "") && may(caller, "incident.transition") && <Actions api={api} incident={incident} merge={merge} caller={caller} hasChildren={children.length > 0} />}
      {!FINAL.includes(incident.state ?? "") && mayOnlyAsOwner(caller, "incident.transition", incident.caller) && <OwnerActions api={api} incident={incident} merge={merge} />}
      {!FINAL.includes(incident.state ?? "") && may(caller, "incident.update") && <EditForm api={api} record={{ ...incident, kind: "incident" }} merge={merge} />}
      <Notes api={api} kind="incident" record={incident} merge={merge} />

      <HistoryTable id="history" title="History" entries={history.items} more={history.more} />
    </section>
  );
}

// An action on the incident (useApiCall), whose answer's incident is merged; true when it worked.
function useAction(merge: (incidents: Incident[]) => void, version: string | undefined) {
  const call = useApiCall(version);
  const run = async (action: () => Promise<{ incident?: Incident }>) => {
    const r = await call.run(action);
    if (r?.incident) merge([r.incident]);
    return r !== undefined;
  };
  return { ...call, run };
}

// What a requester may do on their own incident (the incident service's requester rules): answer
// its resolution (reopen or close it) or withdraw it before then, with a reason.
function OwnerActions({ api, incident, merge }: { api: Api; incident: Incident; merge: (i: Incident[]) => void }) {
  const [reason, setReason] = useState("");
  const { error, busy, run, v } = useAction(merge, incident.version);
  const transition = (targetState: string, extra: Record<string, string> = {}) =>
    run(() => api.post(`/v1/incidents/${encodeURIComponent(incident.id)}:transition`, { version: incident.version, targetState, ...extra }));
  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title" tabIndex={-1}>
        Your incident
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {incident.state === "INCIDENT_STATE_RESOLVED" ? (
        <>
          <p>Resolved: close it if the fix works for you, reopen it if not.</p>
          <button type="button" disabled={busy} onClick={() => void transition("INCIDENT_STATE_IN_PROGRESS")}>
            Reopen
          </button>
          <button type="button" disabled={busy} onClick={() => void transition("INCIDENT_STATE_CLOSED")}>
            Close
          </button>
        </>
      ) : (
        <form
          aria-label="Withdraw incident"
          onSubmit={(e) => {
            e.preventDefault();
            void transition("INCIDENT_STATE_CANCELLED", { cancelReason: reason });
          }}
        >
          <Field id="withdraw-reason" label="Why withdraw it" error={v("cancelReason")}>
            <textarea id="withdraw-reason" rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} {...invalid("withdraw-reason", v("cancelReason"))} />
          </Field>
          <button type="submit" disabled={busy}>
            Withdraw incident
          </button>
        </form>
      )}
    </section>
  );
}

function Actions({ api, incident, merge, caller, hasChildren }: { api: Api; incident: Incident; merge: (i: Incident[]) => void; caller: Caller | null | undefined; hasChildren: boolean }) {
  const [assignee, setAssignee] = useState(incident.assignee ?? "");
  const [group, setGroup] = useState(incident.assignmentGroup ?? "");
  const [code, setCode] = useState("Solved (permanently)");
  const [resolution, setResolution] = useState("");
  const [holdReason, setHoldReason] = useState("HOLD_REASON_AWAITING_CALLER");
  const [cancelReason, setCancelReason] = useState("");
  // A major incident's children are the same outage: resolved with it unless unticked.
  const [withChildren, setWithChildren] = useState(true);
  const { error, busy, run, v } = useAction(merge, incident.version);
  // A form the user has started filling in is sent with the version they started from, as the
  // edit form is: a colleague's change meanwhile (which the live page shows) is refused, never
  // silently overwritten. One-click actions act on the version on screen.
  const [typedFrom, setTypedFrom] = useState<string | undefined>(undefined);
  const typing = () => setTypedFrom((at) => at ?? incident.version);
  const typedVersion = () => typedFrom ?? incident.version;
  // Done: the forms start again from the record. Refused: the user now sees the record as it is
  // (and why it was refused), so a retry is from the version on screen, not refused forever.
  const settle = (ok: boolean) => setTypedFrom(ok ? undefined : incident.version);
  // Until the user types, the assignment shown is the record's, also as colleagues change it:
  // pressing Assign never sends a stale group back.
  useEffect(() => {
    if (typedFrom !== undefined) return;
    setAssignee(incident.assignee ?? "");
    setGroup(incident.assignmentGroup ?? "");
  }, [incident.version, typedFrom]);
  const rid = encodeURIComponent(incident.id);
  // A one-click action is on the version on screen; done, it is the user's own change, which a
  // form they were filling in then builds on.
  const transition = (targetState: string, extra: Record<string, string | boolean> = {}, version = incident.version) =>
    run(() => api.post(`/v1/incidents/${rid}:transition`, { version, targetState, ...extra }));
  const click = (targetState: string) =>
    void transition(targetState).then((ok) => {
      if (ok) setTypedFrom(undefined);
    });
  const resolved = incident.state === "INCIDENT_STATE_RESOLVED";
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
      {!resolved && may(caller, "incident.assign") && (
        <form
          aria-label="Assign"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => api.post(`/v1/incidents/${rid}:assign`, { version: typedVersion(), assignee, assignmentGroup: group })).then(settle);
          }}
        >
          <Field id="assign-assignee" label="Assignee" error={v("assignee")}>
            <input id="assign-assignee" value={assignee} onInput={(e) => {
                typing();
                setAssignee((e.target as HTMLInputElement).value);
              }} {...invalid("assign-assignee", v("assignee"))} />
          </Field>
          <Field id="assign-group" label="Assignment group" error={v("assignmentGroup")}>
            <input id="assign-group" value={group} onInput={(e) => {
                typing();
                setGroup((e.target as HTMLInputElement).value);
              }} {...invalid("assign-group", v("assignmentGroup"))} />
          </Field>
          <button type="submit" disabled={busy}>
            Assign
          </button>
        </form>
      )}
      {(incident.state === "INCIDENT_STATE_NEW" || incident.state === "INCIDENT_STATE_ASSIGNED" || incident.state === "INCIDENT_STATE_ON_HOLD") && (
        <button type="button" disabled={busy} onClick={() => click("INCIDENT_STATE_IN_PROGRESS")}>
          {incident.state === "INCIDENT_STATE_ON_HOLD" ? "Resume work" : "Start work"}
        </button>
      )}
      {(incident.state === "INCIDENT_STATE_ASSIGNED" || incident.state === "INCIDENT_STATE_IN_PROGRESS") && (
        <form
          aria-label="Put on hold"
          onSubmit={(e) => {
            e.preventDefault();
            void transition("INCIDENT_STATE_ON_HOLD", { holdReason }, typedVersion()).then(settle);
          }}
        >
          <Field id="hold-reason" label="Hold reason" error={v("holdReason")}>
            <select id="hold-reason" value={holdReason} onChange={(e) => {
                typing();
                setHoldReason((e.target as HTMLSelectElement).value);
              }}>
              <option value="HOLD_REASON_AWAITING_CALLER">Awaiting the caller</option>
              <option value="HOLD_REASON_AWAITING_SUPPLIER">Awaiting a supplier</option>
              <option value="HOLD_REASON_AWAITING_CHANGE">Awaiting a change</option>
            </select>
          </Field>
          <button type="submit" disabled={busy}>
            Put on hold
          </button>
        </form>
      )}
      {!resolved && (
        <form
          aria-label="Resolve"
          onSubmit={(e) => {
            e.preventDefault();
            const children = hasChildren && withChildren ? { resolveChildIncidents: true } : {};
            void transition("INCIDENT_STATE_RESOLVED", { resolutionCode: code, resolutionNotes: resolution, ...children }, typedVersion()).then(settle);
          }}
        >
          <Field id="resolution-code" label="Resolution code" error={v("resolutionCode")}>
            <input id="resolution-code" value={code} onInput={(e) => {
                typing();
                setCode((e.target as HTMLInputElement).value);
              }} {...invalid("resolution-code", v("resolutionCode"))} />
          </Field>
          <Field id="resolution-notes" label="Resolution notes" error={v("resolutionNotes")}>
            <textarea id="resolution-notes" rows={3} value={resolution} onInput={(e) => {
                typing();
                setResolution((e.target as HTMLTextAreaElement).value);
              }} {...invalid("resolution-notes", v("resolutionNotes"))} />
          </Field>
          {hasChildren && (
            <label class="check">
              <input type="checkbox" checked={withChildren} onChange={() => setWithChildren(!withChildren)} />
              Resolve the open incidents below it too
            </label>
          )}
          <button type="submit" disabled={busy}>
            Resolve
          </button>
        </form>
      )}
      {!resolved && (
        <form
          aria-label="Cancel incident"
          onSubmit={(e) => {
            e.preventDefault();
            void transition("INCIDENT_STATE_CANCELLED", { cancelReason }, typedVersion()).then(settle);
          }}
        >
          <Field id="cancel-reason" label="Why cancel it" error={v("cancelReason")}>
            <textarea id="cancel-reason" rows={2} value={cancelReason} onInput={(e) => {
                typing();
                setCancelReason((e.target as HTMLTextAreaElement).value);
              }} {...invalid("cancel-reason", v("cancelReason"))} />
          </Field>
          <button type="submit" disabled={busy}>
            Cancel incident
          </button>
        </form>
      )}
      {resolved && (
        <>
          <button type="button" disabled={busy} onClick={() => click("INCIDENT_STATE_IN_PROGRESS")}>
            Reopen
          </button>
          <button type="button" disabled={busy} onClick={() => click("INCIDENT_STATE_CLOSED")}>
            Close
          </button>
        </>
      )}
    </section>
  );
}
