// ExplainClocks, apart from gRPC: reads what the SLA history holds of a record's clocks (their
// last states, their timelines, their pinned definition and calendar versions, and the what-if
// definition or calendar) in one read-only transaction, then hands the arithmetic and the words
// to clock_explanation.h, which needs no database.
//
//   ClockExplanations explanations(db, clock, {.default_time_zone = "UTC"});
//   executor.TrySubmit([&] { return explanations.Explain(request, response); });
#ifndef ITSM_SERVICES_SLA_CLOCK_EXPLANATIONS_H_
#define ITSM_SERVICES_SLA_CLOCK_EXPLANATIONS_H_

#include <string>

#include "absl/status/status.h"
#include "itsm/base/clock.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"

namespace itsm::sla {

struct ClockExplanationOptions {
  // The tenant's default zone, for what-if definitions whose zone comes from the caller or a
  // CI location when the clock ran in none (as SlaClocks and the timer read it).
  std::string default_time_zone = {};
};

class ClockExplanations {
 public:
  ClockExplanations(storage::Database& db, const base::Clock& clock,
                    ClockExplanationOptions options)
      : db_(db), clock_(clock), options_(std::move(options)) {}

  // INVALID_ARGUMENT naming the field for a request without record_id or with a negative or
  // orphan what-if version; NOT_FOUND for a clock_id the record does not have, or a what-if
  // definition or calendar (version) that does not exist. A record without clocks: an empty
  // answer (as GetIncidentSlaStatus).
  absl::Status Explain(const v1::ExplainClocksRequest& request,
                       v1::ExplainClocksResponse& out) const;

 private:
  storage::Database& db_;
  const base::Clock& clock_;
  const ClockExplanationOptions options_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_CLOCK_EXPLANATIONS_H_
