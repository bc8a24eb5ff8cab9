// The console's performance targets (issue 17), measured in a real browser (Debian's Chromium
// driven by playwright-core, as the end-to-end test): the first load of the queue with 10,000
// open incidents (target ≤ 1 s on loopback), and how long an incident takes, after its create
// is committed (the API has answered), to appear in an open queue through the event stream
// (target p99 ≤ 1 s). docs/benchmarks.md has a run's figures.
//
// Starts its own suite with the launcher (incident, SLA, SLA timer, gateway; the gateway's rate
// limits raised for the seeding), or uses a running one given ITSM_GATEWAY_URL and
// ITSM_ADMIN_KEY.
//   node bench/console/queue_bench.mjs [--incidents=10000] [--loads=5] [--events=200]
// env: ITSM_BIN_DIR (build/bin), ITSM_CONSOLE_DIR (build/console), ITSM_CHROMIUM (/usr/bin/chromium)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { seedIncidents } from "./seed.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(join(root, "web/package.json"));
const { chromium } = require("playwright-core");
const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const incidents = arg("incidents", 10000);
const loads = arg("loads", 5);
const events = arg("events", 200);

const freePort = () =>
  new Promise((ok) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });

async function startSuite() {
  const dir = mkdtempSync(join(tmpdir(), "console-bench-"));
  const bin = process.env.ITSM_BIN_DIR || join(root, "build/bin");
  const consoleDir = process.env.ITSM_CONSOLE_DIR || join(root, "build/console");
  const env = {
    ITSM_RATE_LIMIT_READS_PER_SECOND: "100000",
    ITSM_RATE_LIMIT_READ_BURST: "100000",
    ITSM_RATE_LIMIT_WRITES_PER_SECOND: "100000",
    ITSM_RATE_LIMIT_WRITE_BURST: "100000",
  };
  const services = ["incident", "sla", "sla-timer", "gateway"].map((name) => ({
    name,
    grpcPort: 0,
    metricsPort: 0,
    env: name === "gateway" ? { ...env, ITSM_HTTP_PORT: "0" } : {},
  }));
  const suite = join(dir, "suite.json");
  writeFileSync(suite, JSON.stringify({ runDir: join(dir, "run"), reservePorts: false, redis: { port: await freePort() }, kafka: { partitions: 2 }, services }));
  const launcher = spawn(join(bin, "itsm-launch"), [`--config=${suite}`, `--run_dir=${join(dir, "run")}`, `--console_dir=${consoleDir}`], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  launcher.stdout.on("data", (d) => (log += d));
  launcher.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 120000;
  while (!log.includes("Press Ctrl-C")) {
    if (Date.now() > deadline || launcher.exitCode !== null) throw new Error(`the suite did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const endpoints = JSON.parse(readFileSync(join(dir, "run/endpoints.json"), "utf8"));
  const gateway = endpoints.services.find((s) => s.name === "gateway").httpUrl;
  const key = /itsm_[A-Za-z0-9_-]+/.exec(log)[0];
  const stop = async () => {
    launcher.kill("SIGTERM");
    await new Promise((r) => launcher.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  };
  return { gateway, key, stop };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const summary = (values) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) });

const own = !process.env.ITSM_GATEWAY_URL;
const suite = own ? await startSuite() : { gateway: process.env.ITSM_GATEWAY_URL, key: process.env.ITSM_ADMIN_KEY, stop: async () => {} };
const browser = await chromium.launch({ executablePath: process.env.ITSM_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const { gateway, key } = suite;
  const seedStarted = Date.now();
  await seedIncidents(gateway, key, incidents, { prefix: "Bench" });
  console.log(`seeded ${incidents} incidents in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  // Signed in already (the key in this tab's session storage), as after a reload: the load
  // measured is the console's, not a person typing a key.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(
    ([k]) => {
      sessionStorage.setItem("itsm.console.apiKey", k);
      localStorage.setItem("itsm.console.queue.filters", JSON.stringify({ kind: "incident", sort: "newest" }));
      // When the first row shows, and when every page has been read (the count replaces "Loading…").
      const marks = (window.__marks = {});
      new MutationObserver(() => {
        if (!marks.firstRow && document.querySelector("#queue-table tbody tr[data-index]")) marks.firstRow = performance.now();
        if (!marks.allRead && /^[\d,]+ incidents$/.test(document.querySelector(".count")?.textContent ?? "")) marks.allRead = performance.now();
      }).observe(document, { childList: true, subtree: true, characterData: true });
    },
    [key],
  );
  const firstRow = [];
  const allRead = [];
  let rows = 0;
  for (let i = 0; i < loads; ++i) {
    const page = await context.newPage();
    await page.goto(`${gateway}/console/#/queue`);
    await page.waitForFunction(() => window.__marks.allRead, null, { timeout: 60000 });
    const marks = await page.evaluate(() => window.__marks);
    firstRow.push(Math.round(marks.firstRow));
    allRead.push(Math.round(marks.allRead));
    rows = Number((await page.locator(".count").textContent()).replace(/\D/g, ""));
    await page.close();
  }
  console.log(`first load of the queue (${rows} open incidents), ms from navigation: first rows ${JSON.stringify(summary(firstRow))}, every page read ${JSON.stringify(summary(allRead))}`);

  // Scrolling: 120 frames, each 25 rows further down the 10,000 (the rows on screen replaced
  // every frame); the time between animation frames, which a smooth scroll keeps near 16.7 ms.
  {
    const page = await context.newPage();
    await page.goto(`${gateway}/console/#/queue`);
    await page.waitForFunction(() => window.__marks.allRead, null, { timeout: 60000 });
    const frames = await page.evaluate(async () => {
      const box = document.querySelector(".queue-scroll");
      const times = [];
      let last = performance.now();
      for (let i = 0; i < 120; ++i) {
        box.scrollTop += 25 * 36;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times.map((t) => Math.round(t * 10) / 10);
    });
    const rendered = await page.locator("#queue-table tbody tr[data-index]").count();
    console.log(`scrolling ${rows} rows, 25 rows a frame, ms between frames: ${JSON.stringify(summary(frames))}; ${rendered} rows in the DOM`);
    await page.close();
  }

  // Event to queue: each incident created through the API (sequentially); the time from the
  // API's answer (committed) to its row in the open queue (newest first: at the top).
  const page = await context.newPage();
  await page.goto(`${gateway}/console/#/queue`);
  await page.waitForFunction(() => window.__marks.allRead, null, { timeout: 60000 });
  await page.getByText("Live", { exact: true }).waitFor();
  await page.evaluate(() => {
    const seen = (window.__seen = {});
    new MutationObserver((mutations) => {
      const now = Date.now();
      for (const m of mutations)
        for (const node of m.addedNodes) {
          const title = node.nodeType === 1 ? node.textContent ?? "" : "";
          const match = /Latency (\d+)/.exec(title);
          if (match && !(match[1] in seen)) seen[match[1]] = now;
        }
    }).observe(document.querySelector("#queue-table tbody"), { childList: true, subtree: true });
  });
  const committed = {};
  for (let n = 0; n < events; ++n) {
    const response = await fetch(`${gateway}/v1/incidents`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ title: `Latency ${n}`, impact: 2, urgency: 2 }),
    });
    committed[n] = Date.now();
    if (!response.ok) throw new Error(`create: ${response.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await page.waitForFunction((count) => Object.keys(window.__seen).length >= count, events, { timeout: 30000 });
  const seen = await page.evaluate(() => window.__seen);
  const latency = Object.entries(seen).map(([n, at]) => at - committed[n]);
  console.log(`event to queue (${events} incidents created one after another), ms after commit: ${JSON.stringify(summary(latency))}`);
} finally {
  await browser.close();
  await suite.stop();
}
