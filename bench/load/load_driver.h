// A gRPC load driver: closed loop (N calls in flight, for throughput) and open loop (a fixed
// rate, for latency). In the open loop each call's latency is measured from the time it was
// *scheduled*, not sent, so a stalled server cannot hide its stall (no coordinated omission).
#ifndef ITSM_BENCH_LOAD_LOAD_DRIVER_H_
#define ITSM_BENCH_LOAD_LOAD_DRIVER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "process_cpu.h"

namespace itsm::bench {

// Starts one asynchronous call; must call `done(ok)` exactly once when it completes.
// `worker` is a stable index in [0, workers) — e.g. to pick a channel.
using AsyncCall = std::function<void(int worker, std::function<void(bool ok)> done)>;

struct LoadResult {
  std::string mode;  // "closed" or "open"
  int concurrency = 0;
  double target_rate = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  double rate = 0;  // completed calls per second
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  // CPU per completed call of each watched process, over the measured window.
  std::vector<CpuPerCall> cpu = {};
};

// Keeps `concurrency` calls in flight for `duration` (after `warmup`); the CPU of `watch`'s
// processes is measured over `duration`.
LoadResult RunClosedLoop(const AsyncCall& call, int concurrency, absl::Duration warmup,
                         absl::Duration duration, const CpuWatch& watch = {});

// Issues `rate` calls per second for `duration`; latencies from the scheduled send times.
LoadResult RunOpenLoop(const AsyncCall& call, double rate, absl::Duration duration,
                       const CpuWatch& watch = {});

// Percentile (0..100) of unsorted samples, in the samples' unit.
double Percentile(std::vector<double> samples, double p);

}  // namespace itsm::bench

#endif  // ITSM_BENCH_LOAD_LOAD_DRIVER_H_
