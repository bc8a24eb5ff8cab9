// Creates open incidents through the REST API, `concurrency` requests at a time (the gateway's
// write rate limit must allow it: the benchmark's suite raises it). Used by queue_bench.mjs;
// alone: ITSM_GATEWAY_URL=… ITSM_ADMIN_KEY=… node bench/console/seed.mjs 10000
export async function seedIncidents(gateway, key, count, { concurrency = 16, prefix = "Bench" } = {}) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const response = await fetch(`${gateway}/v1/incidents`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          title: `${prefix} incident ${n}`,
          impact: 1 + (n % 3),
          urgency: 1 + (Math.floor(n / 3) % 3),
          service: n % 2 ? "printing" : "mail",
          assignmentGroup: ["service-desk", "network", "messaging"][n % 3],
        }),
      });
      if (!response.ok) throw new Error(`create ${n}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const count = Number(process.argv[2] ?? 10000);
  await seedIncidents(process.env.ITSM_GATEWAY_URL, process.env.ITSM_ADMIN_KEY, count);
  console.log(`${count} incidents in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
