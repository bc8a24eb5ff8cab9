// What the change service reads from the events it consumes, decoded and checked before anything
// is written: the incident an itsm.incident.v1 event carries (for change-caused incidents and the
// open major incidents), the two ends of a relationship an itsm.config.v1 event created or
// deleted, the window a ChangeWindowSaved of its own topic saved, and a change of its own topic
// that moved in or out of the schedule (conflict re-checks). No I/O.
//
//   ITSM_ASSIGN_OR_RETURN(std::optional<IncidentSeen> incident, IncidentSeenOf(event));
#ifndef ITSM_SERVICES_CHANGE_CONSUMED_EVENTS_H_
#define ITSM_SERVICES_CHANGE_CONSUMED_EVENTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/events/cloud_event.h"

namespace itsm::change {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kConfigTopic[] = "itsm.config.v1";

// An incident as an event of itsm.incident.v1 carries it (every event carries its full state).
struct IncidentSeen {
  std::string id = {};
  std::string number = {};
  absl::Time create_time = absl::InfinitePast();
  std::vector<std::string> ci_ids = {};
  // Major and not resolved, closed or cancelled.
  bool open_major = false;
  // Raised by this event, or its CIs changed: the moment to look for changes that caused it.
  bool look_for_cause = false;
};

// nullopt for events that are not about an incident (service requests, problems).
// INVALID_ARGUMENT when it does not parse, or has no id or creation time.
absl::StatusOr<std::optional<IncidentSeen>> IncidentSeenOf(const events::CloudEvent& event);

// RelationshipCreated and RelationshipDeleted: the source and target CI ids; nullopt for other
// events of itsm.config.v1 (a CI's own fields do not move a conflict). INVALID_ARGUMENT when it
// does not parse or names no CI.
absl::StatusOr<std::optional<std::vector<std::string>>> RelationshipEndsOf(
    const events::CloudEvent& event);

// A change whose move may change the conflicts other changes have with it, as the event carries
// it: its slot (ChangeScheduleChanged), CIs or assignment (ChangeUpdated) changed while it is in
// the schedule others are checked against (AUTHORISE, SCHEDULED, IMPLEMENT), or its state
// entered or left that schedule (ChangeStateChanged). nullopt for the topic's other events.
// INVALID_ARGUMENT when it does not parse or carries no change id.
absl::StatusOr<std::optional<v1::Change>> ChangeMovedOf(const events::CloudEvent& event);

// ChangeWindowSaved: the window's id; nullopt for the topic's other events.
absl::StatusOr<std::optional<std::string>> WindowSavedOf(const events::CloudEvent& event);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CONSUMED_EVENTS_H_
