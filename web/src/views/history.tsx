// A record's audit trail: when, who, the action, and each field before and after.
import type { AuditEntry } from "../model";
import { formatTime } from "../time";

export function History({ entries }: { entries: AuditEntry[] }) {
  return (
    <>
      <h2 id="history-title">History</h2>
      <table aria-labelledby="history-title" id="history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {entries.flatMap((entry) => {
            const changes = entry.changes?.length ? entry.changes : [{}];
            return changes.map((c, n) => (
              <tr key={`${entry.version}-${n}`}>
                <td>{formatTime(entry.time)}</td>
                <td>{entry.actor}</td>
                <td>{entry.action}</td>
                <td>{c.field ?? ""}</td>
                <td>{c.oldValue ?? ""}</td>
                <td>{c.newValue ?? ""}</td>
              </tr>
            ));
          })}
        </tbody>
      </table>
    </>
  );
}
