// A record's work notes and comments, for every kind (incident, service request, problem): the
// form that adds one and the list, oldest first. The list is read again whenever the record's
// version changes (a note is a new version, so another agent's note shows up live); the answer's
// record is merged, so the page follows at once. A note carries no version: it adds to the record
// and cannot overwrite anyone's change, so it is not refused because the record moved on.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api";
import { KINDS } from "../kinds";
import type { RecordKind, RecordNote, WorkRecord } from "../model";
import { formatTime } from "../time";
import { useApiCall } from "./api_call";
import { useCaller } from "./caller";
import { Field, invalid } from "./field";
import { readWholeList, type WholeList } from "../paging";

interface Props {
  api: Api;
  kind: RecordKind;
  record: WorkRecord;
  merge: (records: WorkRecord[]) => void;
}

// Who a comment is visible to, besides the support staff: problems have no requester.
const AUDIENCE: Record<RecordKind, string> = {
  incident: "The caller too (comment)",
  serviceRequest: "The requester too (comment)",
  problem: "Everyone who reads the problem (comment)",
};

export function Notes({ api, kind, record, merge }: Props) {
  const info = KINDS[kind];
  const path = `/v1/${info.collection}/${encodeURIComponent(record.id)}/notes`;
  const [notes, setNotes] = useState<WholeList<RecordNote>>({ items: [], more: false });
  const [text, setText] = useState("");
  // A requester writes comments only (the service refuses them work notes): no choice offered.
  const caller = useCaller(api);
  const requester = !!caller && caller.roles.length > 0 && caller.roles.every((r) => r === "ROLE_REQUESTER");
  const [chosen, setVisibility] = useState("NOTE_VISIBILITY_WORK_NOTE");
  const visibility = requester ? "NOTE_VISIBILITY_COMMENT" : chosen;
  const { error, busy, run, v } = useApiCall();

  useEffect(() => {
    readWholeList<RecordNote>((p) => api.get(p), path, "notes").then(setNotes, () => {});
  }, [record.id, record.version]);

  const add = async (e: Event) => {
    e.preventDefault();
    const r = await run(() => api.post<Record<string, unknown>>(path, { visibility, text }));
    if (!r) return;
    setText("");
    merge([{ ...(r[info.itemKey] as WorkRecord), kind }]);
  };
  return (
    <>
      <form aria-labelledby="note-title" class="note-form" onSubmit={add}>
        <h2 id="note-title">Add a note</h2>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <Field id="note-text" label="Note" error={v("text")}>
          <textarea id="note-text" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} {...invalid("note-text", v("text"))} />
        </Field>
        <Field id="note-visibility" label="Visible to">
          <select id="note-visibility" value={visibility} onChange={(e) => setVisibility((e.target as HTMLSelectElement).value)}>
            {!requester && <option value="NOTE_VISIBILITY_WORK_NOTE">Support staff (work note)</option>}
            <option value="NOTE_VISIBILITY_COMMENT">{AUDIENCE[kind]}</option>
          </select>
        </Field>
        <button type="submit" disabled={busy}>
          Add note
        </button>
      </form>

      <h2>Notes</h2>
      {notes.more && <p class="help">The oldest {notes.items.length.toLocaleString()} notes are shown; there are more (read them through the API or itsmctl).</p>}
      {notes.items.length === 0 ? (
        <p>No notes yet.</p>
      ) : (
        <ul class="notes">
          {notes.items.map((n) => (
            <li key={n.id}>
              <span class="meta">
                {n.author} · {formatTime(n.createTime)} · {n.visibility === "NOTE_VISIBILITY_COMMENT" ? "comment" : "work note"}
              </span>
              <p>{n.text}</p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
