// An audit trail as a table: who, when, what, and before / after per field (common.v1.AuditEntry,
// as every service of the suite keeps it). `subject` names the record of each entry when the
// trail mixes several (a CI with its relationships).
import { fieldLabel, historyValue } from "../history_values";
import type { AuditEntry } from "../model";
import { formatTime } from "../time";

// `more`: the trail goes on beyond the entries read (paging.ts, readWholeList), which is said.
export function HistoryTable({ id, title, entries, subject, more }: { id: string; title: string; entries: AuditEntry[]; subject?: (n: number) => string; more?: boolean }) {
  return (
    <>
      <h2 id={`${id}-title`}>{title}</h2>
      {more && <p class="help">The oldest {entries.length.toLocaleString()} entries are shown; the trail goes on (read it whole through the API or itsmctl).</p>}
      {entries.length === 0 ? (
        <p class="help">No entries.</p>
      ) : (
        <table aria-labelledby={`${id}-title`} id={id}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              {subject && <th scope="col">Record</th>}
              <th scope="col">Action</th>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {entries.flatMap((entry, e) => {
              const changes = entry.changes?.length ? entry.changes : [{}];
              return changes.map((c, n) => (
                <tr key={`${e}-${n}`}>
                  <td>{formatTime(entry.time)}</td>
                  <td>{entry.actor}</td>
                  {subject && <td>{subject(e)}</td>}
                  <td>{entry.action}</td>
                  <td title={c.field}>{fieldLabel(c.field)}</td>
                  <td class="value" title={c.oldValue}>{historyValue(c.oldValue, c.field)}</td>
                  <td class="value" title={c.newValue}>{historyValue(c.newValue, c.field)}</td>
                </tr>
              ));
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
