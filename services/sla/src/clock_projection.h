// The local projection of the SLA timer's clock events (topic itsm.sla.v1): the last known state
// of every clock, for per-incident status and compliance reports. Every clock event carries the
// clock's full state (SlaClock), so applying one is an upsert and replaying the topic rebuilds
// the projection exactly; the service replays it from the start at every start (docs/sla.md).
//
// Kept in memory in a compact form (interned strings, one 100-byte row per clock): a compliance
// report over 1,000,000 closed clocks is one scan (bench/sla).
#ifndef ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_
#define ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/events/cloud_event.h"
#include "itsm/sla/v1/events.pb.h"

namespace itsm::sla {

class ClockProjection {
 public:
  // Applies one event of itsm.sla.v1. Events it does not project (definition and calendar
  // changes) are OK and ignored; a clock event that does not parse is INVALID_ARGUMENT (the
  // consumer skips it). An event older than the clock's last one (event_time) is ignored.
  absl::Status Apply(const events::CloudEvent& event);
  // The same for the clock state itself (tests and benchmarks feed it directly).
  absl::Status ApplyClock(const v1::SlaClock& clock);

  // The calendar a running clock is extended with up to `now` (the service reads it from its
  // database). When it fails, elapsed times are those of the last event. Called without the
  // projection's lock held (the clocks are copied first), once per calendar and zone.
  using CalendarLookup = std::function<absl::StatusOr<businesstime::Calendar>(
      const std::string& calendar_id, const std::string& time_zone)>;
  std::vector<v1::ClockStatus> IncidentStatus(const std::string& incident_id, absl::Time now,
                                              const CalendarLookup& lookup) const;

  // INVALID_ARGUMENT for an unknown time zone or dimension.
  absl::StatusOr<v1::GetComplianceReportResponse> Report(
      const v1::GetComplianceReportRequest& request) const;

  size_t size() const;

 private:
  // Strings seen many times (services, definitions, calendars, zones) stored once.
  class Dictionary {
   public:
    uint32_t Intern(const std::string& s);
    std::optional<uint32_t> Find(const std::string& s) const;
    const std::string& Get(uint32_t i) const { return values_[i]; }

   private:
    std::vector<std::string> values_;
    absl::flat_hash_map<std::string, uint32_t> index_;
  };

  struct Row {
    std::string clock_id;
    uint32_t incident = 0;
    uint32_t service = 0;
    uint32_t definition = 0;
    uint32_t calendar = 0;
    uint32_t zone = 0;
    uint8_t priority = 0;
    uint8_t clock_kind = 0;
    uint8_t agreement_kind = 0;
    uint8_t stage = 0;
    bool breached = false;
    int64_t start_us = 0;
    int64_t due_us = 0;  // 0: unknown
    int64_t stop_us = 0;
    int64_t event_us = 0;
    int64_t target_s = 0;
    int64_t business_s = 0;
    int64_t actual_s = 0;
    int64_t paused_s = 0;
  };

  // One clock copied out of the projection, its interned strings resolved: what a status is
  // computed from once the lock is released.
  struct Snapshot {
    Row row;
    std::string incident_id, definition_id, definition_name, calendar_id, zone;
    // Whether its business time at `now` needs its calendar: running, and `now` is after its
    // last event.
    bool NeedsCalendar(absl::Time now) const;
  };
  Snapshot SnapshotOf(const Row& row) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // `calendar`: the clock's calendar in its zone, when it NeedsCalendar and could be read.
  static v1::ClockStatus ToStatus(const Snapshot& clock, absl::Time now,
                                  const businesstime::Calendar* calendar);

  mutable absl::Mutex mu_;
  std::vector<Row> rows_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> by_clock_ ABSL_GUARDED_BY(mu_);
  Dictionary incidents_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> by_incident_ ABSL_GUARDED_BY(mu_);
  Dictionary strings_ ABSL_GUARDED_BY(mu_);
  // Definition (interned id) -> its name as last seen.
  absl::flat_hash_map<uint32_t, std::string> definition_names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_
