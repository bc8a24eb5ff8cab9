// The change's workflow on its page, each form shown only to the roles that may use it
// (access.ts) and only when the change's state allows it (change_actions.ts): the transitions,
// the risk assessment with the policy's questionnaire, the caller's approval decision, the
// planned slot (in the user's zone) and the override of the conflicts it has. Every write
// carries the version read; `done` reads the change again (a stale version is refused, 409).
import { useState } from "preact/hooks";
import { may, type Caller } from "../access";
import type { Api } from "../api";
import type { Change, RiskQuestion } from "../change";
import { canReschedule, changeTransitions, conflictsToOverride, isOpen, mayDecide, OUTCOMES, type ChangeTransition } from "../change_actions";
import { isoToLocalInput, localInputToIso, zoneName } from "../time";
import { useApiCall } from "./api_call";
import { Field, invalid } from "./field";
import { useRead } from "./read";

interface Props {
  api: Api;
  change: Change;
  caller: Caller | null | undefined;
  done: () => void;
}

function Alert({ error }: { error: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

const text = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

export function ChangeWorkflow({ api, change, caller, done }: Props) {
  const open = isOpen(change.state);
  const forms = [
    open && may(caller, "change.transition") && <Transitions key="t" api={api} change={change} done={done} />,
    mayDecide(change, caller) && <Decide key="d" api={api} change={change} done={done} />,
    canReschedule(change.state) && may(caller, "change.schedule") && <Schedule key="s" api={api} change={change} done={done} />,
    conflictsToOverride(change) && may(caller, "change.override") && <Override key="o" api={api} change={change} done={done} />,
    open && change.type !== "CHANGE_TYPE_STANDARD" && may(caller, "change.assess") && <Assess key="a" api={api} change={change} done={done} />,
  ].filter(Boolean);
  if (forms.length === 0) return null;
  return (
    <section aria-labelledby="workflow-title" class="actions">
      <h2 id="workflow-title" tabIndex={-1}>
        Work on it
      </h2>
      {forms}
    </section>
  );
}

const path = (change: Change, action: string) => `/v1/changes/${encodeURIComponent(change.id)}:${action}`;

function Transitions({ api, change, done }: Omit<Props, "caller">) {
  const options = changeTransitions(change.type, change.state);
  const [outcome, setOutcome] = useState("");
  const [review, setReview] = useState(change.reviewNotes ?? "");
  const [close, setClose] = useState("");
  const call = useApiCall(change.version);
  const go = async (t: ChangeTransition) => {
    const body: Record<string, unknown> = { version: change.version, targetState: t.target };
    if (t.needs === "outcome") Object.assign(body, { outcome: outcome || undefined, reviewNotes: review });
    // Closing, or cancelling once implementation started, takes the review (decision 235).
    const reviewed = t.target === "CHANGE_STATE_CLOSED" || !canReschedule(change.state);
    if (t.needs === "close") Object.assign(body, { closeNotes: close, ...(reviewed ? { reviewNotes: review } : {}) });
    if (await call.run(() => api.post(path(change, "transition"), body))) done();
  };
  const needsOutcome = options.some((o) => o.needs === "outcome");
  const closing = options.some((o) => o.target === "CHANGE_STATE_CLOSED");
  return (
    <form aria-label="Change the state" onSubmit={(e) => e.preventDefault()}>
      <Alert error={call.error} />
      {needsOutcome && (
        <Field id="change-outcome" label="Outcome (required to finish)" error={call.v("outcome")}>
          <select id="change-outcome" value={outcome} onChange={text(setOutcome)} {...invalid("change-outcome", call.v("outcome"))}>
            {OUTCOMES.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </Field>
      )}
      {(needsOutcome || closing) && (
        <Field id="change-review" label="Post-implementation review (required to close a failed, backed-out or emergency change, or to cancel an implemented one)" error={call.v("reviewNotes")}>
          <textarea id="change-review" rows={2} value={review} onInput={text(setReview)} {...invalid("change-review", call.v("reviewNotes"))} />
        </Field>
      )}
      <Field id="change-close" label="Close notes (when closing or cancelling)" error={call.v("closeNotes")}>
        <textarea id="change-close" rows={2} value={close} onInput={text(setClose)} {...invalid("change-close", call.v("closeNotes"))} />
      </Field>
      <div>
        {options.map((o) => (
          <button type="button" key={o.target} disabled={call.busy} onClick={() => void go(o)}>
            {o.label}
          </button>
        ))}
      </div>
    </form>
  );
}

function Decide({ api, change, done }: Omit<Props, "caller">) {
  const [comment, setComment] = useState("");
  const call = useApiCall(change.version);
  const level = change.approval?.levels?.[change.approval?.currentLevel ?? 0];
  const decide = async (decision: string) => {
    if (await call.run(() => api.post(path(change, "decide"), { version: change.version, decision, comment }))) done();
  };
  return (
    <form aria-labelledby="decide-title" onSubmit={(e) => e.preventDefault()}>
      <h3 id="decide-title">Your decision{level?.name ? ` (${level.name})` : ""}</h3>
      <Alert error={call.error} />
      <Field id="decide-comment" label="Comment (required to reject)" error={call.v("comment")}>
        <textarea id="decide-comment" rows={2} value={comment} onInput={text(setComment)} {...invalid("decide-comment", call.v("comment"))} />
      </Field>
      <button type="button" disabled={call.busy} onClick={() => void decide("APPROVAL_DECISION_APPROVE")}>
        Approve
      </button>
      <button type="button" disabled={call.busy} onClick={() => void decide("APPROVAL_DECISION_REJECT")}>
        Reject
      </button>
    </form>
  );
}

function Schedule({ api, change, done }: Omit<Props, "caller">) {
  const [start, setStart] = useState(isoToLocalInput(change.plannedStartTime));
  const [end, setEnd] = useState(isoToLocalInput(change.plannedEndTime));
  const [found, setFound] = useState<number | null>(null);
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    setFound(null);
    const r = await call.run(() =>
      api.post<{ change: Change }>(path(change, "schedule"), {
        version: change.version,
        plannedStartTime: localInputToIso(start) || undefined,
        plannedEndTime: localInputToIso(end) || undefined,
      }),
    );
    if (!r) return;
    setFound(r.change.conflicts?.length ?? 0);
    done();
  };
  return (
    <form aria-labelledby="schedule-title" onSubmit={submit} noValidate>
      <h3 id="schedule-title">Planned slot</h3>
      <p class="help">In your time zone, {zoneName()}. Conflicts are checked when the slot is set.</p>
      <Alert error={call.error} />
      {found !== null && (
        <p role="status" data-testid="schedule-result">
          Slot saved: {found === 0 ? "no conflicts." : `${found} conflict${found === 1 ? "" : "s"}, listed under Conflicts.`}
        </p>
      )}
      <Field id="planned-start" label="Planned start" error={call.v("plannedStartTime")}>
        <input id="planned-start" type="datetime-local" value={start} onInput={text(setStart)} {...invalid("planned-start", call.v("plannedStartTime"))} />
      </Field>
      <Field id="planned-end" label="Planned end" error={call.v("plannedEndTime")}>
        <input id="planned-end" type="datetime-local" value={end} onInput={text(setEnd)} {...invalid("planned-end", call.v("plannedEndTime"))} />
      </Field>
      <button type="submit" disabled={call.busy}>
        Save the slot
      </button>
    </form>
  );
}

function Override({ api, change, done }: Omit<Props, "caller">) {
  const [reason, setReason] = useState("");
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await call.run(() => api.post(path(change, "overrideConflicts"), { version: change.version, reason }))) done();
  };
  return (
    <form aria-labelledby="override-title" onSubmit={submit} noValidate>
      <h3 id="override-title">Accept the conflicts</h3>
      <Alert error={call.error} />
      <Field id="override-reason" label="Reason (required)" error={call.v("reason")}>
        <textarea id="override-reason" rows={2} value={reason} onInput={text(setReason)} {...invalid("override-reason", call.v("reason"))} />
      </Field>
      <button type="submit" disabled={call.busy}>
        Override the conflicts
      </button>
    </form>
  );
}

function Assess({ api, change, done }: Omit<Props, "caller">) {
  const policy = useRead(() => api.get<{ policy?: { questions?: RiskQuestion[] } }>("/v1/changePolicy").then((r) => r.policy?.questions ?? []), []);
  const [answers, setAnswers] = useState<Record<string, string>>(() => Object.fromEntries((change.riskAnswers ?? []).map((a) => [a.questionId ?? "", a.answerId ?? ""])));
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    const riskAnswers = Object.entries(answers)
      .filter(([, a]) => a !== "")
      .map(([questionId, answerId]) => ({ questionId, answerId }));
    if (await call.run(() => api.post(path(change, "assess"), { version: change.version, riskAnswers }))) done();
  };
  return (
    <form aria-labelledby="assess-title" onSubmit={submit} noValidate>
      <h3 id="assess-title">Risk assessment</h3>
      <p class="help">The answers, the CMDB as it is now and the recent change failures on these CIs give the score.</p>
      <Alert error={call.error || policy.error} />
      {(policy.data ?? []).map((q) => (
        <Field key={q.id} id={`risk-${q.id}`} label={q.text ?? q.id}>
          <select id={`risk-${q.id}`} value={answers[q.id] ?? ""} onChange={(e) => setAnswers({ ...answers, [q.id]: (e.target as HTMLSelectElement).value })}>
            <option value="">not answered</option>
            {(q.answers ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.text ?? a.id}
              </option>
            ))}
          </select>
        </Field>
      ))}
      <button type="submit" disabled={call.busy}>
        Assess the risk
      </button>
    </form>
  );
}
