// The clock queries, apart from gRPC: which definitions apply to a record
// (ResolveApplicableSla), when it is due (GetDueTime), the SLA status of an incident's clocks and
// compliance reports — the last two from the SLA history in the database (ClockProjection).
// No writes. Each query reads the database in a read-only transaction of its own and never holds
// it across an outbound call: the configuration service is asked for
// a CI location's zone after the transaction ended.
//
//   SlaClocks clocks(db, clock, projection, {.default_time_zone = "Europe/Istanbul"});
//   executor.TrySubmit([&] { return clocks.DueTime(request, response); });
#ifndef ITSM_SERVICES_SLA_SLA_CLOCKS_H_
#define ITSM_SERVICES_SLA_SLA_CLOCKS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"
#include "services/sla/src/clock_projection.h"

namespace itsm::sla {

struct SlaClockOptions {
  // The tenant's default zone for TIME_ZONE_SOURCE_CALLER / CI_LOCATION without a zone; empty:
  // the calendar's.
  std::string default_time_zone = {};
  // The zone of a CI's location (see CiLocationZone); unset: requests must carry ci_time_zone.
  std::function<absl::StatusOr<std::string>(const std::string& ci_id)> ci_location_zone = {};
};

class SlaClocks {
 public:
  SlaClocks(storage::Database& db, const base::Clock& clock, const ClockProjection& projection,
            SlaClockOptions options)
      : db_(db), clock_(clock), projection_(projection), options_(std::move(options)) {}

  // Inside the caller's read-only transaction.
  absl::Status Resolve(storage::Transaction& txn, const v1::ResolveApplicableSlaRequest& request,
                       v1::ResolveApplicableSlaResponse& out) const;
  // These open their own read-only transactions (DueTime may ask the configuration service once
  // its reads are done; status reads calendars only for the clocks still running).
  absl::Status DueTime(const v1::GetDueTimeRequest& request, v1::GetDueTimeResponse& out) const;
  absl::Status IncidentStatus(const v1::GetIncidentSlaStatusRequest& request,
                              v1::GetIncidentSlaStatusResponse& out) const;
  absl::Status ComplianceReport(const v1::GetComplianceReportRequest& request,
                                v1::GetComplianceReportResponse& out) const;

  // The compiled calendar `calendar_id` at `version` (0: the current one) in `time_zone` (its
  // own when empty).
  absl::StatusOr<businesstime::Calendar> LoadCalendar(const std::string& calendar_id,
                                                      int64_t version,
                                                      const std::string& time_zone) const;

 private:
  storage::Database& db_;
  const base::Clock& clock_;
  const ClockProjection& projection_;
  const SlaClockOptions options_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_CLOCKS_H_
