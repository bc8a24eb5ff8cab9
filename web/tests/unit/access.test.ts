import assert from "node:assert/strict";
import { test } from "node:test";
// The protos as text (build.mjs: the .proto loader): the roles each RPC declares.
import changeProto from "../../../proto/itsm/change/v1/change.proto";
import configProto from "../../../proto/itsm/config/v1/config.proto";
import { ACCESS, readsSharedViews } from "../../src/access";

// rpc name -> the roles of its `option (itsm.common.v1.access)` (the first `roles: [...]` after
// the rpc: every RPC declares one, an RPC without is refused to everyone).
function declaredRoles(proto: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of proto.matchAll(/\brpc\s+(\w+)\s*\([\s\S]*?\broles:\s*\[([^\]]*)\]/g)) {
    out.set(m[1], m[2].split(",").map((r) => r.trim()).filter((r) => r !== "").sort());
  }
  return out;
}

test("the console's table of who may write is the protos' access options", () => {
  const declared = new Map([...declaredRoles(changeProto), ...declaredRoles(configProto)]);
  assert.ok(declared.size > 30, `${declared.size} RPCs read from the protos`);
  for (const [action, { rpc, roles }] of Object.entries(ACCESS)) {
    assert.deepEqual([...roles].sort(), declared.get(rpc), `${action} (${rpc})`);
  }
  // The task writes share a row: both RPCs declare the same roles.
  assert.deepEqual(declared.get("UpdateChangeTask"), declared.get("AddChangeTask"));
});

test("the shared views are offered to every role but a requester alone", () => {
  assert.equal(readsSharedViews({ subject: "r", roles: ["ROLE_REQUESTER"] }), false);
  assert.equal(readsSharedViews({ subject: "a", roles: ["ROLE_REQUESTER", "ROLE_AGENT"] }), true);
  assert.equal(readsSharedViews({ subject: "v", roles: ["ROLE_VIEWER"] }), true);
  assert.equal(readsSharedViews(undefined), true);
  assert.equal(readsSharedViews(null), true);
});
