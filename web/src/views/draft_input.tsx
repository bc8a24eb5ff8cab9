// A text input whose value is committed on change (Enter or leaving the field), not on every
// key: a queue filter re-reads the list when it changes. It keeps what is typed in its own
// state, so a re-render meanwhile (an event arrives, a countdown ticks) does not put the old
// committed value back under the typist's fingers.
import { useEffect, useState } from "preact/hooks";

export function DraftInput({ id, value, commit }: { id: string; value: string; commit: (value: string) => void }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <input
      id={id}
      value={draft}
      onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
      onChange={(e) => commit((e.target as HTMLInputElement).value)}
    />
  );
}
