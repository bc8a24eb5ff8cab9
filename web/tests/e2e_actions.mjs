// The change and CMDB writes of the console end to end (called by e2e.mjs with its browser
// helpers): as the admin, a CI is created (its violations first), related to another, edited and
// baselined, and a change is created (a violation first), assessed, decided, scheduled into a
// conflict that is overridden, moved to its end with a task done, and its history read; a
// viewer's session sees none of those buttons, and a write it tries anyway is refused clearly.
import assert from "node:assert/strict";

const DAY = 86_400_000;

// `openSession(key)`: a new browser session signed in with that key.
export async function checkActions({ page, viewerPage, openSession, api, adminKey, unique: u, gateway, checkAccessibility, screenshot, step }) {
  step("actions: a CI created in the browser (violations first), related, edited, baselined");
  // The CI it will be related to, and a change already in the slot the new change will want.
  const host = (await api("POST", "/v1/configurationItems", adminKey, { className: "server", name: `ledger-host-${u}`, status: "LIFECYCLE_STATUS_LIVE" })).configurationItem;
  await page.goto(`${gateway}/console/#/cmdb`);
  await page.getByRole("heading", { level: 1, name: "Configuration items" }).waitFor();
  await page.getByRole("link", { name: "New configuration item" }).click();
  await page.getByRole("heading", { level: 1, name: "New configuration item" }).waitFor();
  await page.getByLabel("Class (required)").selectOption("database");
  await page.getByLabel("engine").selectOption("postgresql");
  await page.getByLabel("port (a whole number)").fill("fifty");
  await page.getByRole("button", { name: "Create configuration item" }).click();
  await page.locator("#ci-name-error").waitFor();
  assert.equal(await page.getByLabel("Name (required, unique in its class)").getAttribute("aria-invalid"), "true");
  step(`name: "${await page.locator("#ci-name-error").textContent()}"`);
  const ledger = `ledger-${u}`;
  await page.getByLabel("Name (required, unique in its class)").fill(ledger);
  await page.getByRole("button", { name: "Create configuration item" }).click();
  await page.locator("#attr-port-error").waitFor();
  step(`an attribute's violation beside it, port: "${await page.locator("#attr-port-error").textContent()}"`);
  await checkAccessibility(page, "new configuration item (with a violation)");
  await screenshot(page, "new-ci");
  await page.getByLabel("port (a whole number)").fill("5432");
  await page.getByLabel("Status").selectOption("LIFECYCLE_STATUS_LIVE");
  await page.getByLabel("Owner group").fill("dba");
  await page.getByRole("button", { name: "Create configuration item" }).click();
  await page.getByRole("heading", { level: 1, name: `database/${ledger}` }).waitFor();
  const attribute = (name) => page.locator("#attributes tbody tr").filter({ has: page.locator("th", { hasText: new RegExp(`^${name}$`) }) });
  await attribute("port").locator("td", { hasText: /^5432$/ }).waitFor();
  step("created with its attributes; its page shows them");

  await page.getByText("Add a relationship").click();
  await page.getByLabel("Relationship", { exact: true }).selectOption("RELATIONSHIP_TYPE_RUNS_ON");
  await page.getByLabel("Other CI (class/name or id)").fill(`server/no-such-${u}`);
  await page.getByRole("button", { name: "Add the relationship" }).click();
  await page.locator("#rel-other-error").waitFor();
  await page.getByLabel("Other CI (class/name or id)").fill(`server/${host.name}`);
  await page.getByRole("button", { name: "Add the relationship" }).click();
  const hostRow = page.locator("#relationships tbody tr", { hasText: host.name });
  await hostRow.waitFor();
  assert.match(await hostRow.innerText(), /runs on →/);
  await page.locator(`svg.graph a.node[data-ci="server/${host.name}"]`).or(page.locator("#impact-table")).first().waitFor();
  step("related: it runs on the server (a CI that does not exist refused beside the field first)");

  await page.getByText("Edit fields and attributes").click();
  await page.getByLabel("Owner group").fill(`dba-${u}`);
  await page.getByLabel("version", { exact: true }).fill("16.4");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator(".facts dd", { hasText: `dba-${u}` }).waitFor();
  await attribute("version").locator("td", { hasText: /^16\.4$/ }).waitFor();
  await page.locator("#history tbody tr", { hasText: `dba-${u}` }).first().waitFor();
  step("edited: owner group and an attribute, in its history");

  await page.getByText("Create a baseline").click();
  await page.getByLabel("Name (required, unique)").fill(`${ledger}-before`);
  await page.getByLabel("Relationships followed upstream").selectOption("2");
  await checkAccessibility(page, "CI with its edit forms");
  await screenshot(page, "ci-edit");
  await page.getByRole("button", { name: "Create the baseline" }).click();
  await page.getByRole("link", { name: `${ledger}-before` }).click();
  await page.getByRole("heading", { level: 1, name: new RegExp(`${ledger}-before`) }).waitFor();
  step("a baseline of it, opened from the link");

  step("actions: a change created in the browser (a violation first), assessed, approved, scheduled");
  // Thirty days ahead, 10:00-11:00 in the browser's zone (Europe/Berlin); another change on the
  // same CI, authorising over that whole (UTC) day, is the conflict the slot will find.
  const day = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
  // Raised for a problem and an incident: its page links to both.
  const slowProblem = (await api("POST", "/v1/problems", adminKey, { title: `Ledger bloat ${u}`, impact: 3, urgency: 3 })).problem;
  const slowIncident = (await api("POST", "/v1/incidents", adminKey, { title: `Ledger slow ${u}`, impact: 3, urgency: 3 })).incident;
  let other = (
    await api("POST", "/v1/changes", adminKey, {
      type: "CHANGE_TYPE_NORMAL",
      title: `Ledger vacuum ${u}`,
      problemIds: [slowProblem.id],
      incidentIds: [slowIncident.id],
      configurationItemIds: [`database/${ledger}`],
      plannedStartTime: `${day}T00:00:00Z`,
      plannedEndTime: `${day}T23:59:00Z`,
    })
  ).change;
  for (const target of ["CHANGE_STATE_ASSESS", "CHANGE_STATE_AUTHORISE"]) {
    other = (await api("POST", `/v1/changes/${other.id}:transition`, adminKey, { version: other.version, targetState: target })).change;
  }
  await page.goto(`${gateway}/console/#/calendar`);
  await page.getByRole("link", { name: "New change" }).click();
  await page.getByRole("heading", { level: 1, name: "New change" }).waitFor();
  await page.getByRole("button", { name: "Create change" }).click();
  await page.locator("#title-error").waitFor();
  assert.equal(await page.getByLabel("Title (required)").getAttribute("aria-invalid"), "true");
  step(`title: "${await page.locator("#title-error").textContent()}"`);
  await checkAccessibility(page, "new change (with a violation)");
  await screenshot(page, "new-change");
  const title = `Upgrade the ledger ${u}`;
  await page.getByLabel("Title (required)").fill(title);
  await page.getByLabel("Configuration items (class/name, comma-separated)").fill(`database/${ledger}`);
  await page.getByLabel("Assignment group").fill("dba");
  await page.getByLabel("Implementation plan").fill("Upgrade in place, then run the checks.");
  await page.getByRole("button", { name: "Create change" }).click();
  const heading = page.getByRole("heading", { level: 1, name: new RegExp(title) });
  await heading.waitFor();
  const number = (await heading.innerText()).split(" ")[0];
  const state = page.getByTestId("change-state");
  assert.equal(await state.innerText(), "New");
  step(`created ${number}`);

  await page.getByText("Edit fields").click();
  const cis = page.getByLabel("Configuration items (class/name, comma-separated)");
  assert.equal(await cis.inputValue(), `database/${ledger}`, "the CIs as people know them, not their ids");
  await cis.fill(`database/${ledger}, server/no-such-${u}`);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator("#edit-configurationItemIds-error", { hasText: `no-such-${u}` }).waitFor();
  step(`an unknown CI, beside the list: "${await page.locator("#edit-configurationItemIds-error").textContent()}"`);
  await cis.fill(`database/${ledger}`);
  await page.getByRole("form", { name: "Edit the change" }).getByLabel("Description").fill("From 16 to 17, in place.");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator(".facts dd", { hasText: "From 16 to 17, in place." }).waitFor();
  step("edited: its description");

  await page.getByLabel("Does the change need an outage of the service?").selectOption("full");
  await page.getByLabel("Can the change be backed out?").selectOption("tested");
  await page.getByRole("button", { name: "Assess the risk" }).click();
  await page.locator("#risk-factors tbody tr", { hasText: "question:outage" }).waitFor();
  step(`assessed: "${await page.getByTestId("risk").innerText()}"`);
  await page.getByRole("button", { name: "Start assessment" }).click();
  await state.filter({ hasText: "Assess" }).waitFor();
  // By keyboard: the button goes with the state it belonged to, the focus stays in the workflow.
  await page.getByRole("button", { name: "Request authorisation" }).focus();
  await page.keyboard.press("Enter");
  await state.filter({ hasText: "Authorise" }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "workflow-title");
  await page.getByTestId("approval").filter({ hasText: /^Pending/ }).waitFor();
  // Segregation of duties: the administrator raised the change, so the service would refuse its
  // vote, and the console does not offer the form.
  if ((await page.getByLabel("Comment (required to reject)").count()) !== 0) {
    throw new Error("the change's author was offered its approval form");
  }
  step("its author is not offered the approval form (segregation of duties)");
  const managerKey = await api("POST", "/v1/apiKeys", adminKey, { name: `console-cm-${u}`, roles: ["ROLE_CHANGE_MANAGER", "ROLE_CAB_MEMBER"] });
  const managerPage = await openSession(managerKey.secret);
  await managerPage.goto(`${gateway}/console/#/changes/${encodeURIComponent(number)}`);
  await managerPage.getByTestId("approval").filter({ hasText: /^Pending/ }).waitFor();
  await managerPage.getByLabel("Comment (required to reject)").fill("Backups verified, go.");
  await managerPage.getByRole("button", { name: "Approve", exact: true }).click();
  await managerPage.getByTestId("approval").filter({ hasText: /^Approved/ }).waitFor();
  await managerPage.context().close();
  await page.reload();
  await page.getByTestId("approval").filter({ hasText: /^Approved/ }).waitFor();
  await page.locator("#approval-votes tbody tr", { hasText: "Backups verified, go." }).waitFor();
  step("assessment, authorisation (by keyboard: the focus stays in the workflow), approved with a comment by a change manager");

  await page.getByLabel("Planned start").fill(`${day}T10:00`);
  await page.getByLabel("Planned end").fill(`${day}T09:00`);
  await page.getByRole("button", { name: "Save the slot" }).click();
  await page.locator("#planned-end-error").waitFor();
  step(`an end before the start, beside the field: "${await page.locator("#planned-end-error").textContent()}"`);
  await page.getByLabel("Planned end").fill(`${day}T11:00`);
  await page.getByRole("button", { name: "Save the slot" }).click();
  await page.getByTestId("schedule-result").filter({ hasText: /conflict/ }).waitFor();
  await page.locator("#change-conflicts tbody tr", { hasText: other.number }).filter({ hasText: "Same ci" }).waitFor();
  const planned = await page.locator(".facts dd", { hasText: /CET|CEST/ }).first().innerText();
  assert.match(planned, /10:00:00 CES?T – .*11:00:00 CES?T/, planned);
  step(`slot saved in Berlin time (${planned}); the conflict with ${other.number} listed`);
  await page.getByLabel("Reason (required)").fill("The vacuum is read-only; agreed with the DBA.");
  await checkAccessibility(page, "change record with its workflow forms");
  await screenshot(page, "change-actions");
  await page.getByRole("button", { name: "Override the conflicts" }).click();
  await page.getByText(/Overridden by .*: The vacuum is read-only/).waitFor();
  step("conflicts overridden with a reason");

  step("actions: the change moved on with a task, to its end; its history");
  await page.getByRole("button", { name: "Mark scheduled" }).click();
  await state.filter({ hasText: "Scheduled" }).waitFor();
  await page.getByText("Add a task").click();
  await page.getByLabel("Title (required)").fill("Drain the connections");
  await page.getByRole("button", { name: "Add the task" }).click();
  await page.locator("#change-tasks tbody tr", { hasText: "Drain the connections" }).waitFor();
  await page.getByRole("button", { name: "Start implementation" }).click();
  await state.filter({ hasText: "Implement" }).waitFor();
  await page.getByRole("button", { name: "Finish: to review" }).click();
  await page.getByRole("alert").filter({ hasText: /outcome/ }).first().waitFor();
  step(`review refused without an outcome: "${await page.getByRole("alert").first().innerText()}"`);
  await page.getByLabel("Outcome (required to finish)").selectOption("CHANGE_OUTCOME_SUCCESSFUL");
  await page.getByRole("button", { name: "Finish: to review" }).click();
  await state.filter({ hasText: "Review" }).waitFor();
  await page.getByRole("button", { name: "Close", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: /task/ }).first().waitFor();
  step(`closing refused while the task is open: "${await page.getByRole("alert").first().innerText()}"`);
  await page.getByText("Update task 1").click();
  await page.getByRole("form", { name: "Update task 1" }).getByLabel("State").selectOption("TASK_STATE_DONE");
  await page.getByRole("button", { name: "Save task 1" }).click();
  await page.getByTestId("task-state").filter({ hasText: "Done" }).waitFor();
  await page.getByLabel("Close notes (when closing or cancelling)").fill("Upgraded; checks green.");
  await page.getByRole("button", { name: "Close", exact: true }).click();
  await state.filter({ hasText: "Closed" }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Work on it" }).count(), 0, "a closed change offers no action");
  const history = page.locator("#history tbody tr");
  await history.filter({ hasText: "transition:CLOSED" }).first().waitFor();
  const rows = (await history.allInnerTexts()).join("\n");
  for (const action of ["assess", "transition:AUTHORISE", "approve", "schedule", "override_conflicts", "add_task", "update_task", "transition:REVIEW"]) {
    assert.match(rows, new RegExp(action.replace(":", ".")), `history names ${action}:\n${rows}`);
  }
  step("task done, reviewed, closed; the history has every step");

  step("actions: a viewer sees no write, and one tried anyway is refused clearly");
  await viewerPage.goto(`${gateway}/console/#/changes/${encodeURIComponent(number)}`);
  await viewerPage.getByRole("heading", { level: 1, name: new RegExp(title) }).waitFor();
  await viewerPage.locator("#history tbody tr").first().waitFor();
  await viewerPage.goto(`${gateway}/console/#/changes/${encodeURIComponent(other.number)}`);
  await viewerPage.getByRole("heading", { level: 1, name: new RegExp(other.number) }).waitFor();
  await viewerPage.locator("#history tbody tr").first().waitFor();
  for (const linked of [slowProblem.number, slowIncident.number]) await viewerPage.locator("#linked-records a", { hasText: linked }).waitFor();
  for (const text of ["Work on it", "Edit fields", "Add a task"]) assert.equal(await viewerPage.getByText(text).count(), 0, `a viewer sees no "${text}"`);
  await viewerPage.goto(`${gateway}/console/#/cis/${encodeURIComponent(`database/${ledger}`)}`);
  await viewerPage.locator("#relationships tbody tr", { hasText: host.name }).waitFor();
  for (const text of ["Edit fields and attributes", "Add a relationship", "Create a baseline"]) assert.equal(await viewerPage.getByText(text).count(), 0, `a viewer sees no "${text}"`);
  assert.equal(await viewerPage.getByRole("button", { name: /^Delete/ }).count(), 0);
  await viewerPage.goto(`${gateway}/console/#/cmdb`);
  await viewerPage.locator("#ci-table").waitFor();
  assert.equal(await viewerPage.getByRole("link", { name: "New configuration item" }).count(), 0);
  await viewerPage.goto(`${gateway}/console/#/calendar`);
  await viewerPage.getByRole("heading", { level: 1, name: /Change calendar/ }).waitFor();
  assert.equal(await viewerPage.getByRole("link", { name: "New change" }).count(), 0);
  await viewerPage.goto(`${gateway}/console/#/new/change`);
  await viewerPage.getByRole("alert").filter({ hasText: "may not raise changes" }).waitFor();
  assert.equal(await viewerPage.getByLabel("Title (required)").count(), 0, "no form the service would refuse");
  await checkAccessibility(viewerPage, "new change, dark theme, refused");
  await viewerPage.goto(`${gateway}/console/#/new/ci`);
  await viewerPage.getByRole("alert").filter({ hasText: "may not create configuration items" }).waitFor();
  step("no write buttons for the viewer; a write page opened by its address says its role may not");

  step("actions: an agent's key works a change but does not decide, override or edit the CMDB");
  const agentKey = await api("POST", "/v1/apiKeys", adminKey, { name: `console-agent-${u}`, roles: ["ROLE_AGENT"] });
  const agentPage = await openSession(agentKey.secret);
  await agentPage.goto(`${gateway}/console/#/changes/${encodeURIComponent(other.number)}`);
  await agentPage.getByRole("button", { name: "Mark scheduled" }).waitFor();
  await agentPage.getByRole("button", { name: "Save the slot" }).waitFor();
  assert.equal(await agentPage.getByTestId("approval").innerText().then((t) => /^Pending/.test(t)), true);
  assert.equal(await agentPage.getByRole("button", { name: "Approve", exact: true }).count(), 0, "deciding is for change managers and CAB members");
  await agentPage.getByText("Edit fields").waitFor();
  await agentPage.goto(`${gateway}/console/#/cis/${encodeURIComponent(`database/${ledger}`)}`);
  await agentPage.locator("#relationships tbody tr", { hasText: host.name }).waitFor();
  for (const text of ["Edit fields and attributes", "Add a relationship", "Create a baseline"]) assert.equal(await agentPage.getByText(text).count(), 0, `an agent sees no "${text}"`);
  await agentPage.context().close();
  step("the agent sees the transitions and the slot, not the approval form nor the CMDB's writes");

  step("actions: the relationship deleted from the CI's page");
  await page.goto(`${gateway}/console/#/cis/${encodeURIComponent(`database/${ledger}`)}`);
  await hostRow.waitFor();
  await hostRow.getByRole("button", { name: /^Delete/ }).focus();
  await page.keyboard.press("Enter");
  await hostRow.waitFor({ state: "detached" });
  await page.waitForFunction(() => document.activeElement?.id === "relationships-title");
  await page.locator("#history tbody tr", { hasText: "relationship" }).filter({ hasText: "deleted" }).first().waitFor();
  step("deleted by keyboard (the focus goes to the relationships' heading); the history names it");
}
