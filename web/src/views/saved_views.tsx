// Saved views of the queue: named filters kept in this browser (saved_views.ts), chosen from a
// list, saved under a name, deleted. And whose records: everyone's, the caller's, or their
// groups' — the caller's subject from GET /v1/session; the groups they name here (an API key's
// identity carries none).
import { useState } from "preact/hooks";
import type { Filters, Me, Scope } from "../queue";
import { deleteView, loadViews, saveView, type SavedView } from "../saved_views";
import { DraftInput } from "./draft_input";

const GROUPS = "itsm.console.myGroups";

export function loadGroups(): string[] {
  return (localStorage.getItem(GROUPS) ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);
}

export function SavedViews({ filters, apply }: { filters: Filters; apply: (f: Filters) => void }) {
  const [views, setViews] = useState<SavedView[]>(() => loadViews(localStorage));
  const [chosen, setChosen] = useState("");
  const [name, setName] = useState("");
  return (
    <form
      class="views"
      aria-label="Saved views"
      onSubmit={(e) => {
        // Enter in the name saves, as the button does.
        e.preventDefault();
        if (!name.trim()) return;
        setViews(saveView(localStorage, name, filters));
        setChosen(name.trim());
        setName("");
      }}
    >
      <div class="field">
        <label for="saved-view">Saved view</label>
        <select
          id="saved-view"
          value={chosen}
          onChange={(e) => {
            const picked = views.find((v) => v.name === (e.target as HTMLSelectElement).value);
            setChosen(picked?.name ?? "");
            if (picked) apply(picked.filters);
          }}
        >
          <option value="">— choose —</option>
          {views.map((v) => (
            <option key={v.name} value={v.name}>
              {v.name}
            </option>
          ))}
        </select>
      </div>
      {chosen && (
        <button type="button" onClick={() => (setViews(deleteView(localStorage, chosen)), setChosen(""))}>
          Delete view
        </button>
      )}
      <div class="field">
        <label for="view-name">Save these filters as</label>
        <input id="view-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" disabled={!name.trim()}>
        Save view
      </button>
    </form>
  );
}

export function ScopeField({ filters, setFilters, me, setGroups }: { filters: Filters; setFilters: (f: Filters) => void; me: Me; setGroups: (g: string[]) => void }) {
  return (
    <>
      <div class="field">
        <label for="scope">Whose</label>
        <select id="scope" value={filters.scope} onChange={(e) => setFilters({ ...filters, scope: (e.target as HTMLSelectElement).value as Scope })}>
          <option value="all">All</option>
          <option value="mine">Assigned to me{me.subject ? ` (${me.subject})` : ""}</option>
          <option value="groups">My groups</option>
        </select>
      </div>
      <div class="field">
        <label for="my-groups">My groups (comma-separated)</label>
        <DraftInput
          id="my-groups"
          value={me.groups.join(", ")}
          commit={(v) => {
            localStorage.setItem(GROUPS, v);
            setGroups(loadGroups());
          }}
        />
      </div>
    </>
  );
}
