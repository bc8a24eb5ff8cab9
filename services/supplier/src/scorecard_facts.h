// What the scorecards keep of the incident, SLA and change events they consume, and how a new
// event's facts merge into the stored ones. No I/O.
//
// Every merge is a union, a minimum or a maximum (or "the state with the latest event" for a
// clock), so applying an event twice, or two events in either order, gives the same facts: a
// redelivery changes nothing even after its de-duplication mark was pruned (decision 64).
//
//   ITSM_ASSIGN_OR_RETURN(std::optional<IncidentFacts> seen, IncidentFactsOf(event));
//   if (seen) stored = stored ? Merge(*stored, *seen) : *seen;
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_FACTS_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/events/cloud_event.h"

namespace itsm::supplier {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kSlaTopic[] = "itsm.sla.v1";
inline constexpr char kChangeTopic[] = "itsm.change.v1";

// One incident as the scorecards count it. Times are Unix microseconds, 0 when not (yet) known.
struct IncidentFacts {
  std::string incident_id = {};
  int64_t create_us = 0;
  // The first response and the FIRST resolution (a reopened incident's later resolutions do not
  // move it): the earliest ever seen.
  int64_t response_us = 0;
  int64_t resolve_us = 0;
  // The highest reopen count seen.
  int32_t reopen_count = 0;
  // The latest update time seen.
  int64_t update_us = 0;
  // Every assignment group and CI the incident ever had: a group that handled it once counts.
  std::vector<std::string> groups = {};
  std::vector<std::string> configuration_item_ids = {};
  // The assignment groups of the changes linked as possibly having caused it (decision 109).
  std::vector<std::string> causing_groups = {};

  bool operator==(const IncidentFacts&) const = default;
};

// One underpinning-contract clock: the state carried by its latest event.
struct UcClockFacts {
  std::string clock_id = {};
  std::string definition_id = {};
  std::string incident_id = {};
  bool completed = false;
  bool breached = false;
  int64_t stop_us = 0;
  int64_t event_us = 0;
  // SlaClock.sequence: orders the clock's states of one instant (0 from older timers).
  int64_t sequence = 0;

  bool operator==(const UcClockFacts&) const = default;
};

// The incident an event of itsm.incident.v1 carries; nullopt for events that are not about an
// incident (service requests, problems). INVALID_ARGUMENT when it does not parse or has no id.
absl::StatusOr<std::optional<IncidentFacts>> IncidentFactsOf(const events::CloudEvent& event);

// What an event of itsm.change.v1 says of an incident: for ChangeIncidentLinked, the incident
// (id only: its times come from its own topic) with the change's assignment group as a causing
// group; nullopt for other events and for a change without a group. INVALID_ARGUMENT when a link
// event does not parse or names no incident.
absl::StatusOr<std::optional<IncidentFacts>> CausedIncidentFactsOf(const events::CloudEvent& event);

// The underpinning-contract clock an event of itsm.sla.v1 carries; nullopt for definition and
// calendar events and for clocks of other agreement kinds (SLA, OLA). INVALID_ARGUMENT when a
// clock event does not parse or has no clock id.
absl::StatusOr<std::optional<UcClockFacts>> UcClockFactsOf(const events::CloudEvent& event);

// `stored` with what `seen` adds (same incident). Scalars only: groups, CIs and causing groups
// are added by the repository, which never removes one.
IncidentFacts Merge(const IncidentFacts& stored, const IncidentFacts& seen);

// Whether `candidate` replaces `stored`: a later event, or at the same instant the further stage
// (completed over running, breached over met), so that the order of application never matters.
bool Supersedes(const UcClockFacts& candidate, const UcClockFacts& stored);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_FACTS_H_
