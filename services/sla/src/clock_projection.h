// The SLA history: the last known state of every clock of the SLA timer (topic itsm.sla.v1),
// kept in the service's database (table sla_clocks), for per-incident status and compliance
// reports over any past period. Every clock event carries the clock's full state (SlaClock), so
// applying one is an upsert; an event older than the clock's last one (event_time) is ignored.
// A re-published state (SlaClockRepublished) at the time of the stored one keeps the stored
// service: the timer composes it with the record's current service, the event it stands for
// carried the service of its time.
// Each event is also kept in its clock's timeline (table sla_clock_events, at most 500 per
// clock, once per ce_id) in the same transaction, for ExplainClocks.
//
// The consumer's position in itsm.sla.v1 is stored in the transaction of the clocks it applied
// (table sla_consumer_positions), so a restart resumes where the last commit stopped, and
// nothing before is applied again; history older than the topic's retention stays (docs/sla.md
// section 7).
//
//   ClockProjection projection(db);
//   auto consumer = NewHistoryConsumer(projection, {.bootstrap_servers = b, .group_id = g}, reg);
//   consumer->Start();
#ifndef ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_
#define ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/event_consumer.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"
#include "prometheus/registry.h"

namespace itsm::sla {

class ClockProjection {
 public:
  explicit ClockProjection(storage::Database& db) : db_(db) {}

  // The clock state an event of itsm.sla.v1 carries; nullopt for events not projected here
  // (definition and calendar changes). INVALID_ARGUMENT for a clock event that does not parse.
  static absl::StatusOr<std::optional<v1::SlaClock>> ClockOf(const events::CloudEvent& event);

  // The consumer's batch handler (events::EventConsumer::BatchHandler): applies the clocks of
  // the batch and stores each partition's next offset, in one transaction. Per event OK, or
  // INVALID_ARGUMENT for one that can never be applied (skipped, its offset passes): one that
  // does not parse, or one whose write the database refuses (a constraint, a value it cannot
  // store: after such a failure the batch is applied again with each event in a savepoint of
  // its own, and only the events refused alone are skipped, the others applied in order). When
  // the transaction fails transiently (storage::IsTransient), or for no event's sake, every
  // event gets its error and comes back (nothing of it was written).
  std::vector<absl::Status> ApplyBatch(const std::vector<events::ConsumedEvent>& batch);
  // events::EventConsumer::Options::start_positions: the positions stored for `cluster_id`.
  // Remembers the cluster, whose id ApplyBatch stores with the positions.
  absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> StartPositions(
      const std::string& cluster_id);

  // One event (its state and timeline row), or one clock state (no timeline row), in a
  // transaction of its own and without a position (tests and the benchmark).
  absl::Status Apply(const events::CloudEvent& event);
  absl::Status ApplyClock(const v1::SlaClock& clock);
  // Many clock states in one transaction (the benchmark's load).
  absl::Status ApplyClocks(const std::vector<v1::SlaClock>& clocks);

  // The calendar a running clock is extended with up to `now`: the version the clock is
  // pinned to (0 for clocks published before versions were: the current one), in the clock's
  // zone (the service reads it from its database). When it fails, elapsed times are those of
  // the last event. Called after the clocks were read and their transaction ended, once per
  // calendar version and zone.
  using CalendarLookup = std::function<absl::StatusOr<businesstime::Calendar>(
      const std::string& calendar_id, int64_t calendar_version, const std::string& time_zone)>;
  absl::StatusOr<std::vector<v1::ClockStatus>> IncidentStatus(const std::string& incident_id,
                                                              absl::Time now,
                                                              const CalendarLookup& lookup) const;

  // INVALID_ARGUMENT for an unknown time zone or dimension. Reads one snapshot.
  absl::StatusOr<v1::GetComplianceReportResponse> Report(
      const v1::GetComplianceReportRequest& request) const;

  // Clocks stored.
  absl::StatusOr<int64_t> size() const;
  // Clock events handed to ApplyBatch and committed since this object was made (tests prove
  // with it that a restart does not apply the same events again).
  int64_t applied_events() const { return applied_events_.load(); }

 private:
  storage::Database& db_;
  std::atomic<int64_t> applied_events_{0};
  absl::Mutex mu_;
  std::string cluster_id_ ABSL_GUARDED_BY(mu_);
};

// The consumer of itsm.sla.v1 that keeps the history (main and the tests wire it alike):
// batches go to projection.ApplyBatch, each assignment starts at projection.StartPositions.
// `options` needs bootstrap_servers and group_id; topics defaults to itsm.sla.v1.
std::unique_ptr<events::EventConsumer> NewHistoryConsumer(ClockProjection& projection,
                                                          events::EventConsumer::Options options,
                                                          prometheus::Registry& registry);

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_CLOCK_PROJECTION_H_
