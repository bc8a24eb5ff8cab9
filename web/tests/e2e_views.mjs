// The CMDB, change, service-level and supplier views end to end (called by e2e.mjs with its
// browser helpers): seeds data through the REST API — CIs and relationships, a baseline and a
// drift, a maintenance and a blackout window with a change in each, an SLA definition with an
// incident met and one running, a supplier with a contract and a review — then opens each view,
// checks what it shows, runs axe-core on it and saves its screenshot.
import assert from "node:assert/strict";

const DAY = 86_400_000;
const pad = (n) => String(n).padStart(2, "0");
const utcDate = (ms) => new Date(ms).toISOString().slice(0, 10);

// How long a consumer (the SLA service, the supplier service) may take to reach the events of
// the records seeded here: e2e.mjs made 1,200 incidents for the virtualised queue first, whose
// events and clock events come before these on the same partitions. A generous bound for a
// loaded machine; here they take a few seconds. (Two bare-OS failures blamed on it were the
// locale-formatted month below.)
const BACKLOG_MS = 120000;

// Asks `read` until `ok` holds for its answer (the SLA timer and the SLA service work from the
// event stream, so a report lags the incidents by moments), up to `timeoutMs`. A timeout shows
// `shown(answer)`: the part of the answer that was waited for.
async function until(read, ok, what, timeoutMs = 30000, shown = (value) => value) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(shown(value)).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function seed(api, key, u) {
  const ci = (className, name, extra = {}) => ({ className, name, status: "LIFECYCLE_STATUS_LIVE", ...extra });
  const rel = (sc, sn, type, tc, tn) => ({ source: { className: sc, name: sn }, target: { className: tc, name: tn }, type: `RELATIONSHIP_TYPE_${type}` });
  const names = { shop: `shop-${u}`, web: `web-${u}`, apiApp: `api-${u}`, db: `orders-${u}`, cluster: `orders-cluster-${u}`, n1: `db-node-1-${u}`, n2: `db-node-2-${u}` };
  const imported = await api("POST", "/v1/configurationItems:import", key, {
    items: [
      ci("business_service", names.shop, { businessCriticality: "BUSINESS_CRITICALITY_CRITICAL", ownerGroup: "shop-team" }),
      ci("application", names.web, { ownerGroup: "web-team" }),
      ci("application", names.apiApp, { ownerGroup: "web-team" }),
      ci("database", names.db, { ownerGroup: "dba", attributes: { engine: "postgresql", version: "16.4" } }),
      ci("cluster", names.cluster, { ownerGroup: "dba" }),
      ci("server", names.n1, { ownerGroup: "infra" }),
      ci("server", names.n2, { ownerGroup: "infra" }),
    ],
    relationships: [
      rel("business_service", names.shop, "DEPENDS_ON", "application", names.web),
      rel("business_service", names.shop, "DEPENDS_ON", "application", names.apiApp),
      rel("application", names.web, "DEPENDS_ON", "database", names.db),
      rel("application", names.apiApp, "DEPENDS_ON", "database", names.db),
      rel("database", names.db, "RUNS_ON", "cluster", names.cluster),
      rel("server", names.n1, "MEMBER_OF", "cluster", names.cluster),
      rel("server", names.n2, "MEMBER_OF", "cluster", names.cluster),
    ],
  });
  assert.equal(imported.rejected, 0, JSON.stringify(imported));

  // A baseline of the shop and what it depends on; then the database changes owner: drift.
  const baseline = `shop-${u}-before-patch`;
  await api("POST", "/v1/baselines", key, { name: baseline, rootCiId: `business_service/${names.shop}`, rootDepth: 6 });
  const db = (await api("GET", `/v1/configurationItems/database%2F${names.db}`, key)).configurationItem;
  await api("PATCH", `/v1/configurationItems/${db.id}?update_mask=owner_group`, key, { id: db.id, version: db.version, ownerGroup: "dba-oncall" });

  // Saturday at least a week ahead: the weekly maintenance window (22:00 Berlin, 4 h) covers
  // 22:00..22:45 UTC in winter and in summer; the blackout is the Sunday after, from 00:00 Berlin.
  let saturday = Date.now() + 7 * DAY;
  while (new Date(saturday).getUTCDay() !== 6) saturday += DAY;
  const sat = utcDate(saturday);
  const sun = utcDate(saturday + DAY);
  const maintenance = `Weekly maintenance ${u}`;
  const blackout = `Freeze ${u}`;
  await api("POST", "/v1/changeWindows", key, {
    window: { name: maintenance, kind: "WINDOW_KIND_MAINTENANCE", timeZone: "Europe/Berlin", days: ["WEEKDAY_SATURDAY"], startLocalTime: "22:00", durationMinutes: 240 },
  });
  await api("POST", "/v1/changeWindows", key, {
    window: { name: blackout, kind: "WINDOW_KIND_BLACKOUT", timeZone: "Europe/Berlin", validFrom: sun, validUntil: sun, startLocalTime: "00:00", durationMinutes: 600 },
  });
  // Through approval to a planned slot; to SCHEDULED too unless its conflicts must be overridden
  // first (the emergency policy says so): that one waits in AUTHORISE, on the calendar as well.
  // The approval is another key's: no one decides a change they raised.
  const approver = (await api("POST", "/v1/apiKeys", key, { name: `console-cab-${u}`, roles: ["ROLE_CHANGE_MANAGER", "ROLE_CAB_MEMBER"] })).secret;
  const schedule = async (body, start, end) => {
    let c = (await api("POST", "/v1/changes", key, { ...body, plannedStartTime: start, plannedEndTime: end })).change;
    const step = async (path, extra, as = key) => {
      c = (await api("POST", `/v1/changes/${c.id}${path}`, as, { version: c.version, ...extra })).change;
    };
    if (c.type === "CHANGE_TYPE_NORMAL") await step(":transition", { targetState: "CHANGE_STATE_ASSESS" });
    await step(":transition", { targetState: "CHANGE_STATE_AUTHORISE" });
    await step(":decide", { decision: "APPROVAL_DECISION_APPROVE", comment: "Backups verified." }, approver);
    await step(":schedule", { plannedStartTime: start, plannedEndTime: end });
    if (!c.approval.conflictsNeedOverride || c.conflicts.length === 0) await step(":transition", { targetState: "CHANGE_STATE_SCHEDULED" });
    return c;
  };
  let patch = await schedule(
    { type: "CHANGE_TYPE_NORMAL", title: `Patch ${names.db}`, configurationItemIds: [`database/${names.db}`], assignmentGroup: "dba", implementationPlan: "Apply the patch, restart." },
    `${sat}T22:00:00Z`,
    `${sat}T22:45:00Z`,
  );
  patch = (await api("POST", `/v1/changes/${patch.id}/tasks`, key, { version: patch.version, title: "Take a backup", assignmentGroup: "dba" })).change;
  const frozen = await schedule(
    { type: "CHANGE_TYPE_EMERGENCY", title: `Reboot ${names.n1}`, configurationItemIds: [`server/${names.n1}`], assignmentGroup: "infra" },
    `${sun}T02:00:00Z`,
    `${sun}T03:00:00Z`,
  );
  assert.ok(frozen.conflicts.some((c) => c.kind === "CONFLICT_KIND_BLACKOUT_WINDOW"), JSON.stringify(frozen.conflicts));
  assert.ok(!patch.conflicts.some((c) => c.kind === "CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW"), JSON.stringify(patch.conflicts));

  // An SLA on the shop: a P1 incident resolved (its clocks met), a P3 one assigned (its response
  // met) and still open (its resolution clock running).
  const calendar = (await api("POST", "/v1/calendars", key, { calendar: { name: `24x7 ${u}`, timeZone: "UTC", alwaysOpen: true } })).calendar;
  await api("POST", "/v1/slaDefinitions", key, {
    definition: {
      name: `Shop gold ${u}`,
      kind: "AGREEMENT_KIND_SLA",
      coverage: { services: [names.shop] },
      calendarId: calendar.id,
      targets: [
        { priority: "PRIORITY_P1", responseTarget: "900s", resolutionTarget: "14400s" },
        { priority: "PRIORITY_P3", responseTarget: "3600s", resolutionTarget: "86400s" },
      ],
    },
  });
  const p1 = (await api("POST", "/v1/incidents", key, { title: `Checkout down ${u}`, service: names.shop, impact: 1, urgency: 1 })).incident;
  // The P3 one is the supplier's: its group handles it (the supplier's scorecard counts it).
  const p3 = (await api("POST", "/v1/incidents", key, { title: `Slow search ${u}`, service: names.shop, impact: 2, urgency: 2 })).incident;
  await api("POST", `/v1/incidents/${p3.id}:assign`, key, { version: p3.version, assignmentGroup: `acme-${u}` });
  const assigned = (await api("POST", `/v1/incidents/${p1.id}:assign`, key, { version: p1.version, assignee: "alice", assignmentGroup: "web-team" })).incident;
  await api("POST", `/v1/incidents/${p1.id}:transition`, key, { version: assigned.version, targetState: "INCIDENT_STATE_RESOLVED", resolutionCode: "RESOLUTION_CODE_FIXED", resolutionNotes: "Restarted the payment gateway." });
  await until(
    () => api("GET", `/v1/complianceReport?service=${names.shop}&group_by=REPORT_DIMENSION_PRIORITY`, key),
    (r) => (r.rows ?? []).some((row) => row.priority === "PRIORITY_P1" && Number(row.met) >= 2) && (r.rows ?? []).some((row) => row.priority === "PRIORITY_P3" && Number(row.met) >= 1),
    "the P1 clocks met and the P3 response met in the compliance report",
    BACKLOG_MS,
  );

  // A supplier of the shop with a contract and a review.
  let supplier = (
    await api("POST", "/v1/suppliers", key, {
      supplier: { name: `Acme Hosting ${u}`, category: "cloud", services: [names.shop], assignmentGroups: [`acme-${u}`], riskRating: "RISK_RATING_MEDIUM", contacts: [{ name: "Ann Acme", email: "ann@acme.example" }] },
    })
  ).supplier;
  const year = new Date().getUTCFullYear();
  await api("POST", "/v1/contracts", key, {
    contract: {
      supplierId: supplier.id,
      title: `Hosting ${u}`,
      type: "CONTRACT_TYPE_SUPPORT",
      state: "CONTRACT_STATE_ACTIVE",
      startDate: `${year}-01-01`,
      endDate: `${year + 1}-12-31`,
      timeZone: "Europe/Berlin",
      value: { currency: "EUR", minorUnits: "1200000" },
      paymentSchedule: "PAYMENT_SCHEDULE_MONTHLY",
      noticePeriod: { months: 3 },
      renewalKind: "RENEWAL_KIND_AUTOMATIC",
      renewalTerm: { months: 12 },
      services: [names.shop],
    },
  });
  const today = utcDate(Date.now());
  supplier = (
    await api("POST", `/v1/suppliers/${supplier.id}/reviews`, key, {
      review: { reviewDate: today, participants: ["alice", "Ann Acme"], findings: `Response times fine ${u}.`, actions: [{ description: "Share the capacity plan", owner: "alice", dueDate: utcDate(Date.now() + 30 * DAY) }] },
      nextReviewDate: utcDate(Date.now() + 60 * DAY),
      supplierVersion: supplier.version,
    })
  ).supplier;
  // The scorecard is built from the incident events the supplier service consumes.
  // Built from the parts: the formatted text is the locale's, and a Node.js without that
  // locale's data (a bare Debian's) formats "en-CA" as "12/2026", not "2026-12".
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit" }).formatToParts(new Date()).map((p) => [p.type, p.value]),
  );
  const month = `${parts.year}-${parts.month}`;
  await until(
    () => api("GET", `/v1/suppliers/${supplier.id}/scorecard?time_zone=Europe%2FBerlin`, key),
    (r) => r.periods.some((p) => p.month === month && Number(p.incidents) === 1),
    "the supplier's incident in its scorecard",
    BACKLOG_MS,
    (r) => ({ month, periods: r.periods }),
  );
  return { names, baseline, sat, sun, patch, frozen, maintenance, blackout, supplier, month };
}

export async function checkViews({ page, darkPage, openSession, api, adminKey, unique: u, gateway, checkAccessibility, screenshot, step }) {
  step("views: seeding CIs, a baseline, windows, changes, an SLA and a supplier through the API");
  const s = await seed(api, adminKey, u);
  const { names } = s;

  step("CMDB search by name and class");
  await page.getByRole("link", { name: "CMDB" }).click();
  await page.getByRole("heading", { level: 1, name: "Configuration items" }).waitFor();
  await page.getByLabel("Name contains").fill(u);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("p.count", { hasText: /^7 configuration items$/ }).waitFor();
  assert.equal(await page.locator("#ci-table tbody tr").count(), 7);
  await page.getByLabel("Class").selectOption("hardware");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("p.count", { hasText: /^2 configuration items$/ }).waitFor();
  assert.deepEqual((await page.locator("#ci-table tbody tr td:first-child").allInnerTexts()).sort(), [names.n1, names.n2]);
  step("the abstract class 'hardware' finds its servers");
  await page.getByLabel("Class").selectOption("");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("p.count", { hasText: /^7 configuration items$/ }).waitFor();
  await checkAccessibility(page, "CMDB search");
  await screenshot(page, "cmdb-search");

  step("CI detail: attributes, relationships, impact graph, history");
  await page.getByRole("link", { name: names.db, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: `database/${names.db}` }).waitFor();
  await page.locator("#relationships tbody tr").nth(2).waitFor();
  assert.equal(await page.locator("#relationships tbody tr").count(), 3);
  // The class's schema with the values set: engine and version set, port not.
  const attribute = (name) => page.locator("#attributes tbody tr").filter({ has: page.locator("th", { hasText: new RegExp(`^${name}$`) }) });
  await attribute("port").locator("td", { hasText: /^—$/ }).waitFor();
  assert.match(await attribute("engine").innerText(), /postgresql\s+enum/);
  const graph = page.locator("svg.graph");
  await graph.locator("a.node").nth(3).waitFor();
  // Downstream, 3 deep: the two applications and the shop, which is reached two ways.
  assert.deepEqual(
    (await graph.locator("a.node").evaluateAll((ns) => ns.map((n) => n.getAttribute("data-ci")))).sort(),
    [`application/${names.apiApp}`, `application/${names.web}`, `business_service/${names.shop}`, `database/${names.db}`],
  );
  assert.equal(await graph.locator(".edge").count(), 4, "both ways to the shop are drawn");
  assert.match(await graph.getAttribute("aria-label"), /downstream/);
  await page.locator("#history tbody tr", { hasText: "dba-oncall" }).first().waitFor();
  await checkAccessibility(page, "CI detail with its impact graph");
  await screenshot(page, "ci-impact");
  await page.getByLabel("Direction").selectOption("IMPACT_DIRECTION_UPSTREAM");
  await page.getByLabel("Depth").selectOption("1");
  // The graph of the read before (upstream, 3 deep: the cluster too) may still be shown while
  // this one is read: wait for the graph to shrink to depth 1's two boxes.
  await graph.locator("a.node").nth(2).waitFor({ state: "detached" });
  await graph.locator(`a.node[data-ci="cluster/${names.cluster}"]`).waitFor();
  assert.equal(await graph.locator("a.node").count(), 2);
  await page.getByLabel("Depth").selectOption("2");
  await graph.locator(`a.node[data-ci="server/${names.n1}"]`).waitFor();
  assert.equal(await graph.locator("a.node").count(), 4);
  step("upstream, depth 1 then 2: the cluster, then its members");
  await graph.locator(`a.node[data-ci="cluster/${names.cluster}"]`).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: `cluster/${names.cluster}` }).waitFor();
  await page.locator("#relationships tbody tr").nth(2).waitFor();
  // The new view's heading has the focus (announced; Tab starts there), also once loaded.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "ci-title");
  step("a graph node is reached by keyboard and opens its CI, whose heading takes the focus");

  step("an incident's linked problem, configuration item and change, each a link to its view");
  const dbCi = (await api("GET", `/v1/configurationItems/database%2F${names.db}`, adminKey)).configurationItem;
  const problem = (await api("POST", "/v1/problems", adminKey, { title: `Orders database stalls ${u}`, impact: 2, urgency: 2, configurationItemIds: [dbCi.id] })).problem;
  const created = (await api("POST", "/v1/incidents", adminKey, { title: `Orders slow ${u}`, impact: 2, urgency: 2, configurationItemIds: [dbCi.id] })).incident;
  const linkedIncident = (
    await api("PATCH", `/v1/incidents/${created.id}?update_mask=problem_id,change_ids`, adminKey, {
      id: created.id,
      version: created.version,
      problemId: problem.id,
      changeIds: [s.patch.id],
    })
  ).incident;
  await page.goto(`${gateway}/console/#/incidents/${linkedIncident.id}`);
  await page.getByRole("heading", { level: 1, name: `${linkedIncident.number} · Orders slow ${u}` }).waitFor();
  const links = page.locator("#linked-records");
  await links.getByRole("link", { name: `database/${names.db}` }).waitFor();
  await links.getByRole("link", { name: `${problem.number} · Orders database stalls ${u}` }).waitFor();
  await links.getByRole("link", { name: `${s.patch.number} · Patch ${names.db}` }).waitFor();
  await checkAccessibility(page, "incident with linked records");
  await links.getByRole("link", { name: `${problem.number} · Orders database stalls ${u}` }).click();
  await page.getByRole("heading", { level: 1, name: `${problem.number} · Orders database stalls ${u}` }).waitFor();
  await page.locator("#linked-records").getByRole("link", { name: `${linkedIncident.number} · Orders slow ${u}` }).waitFor();
  await page.locator("#linked-records").getByRole("link", { name: `database/${names.db}` }).click();
  await page.getByRole("heading", { level: 1, name: `database/${names.db}` }).waitFor();
  step("incident → its problem (which lists the incident) → the CI, by their links");

  const major = (await api("POST", "/v1/incidents", adminKey, { title: `Orders down everywhere ${u}`, impact: 1, urgency: 1, majorIncident: true })).incident;
  await api("PATCH", `/v1/incidents/${linkedIncident.id}?update_mask=parent_incident_id`, adminKey, {
    id: linkedIncident.id,
    version: String(Number(linkedIncident.version)),
    parentIncidentId: major.number,
  });
  await page.goto(`${gateway}/console/#/incidents/${major.id}`);
  await page.getByRole("heading", { level: 1, name: `${major.number} · Orders down everywhere ${u}` }).waitFor();
  await page.locator("#linked-records").getByRole("link", { name: `${linkedIncident.number} · Orders slow ${u}` }).click();
  await page.getByRole("heading", { level: 1, name: `${linkedIncident.number} · Orders slow ${u}` }).waitFor();
  await page.locator("#linked-records").getByRole("link", { name: `${major.number} · Orders down everywhere ${u}` }).waitFor();
  step("a major incident lists its child, the child names its parent");

  // Resolved from its page with the box its child gives the form: the child is resolved with it.
  await page.goto(`${gateway}/console/#/incidents/${major.id}`);
  await page.getByRole("heading", { level: 1, name: `${major.number} · Orders down everywhere ${u}` }).waitFor();
  const withChildren = page.getByLabel("Resolve the open incidents below it too");
  await withChildren.waitFor();
  assert.equal(await withChildren.isChecked(), true, "children are resolved with their parent unless unticked");
  await page.getByLabel("Resolution notes").fill(`Restarted the order service ${u}`);
  await page.getByRole("button", { name: "Resolve", exact: true }).click();
  await page.locator("[data-testid=state]", { hasText: "Resolved" }).waitFor();
  const child = (await api("GET", `/v1/incidents/${linkedIncident.id}`, adminKey)).incident;
  assert.equal(child.state, "INCIDENT_STATE_RESOLVED");
  assert.equal(child.resolutionNotes, `Resolved with its parent incident ${major.number}:\nRestarted the order service ${u}`);
  await checkAccessibility(page, "a major incident resolved with its child");
  step("the major incident resolved from its page, its child with it");

  step("baselines taken, then one's drift by its link");
  await page.goto(`${gateway}/console/#/baselines`);
  await page.getByRole("heading", { level: 1, name: "Baselines" }).waitFor();
  await page.locator("#baselines-list").getByRole("link", { name: s.baseline }).waitFor();
  await checkAccessibility(page, "baselines taken");
  await page.locator("#baselines-list").getByRole("link", { name: s.baseline }).click();
  await page.getByRole("heading", { level: 1, name: `Baseline ${s.baseline}` }).waitFor();
  const drift = page.locator("#drift-cis tbody tr", { hasText: "owner_group" });
  await drift.waitFor();
  assert.match(await drift.innerText(), /Changed[\s\S]*dba[\s\S]*dba-oncall/);
  await checkAccessibility(page, "baseline drift");
  await screenshot(page, "baseline-drift");

  step("change calendar, month: windows, changes, conflicts");
  await page.getByRole("link", { name: "Changes" }).click();
  await page.getByRole("heading", { level: 1, name: /Change calendar/ }).waitFor();
  await page.goto(`${gateway}/console/#/calendar/month/${s.sat.slice(0, 7)}`);
  // The Saturday in Berlin: the maintenance window and the patch (23:00 CET / 00:00 CEST is
  // still Saturday or already Sunday: the patch is looked up on the day the browser's zone says).
  const satCell = page.locator(`#calendar-grid td[data-date="${s.sat}"]`);
  await satCell.locator("li", { hasText: `Maintenance: ${s.maintenance}` }).waitFor();
  const patchItem = page.locator("#calendar-grid li.chg", { hasText: s.patch.number }).first();
  await patchItem.waitFor();
  assert.equal(await patchItem.getAttribute("class"), "chg", "the patch is in its window: no conflict");
  const frozenItem = page.locator("#calendar-grid li.chg", { hasText: s.frozen.number }).first();
  assert.equal(await frozenItem.getAttribute("class"), "chg conflict");
  assert.match(await frozenItem.innerText(), /conflict/);
  await page.locator(`#calendar-grid td[data-date="${s.sun}"] li.w-blackout`, { hasText: s.blackout }).waitFor();
  await page.locator("#conflicts tbody tr", { hasText: s.frozen.number }).filter({ hasText: "Blackout window" }).filter({ hasText: s.blackout }).first().waitFor();
  await checkAccessibility(page, "change calendar, month");
  await screenshot(page, "change-calendar-month");

  await page.goto(`${gateway}/console/#/calendar/month/2026-13`);
  await page.getByRole("alert").filter({ hasText: "is not a month" }).waitFor();
  step("change calendar, week");
  await page.goto(`${gateway}/console/#/calendar/week/${s.sat}`);
  await page.locator(".week .col .chg", { hasText: s.patch.number }).first().waitFor();
  await page.locator(`.week .col[data-date="${s.sun}"] .w-blackout`).first().waitFor();
  assert.equal(await page.getByRole("button", { name: "Week", exact: true }).getAttribute("aria-pressed"), "true");
  await checkAccessibility(page, "change calendar, week");
  await screenshot(page, "change-calendar-week");
  // A filter the service refuses shows the refusal, not the unfiltered week as if it matched.
  await page.getByLabel("Configuration item (id or class/name)").fill(`database/ghost-${u}`);
  await page.getByRole("button", { name: "Filter", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "configuration_item_id" }).waitFor();
  assert.equal(await page.locator(".week .col .chg").count(), 0, "no change shown for a refused filter");
  await page.getByLabel("Configuration item (id or class/name)").fill("");
  await page.getByRole("button", { name: "Filter", exact: true }).click();
  await page.locator(".week .col .chg", { hasText: s.patch.number }).first().waitFor();

  step("change record: risk and why, approval, tasks, history");
  await page.locator(".week .col .chg a", { hasText: s.patch.number }).first().click();
  await page.getByRole("heading", { level: 1, name: new RegExp(s.patch.number) }).waitFor();
  assert.equal(await page.getByTestId("change-state").innerText(), "Scheduled");
  await page.locator("#risk-factors tbody tr", { hasText: "business_services.criticality" }).filter({ hasText: names.shop }).waitFor();
  assert.match(await page.getByTestId("risk").innerText(), /Medium|High|Low/);
  assert.match(await page.getByTestId("approval").innerText(), /^Approved/);
  await page.locator("#approval-votes tbody tr", { hasText: "Backups verified." }).waitFor();
  await page.locator("#change-tasks tbody tr", { hasText: "Take a backup" }).waitFor();
  await page.locator("#history tbody tr", { hasText: "transition:SCHEDULED" }).first().waitFor();
  await checkAccessibility(page, "change record");
  await screenshot(page, "change");

  step("service levels: compliance by service and priority");
  await page.getByRole("link", { name: "Service levels" }).click();
  await page.getByRole("heading", { level: 1, name: "Service levels" }).waitFor();
  const row = page.locator("#compliance-table tbody tr", { hasText: names.shop });
  await row.waitFor();
  const header = await page.locator("#compliance-table thead th").allInnerTexts();
  const cells = await row.locator("td").allInnerTexts();
  const p1 = cells[header.indexOf("P1") - 1];
  const p3 = cells[header.indexOf("P3") - 1];
  assert.match(p1, /^100 % \(2 met, 0 breached, 0 running\)/, p1);
  // Assigned (responded), not resolved: its response clock met, its resolution clock running.
  assert.match(p3, /^100 % \(1 met, 0 breached, 1 running\)/, p3);
  assert.equal(await page.locator(`svg.chart g[data-service="${names.shop}"] rect.bar-ok`).count(), 2, "a bar per priority, both at 100 %");
  await checkAccessibility(page, "service levels");
  await screenshot(page, "service-levels");
  // Another period: last month had none of these clocks.
  await page.getByRole("button", { name: "Last month" }).click();
  await page.locator("#compliance-table tbody tr", { hasText: names.shop }).waitFor({ state: "detached" });
  assert.equal(await page.getByRole("button", { name: "Last month" }).getAttribute("aria-pressed"), "true");
  await page.getByRole("button", { name: "This month" }).click();
  await row.waitFor();
  step("the period chosen: last month has none of these clocks, this month has them again");

  step("suppliers: the list, deadlines and a scorecard");
  await page.getByRole("link", { name: "Suppliers" }).click();
  await page.getByRole("heading", { level: 1, name: "Suppliers" }).waitFor();
  await page.getByLabel("Name contains").fill(u);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#supplier-table tbody tr").filter({ hasText: s.supplier.number }).waitFor();
  assert.equal(await page.locator("#supplier-table tbody tr").count(), 1);
  await checkAccessibility(page, "suppliers");
  await screenshot(page, "suppliers");
  await page.getByRole("link", { name: `Acme Hosting ${u}` }).first().click();
  await page.getByRole("heading", { level: 1, name: `${s.supplier.number} Acme Hosting ${u}` }).waitFor();
  await page.locator("#scorecard tbody tr").nth(11).waitFor();
  assert.equal(await page.locator("#scorecard tbody tr").count(), 12, "the 12 months up to this one");
  const thisMonth = page.locator("#scorecard tbody tr").last();
  assert.equal(await thisMonth.locator("th").innerText(), s.month);
  assert.equal(await thisMonth.locator("td").first().innerText(), "1", "the incident its group handles");
  assert.ok((await page.locator(`svg.chart g[data-month="${s.month}"] rect.bar-incidents`).getAttribute("height")) > 0);
  await page.locator("#contracts tbody tr", { hasText: "EUR 12,000.00" }).waitFor();
  await page.locator("#deadlines tbody tr", { hasText: "Review due" }).waitFor();
  await page.locator("#reviews li", { hasText: `Response times fine ${u}.` }).waitFor();
  await checkAccessibility(page, "supplier scorecard");
  await screenshot(page, "supplier");
  const supplierPath = new URL(page.url()).hash;

  step("an agent on the supplier: no contract value, and the deadlines and reviews refused, not \"None.\"");
  const agentKey = (await api("POST", "/v1/apiKeys", adminKey, { name: `console-supplier-reader-${u}`, roles: ["ROLE_AGENT"] })).secret;
  const agentPage = await openSession(agentKey);
  await agentPage.goto(`${gateway}/console/${supplierPath}`);
  await agentPage.getByRole("heading", { level: 1, name: `${s.supplier.number} Acme Hosting ${u}` }).waitFor();
  await agentPage.locator("#contracts tbody tr").first().waitFor();
  assert.equal(await agentPage.locator("#contracts tbody tr", { hasText: "EUR 12,000.00" }).count(), 0, "the value is the cost readers'");
  for (const title of ["#deadlines-title", "#reviews-title"]) {
    await agentPage.locator(`${title} + p.error[role=alert]`).waitFor();
  }
  assert.equal(await agentPage.getByText("No reviews.").count(), 0);
  await agentPage.context().close();

  step("the viewer's session, dark theme: the impact graph and the calendar (a viewer reads them)");
  await darkPage.goto(`${gateway}/console/#/cis/${encodeURIComponent(`database/${names.db}`)}`);
  await darkPage.locator("svg.graph a.node").nth(3).waitFor();
  await checkAccessibility(darkPage, "CI detail, dark theme");
  await screenshot(darkPage, "ci-impact-dark");
  await darkPage.goto(`${gateway}/console/#/calendar/week/${s.sat}`);
  await darkPage.locator(".week .col .chg", { hasText: s.frozen.number }).first().waitFor();
  await checkAccessibility(darkPage, "change calendar, week, dark theme");
}
