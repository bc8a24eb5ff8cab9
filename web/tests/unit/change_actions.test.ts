import assert from "node:assert/strict";
import { test } from "node:test";
import { may } from "../../src/access";
import type { Change } from "../../src/change";
import { canReschedule, changeTransitions, conflictsToOverride, mayDecide, taskIsOpen } from "../../src/change_actions";

const labels = (type: string, state: string) => changeTransitions(`CHANGE_TYPE_${type}`, `CHANGE_STATE_${state}`).map((t) => `${t.target.replace("CHANGE_STATE_", "")}${t.needs ? `(${t.needs})` : ""}`);

test("transitions follow each type's state table (change_state_machine.cc)", () => {
  assert.deepEqual(labels("NORMAL", "NEW"), ["ASSESS", "CANCELLED(close)"]);
  assert.deepEqual(labels("NORMAL", "ASSESS"), ["AUTHORISE", "CANCELLED(close)"]);
  assert.deepEqual(labels("NORMAL", "AUTHORISE"), ["ASSESS", "SCHEDULED", "CANCELLED(close)"]);
  assert.deepEqual(labels("NORMAL", "SCHEDULED"), ["IMPLEMENT", "CANCELLED(close)"]);
  assert.deepEqual(labels("NORMAL", "IMPLEMENT"), ["REVIEW(outcome)", "CANCELLED(close)"]);
  assert.deepEqual(labels("NORMAL", "REVIEW"), ["CLOSED(close)", "CANCELLED(close)"]);
  assert.deepEqual(labels("STANDARD", "NEW"), ["SCHEDULED", "CANCELLED(close)"]);
  assert.deepEqual(labels("STANDARD", "AUTHORISE"), ["CANCELLED(close)"], "a standard change is never in AUTHORISE: only the common steps");
  assert.deepEqual(labels("EMERGENCY", "NEW"), ["AUTHORISE", "CANCELLED(close)"]);
  assert.deepEqual(labels("EMERGENCY", "AUTHORISE"), ["SCHEDULED", "IMPLEMENT", "CANCELLED(close)"]);
  for (const type of ["NORMAL", "STANDARD", "EMERGENCY"]) {
    assert.deepEqual(labels(type, "CLOSED"), []);
    assert.deepEqual(labels(type, "CANCELLED"), []);
  }
  assert.deepEqual(changeTransitions(undefined, undefined), []);
});

test("the slot moves until implementation starts", () => {
  assert.deepEqual(
    ["NEW", "ASSESS", "AUTHORISE", "SCHEDULED", "IMPLEMENT", "REVIEW", "CLOSED"].filter((s) => canReschedule(`CHANGE_STATE_${s}`)),
    ["NEW", "ASSESS", "AUTHORISE", "SCHEDULED"],
  );
});

test("roles: each write as the protos declare it; the admin may do everything", () => {
  const viewer = { subject: "apikey:v", roles: ["ROLE_VIEWER"] };
  const agent = { subject: "apikey:a", roles: ["ROLE_AGENT"] };
  const cab = { subject: "bob", roles: ["ROLE_CAB_MEMBER"] };
  const cmdb = { subject: "c", roles: ["ROLE_CMDB_MANAGER"] };
  const admin = { subject: "apikey:admin", roles: ["ROLE_ADMIN"] };
  for (const action of ["change.create", "change.transition", "change.schedule", "ci.create", "relationship.delete", "baseline.create"] as const) {
    assert.equal(may(viewer, action), false, action);
    assert.equal(may(admin, action), true, action);
  }
  assert.equal(may(agent, "change.schedule"), true);
  assert.equal(may(agent, "change.override"), false, "overriding conflicts is a change manager's decision");
  assert.equal(may(agent, "change.decide"), false);
  assert.equal(may(cab, "change.decide"), true);
  assert.equal(may(cab, "change.transition"), false);
  assert.equal(may(cmdb, "ci.update"), true);
  assert.equal(may(agent, "ci.update"), false);
  assert.equal(may(undefined, "change.create"), false, "not known yet: no button yet");
  assert.equal(may(null, "change.create"), true, "the gateway cannot say: the service decides");
});

const pending = (levels: Change["approval"]): Change => ({ id: "c", state: "CHANGE_STATE_AUTHORISE", approval: { outcome: "APPROVAL_OUTCOME_PENDING", currentLevel: 0, ...levels } });

test("the approval form is the caller's only at the level deciding now, once", () => {
  const alice = { subject: "alice", roles: ["ROLE_CHANGE_MANAGER"] };
  const anyone = pending({ levels: [{ name: "change manager", approverRole: "ROLE_CHANGE_MANAGER" }] });
  assert.equal(mayDecide(anyone, alice), true);
  assert.equal(mayDecide(anyone, { subject: "v", roles: ["ROLE_VIEWER"] }), false);
  assert.equal(mayDecide({ ...anyone, state: "CHANGE_STATE_ASSESS" }, alice), false);
  assert.equal(mayDecide({ ...anyone, approval: { ...anyone.approval, outcome: "APPROVAL_OUTCOME_APPROVED" } }, alice), false);
  const named = pending({ levels: [{ name: "CAB", approvers: ["bob", "carol"], rule: "APPROVAL_RULE_ALL" }] });
  assert.equal(mayDecide(named, alice), false, "the level names its approvers, alice is not one");
  const bob = { subject: "bob", roles: ["ROLE_CAB_MEMBER"] };
  assert.equal(mayDecide(named, bob), true);
  const voted = pending({ levels: named.approval!.levels, votes: [{ level: 0, approver: "bob", decision: "APPROVAL_DECISION_APPROVE" }] });
  assert.equal(mayDecide(voted, bob), false, "one vote per approver per level");
  const next = pending({ levels: [{ name: "cm" }, { name: "CAB" }], currentLevel: 1, votes: [{ level: 0, approver: "bob", decision: "APPROVAL_DECISION_APPROVE" }] });
  assert.equal(mayDecide(next, bob), true, "a vote at an earlier level does not count at this one");
  // The service's role and segregation-of-duties checks, shown before a click they would refuse.
  const cab = { subject: "carol", roles: ["ROLE_CAB_MEMBER"] };
  assert.equal(mayDecide(anyone, cab), false, "a CAB member does not decide the change manager's level");
  const admin = { subject: "root", roles: ["ROLE_ADMIN"] };
  assert.equal(mayDecide(anyone, admin), true, "an administrator holds every role");
  assert.equal(mayDecide({ ...anyone, createdBy: "ALICE " }, alice), false, "alice raised it");
  assert.equal(mayDecide({ ...anyone, assignee: "alice" }, alice), false, "alice is assigned to it");
  const selfAllowed = { ...anyone, createdBy: "alice", approval: { ...anyone.approval, selfApprovalAllowed: true } };
  assert.equal(mayDecide(selfAllowed, alice), true, "the policy allowed self-approval");
});

test("conflicts to override, tasks still open", () => {
  const c: Change = { id: "c", state: "CHANGE_STATE_AUTHORISE", conflicts: [{ kind: "CONFLICT_KIND_BLACKOUT_WINDOW" }] };
  assert.equal(conflictsToOverride(c), true);
  assert.equal(conflictsToOverride({ ...c, conflictOverrideReason: "Agreed with the business." }), false);
  assert.equal(conflictsToOverride({ ...c, conflicts: [] }), false);
  assert.equal(conflictsToOverride({ ...c, state: "CHANGE_STATE_CLOSED" }), false);
  // An emergency change without a slot: implementing now may meet a freeze, found then.
  const emergency: Change = { id: "e", type: "CHANGE_TYPE_EMERGENCY", state: "CHANGE_STATE_AUTHORISE", conflicts: [] };
  assert.equal(conflictsToOverride(emergency), true);
  assert.equal(conflictsToOverride({ ...emergency, plannedStartTime: "2030-01-05T10:00:00Z" }), false);
  assert.equal(conflictsToOverride({ ...emergency, state: "CHANGE_STATE_IMPLEMENT" }), false);
  assert.equal(conflictsToOverride({ ...emergency, conflictOverrideReason: "P1 outage" }), false);
  assert.deepEqual(["TASK_STATE_OPEN", "TASK_STATE_IN_PROGRESS", "TASK_STATE_DONE", "TASK_STATE_CANCELLED"].map(taskIsOpen), [true, true, false, false]);
});
