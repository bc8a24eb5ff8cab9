// One change (GetChange): what, when and where, its risk with the factors that explain it, its
// approval (levels and votes), its conflicts, tasks, plans and history; and its workflow
// (change_workflow.tsx), edit and tasks (change_forms.tsx) for the roles that may write them.
import { may } from "../access";
import type { Api } from "../api";
import type { Change } from "../change";
import { isOpen } from "../change_actions";
import type { ConfigurationItem } from "../cmdb";
import { ciKey } from "../cmdb";
import { enumLabel } from "../labels";
import type { AuditEntry } from "../model";
import { formatTime, withLocalTimes } from "../time";
import { useCaller } from "./caller";
import { ChangeEdit, ChangeTasks } from "./change_forms";
import { ChangeWorkflow } from "./change_workflow";
import { HistoryTable } from "./history_table";
import { LinkedRecords } from "./linked_records";
import { useKeepFocus } from "./keep_focus";
import { ErrorText, useRead } from "./read";
import { readWholeList } from "../paging";

export function ChangeRecord({ api, id }: { api: Api; id: string }) {
  const path = `/v1/changes/${encodeURIComponent(id)}`;
  const read = useRead(async () => {
    const change = (await api.get<{ change: Change }>(path)).change;
    // CI and business-service ids as people know them (class/name).
    const ids = [...new Set([...(change.configurationItemIds ?? []), ...(change.affectedServiceIds ?? []), ...(change.risk?.businessServiceIds ?? [])])];
    const names = new Map<string, string>();
    await Promise.all(
      ids.map((ci) =>
        api.get<{ configurationItem: ConfigurationItem }>(`/v1/configurationItems/${encodeURIComponent(ci)}`).then(
          (r) => names.set(ci, ciKey(r.configurationItem)),
          () => {},
        ),
      ),
    );
    // Conflicts with a window name its id.
    if ((change.conflicts ?? []).some((k) => k.kind?.endsWith("_WINDOW") && k.otherId)) {
      const windows = await api.get<{ windows?: Array<{ id: string; name?: string }> }>("/v1/changeWindows?include_inactive=true").catch(() => ({ windows: [] }));
      for (const w of windows.windows ?? []) names.set(w.id, w.name ?? w.id);
    }
    return { change, names };
  }, [id]);
  const history = useRead(() => readWholeList<AuditEntry>((p) => api.get(p), `${path}/history`, "entries"), [id]);
  const caller = useCaller(api);
  // After a write: the change and its history as the service now has them.
  const done = () => {
    read.reload();
    history.reload();
  };
  useKeepFocus(read.data?.change.version, ["workflow-title", "change-title"]);
  if (!read.data) {
    return (
      <section aria-labelledby="change-title">
        <p class="help">
          <a href="#/calendar">← Change calendar</a>
        </p>
        <h1 id="change-title" tabIndex={-1}>
          Change
        </h1>
        {read.loading ? <p>Loading…</p> : <ErrorText error={read.error} />}
      </section>
    );
  }
  const { change: c, names } = read.data;
  const ciLinks = (ids: string[] | undefined) =>
    (ids ?? []).length === 0
      ? "—"
      : (ids ?? []).map((ci, n) => (
          <>
            {n > 0 && ", "}
            <a key={ci} href={`#/cis/${encodeURIComponent(ci)}`}>
              {names.get(ci) ?? ci}
            </a>
          </>
        ));
  const approval = c.approval;
  const risk = c.risk;
  return (
    <section aria-labelledby="change-title">
      <p class="help">
        <a href="#/calendar">← Change calendar</a>
      </p>
      <h1 id="change-title" tabIndex={-1}>
        {c.number} {c.title}
      </h1>
      <dl class="facts">
        <dt>Type</dt>
        <dd>{enumLabel(c.type, "CHANGE_TYPE")}</dd>
        <dt>State</dt>
        <dd data-testid="change-state" aria-live="polite">{enumLabel(c.state, "CHANGE_STATE")}</dd>
        <dt>Planned</dt>
        <dd>
          {formatTime(c.plannedStartTime)} – {formatTime(c.plannedEndTime)}
        </dd>
        {c.actualStartTime && (
          <>
            <dt>Actual</dt>
            <dd>
              {formatTime(c.actualStartTime)} – {formatTime(c.actualEndTime)}
            </dd>
          </>
        )}
        <dt>Configuration items</dt>
        <dd>{ciLinks(c.configurationItemIds)}</dd>
        <dt>Affected services</dt>
        <dd>{ciLinks(c.affectedServiceIds)}</dd>
        <dt>Assignment group</dt>
        <dd>{c.assignmentGroup || "—"}</dd>
        <dt>Assignee</dt>
        <dd>{c.assignee || "—"}</dd>
        <dt>Created</dt>
        <dd>
          {formatTime(c.createTime)} by {c.createdBy}
        </dd>
        {c.description && (
          <>
            <dt>Description</dt>
            <dd class="value">{c.description}</dd>
          </>
        )}
      </dl>
      <h2 id="change-links-title">Linked records</h2>
      <LinkedRecords api={api} links={{ problemIds: c.problemIds, incidentIds: c.incidentIds, causedIncidents: c.causedIncidents }} />
      {isOpen(c.state) && may(caller, "change.update") && <ChangeEdit key={c.version} api={api} change={c} names={names} done={done} />}
      <ChangeWorkflow api={api} change={c} caller={caller} done={done} />

      <h2 id="risk-title">Risk</h2>
      {!risk?.level || risk.level === "RISK_LEVEL_UNSPECIFIED" ? (
        <p class="help">Not assessed.</p>
      ) : (
        <>
          <p data-testid="risk">
            <strong>{enumLabel(risk.level, "RISK_LEVEL")}</strong>, score {risk.score ?? 0} (assessed {formatTime(risk.assessTime)}, policy version {risk.policyVersion}).
            {(risk.businessServiceIds ?? []).length > 0 && <> Business services reached: {ciLinks(risk.businessServiceIds)}.</>}
          </p>
          <table aria-labelledby="risk-title" id="risk-factors">
            <caption class="visually-hidden">How the score adds up</caption>
            <thead>
              <tr>
                <th scope="col">Factor</th>
                <th scope="col">Why</th>
                <th scope="col" class="num">
                  Adds
                </th>
              </tr>
            </thead>
            <tbody>
              {(risk.factors ?? []).map((f) => (
                <tr key={f.factor}>
                  <td>{f.factor}</td>
                  <td>{f.detail}</td>
                  <td class="num">{f.contribution ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2 id="approval-title">Approval</h2>
      {!approval?.outcome || approval.outcome === "APPROVAL_OUTCOME_UNSPECIFIED" ? (
        <p class="help">Not requested yet (the approval starts when the change enters Authorise).</p>
      ) : (
        <>
          <p data-testid="approval">
            <strong>{enumLabel(approval.outcome, "APPROVAL_OUTCOME")}</strong> — policy “{approval.policyName}”, requested {formatTime(approval.requestTime)}
            {approval.decideTime ? `, decided ${formatTime(approval.decideTime)}` : ""}.
          </p>
          <table id="approval-levels" aria-label="Approval levels">
            <thead>
              <tr>
                <th scope="col">Level</th>
                <th scope="col">Approver role</th>
                <th scope="col">Rule</th>
                <th scope="col">Approvers</th>
              </tr>
            </thead>
            <tbody>
              {(approval.levels ?? []).map((l, n) => (
                <tr key={n}>
                  <td>
                    {n + 1}. {l.name}
                    {approval.outcome === "APPROVAL_OUTCOME_PENDING" && approval.currentLevel === n ? " (deciding now)" : ""}
                  </td>
                  <td>{enumLabel(l.approverRole, "ROLE")}</td>
                  <td>
                    {enumLabel(l.rule, "APPROVAL_RULE")}
                    {l.rule === "APPROVAL_RULE_QUORUM" ? ` of ${l.quorum}` : ""}
                  </td>
                  <td>{(l.approvers ?? []).join(", ") || "anyone with the role"}{l.approverGroup ? ` (group ${l.approverGroup}, for information)` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table id="approval-votes" aria-label="Votes">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Level</th>
                <th scope="col">Approver</th>
                <th scope="col">Decision</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {(approval.votes ?? []).map((v, n) => (
                <tr key={n}>
                  <td>{formatTime(v.time)}</td>
                  <td>{(v.level ?? 0) + 1}</td>
                  <td>{v.approver}</td>
                  <td>{enumLabel(v.decision, "APPROVAL_DECISION")}</td>
                  <td class="value">{v.comment}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2 id="change-conflicts-title">Conflicts</h2>
      {(c.conflicts ?? []).length === 0 ? (
        <p class="help">None.</p>
      ) : (
        <>
          {c.conflictOverrideReason && (
            <p>
              Overridden by {c.conflictOverrideBy}: {c.conflictOverrideReason}
            </p>
          )}
          <table aria-labelledby="change-conflicts-title" id="change-conflicts">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">With</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {(c.conflicts ?? []).map((k, n) => (
                <tr key={n}>
                  <td class="conflict-mark">{enumLabel(k.kind, "CONFLICT_KIND")}</td>
                  <td>{k.otherNumber ? <a href={`#/changes/${encodeURIComponent(k.otherId ?? k.otherNumber)}`}>{k.otherNumber}</a> : names.get(k.otherId ?? "") ?? (k.otherId || "—")}</td>
                  <td>{withLocalTimes(k.reason)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <ChangeTasks api={api} change={c} caller={caller} done={done} />

      {(c.implementationPlan || c.backoutPlan || c.testPlan) && (
        <>
          <h2>Plans</h2>
          <dl class="facts">
            {c.implementationPlan && (
              <>
                <dt>Implementation</dt>
                <dd class="value">{c.implementationPlan}</dd>
              </>
            )}
            {c.backoutPlan && (
              <>
                <dt>Back-out</dt>
                <dd class="value">{c.backoutPlan}</dd>
              </>
            )}
            {c.testPlan && (
              <>
                <dt>Test</dt>
                <dd class="value">{c.testPlan}</dd>
              </>
            )}
          </dl>
        </>
      )}

      <ErrorText error={history.error} />
      <HistoryTable id="history" title="History" entries={history.data?.items ?? []} more={history.data?.more} />
    </section>
  );
}
