#include "services/supplier/src/scorecard_facts.h"

#include <algorithm>
#include <functional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/sla/v1/events.pb.h"

namespace itsm::supplier {
namespace {

int64_t Micros(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return 0;
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

// The smaller of two times, 0 meaning "not known".
int64_t EarliestKnown(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

template <typename Event>
absl::StatusOr<incident::v1::Incident> IncidentIn(const events::CloudEvent& e) {
  Event message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return message.incident();
}

template <typename Event>
absl::StatusOr<sla::v1::SlaClock> ClockIn(const events::CloudEvent& e) {
  Event message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return message.clock();
}

using IncidentReader =
    std::function<absl::StatusOr<incident::v1::Incident>(const events::CloudEvent&)>;
using ClockReader = std::function<absl::StatusOr<sla::v1::SlaClock>(const events::CloudEvent&)>;

// Every event type of itsm.incident.v1 that carries an incident (each carries its full state).
const absl::flat_hash_map<std::string, IncidentReader>& IncidentReaders() {
  namespace iv1 = incident::v1;
  static const auto* kReaders = new absl::flat_hash_map<std::string, IncidentReader>{
      {"itsm.incident.v1.IncidentCreated", IncidentIn<iv1::IncidentCreated>},
      {"itsm.incident.v1.IncidentUpdated", IncidentIn<iv1::IncidentUpdated>},
      {"itsm.incident.v1.IncidentAssigned", IncidentIn<iv1::IncidentAssigned>},
      {"itsm.incident.v1.IncidentStateChanged", IncidentIn<iv1::IncidentStateChanged>},
      {"itsm.incident.v1.IncidentPriorityChanged", IncidentIn<iv1::IncidentPriorityChanged>},
      {"itsm.incident.v1.IncidentResolved", IncidentIn<iv1::IncidentResolved>},
      {"itsm.incident.v1.IncidentClosed", IncidentIn<iv1::IncidentClosed>},
      {"itsm.incident.v1.IncidentReopened", IncidentIn<iv1::IncidentReopened>},
      {"itsm.incident.v1.IncidentCancelled", IncidentIn<iv1::IncidentCancelled>},
      {"itsm.incident.v1.IncidentCommented", IncidentIn<iv1::IncidentCommented>},
  };
  return *kReaders;
}

// Every clock event of itsm.sla.v1 (each carries the clock's full state).
const absl::flat_hash_map<std::string, ClockReader>& ClockReaders() {
  namespace sv1 = sla::v1;
  static const auto* kReaders = new absl::flat_hash_map<std::string, ClockReader>{
      {"itsm.sla.v1.SlaClockStarted", ClockIn<sv1::SlaClockStarted>},
      {"itsm.sla.v1.SlaClockPaused", ClockIn<sv1::SlaClockPaused>},
      {"itsm.sla.v1.SlaClockResumed", ClockIn<sv1::SlaClockResumed>},
      {"itsm.sla.v1.SlaClockRetargeted", ClockIn<sv1::SlaClockRetargeted>},
      {"itsm.sla.v1.SlaWarningReached", ClockIn<sv1::SlaWarningReached>},
      {"itsm.sla.v1.SlaBreached", ClockIn<sv1::SlaBreached>},
      {"itsm.sla.v1.SlaBreachWithdrawn", ClockIn<sv1::SlaBreachWithdrawn>},
      {"itsm.sla.v1.SlaMet", ClockIn<sv1::SlaMet>},
      {"itsm.sla.v1.SlaClockCompleted", ClockIn<sv1::SlaClockCompleted>},
      {"itsm.sla.v1.SlaClockCancelled", ClockIn<sv1::SlaClockCancelled>},
      {"itsm.sla.v1.SlaClockRepublished", ClockIn<sv1::SlaClockRepublished>},
  };
  return *kReaders;
}

}  // namespace

absl::StatusOr<std::optional<IncidentFacts>> IncidentFactsOf(const events::CloudEvent& event) {
  auto reader = IncidentReaders().find(event.type);
  if (reader == IncidentReaders().end()) return std::nullopt;
  ITSM_ASSIGN_OR_RETURN(incident::v1::Incident incident, reader->second(event));
  if (incident.id().empty()) return absl::InvalidArgumentError("incident.id: required");
  IncidentFacts facts;
  facts.incident_id = incident.id();
  facts.create_us = Micros(incident.create_time());
  facts.response_us = Micros(incident.first_response_time());
  facts.resolve_us = Micros(incident.resolve_time());
  facts.reopen_count = incident.reopen_count();
  facts.update_us = Micros(incident.update_time());
  if (!incident.assignment_group().empty()) facts.groups.push_back(incident.assignment_group());
  facts.configuration_item_ids.assign(incident.configuration_item_ids().begin(),
                                      incident.configuration_item_ids().end());
  return facts;
}

absl::StatusOr<std::optional<IncidentFacts>> CausedIncidentFactsOf(
    const events::CloudEvent& event) {
  if (event.type != "itsm.change.v1.ChangeIncidentLinked") return std::nullopt;
  change::v1::ChangeIncidentLinked linked;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &linked));
  if (linked.link().incident_id().empty()) {
    return absl::InvalidArgumentError("link.incident_id: required");
  }
  // The group the change was assigned when the link was made: the change was being implemented
  // or had ended by then, so it is the group that implemented it.
  if (linked.change().assignment_group().empty()) return std::nullopt;
  IncidentFacts facts;
  facts.incident_id = linked.link().incident_id();
  facts.causing_groups.push_back(linked.change().assignment_group());
  return facts;
}

absl::StatusOr<std::optional<UcClockFacts>> UcClockFactsOf(const events::CloudEvent& event) {
  auto reader = ClockReaders().find(event.type);
  if (reader == ClockReaders().end()) return std::nullopt;
  ITSM_ASSIGN_OR_RETURN(sla::v1::SlaClock clock, reader->second(event));
  if (clock.clock_id().empty()) return absl::InvalidArgumentError("clock.clock_id: required");
  if (clock.agreement_kind() != sla::v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT) return std::nullopt;
  UcClockFacts facts;
  facts.clock_id = clock.clock_id();
  facts.definition_id = clock.sla_definition_id();
  facts.incident_id = clock.incident_id();
  facts.completed = clock.stage() == sla::v1::CLOCK_STAGE_COMPLETED;
  facts.breached = clock.breached();
  facts.stop_us = Micros(clock.stop_time());
  facts.event_us = Micros(clock.event_time());
  facts.sequence = clock.sequence();
  return facts;
}

IncidentFacts Merge(const IncidentFacts& stored, const IncidentFacts& seen) {
  IncidentFacts out = stored;
  out.create_us = EarliestKnown(stored.create_us, seen.create_us);
  out.response_us = EarliestKnown(stored.response_us, seen.response_us);
  out.resolve_us = EarliestKnown(stored.resolve_us, seen.resolve_us);
  out.reopen_count = std::max(stored.reopen_count, seen.reopen_count);
  out.update_us = std::max(stored.update_us, seen.update_us);
  return out;
}

bool Supersedes(const UcClockFacts& candidate, const UcClockFacts& stored) {
  // Of one instant the later event (a breach withdrawn after it fired); without sequences (older
  // timers), the further state.
  return std::tuple(candidate.event_us, candidate.sequence, candidate.completed,
                    candidate.breached) >
         std::tuple(stored.event_us, stored.sequence, stored.completed, stored.breached);
}

}  // namespace itsm::supplier
