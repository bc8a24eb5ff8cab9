#include "services/change/src/consumed_events.h"

#include <algorithm>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "services/change/src/change_repository.h"

namespace itsm::change {
namespace {

namespace iv1 = incident::v1;

struct Carried {
  iv1::Incident incident;
  std::vector<std::string> changed_fields;
};
using IncidentReader = std::function<absl::StatusOr<Carried>(const events::CloudEvent&)>;

template <typename Event>
absl::StatusOr<Carried> IncidentIn(const events::CloudEvent& e) {
  Event message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return Carried{message.incident(),
                 {message.changed_fields().begin(), message.changed_fields().end()}};
}

// Every event type of itsm.incident.v1 that carries an incident.
const absl::flat_hash_map<std::string, IncidentReader>& IncidentReaders() {
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

bool Open(iv1::IncidentState s) {
  return s != iv1::INCIDENT_STATE_RESOLVED && s != iv1::INCIDENT_STATE_CLOSED &&
         s != iv1::INCIDENT_STATE_CANCELLED;
}

}  // namespace

absl::StatusOr<std::optional<IncidentSeen>> IncidentSeenOf(const events::CloudEvent& event) {
  auto reader = IncidentReaders().find(event.type);
  if (reader == IncidentReaders().end()) return std::nullopt;
  absl::StatusOr<Carried> carried = reader->second(event);
  if (!carried.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.type, ": does not parse (", carried.status().message(), ")"));
  }
  const iv1::Incident& i = carried->incident;
  if (i.id().empty()) return absl::InvalidArgumentError("incident.id: required");
  if (!i.has_create_time()) return absl::InvalidArgumentError("incident.create_time: required");
  IncidentSeen seen;
  seen.id = i.id();
  seen.number = i.number();
  seen.create_time = base::FromProtoTimestamp(i.create_time());
  seen.ci_ids.assign(i.configuration_item_ids().begin(), i.configuration_item_ids().end());
  seen.open_major = i.major_incident() && Open(i.state());
  const auto& fields = carried->changed_fields;
  seen.look_for_cause =
      event.type == "itsm.incident.v1.IncidentCreated" ||
      std::find(fields.begin(), fields.end(), "configuration_item_ids") != fields.end();
  return seen;
}

absl::StatusOr<std::optional<std::vector<std::string>>> RelationshipEndsOf(
    const events::CloudEvent& event) {
  config::v1::Relationship r;
  if (event.type == "itsm.config.v1.RelationshipCreated") {
    config::v1::RelationshipCreated e;
    ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
    r = e.relationship();
  } else if (event.type == "itsm.config.v1.RelationshipDeleted") {
    config::v1::RelationshipDeleted e;
    ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
    r = e.relationship();
  } else {
    return std::nullopt;
  }
  if (r.source_id().empty() || r.target_id().empty()) {
    return absl::InvalidArgumentError("relationship: source_id and target_id required");
  }
  return std::vector<std::string>{r.source_id(), r.target_id()};
}

absl::StatusOr<std::optional<v1::Change>> ChangeMovedOf(const events::CloudEvent& event) {
  std::optional<v1::Change> moved;
  if (event.type == "itsm.change.v1.ChangeScheduleChanged") {
    v1::ChangeScheduleChanged e;
    ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
    if (InSchedule(e.change().state())) moved = e.change();
  } else if (event.type == "itsm.change.v1.ChangeStateChanged") {
    v1::ChangeStateChanged e;
    ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
    // Implemented, a change holds the schedule from when it really started (scheduled_slot.h):
    // without a plan it enters it then, with one early or late its slot moves.
    const bool implemented = e.new_state() == v1::CHANGE_STATE_IMPLEMENT;
    if (InSchedule(e.previous_state()) != InSchedule(e.new_state()) || implemented) {
      moved = e.change();
    }
  } else if (event.type == "itsm.change.v1.ChangeUpdated") {
    v1::ChangeUpdated e;
    ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
    const bool relevant =
        std::any_of(e.changed_fields().begin(), e.changed_fields().end(), [](const std::string& f) {
          return f == "configuration_item_ids" || f == "assignee" || f == "assignment_group";
        });
    if (relevant && InSchedule(e.change().state())) moved = e.change();
  }
  if (moved && moved->id().empty()) return absl::InvalidArgumentError("change.id: required");
  return moved;
}

absl::StatusOr<std::optional<std::string>> WindowSavedOf(const events::CloudEvent& event) {
  if (event.type != "itsm.change.v1.ChangeWindowSaved") return std::nullopt;
  v1::ChangeWindowSaved e;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &e));
  if (e.window().id().empty()) return absl::InvalidArgumentError("window.id: required");
  return e.window().id();
}

}  // namespace itsm::change
