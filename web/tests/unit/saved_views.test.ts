import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FILTERS, effective, listQuery, matches } from "../../src/queue";
import { deleteView, loadFilters, loadViews, sanitize, saveFilters, saveView } from "../../src/saved_views";

class MemoryStore {
  items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
  removeItem(k: string) {
    this.items.delete(k);
  }
}

test("saved views are kept by name, replaced by name, deleted", () => {
  const store = new MemoryStore();
  assert.deepEqual(loadViews(store), []);
  const p1 = { ...DEFAULT_FILTERS, priorities: ["PRIORITY_P1" as const] };
  saveView(store, " P1 now ", p1);
  saveView(store, "Mine", { ...DEFAULT_FILTERS, scope: "mine" });
  const views = saveView(store, "P1 now", { ...p1, sort: "newest" });
  assert.deepEqual(views.map((v) => v.name), ["Mine", "P1 now"]);
  assert.equal(loadViews(store).find((v) => v.name === "P1 now")?.filters.sort, "newest");
  assert.deepEqual(deleteView(store, "Mine").map((v) => v.name), ["P1 now"]);
  assert.deepEqual(saveView(store, "   ", p1).map((v) => v.name), ["P1 now"], "no view without a name");
});

test("what is read back is checked: unknown values give way to defaults", () => {
  const f = sanitize({ kind: "problem", states: ["PROBLEM_STATE_NEW", "INCIDENT_STATE_NEW", 3], priorities: ["PRIORITY_P9", "PRIORITY_P2"], sort: "random", scope: "everyone", assignee: 42 });
  assert.equal(f.kind, "problem");
  assert.deepEqual(f.states, ["PROBLEM_STATE_NEW"]);
  assert.deepEqual(f.priorities, ["PRIORITY_P2"]);
  assert.equal(f.sort, "priority");
  assert.equal(f.scope, "all");
  assert.equal(f.assignee, "");
  assert.equal(sanitize({ kind: "toString" }).kind, "incident", "not a kind, even if an object's key");
  const store = new MemoryStore();
  store.setItem("itsm.console.queue.filters", "{not json");
  assert.deepEqual(loadFilters(store), DEFAULT_FILTERS);
  saveFilters(store, { ...DEFAULT_FILTERS, kind: "serviceRequest", states: ["SERVICE_REQUEST_STATE_APPROVED"] });
  assert.deepEqual(loadFilters(store).states, ["SERVICE_REQUEST_STATE_APPROVED"]);
  store.setItem("itsm.console.queue.views", JSON.stringify([{ name: "ok", filters: {} }, { filters: {} }, "junk"]));
  assert.deepEqual(loadViews(store).map((v) => v.name), ["ok"]);
});

test("assigned to me, my groups, all", () => {
  const me = { subject: "alice@corp", groups: ["network", "desk"] };
  const rec = (assignee: string, assignmentGroup: string) => ({ id: assignee + assignmentGroup, kind: "incident" as const, state: "INCIDENT_STATE_NEW", assignee, assignmentGroup });
  const mine = effective({ ...DEFAULT_FILTERS, scope: "mine" }, me);
  assert.equal(new URLSearchParams(listQuery(mine)).get("assignee"), "alice@corp");
  assert.equal(matches(rec("alice@corp", "x"), mine), true);
  assert.equal(matches(rec("bob", "x"), mine), false);
  const groups = effective({ ...DEFAULT_FILTERS, scope: "groups" }, me);
  assert.equal(new URLSearchParams(listQuery(groups)).get("assignment_group"), null, "two groups: filtered here");
  assert.equal(matches(rec("bob", "desk"), groups), true);
  assert.equal(matches(rec("bob", "mail"), groups), false);
  const one = effective({ ...DEFAULT_FILTERS, scope: "groups" }, { subject: "a", groups: ["desk"] });
  assert.equal(new URLSearchParams(listQuery(one)).get("assignment_group"), "desk");
  // No subject known (an old gateway) or no group named: nothing matches, and nothing odd is sent.
  const nobody = effective({ ...DEFAULT_FILTERS, scope: "mine" }, { subject: "", groups: [] });
  assert.equal(new URLSearchParams(listQuery(nobody)).get("assignee"), null);
  assert.equal(matches(rec("", ""), nobody), false);
  assert.equal(matches(rec("", ""), effective({ ...DEFAULT_FILTERS, scope: "groups" }, { subject: "a", groups: [] })), false);
  assert.equal(effective(DEFAULT_FILTERS, me), DEFAULT_FILTERS);
});
