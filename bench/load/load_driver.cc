#include "load_driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace itsm::bench {

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t idx =
      std::min(samples.size() - 1,
               static_cast<size_t>(std::ceil(p / 100.0 * samples.size())) - (p > 0 ? 1 : 0));
  return samples[idx];
}

namespace {

struct Samples {
  absl::Mutex mu;
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  void Add(double ms, bool ok) {
    absl::MutexLock lock(&mu);
    if (ok) {
      latencies_ms.push_back(ms);
    } else {
      ++errors;
    }
  }
};

void Summarise(Samples& s, double seconds, LoadResult* r) {
  absl::MutexLock lock(&s.mu);
  r->calls = static_cast<int64_t>(s.latencies_ms.size());
  r->errors = s.errors;
  r->seconds = seconds;
  r->rate = seconds > 0 ? r->calls / seconds : 0;
  r->p50_ms = Percentile(s.latencies_ms, 50);
  r->p99_ms = Percentile(s.latencies_ms, 99);
  r->p999_ms = Percentile(s.latencies_ms, 99.9);
  r->max_ms = Percentile(s.latencies_ms, 100);
}

}  // namespace

LoadResult RunClosedLoop(const AsyncCall& call, int concurrency, absl::Duration warmup,
                         absl::Duration duration, const CpuWatch& watch) {
  Samples samples;
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  // Each worker loops: one call in flight at a time, the next started from the completion.
  std::function<void(int)> start = [&](int worker) {
    if (stopping.load()) return;
    in_flight++;
    const absl::Time sent = absl::Now();
    call(worker, [&, worker, sent](bool ok) {
      if (measuring.load()) samples.Add(absl::ToDoubleMilliseconds(absl::Now() - sent), ok);
      in_flight--;
      start(worker);
    });
  };
  for (int w = 0; w < concurrency; ++w) start(w);
  absl::SleepFor(warmup);
  const std::vector<double> cpu_before = watch.Sample();
  measuring = true;
  const absl::Time begin = absl::Now();
  absl::SleepFor(duration);
  measuring = false;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - begin);
  const std::vector<double> cpu_after = watch.Sample();
  stopping = true;
  while (in_flight.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  LoadResult r;
  r.mode = "closed";
  r.concurrency = concurrency;
  Summarise(samples, seconds, &r);
  r.cpu = CpuPerCallBetween(watch, cpu_before, cpu_after, r.calls + r.errors);
  return r;
}

LoadResult RunOpenLoop(const AsyncCall& call, double rate, absl::Duration duration,
                       const CpuWatch& watch) {
  Samples samples;
  const std::vector<double> cpu_before = watch.Sample();
  std::atomic<int> in_flight{0};
  const absl::Duration interval = absl::Seconds(1.0 / rate);
  const absl::Time begin = absl::Now();
  const int64_t total = static_cast<int64_t>(rate * absl::ToDoubleSeconds(duration));
  // Cap what is outstanding so an overloaded server cannot exhaust memory; a call that could not
  // even be sent counts as an error, and its wait still shows in the others' latencies.
  constexpr int kMaxInFlight = 20000;
  for (int64_t i = 0; i < total; ++i) {
    const absl::Time scheduled = begin + interval * static_cast<double>(i);
    const absl::Time now = absl::Now();
    if (scheduled > now) absl::SleepFor(scheduled - now);
    if (in_flight.load() >= kMaxInFlight) {
      samples.Add(0, false);
      continue;
    }
    in_flight++;
    call(static_cast<int>(i % 64), [&, scheduled](bool ok) {
      samples.Add(absl::ToDoubleMilliseconds(absl::Now() - scheduled), ok);
      in_flight--;
    });
  }
  while (in_flight.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  const std::vector<double> cpu_after = watch.Sample();
  LoadResult r;
  r.mode = "open";
  r.target_rate = rate;
  Summarise(samples, absl::ToDoubleSeconds(duration), &r);
  r.cpu = CpuPerCallBetween(watch, cpu_before, cpu_after, r.calls + r.errors);
  return r;
}

}  // namespace itsm::bench
