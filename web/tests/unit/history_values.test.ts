import assert from "node:assert/strict";
import { test } from "node:test";
// The protos as text (build.mjs: the .proto loader).
import changeProto from "../../../proto/itsm/change/v1/change.proto";
import configProto from "../../../proto/itsm/config/v1/config.proto";
import incidentProto from "../../../proto/itsm/incident/v1/incident.proto";
import supplierProto from "../../../proto/itsm/supplier/v1/supplier.proto";
import { fieldLabel, historyValue } from "../../src/history_values";

test("a history's field reads as words", () => {
  assert.equal(fieldLabel("assignment_group"), "Assignment group");
  assert.equal(fieldLabel("title"), "Title");
  assert.equal(fieldLabel(undefined), "");
});

test("a value of the field's enum reads as its words, cut at its own enum's prefix", () => {
  assert.equal(historyValue("INCIDENT_STATE_IN_PROGRESS", "state"), "In progress");
  assert.equal(historyValue("SERVICE_REQUEST_STATE_PENDING_APPROVAL", "state"), "Pending approval");
  assert.equal(historyValue("RISK_LEVEL_HIGH", "risk_level"), "High", "the longest prefix, not RISK_ alone");
  assert.equal(historyValue("PRIORITY_P1", "priority"), "P1");
  assert.equal(historyValue("HOLD_REASON_AWAITING_CALLER", "hold_reason"), "Awaiting caller");
  assert.equal(historyValue("LIFECYCLE_STATUS_LIVE", "status"), "Live");
  assert.equal(historyValue('["ROLE_AGENT","ROLE_VIEWER"]', "roles"), "Agent, Viewer");
  assert.equal(historyValue("SOMETHING_NEW_VALUE", "state"), "SOMETHING_NEW_VALUE", "an enum not listed reads as stored");
});

// Found from outside: a title "INCIDENT_STATE_IN_PROGRESS" read "In progress" in the history.
test("text that happens to be an enum value's name reads as typed", () => {
  assert.equal(historyValue("INCIDENT_STATE_IN_PROGRESS", "title"), "INCIDENT_STATE_IN_PROGRESS");
  assert.equal(historyValue("PRIORITY_P1", "category"), "PRIORITY_P1");
  assert.equal(historyValue("HOLD_REASON_AWAITING_CALLER", "assignment_group"), "HOLD_REASON_AWAITING_CALLER");
  assert.equal(historyValue("CHANGE_STATE_NEW", "category"), "CHANGE_STATE_NEW");
  assert.equal(historyValue("INCIDENT_STATE_NEW", undefined), "INCIDENT_STATE_NEW");
});

test("a time reads in the reader's zone, named", () => {
  assert.match(historyValue("2026-12-08T09:05:00Z", "resolve_time", "Europe/Paris"), /10:05:00.*(CET|GMT\+1)/);
  assert.match(historyValue("2026-07-01T09:05:00.250Z", "resolve_time", "UTC"), /09:05:00.*UTC/);
});

test("lists read as words joined; other text as stored", () => {
  assert.equal(historyValue('["LIFECYCLE_STATUS_IN_BUILD","LIFECYCLE_STATUS_RETIRED"]', "statuses"), "In build, Retired");
  assert.equal(historyValue('["db-1","web-2"]'), "db-1, web-2");
  assert.equal(historyValue("[not json"), "[not json");
  assert.equal(historyValue('[{"name":"x"}]'), '[{"name":"x"}]', "a list of records stays JSON");
  assert.equal(historyValue("Mail is down since 09:00"), "Mail is down since 09:00");
  assert.equal(historyValue("42"), "42");
  assert.equal(historyValue(undefined), "");
});

// Every enum of the records whose history the console shows has its prefix listed (a new one
// would otherwise read as stored: correct, but in proto names).
test("the enum prefixes are those of the records' protos", () => {
  for (const proto of [incidentProto, changeProto, configProto, supplierProto]) {
    for (const m of proto.matchAll(/^\s*enum\s+(\w+)\s*\{/gm)) {
      const prefix = m[1].replace(/(?<!^)(?=[A-Z])/g, "_").toUpperCase();
      assert.notEqual(historyValue(`${prefix}_SOME_VALUE`, prefix.toLowerCase()), `${prefix}_SOME_VALUE`, `${m[1]} is not listed`);
    }
  }
});
