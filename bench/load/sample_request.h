// The incident every load of the benchmarks creates: itsm-bench drives the services with it,
// create_cost_bench runs the create's parts on it, so both measure the same record.
#ifndef ITSM_BENCH_LOAD_SAMPLE_REQUEST_H_
#define ITSM_BENCH_LOAD_SAMPLE_REQUEST_H_

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::bench {

// The n-th create: impact, urgency and group vary with n, as a real queue's would.
inline incident::v1::CreateIncidentRequest SampleRequest(int64_t n) {
  incident::v1::CreateIncidentRequest r;
  r.set_title(absl::StrCat("Benchmark incident ", n, ": checkout latency above threshold"));
  r.set_description(
      "Synthetic load from itsm-bench. Customers report slow checkout; p95 above 2 s since 09:40.");
  r.set_service("checkout");
  r.set_category("performance");
  r.set_impact(static_cast<int>(n % 3) + 1);
  r.set_urgency(static_cast<int>((n / 3) % 3) + 1);
  r.set_assignment_group(n % 2 ? "web-platform" : "payments");
  return r;
}

}  // namespace itsm::bench

#endif  // ITSM_BENCH_LOAD_SAMPLE_REQUEST_H_
