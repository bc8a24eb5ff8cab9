import assert from "node:assert/strict";
import { test } from "node:test";
import { attributeField, attributesOf, ciEdit } from "../../src/ci_forms";
import type { AttributeDefinition } from "../../src/cmdb";

const defs: AttributeDefinition[] = [
  { name: "engine", type: "ATTRIBUTE_TYPE_ENUM", enumValues: ["postgresql", "mysql"], required: true },
  { name: "port", type: "ATTRIBUTE_TYPE_INT" },
  { name: "version", type: "ATTRIBUTE_TYPE_STRING" },
  { name: "customer_facing", type: "ATTRIBUTE_TYPE_BOOL" },
  { name: "location", type: "ATTRIBUTE_TYPE_REFERENCE", referenceClass: "location" },
];

test("a class's attributes as fields: choices for enums and bools, the type said in the label", () => {
  const [engine, port, version, facing, location] = defs.map(attributeField);
  assert.deepEqual(engine, { name: "engine", label: "engine (required)", type: "select", options: [["", "—"], ["postgresql", "postgresql"], ["mysql", "mysql"]] });
  assert.equal(port.label, "port (a whole number)");
  assert.deepEqual(version, { name: "version", label: "version", type: "text" });
  assert.deepEqual(facing.options?.map(([v]) => v), ["", "true", "false"]);
  assert.equal(location.label, "location (a CI's class/name of location)");
});

test("a create sends the attributes given", () => {
  assert.deepEqual(attributesOf(defs, { engine: "mysql", port: " ", version: " 8.0 " }), { engine: "mysql", version: "8.0" });
});

test("an edit names each field and attribute changed, with the version read", () => {
  const ci = { id: "x", version: "3", name: "orders", status: "LIFECYCLE_STATUS_LIVE", ownerGroup: "dba", description: "", attributes: { engine: "postgresql", version: "16.4" } };
  const values = { name: "orders", status: "LIFECYCLE_STATUS_LIVE", businessCriticality: "", ownerGroup: "dba", description: "" };
  assert.equal(ciEdit(ci, values, defs, { engine: "postgresql", version: "16.4" }), null);
  assert.deepEqual(ciEdit(ci, { ...values, ownerGroup: "dba-oncall" }, defs, { engine: "postgresql", version: "16.4", port: "5432" }), {
    body: { version: "3", ownerGroup: "dba-oncall", attributes: { port: "5432" } },
    mask: "owner_group,attributes.port",
  });
  // Emptying an attribute removes it: named in the mask, absent from the body.
  assert.deepEqual(ciEdit(ci, values, defs, { engine: "postgresql", version: "" }), { body: { version: "3", attributes: {} }, mask: "attributes.version" });
});
