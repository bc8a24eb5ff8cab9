import assert from "node:assert/strict";
import { test } from "node:test";
import { kindOfCollection, recordHref } from "../../src/kinds";
import { editOf, FIELDS, listOf, snake, toJson, transitionsFrom } from "../../src/record_forms";

test("a form's text becomes the API's JSON: numbers as numbers, an empty number left out", () => {
  const json = toJson(FIELDS.serviceRequest, { catalogItem: "Laptop", quantity: "2", impact: "", title: "" });
  assert.equal(json.catalogItem, "Laptop");
  assert.equal(json.quantity, 2);
  assert.equal("impact" in json, false, "the service's default applies");
  assert.equal(json.title, "");
  // What is no number is sent as typed, for the API to refuse naming the field, not dropped.
  for (const typed of ["12-", "2e", "1.5"]) {
    assert.equal(toJson(FIELDS.serviceRequest, { catalogItem: "Laptop", quantity: typed }).quantity, typed);
  }
  assert.equal(toJson(FIELDS.serviceRequest, { catalogItem: "Laptop", quantity: " 3 " }).quantity, 3);
});

test("an edit sends only what differs from the record read, with its version and mask", () => {
  const record = { id: "p", version: "4", title: "Fuser", workaround: "", impact: 2, rootCause: "heat" };
  assert.equal(editOf(FIELDS.problem, record, { title: "Fuser", workaround: "", impact: "2", rootCause: "heat" }), null);
  const edit = editOf(FIELDS.problem, record, { title: "Fuser", workaround: "Cool it", impact: "1", rootCause: "heat" });
  assert.deepEqual(edit, { body: { version: "4", workaround: "Cool it", impact: 1 }, mask: "workaround,impact" });
  assert.equal(snake("assignmentGroup"), "assignment_group");
});

test("an incident is declared major, and no longer major, as a bool; untouched it is not sent", () => {
  const record = { id: "i", version: "3", title: "Mail down", impact: 1, urgency: 1 };
  const values = { title: "Mail down", description: "", impact: "1", urgency: "1", service: "", category: "", caller: "", majorIncident: "false" };
  assert.equal(editOf(FIELDS.incident, record, values), null, "a record without the flag is not major");
  assert.deepEqual(editOf(FIELDS.incident, record, { ...values, majorIncident: "true" }), { body: { version: "3", majorIncident: true }, mask: "major_incident" });
  assert.deepEqual(editOf(FIELDS.incident, { ...record, majorIncident: true }, values), { body: { version: "3", majorIncident: false }, mask: "major_incident" });
});

test("transitions follow docs/incident.md's tables", () => {
  const labels = (state: string) => transitionsFrom(state).map((t) => `${t.label}${t.needs ? `(${t.needs})` : ""}`);
  assert.deepEqual(labels("SERVICE_REQUEST_STATE_SUBMITTED"), ["Approve(reason)", "Reject(reason)", "Cancel request(reason)"]);
  assert.deepEqual(labels("SERVICE_REQUEST_STATE_FULFILLED"), ["Close"]);
  assert.deepEqual(labels("SERVICE_REQUEST_STATE_CLOSED"), []);
  assert.deepEqual(labels("PROBLEM_STATE_UNDER_INVESTIGATION"), ["Publish as known error", "Resolve(resolution)", "Cancel problem(reason)"]);
  assert.deepEqual(labels("PROBLEM_STATE_KNOWN_ERROR"), ["Resolve(resolution)"]);
  assert.deepEqual(labels(undefined as unknown as string), []);
});

test("records' addresses in the console", () => {
  assert.equal(recordHref("serviceRequest", "a/b"), "#/serviceRequests/a%2Fb");
  assert.equal(recordHref(undefined, "x"), "#/incidents/x");
  assert.equal(kindOfCollection("problems"), "problem");
  assert.equal(kindOfCollection("queue"), null);
});

test("lists and choices: a list is typed comma-separated, an empty choice is not sent", () => {
  const fields = [
    { name: "configurationItemIds", label: "CIs", type: "list" as const },
    { name: "type", label: "Type", type: "select" as const, options: [["", "—"], ["CHANGE_TYPE_NORMAL", "Normal"]] as Array<[string, string]> },
  ];
  assert.deepEqual(listOf(" server/a, ,db/b ,"), ["server/a", "db/b"]);
  assert.deepEqual(toJson(fields, { configurationItemIds: "server/a, db/b", type: "" }), { configurationItemIds: ["server/a", "db/b"] });
  const record = { version: "2", configurationItemIds: ["server/a", "db/b"] };
  assert.equal(editOf(fields, record, { configurationItemIds: "server/a,db/b", type: "" }), null);
  assert.deepEqual(editOf(fields, record, { configurationItemIds: "server/a", type: "" }), { body: { version: "2", configurationItemIds: ["server/a"] }, mask: "configuration_item_ids" });
  assert.equal(editOf(fields, { version: "1" }, { configurationItemIds: "", type: "" }), null, "no list and an empty one are the same");
});
