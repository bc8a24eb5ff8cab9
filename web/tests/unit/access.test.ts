import assert from "node:assert/strict";
import { test } from "node:test";
// The protos as text (build.mjs: the .proto loader): the roles each RPC declares.
import changeProto from "../../../proto/itsm/change/v1/change.proto";
import configProto from "../../../proto/itsm/config/v1/config.proto";
import incidentProto from "../../../proto/itsm/incident/v1/incident.proto";
import { ACCESS, may, mayOnlyAsOwner, readsSharedViews } from "../../src/access";

// rpc name -> the roles of its `option (itsm.common.v1.access)` (the first `roles: [...]` after
// the rpc: every RPC declares one, an RPC without is refused to everyone).
function declaredRoles(proto: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of proto.matchAll(/\brpc\s+(\w+)\s*\([\s\S]*?\broles:\s*\[([^\]]*)\]/g)) {
    out.set(m[1], m[2].split(",").map((r) => r.trim()).filter((r) => r !== "").sort());
  }
  return out;
}

// rpc name -> its own_records_roles, for the RPCs that declare some (in the rpc's option, before
// the next rpc).
function declaredOwnRoles(proto: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of proto.matchAll(/\brpc\s+(\w+)\s*\(((?:(?!\brpc\s)[\s\S])*)/g)) {
    const own = /\bown_records_roles:\s*\[([^\]]*)\]/.exec(m[2]);
    if (own) out.set(m[1], own[1].split(",").map((r) => r.trim()).filter((r) => r !== "").sort());
  }
  return out;
}

test("the console's table of who may write is the protos' access options", () => {
  const declared = new Map([...declaredRoles(changeProto), ...declaredRoles(configProto), ...declaredRoles(incidentProto)]);
  const own = declaredOwnRoles(incidentProto);
  assert.ok(declared.size > 60, `${declared.size} RPCs read from the protos`);
  assert.ok(own.has("TransitionServiceRequest") && own.has("TransitionIncident"), [...own.keys()].join(","));
  for (const [action, { rpc, roles, ownRoles }] of Object.entries(ACCESS)) {
    assert.deepEqual([...roles].sort(), declared.get(rpc), `${action} (${rpc})`);
    assert.deepEqual([...(ownRoles ?? [])].sort(), own.get(rpc) ?? [], `${action} (${rpc}): own records`);
  }
  // The task writes share a row: both RPCs declare the same roles.
  assert.deepEqual(declared.get("UpdateChangeTask"), declared.get("AddChangeTask"));
});

test("a requester may only cancel their own request; an agent works on it; a viewer neither", () => {
  const requester = { subject: "r", roles: ["ROLE_REQUESTER"] };
  const agent = { subject: "a", roles: ["ROLE_AGENT"] };
  const viewer = { subject: "v", roles: ["ROLE_VIEWER"] };
  assert.equal(may(requester, "serviceRequest.transition"), false);
  assert.equal(mayOnlyAsOwner(requester, "serviceRequest.transition", "r"), true);
  // Not theirs (a requester with a read role sees others' requests too): nothing to offer.
  assert.equal(mayOnlyAsOwner(requester, "serviceRequest.transition", "someone else"), false);
  assert.equal(mayOnlyAsOwner({ subject: "vr", roles: ["ROLE_VIEWER", "ROLE_REQUESTER"] }, "serviceRequest.transition", "other"), false);
  assert.equal(mayOnlyAsOwner(requester, "serviceRequest.transition", undefined), false);
  assert.equal(mayOnlyAsOwner(requester, "incident.transition", "r"), true);
  assert.equal(mayOnlyAsOwner(requester, "incident.transition", "someone else"), false);
  assert.equal(mayOnlyAsOwner(requester, "incident.update", "r"), false);
  assert.equal(may(agent, "serviceRequest.transition"), true);
  assert.equal(mayOnlyAsOwner(agent, "serviceRequest.transition", "a"), false);
  assert.equal(may(viewer, "incident.assign") || mayOnlyAsOwner(viewer, "serviceRequest.transition", "v"), false);
  assert.equal(may(agent, "problem.transition"), false);
  assert.equal(may({ subject: "p", roles: ["ROLE_PROBLEM_MANAGER"] }, "problem.transition"), true);
  assert.equal(mayOnlyAsOwner(undefined, "serviceRequest.transition", "r"), false);
  assert.equal(mayOnlyAsOwner(null, "serviceRequest.transition", "r"), false);
});

test("the shared views are offered to every role but a requester alone", () => {
  assert.equal(readsSharedViews({ subject: "r", roles: ["ROLE_REQUESTER"] }), false);
  assert.equal(readsSharedViews({ subject: "a", roles: ["ROLE_REQUESTER", "ROLE_AGENT"] }), true);
  assert.equal(readsSharedViews({ subject: "v", roles: ["ROLE_VIEWER"] }), true);
  assert.equal(readsSharedViews(undefined), true);
  assert.equal(readsSharedViews(null), true);
});
