// The console end to end, in Debian's Chromium driven by playwright-core (no browser download),
// against a running suite (incident, SLA, SLA timer, gateway; the gateway's write rate limit
// raised for the 1,200 records it creates): console_e2e_test (tests/integration) starts it with
// the launcher and runs this with the gateway's URL and the first admin key; then the CMDB, change,
// service-level and supplier views (e2e_views.mjs) and the change and CMDB writes
// (e2e_actions.mjs). Saves screenshots into
// ITSM_SCREENSHOTS (docs/console/ when refreshing the docs).
// With ITSM_OIDC_ISSUER (the test provider, oidc_provider.mjs, trusted by the gateway), also the
// OIDC sign-in (e2e_oidc.mjs).
// env: ITSM_GATEWAY_URL, ITSM_ADMIN_KEY, [ITSM_SCREENSHOTS], [ITSM_CHROMIUM=/usr/bin/chromium],
//      [ITSM_OIDC_ISSUER, ITSM_OIDC_USER, ITSM_OIDC_PROVIDER_NAME]
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { checkActions } from "./e2e_actions.mjs";
import { checkViews } from "./e2e_views.mjs";

const require = createRequire(import.meta.url);
const gateway = process.env.ITSM_GATEWAY_URL;
const adminKey = process.env.ITSM_ADMIN_KEY;
const shots = process.env.ITSM_SCREENSHOTS || "";
const executablePath = process.env.ITSM_CHROMIUM || "/usr/bin/chromium";
if (!gateway || !adminKey) {
  console.error("ITSM_GATEWAY_URL and ITSM_ADMIN_KEY are required");
  process.exit(2);
}
if (shots) mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const step = (text) => console.log(`- ${text}`);

async function api(method, path, key, body) {
  const response = await fetch(gateway + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

// axe-core on the page as it is: no serious or critical violation of WCAG 2.1 A/AA.
async function checkAccessibility(page, view) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const minor = result.violations.length - bad.length;
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe-core on ${view}`,
  );
  step(`axe-core on ${view}: ${result.passes.length} rules pass, no serious or critical violation (${minor} minor)`);
}

async function screenshot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, key) {
  // "/" redirects to the console.
  await page.goto(gateway + "/");
  assert.match(page.url(), /\/console\/$/);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Queue" }).waitFor();
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const newContext = (colorScheme = "light") =>
  browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme,
    // axe-core is injected as a script: the console's policy allows only its own files.
    bypassCSP: true,
    timezoneId: "Europe/Berlin",
    locale: "en-GB",
  });
let failed = false;
try {
  const unique = Date.now().toString(36);
  const viewer = await api("POST", "/v1/apiKeys", adminKey, { name: `console-viewer-${unique}`, roles: ["ROLE_VIEWER"] });
  // Someone other than the request's author approves it (segregation of duties, decision 239).
  const approver = await api("POST", "/v1/apiKeys", adminKey, { name: `console-approver-${unique}`, roles: ["ROLE_AGENT"] });
  const requester = await api("POST", "/v1/apiKeys", adminKey, { name: `console-requester-${unique}`, roles: ["ROLE_REQUESTER"] });
  // An SLA on a service of this run only (definitions of one service may not overlap): a P1
  // gets a 10 min response and a 1 h resolution clock, on a calendar open around the clock.
  const service = `printing-${unique}`;
  const calendar = await api("POST", "/v1/calendars", adminKey, { calendar: { name: `24x7-${unique}`, timeZone: "UTC", alwaysOpen: true } });
  await api("POST", "/v1/slaDefinitions", adminKey, {
    definition: {
      name: `Printing ${unique}`,
      kind: "AGREEMENT_KIND_SLA",
      coverage: { services: [service] },
      calendarId: calendar.calendar.id,
      targets: [{ priority: "PRIORITY_P1", responseTarget: "600s", resolutionTarget: "3600s" }],
    },
  });
  // Enough records that the queue must virtualise them (the suite's write rate limit is raised
  // for this test: tests/integration/console_e2e_test.cc).
  const bulk = 1200;
  const seedStarted = Date.now();
  let seeded = 0;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (seeded < bulk) {
        const n = seeded++;
        await api("POST", "/v1/incidents", adminKey, { title: `Bulk ${unique} ${n}`, impact: 3, urgency: 3, service: `bulk-${unique}` });
      }
    }),
  );
  step(`${bulk} incidents created for the virtualised queue (${Date.now() - seedStarted} ms)`);

  step("sign-in page");
  const agentContext = await newContext();
  const agent = await agentContext.newPage();
  await agent.goto(gateway + "/console/");
  await agent.getByRole("heading", { name: "Sign in to the itsm console" }).waitFor();
  await checkAccessibility(agent, "sign-in");
  await screenshot(agent, "sign-in");
  await agent.getByLabel("API key").fill("itsm_not_a_key");
  await agent.getByRole("button", { name: "Sign in", exact: true }).click();
  await agent.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
  step("a wrong key is refused");

  await signIn(agent, adminKey);
  const local = await agent.evaluate(() => Object.values(localStorage).join("\n"));
  assert.ok(!local.includes(adminKey), "the key is not in localStorage (only the queue's filters may be)");
  assert.equal(await agent.evaluate(() => sessionStorage.getItem("itsm.console.apiKey")), adminKey);
  step("signed in; the key is in sessionStorage only");

  const watcherContext = await newContext();
  const watcher = await watcherContext.newPage();
  await signIn(watcher, adminKey);
  await watcher.getByText("Live", { exact: true }).waitFor();
  // Newest first: the record this test creates is the first row, however many others there are.
  await watcher.getByLabel("Sort by").selectOption("newest");
  step("a second session's queue is live");

  step("create: the API's field violations beside the field");
  await agent.getByRole("link", { name: "New incident" }).click();
  await agent.getByRole("heading", { level: 1, name: "New incident" }).waitFor();
  await agent.getByRole("button", { name: "Create incident" }).click();
  await agent.locator("#title-error").waitFor();
  assert.equal(await agent.getByLabel("Title (required)").getAttribute("aria-invalid"), "true");
  step(`title: "${await agent.locator("#title-error").textContent()}"`);
  await checkAccessibility(agent, "new incident (with a violation)");
  await screenshot(agent, "new-incident");

  const title = `Printer on fire ${unique}`;
  await agent.getByLabel("Title (required)").fill(title);
  await agent.getByLabel("Impact").selectOption("1");
  await agent.getByLabel("Urgency").selectOption("1");
  await agent.getByLabel("Service").fill(service);
  const created = Date.now();
  await agent.getByRole("button", { name: "Create incident" }).click();
  await agent.getByRole("heading", { level: 1, name: new RegExp(title) }).waitFor();
  await agent.getByTestId("priority").filter({ hasText: "impact 1 – high, urgency 1 – high" }).waitFor();
  step(`created; the record view shows it: "${await agent.getByTestId("priority").textContent()}"`);
  await agent.getByText("Edit fields").click();
  await agent.getByLabel("Major incident").selectOption("true");
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.getByTestId("priority").filter({ hasText: "major incident" }).waitFor();
  await agent.getByText("Edit fields").click();
  step("declared a major incident from its edit form");

  const row = watcher.locator("#queue-table tbody tr", { hasText: title });
  await row.waitFor({ timeout: 15000 });
  step(`the other session's queue shows it ${Date.now() - created} ms after the click, without a reload`);
  await row.locator("td.sla", { hasText: /left/ }).waitFor({ timeout: 15000 });
  step(`its SLA countdown in the queue: "${await row.locator("td.sla").textContent()}"`);
  await screenshot(watcher, "queue");
  await checkAccessibility(watcher, "queue");

  step("the queue is virtualised: few rows in the document, every row reachable");
  await watcher.locator(".count", { hasText: /^[\d,]+ incidents$/ }).waitFor({ timeout: 30000 });
  const total = Number((await watcher.locator(".count").textContent()).replace(/\D/g, ""));
  assert.ok(total >= bulk, `${total} incidents counted`);
  assert.equal(await watcher.locator("#queue-table").getAttribute("aria-rowcount"), String(total + 1));
  const inDom = await watcher.locator("#queue-table tbody tr[data-index]").count();
  assert.ok(inDom < 80, `${inDom} rows rendered of ${total}`);
  await watcher.locator("#queue-table tbody a").first().focus();
  await watcher.keyboard.press("End");
  assert.equal(await watcher.evaluate(() => document.activeElement?.closest("tr")?.getAttribute("aria-rowindex")), String(total + 1));
  await watcher.keyboard.press("PageUp");
  await watcher.keyboard.press("Home");
  assert.equal(await watcher.evaluate(() => document.activeElement?.closest("tr")?.getAttribute("aria-rowindex")), "2");
  step(`${inDom} of ${total} rows in the document; End and Home reach the last and the first`);

  step("keyboard: the row is reached with the arrow keys and opened with Enter");
  await watcher.locator("#queue-table tbody a").first().focus();
  for (let i = 0; i < 20; ++i) {
    if ((await watcher.evaluate(() => document.activeElement?.textContent)) === (await row.locator("a").textContent())) break;
    await watcher.keyboard.press("ArrowDown");
  }
  await watcher.keyboard.press("Enter");
  await watcher.getByRole("heading", { level: 1, name: new RegExp(title) }).waitFor();
  await watcher.goBack();
  await watcher.getByRole("heading", { level: 1, name: "Queue" }).waitFor();

  step("the record's SLA clocks count down, with why");
  const responseClock = agent.getByTestId("sla-clock").filter({ hasText: "(response)" });
  await responseClock.filter({ hasText: /left/ }).waitFor({ timeout: 15000 });
  await agent.getByText("Why: how this clock got here").first().click();
  await agent.locator(".timeline tbody tr", { hasText: "start condition" }).first().waitFor();
  step(`"${await responseClock.textContent()}"; the timeline says it started by the start condition`);

  step("assign, hold, resume, note, resolve");
  await agent.getByLabel("Assignee", { exact: true }).fill("alice");
  await agent.getByLabel("Assignment group", { exact: true }).fill("service-desk");
  await agent.getByRole("button", { name: "Assign" }).click();
  await agent.locator(".facts dd", { hasText: "alice" }).waitFor();
  await watcher.locator("#queue-table tbody tr", { hasText: title }).filter({ hasText: "alice" }).waitFor();
  step("the assignment reached the other session's queue");
  await agent.getByLabel("Hold reason").selectOption("HOLD_REASON_AWAITING_SUPPLIER");
  await agent.getByRole("button", { name: "Put on hold" }).click();
  await agent.getByTestId("state").filter({ hasText: "On hold" }).waitFor();
  await agent.locator(".facts dd", { hasText: "awaiting supplier" }).waitFor();
  await agent.getByRole("button", { name: "Resume work" }).click();
  await agent.getByTestId("state").filter({ hasText: "In progress" }).waitFor();
  step("held awaiting a supplier, then resumed");
  await agent.getByLabel("Note", { exact: true }).fill("Toner removed, smoke gone.");
  await agent.getByRole("button", { name: "Add note" }).click();
  await agent.locator(".notes li", { hasText: "Toner removed" }).waitFor();
  await agent.getByLabel("Resolution notes").fill("Replaced the fuser unit.");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await agent.getByTestId("state").filter({ hasText: "Resolved" }).waitFor();
  await row.waitFor({ state: "detached", timeout: 15000 });
  step("resolved; it left the other session's open queue");
  await agent.getByTestId("sla-clock").filter({ hasText: "(resolution)" }).filter({ hasText: "met" }).waitFor({ timeout: 15000 });
  step("its resolution clock is met (the timer's event, live)");

  step("history: who, when, field, before and after, read as words in the reader's zone");
  const history = agent.locator("#history tbody tr");
  await history.filter({ hasText: "Resolved" }).first().waitFor();
  const rows = await history.allInnerTexts();
  assert.ok(rows.some((r) => /create/.test(r) && /Title/.test(r) && r.includes(title)), rows.join("\n"));
  assert.ok(rows.some((r) => /Assignee/.test(r) && /alice/.test(r)), rows.join("\n"));
  assert.ok(rows.some((r) => /\bState\b/.test(r) && /In progress/.test(r)), rows.join("\n"));
  assert.ok(!rows.some((r) => /INCIDENT_STATE_|\d{4}-\d\d-\d\dT\d\d:/.test(r)), `no proto names or UTC stamps:\n${rows.join("\n")}`);
  assert.ok(rows.every((r) => /CET|CEST|GMT\+/.test(r)), "times carry the zone");
  await checkAccessibility(agent, "incident record");
  await screenshot(agent, "incident");

  step("reopen, then resolve again");
  await agent.getByRole("button", { name: "Reopen" }).click();
  await agent.getByTestId("state").filter({ hasText: "In progress" }).waitFor();
  await agent.getByTestId("reopened").filter({ hasText: "1 time" }).waitFor();
  await row.waitFor({ timeout: 15000 });
  await agent.getByLabel("Resolution notes").fill("Replaced the fuser unit, for good.");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await agent.getByTestId("state").filter({ hasText: "Resolved" }).waitFor();

  step("from one incident straight to another: the forms are the second's, not what was typed on the first");
  const first = await api("POST", "/v1/incidents", adminKey, { title: `First ${unique}`, impact: 3, urgency: 3, assignee: "carol", assignmentGroup: `storage-${unique}` });
  const second = await api("POST", "/v1/incidents", adminKey, { title: `Second ${unique}`, impact: 3, urgency: 3 });
  await agent.goto(`${gateway}/console/#/incidents/${first.incident.id}`);
  await agent.getByRole("heading", { level: 1, name: new RegExp(`First ${unique}`) }).waitFor();
  assert.equal(await agent.getByLabel("Assignment group", { exact: true }).inputValue(), `storage-${unique}`);
  await agent.getByLabel("Assignee", { exact: true }).fill("typed-on-the-first");
  await agent.goto(`${gateway}/console/#/incidents/${second.incident.id}`);
  await agent.getByRole("heading", { level: 1, name: new RegExp(`Second ${unique}`) }).waitFor();
  assert.equal(await agent.getByLabel("Assignee", { exact: true }).inputValue(), "");
  assert.equal(await agent.getByLabel("Assignment group", { exact: true }).inputValue(), "");
  // A colleague assigns it meanwhile: the untouched form follows the record, live.
  await api("POST", `/v1/incidents/${second.incident.id}:assign`, adminKey, { version: second.incident.version, assignee: "bob", assignmentGroup: `net-${unique}` });
  await agent.waitForFunction(
    (group) => document.querySelector("#assign-group")?.value === group,
    `net-${unique}`,
    { timeout: 15000 },
  );

  step("an edit begun before a colleague's change: kept, judged against the record as it now is");
  await agent.getByText("Edit fields").click();
  await agent.getByLabel("Category").fill("network");
  const assigned = await api("GET", `/v1/incidents/${second.incident.id}`, adminKey);
  await api("PATCH", `/v1/incidents/${second.incident.id}?update_mask=major_incident`, adminKey, {
    id: second.incident.id,
    version: assigned.incident.version,
    majorIncident: true,
  });
  await agent.getByTestId("priority").filter({ hasText: "major incident" }).waitFor({ timeout: 15000 });
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.getByRole("alert").filter({ hasText: "Changed by someone else" }).waitFor();
  assert.equal(await agent.getByLabel("Category").inputValue(), "network", "the typed value is kept");
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  const both = await api("GET", `/v1/incidents/${second.incident.id}`, adminKey);
  assert.equal(both.incident.category, "network");
  assert.equal(both.incident.majorIncident, true, "the colleague's change stands");

  step("cancelled: a reason is asked for (beside its box), then kept and shown");
  await agent.getByRole("button", { name: "Cancel incident" }).click();
  await agent.locator("#cancel-reason-error").waitFor();
  step(`without one: "${await agent.locator("#cancel-reason-error").textContent()}"`);
  await agent.getByLabel("Why cancel it").fill("Raised twice; the outage is tracked elsewhere.");
  await agent.getByRole("button", { name: "Cancel incident" }).click();
  await agent.getByTestId("state").filter({ hasText: "Cancelled" }).waitFor();
  await agent.locator(".facts dd", { hasText: "Raised twice; the outage is tracked elsewhere." }).waitFor();
  const cancelled = await api("GET", `/v1/incidents/${second.incident.id}`, adminKey);
  assert.equal(cancelled.incident.cancelReason, "Raised twice; the outage is tracked elsewhere.");

  step("a record's notes are read whole: of 120, the newest too (the service pages them by 100)");
  for (let i = 0; i < 120; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        api("POST", `/v1/incidents/${first.incident.id}/notes`, adminKey, { visibility: "NOTE_VISIBILITY_WORK_NOTE", text: `bulk note ${i + k}` }),
      ),
    );
  }
  await agent.goto(`${gateway}/console/#/incidents/${first.incident.id}`);
  await agent.locator(".notes li", { hasText: "bulk note 119" }).waitFor({ timeout: 15000 });
  assert.equal(await agent.locator(".notes li").count(), 120);

  step("a service request: created (a violation first), edited, approved, fulfilled; live in the other session");
  await watcher.getByLabel("Service requests").check();
  await watcher.getByLabel("Sort by").selectOption("newest");
  await agent.goto(`${gateway}/console/#/new/serviceRequest`);
  await agent.getByRole("heading", { level: 1, name: "New service request" }).waitFor();
  await agent.getByRole("button", { name: "Create service request" }).click();
  await agent.locator("#catalogItem-error").waitFor();
  step(`catalogue item: "${await agent.locator("#catalogItem-error").textContent()}"`);
  await checkAccessibility(agent, "new service request (with a violation)");
  const laptop = `Laptop ${unique}`;
  await agent.getByLabel("Catalogue item (required)").fill(laptop);
  await agent.getByLabel("Requested for").fill("carol");
  await agent.getByLabel("Service", { exact: true }).fill(service);
  await agent.getByRole("button", { name: "Create service request" }).click();
  await agent.getByRole("heading", { level: 1, name: new RegExp(laptop) }).waitFor();
  const requestRow = watcher.locator("#queue-table tbody tr", { hasText: laptop });
  await requestRow.waitFor({ timeout: 15000 });
  step("created; the other session's request queue shows it live");
  await agent.getByText("Edit fields").click();
  await agent.getByLabel("Quantity").fill("2");
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.locator(".facts dd", { hasText: /^2$/ }).waitFor();
  await agent.getByRole("button", { name: "Approve" }).click();
  await agent.getByRole("alert").filter({ hasText: "segregation of duties" }).waitFor();
  step("its author may not approve it (segregation of duties)");
  const approverContext = await newContext();
  const approverPage = await approverContext.newPage();
  await signIn(approverPage, approver.secret);
  await approverPage.goto(agent.url());
  await approverPage.getByRole("button", { name: "Approve" }).click();
  await approverPage.getByTestId("state").filter({ hasText: "Approved" }).waitFor();
  await approverContext.close();
  await agent.reload();
  await agent.getByTestId("state").filter({ hasText: "Approved" }).waitFor();
  step("approved by another agent");
  await agent.getByRole("button", { name: "Start fulfilment" }).click();
  await agent.getByTestId("state").filter({ hasText: "Fulfilling" }).waitFor();
  await agent.getByLabel("Note", { exact: true }).fill("Ordered from the supplier, arrives Monday.");
  await agent.getByLabel("Visible to").selectOption("NOTE_VISIBILITY_COMMENT");
  await agent.getByRole("button", { name: "Add note" }).click();
  await agent.locator(".notes li", { hasText: "arrives Monday" }).filter({ hasText: "comment" }).waitFor();
  await agent.locator("#history tr", { hasText: "arrives Monday" }).waitFor();
  step("a comment for the requester, in the notes and in the history");
  await checkAccessibility(agent, "service request record");
  await screenshot(agent, "service-request");
  await agent.getByLabel(/^Reason/).fill("Delivered to carol's desk.");
  await agent.getByRole("button", { name: "Fulfil" }).click();
  await agent.getByTestId("state").filter({ hasText: "Fulfilled" }).waitFor();
  await requestRow.waitFor({ state: "detached", timeout: 15000 });
  step("quantity edited; approved by another, fulfilling, fulfilled; it left the other session's open queue");

  step("a problem: created (a violation first), investigated, known error once it has a workaround, resolved");
  await watcher.getByLabel("Problems").check();
  await agent.goto(`${gateway}/console/#/new/problem`);
  await agent.getByRole("heading", { level: 1, name: "New problem" }).waitFor();
  await agent.getByRole("button", { name: "Create problem" }).click();
  await agent.locator("#title-error").waitFor();
  const jams = `Fuser overheats ${unique}`;
  await agent.getByLabel("Title (required)").fill(jams);
  await agent.getByLabel("Impact").selectOption("2");
  await agent.getByRole("button", { name: "Create problem" }).click();
  await agent.getByRole("heading", { level: 1, name: new RegExp(jams) }).waitFor();
  await watcher.locator("#queue-table tbody tr", { hasText: jams }).waitFor({ timeout: 15000 });
  await agent.getByRole("button", { name: "Start investigation" }).focus();
  await agent.keyboard.press("Enter");
  await agent.getByTestId("state").filter({ hasText: "Under investigation" }).waitFor();
  // The button is gone with the state it belonged to: the focus is on the work on it, not lost.
  await agent.waitForFunction(() => document.activeElement?.id === "actions-title");
  await agent.getByRole("button", { name: "Publish as known error" }).click();
  await agent.getByRole("alert").filter({ hasText: /workaround/i }).waitFor();
  step(`known error refused without a workaround: "${await agent.getByRole("alert").first().textContent()}"`);
  await agent.getByText("Edit fields").click();
  await agent.getByLabel("Workaround").fill("Let the printer cool down for ten minutes.");
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.locator(".facts dd", { hasText: "cool down" }).waitFor();
  await agent.getByRole("button", { name: "Publish as known error" }).click();
  await agent.getByTestId("state").filter({ hasText: "Known error" }).waitFor();
  await agent.getByLabel("Note", { exact: true }).fill("Vendor confirms the sensor batch is faulty.");
  await agent.getByRole("button", { name: "Add note" }).click();
  await agent.locator(".notes li", { hasText: "sensor batch" }).filter({ hasText: "work note" }).waitFor();
  step("a work note on the problem");
  // Linked elsewhere while the page is open: the list follows (it is what a resolve with its
  // incidents acts on).
  const problemRef = decodeURIComponent(new URL(agent.url()).hash.split("/").pop());
  const jammed = (await api("POST", "/v1/incidents", adminKey, { title: `Jammed again ${unique}`, impact: 3, urgency: 3 })).incident;
  await api("PATCH", `/v1/incidents/${jammed.id}?update_mask=problem_id`, adminKey, { id: jammed.id, version: jammed.version, problemId: problemRef });
  await agent.locator("#linked-records a", { hasText: jammed.number }).waitFor({ timeout: 15000 });
  step("an incident linked elsewhere joins the problem's linked records live");
  await checkAccessibility(agent, "problem record");
  await screenshot(agent, "problem");
  await agent.getByLabel("Resolution notes").fill("Replaced the thermal sensor model.");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await agent.getByRole("alert").filter({ hasText: /root_cause/ }).waitFor();
  step(`resolution refused without a root cause: "${await agent.getByRole("alert").first().textContent()}"`);
  // The form is still open from the workaround's edit.
  if (!(await agent.getByLabel("Root cause").isVisible())) await agent.getByText("Edit fields").click();
  await agent.getByLabel("Root cause").fill("A faulty batch of thermal sensors.");
  await agent.getByRole("button", { name: "Save changes" }).click();
  await agent.locator(".facts dd", { hasText: "faulty batch" }).waitFor();
  await agent.getByLabel("Resolution notes").fill("Replaced the thermal sensor model.");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await agent.getByTestId("state").filter({ hasText: "Resolved" }).waitFor();
  step("known error, then resolved once its root cause is recorded");
  await watcher.getByLabel("Incidents").check();

  step("assigned to me: the subject the gateway verified (GET /v1/session)");
  const session = await api("GET", "/v1/session", adminKey);
  assert.ok(session.subject.startsWith("apikey:"), JSON.stringify(session));
  assert.ok(session.roles.includes("ROLE_ADMIN"), JSON.stringify(session));
  const mineTitle = `Mine ${unique}`;
  const mine = await api("POST", "/v1/incidents", adminKey, { title: mineTitle, impact: 2, urgency: 2, assignee: session.subject, assignmentGroup: `desk-${unique}` });
  await api("POST", "/v1/incidents", adminKey, { title: `Theirs ${unique}`, impact: 2, urgency: 2, assignee: "bob", assignmentGroup: `net-${unique}` });
  await watcher.getByLabel("Whose").selectOption("mine");
  assert.match(await watcher.locator("#scope option[value=mine]").textContent(), new RegExp(session.subject));
  await watcher.locator("#queue-table tbody tr", { hasText: mineTitle }).waitFor({ timeout: 15000 });
  assert.equal(await watcher.locator("#queue-table tbody tr", { hasText: `Theirs ${unique}` }).count(), 0);
  await watcher.getByLabel("My groups (comma-separated)").fill(`net-${unique}, other`);
  await watcher.getByLabel("My groups (comma-separated)").press("Tab");
  await watcher.getByLabel("Whose").selectOption("groups");
  await watcher.locator("#queue-table tbody tr", { hasText: `Theirs ${unique}` }).waitFor({ timeout: 15000 });
  assert.equal(await watcher.locator("#queue-table tbody tr", { hasText: mineTitle }).count(), 0);
  step("mine shows the incident assigned to the key's subject, my groups the one of a group named");

  step("a saved view is kept in this browser and restored after a reload");
  const level = mine.incident.priority.replace("PRIORITY_", "");
  await watcher.getByLabel("Whose").selectOption("all");
  await watcher.getByLabel(level, { exact: true }).check();
  await watcher.getByLabel("Sort by").selectOption("updated");
  await watcher.getByLabel("Save these filters as").fill(`${level} recently changed`);
  // Enter in the name saves it, as the button does (found from outside: it did nothing).
  await watcher.getByLabel("Save these filters as").press("Enter");
  assert.equal(await watcher.getByLabel("Saved view", { exact: true }).inputValue(), `${level} recently changed`);
  await watcher.getByLabel(level, { exact: true }).uncheck();
  await watcher.getByLabel("Sort by").selectOption("oldest");
  await watcher.reload();
  await watcher.getByRole("heading", { level: 1, name: "Queue" }).waitFor();
  assert.equal(await watcher.getByLabel("Sort by").inputValue(), "oldest", "the filters last used come back");
  await watcher.getByLabel("Saved view", { exact: true }).selectOption(`${level} recently changed`);
  assert.equal(await watcher.getByLabel("Sort by").inputValue(), "updated");
  assert.equal(await watcher.getByLabel(level, { exact: true }).isChecked(), true);
  await watcher.locator("#queue-table tbody tr[data-index]").first().waitFor();
  const prios = await watcher.locator("#queue-table tbody tr[data-index] .prio").allTextContents();
  assert.ok(prios.length > 0 && prios.every((p) => p === level), prios.join(","));
  await checkAccessibility(watcher, "queue with a saved view");
  await screenshot(watcher, "saved-view");
  step(`restored: ${level} only, recently changed first`);

  step("a viewer key reads but cannot edit");
  const viewerContext = await newContext("dark");
  const viewerPage = await viewerContext.newPage();
  await signIn(viewerPage, viewer.secret);
  await viewerPage.getByRole("link", { name: "New incident" }).click();
  await viewerPage.getByLabel("Title (required)").fill("Viewer tries");
  await viewerPage.getByRole("button", { name: "Create incident" }).click();
  await viewerPage.getByRole("alert").filter({ hasText: "may not" }).waitFor();
  await checkAccessibility(viewerPage, "new incident, dark theme, refused");
  await screenshot(viewerPage, "viewer-refused-dark");
  const incidentId = (await api("GET", `/v1/incidents?title_contains=${encodeURIComponent(title)}`, adminKey)).incidents[0].id;
  await viewerPage.goto(`${gateway}/console/#/incidents/${incidentId}`);
  await viewerPage.getByRole("heading", { level: 1, name: new RegExp(title) }).waitFor();
  await viewerPage.getByLabel("Note", { exact: true }).fill("A viewer's note");
  await viewerPage.getByRole("button", { name: "Add note" }).click();
  await viewerPage.getByRole("alert").filter({ hasText: "may not" }).waitFor();
  const stillResolved = await api("GET", `/v1/incidents/${incidentId}`, adminKey);
  assert.equal(stillResolved.incident.state, "INCIDENT_STATE_RESOLVED");
  // The page read the caller's roles before the note went out: no work on it is offered.
  assert.equal(await viewerPage.getByRole("button", { name: "Reopen" }).count(), 0, "a viewer is offered no reopen");
  assert.equal(await viewerPage.getByRole("heading", { name: "Work on it" }).count(), 0);
  await viewerPage.getByRole("link", { name: "Queue" }).click();
  await viewerPage.getByRole("heading", { level: 1, name: "Queue" }).waitFor();
  await checkAccessibility(viewerPage, "queue, dark theme");
  await screenshot(viewerPage, "queue-dark");

  step("a requester is offered the cancelling of their own request, no more");
  const own = await api("POST", "/v1/serviceRequests", requester.secret, { catalogItem: `Mouse ${unique}`, service });
  const requesterPage = await (await newContext()).newPage();
  await signIn(requesterPage, requester.secret);
  await requesterPage.goto(`${gateway}/console/#/serviceRequests/${own.serviceRequest.id}`);
  await requesterPage.getByRole("heading", { level: 1, name: new RegExp(`Mouse ${unique}`) }).waitFor();
  await requesterPage.getByRole("button", { name: "Cancel request" }).waitFor();
  assert.equal(await requesterPage.getByRole("button", { name: "Approve" }).count(), 0, "a requester is offered no approval");
  assert.equal(await requesterPage.getByText("Edit fields").count(), 0, "a requester is offered no edit");
  await requesterPage.getByLabel("Reason (required to reject or cancel)").fill("Not needed any more");
  await requesterPage.getByRole("button", { name: "Cancel request" }).click();
  await requesterPage.locator("[data-testid=state]", { hasText: "Cancelled" }).waitFor();
  await checkAccessibility(requesterPage, "a requester's own request");

  step("a requester answers the resolution of their own incident: close or reopen, no more");
  const ownIncident = await api("POST", "/v1/incidents", requester.secret, { title: `Printer jam ${unique}`, impact: 3, urgency: 3 });
  await requesterPage.goto(`${gateway}/console/#/incidents/${ownIncident.incident.id}`);
  await requesterPage.getByRole("heading", { level: 1, name: new RegExp(`Printer jam ${unique}`) }).waitFor();
  await requesterPage.getByRole("button", { name: "Withdraw incident" }).waitFor();
  assert.equal(await requesterPage.getByRole("button", { name: "Resolve" }).count(), 0, "a requester is offered no resolve");
  assert.equal(await requesterPage.getByRole("button", { name: "Assign" }).count(), 0, "a requester is offered no assignment");
  await api("POST", `/v1/incidents/${ownIncident.incident.id}:transition`, adminKey, {
    version: ownIncident.incident.version,
    targetState: "INCIDENT_STATE_RESOLVED",
    resolutionCode: "Solved (workaround)",
    resolutionNotes: "Cleared the paper path",
  });
  await requesterPage.reload();
  await requesterPage.getByRole("button", { name: "Close" }).waitFor();
  await requesterPage.getByRole("button", { name: "Reopen" }).waitFor();
  await checkAccessibility(requesterPage, "a requester's own resolved incident");
  await requesterPage.getByRole("button", { name: "Close" }).click();
  await requesterPage.locator("[data-testid=state]", { hasText: "Closed" }).waitFor();
  assert.equal(await requesterPage.getByRole("heading", { name: "Your incident" }).count(), 0, "nothing is offered on a closed incident");
  await requesterPage.context().close();

  const openSession = async (key) => {
    const page = await (await newContext()).newPage();
    await signIn(page, key);
    return page;
  };

  // The event stream checks its key at its heartbeat (every 15 s from its opening); the queue's
  // other reads (the SLA clocks of a row that arrives) meet the refusal first, and end the
  // session as every call does (found from outside: they were retried, 84 refusals in 13 s).
  step("a key revoked while its queue is open ends the session at its next call");
  const leaver = await api("POST", "/v1/apiKeys", adminKey, { name: `console-leaver-${unique}`, roles: ["ROLE_AGENT"] });
  const leaverPage = await openSession(leaver.secret);
  const streamOpened = Date.now();
  await leaverPage.getByLabel("Sort by").selectOption("newest");
  await leaverPage.getByText("Live", { exact: true }).waitFor();
  // The queue read whole: what follows is the stream's row and its clocks' read.
  await leaverPage.locator(".count").filter({ hasNotText: "Loading" }).waitFor();
  const refusals = [];
  leaverPage.on("response", (r) => r.status() === 401 && refusals.push(new URL(r.url()).pathname));
  await api("POST", `/v1/apiKeys/${leaver.apiKey.id}:revoke`, adminKey, { version: leaver.apiKey.version });
  await api("POST", "/v1/incidents", adminKey, { title: `Seen by a leaver ${unique}`, impact: 3, urgency: 3 });
  await leaverPage.getByRole("alert").filter({ hasText: "no longer accepts" }).waitFor({ timeout: Math.max(1, 12000 - (Date.now() - streamOpened)) });
  step(`signed out ${Date.now() - streamOpened} ms after the stream opened, refused: ${refusals.join(", ")}`);
  await leaverPage.context().close();
  await checkViews({ page: agent, darkPage: viewerPage, openSession, api, adminKey, unique, gateway, checkAccessibility, screenshot, step });
  await checkActions({ page: agent, viewerPage, openSession, api, adminKey, unique, gateway, checkAccessibility, screenshot, step });

  step("sign-out forgets the key");
  await agent.getByRole("button", { name: "Sign out" }).click();
  await agent.getByRole("heading", { name: "Sign in to the itsm console" }).waitFor();
  assert.equal(await agent.evaluate(() => sessionStorage.length), 0);
  assert.ok(!(await agent.evaluate(() => Object.values(localStorage).join("\n"))).includes(adminKey));
  await agent.reload();
  await agent.getByRole("heading", { name: "Sign in to the itsm console" }).waitFor();

  if (process.env.ITSM_OIDC_ISSUER) {
    const { oidcFlow } = await import("./e2e_oidc.mjs");
    await oidcFlow({ browser, gateway, step, screenshot });
  }
  console.log("console e2e: passed");
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
