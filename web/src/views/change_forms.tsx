// A change's edit form (UpdateChange: the fields that differ, with the version read) and its
// tasks (AddChangeTask, UpdateChangeTask), for the roles that may write them. The CIs and
// services are shown and typed as class/name, which the API takes as it takes ids.
import { useState } from "preact/hooks";
import { may, type Caller } from "../access";
import type { Api } from "../api";
import type { Change, ChangeTask } from "../change";
import { CHANGE_EDIT_FIELDS, isOpen, TASK_FIELDS, TASK_STATES, taskIsOpen } from "../change_actions";
import { enumLabel } from "../labels";
import { editOf, toJson, type FieldSpec } from "../record_forms";
import { useApiCall } from "./api_call";
import { FieldInputs, valuesOf } from "./record_form";

// The change as the edit form shows it: CI and service ids as the names people know.
function named(change: Change, names: Map<string, string>): Record<string, unknown> {
  const ids = (list: string[] | undefined) => (list ?? []).map((id) => names.get(id) ?? id);
  return { ...change, configurationItemIds: ids(change.configurationItemIds), affectedServiceIds: ids(change.affectedServiceIds) };
}

export function ChangeEdit({ api, change, names, done }: { api: Api; change: Change; names: Map<string, string>; done: () => void }) {
  const base = named(change, names);
  const [values, setValues] = useState(() => valuesOf(CHANGE_EDIT_FIELDS, base));
  const [saved, setSaved] = useState("");
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved("");
    const edit = editOf(CHANGE_EDIT_FIELDS, base, values);
    if (!edit) {
      setSaved("Nothing changed.");
      return;
    }
    if (!(await call.run(() => api.patch(`/v1/changes/${encodeURIComponent(change.id)}?update_mask=${edit.mask}`, edit.body)))) return;
    setSaved("Saved.");
    done();
  };
  return (
    <details class="edit">
      <summary>Edit fields</summary>
      <form aria-label="Edit the change" onSubmit={submit} noValidate class="record-form">
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        {saved && (
          <p class="help" role="status">
            {saved}
          </p>
        )}
        <FieldInputs prefix="edit-" fields={CHANGE_EDIT_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        <button type="submit" disabled={call.busy}>
          Save changes
        </button>
      </form>
    </details>
  );
}

const TASK_EDIT_FIELDS: FieldSpec[] = [{ name: "state", label: "State", type: "select", options: TASK_STATES }, ...TASK_FIELDS];

export function ChangeTasks({ api, change, caller, done }: { api: Api; change: Change; caller: Caller | null | undefined; done: () => void }) {
  const writable = isOpen(change.state) && may(caller, "change.task");
  const tasks = change.tasks ?? [];
  return (
    <>
      <h2 id="tasks-title">Tasks</h2>
      {tasks.length === 0 ? (
        <p class="help">No tasks.</p>
      ) : (
        <table aria-labelledby="tasks-title" id="change-tasks">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Title</th>
              <th scope="col">State</th>
              <th scope="col">Group</th>
              <th scope="col">Assignee</th>
              {writable && <th scope="col">Update</th>}
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id}>
                <td>{t.id}</td>
                <td>{t.title}</td>
                <td data-testid="task-state">{enumLabel(t.state, "TASK_STATE")}</td>
                <td>{t.assignmentGroup || "—"}</td>
                <td>{t.assignee || "—"}</td>
                {writable && <td>{taskIsOpen(t.state) ? <TaskEdit api={api} change={change} task={t} done={done} /> : "final"}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {writable && <TaskAdd api={api} change={change} done={done} />}
    </>
  );
}

function TaskEdit({ api, change, task, done }: { api: Api; change: Change; task: ChangeTask; done: () => void }) {
  const base = task as unknown as Record<string, unknown>;
  const [values, setValues] = useState(() => valuesOf(TASK_EDIT_FIELDS, base));
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    const edit = editOf(TASK_EDIT_FIELDS, base, values);
    if (!edit) return;
    const { version: _, ...fields } = edit.body;
    const body = { version: change.version, task: { id: task.id, ...fields }, updateMask: edit.mask };
    if (await call.run(() => api.patch(`/v1/changes/${encodeURIComponent(change.id)}/tasks/${encodeURIComponent(task.id)}`, body))) done();
  };
  return (
    <details class="edit">
      <summary>Update task {task.id}</summary>
      <form aria-label={`Update task ${task.id}`} onSubmit={submit} noValidate class="record-form">
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        <FieldInputs prefix={`task-${task.id}-`} fields={TASK_EDIT_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        <button type="submit" disabled={call.busy}>
          Save task {task.id}
        </button>
      </form>
    </details>
  );
}

function TaskAdd({ api, change, done }: { api: Api; change: Change; done: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const call = useApiCall(change.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = { version: change.version, ...toJson(TASK_FIELDS, values) };
    if (!(await call.run(() => api.post(`/v1/changes/${encodeURIComponent(change.id)}/tasks`, body)))) return;
    setValues({});
    done();
  };
  return (
    <details class="edit">
      <summary>Add a task</summary>
      <form aria-label="Add a task" onSubmit={submit} noValidate class="record-form">
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        <FieldInputs prefix="new-task-" fields={TASK_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        <button type="submit" disabled={call.busy}>
          Add the task
        </button>
      </form>
    </details>
  );
}
