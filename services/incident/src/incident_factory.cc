#include "services/incident/src/incident_factory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "services/incident/src/requester_rules.h"

namespace itsm::incident {

absl::Status CheckLevel(const char* field, int value, int levels) {
  if (value < 1 || value > levels) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be 1..", levels, ", got ", value));
  }
  return absl::OkStatus();
}

absl::Status IncidentFactory::Validate(const v1::CreateIncidentRequest& r) const {
  if (base::IsBlank(r.title())) {
    return absl::InvalidArgumentError("title: required");
  }
  if (absl::Status s = CheckIds("configuration_item_ids", r.configuration_item_ids()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPersonField("caller", r.caller()); !s.ok()) return s;
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("service", r.service()));
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("category", r.category()));
  // Queues list by group and assignee exactly, as SLA conditions match them.
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("assignment_group", r.assignment_group()));
  ITSM_RETURN_IF_ERROR(base::CheckPersonName("assignee", r.assignee()));
  if (absl::Status s = CheckLevel("impact", r.impact(), matrix_.impact_levels()); !s.ok()) return s;
  return CheckLevel("urgency", r.urgency(), matrix_.urgency_levels());
}

v1::Incident IncidentFactory::NewIncident(const v1::CreateIncidentRequest& r,
                                          const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Incident incident;
  incident.set_id(base::NewUuid());
  incident.set_title(std::string(absl::StripAsciiWhitespace(r.title())));
  incident.set_description(r.description());
  incident.set_caller(r.caller().empty() ? actor : r.caller());
  incident.set_service(r.service());
  *incident.mutable_configuration_item_ids() = r.configuration_item_ids();
  incident.set_category(r.category());
  incident.set_impact(r.impact());
  incident.set_urgency(r.urgency());
  incident.set_priority(matrix_.PriorityFor(r.impact(), r.urgency()));
  incident.set_state(v1::INCIDENT_STATE_NEW);
  incident.set_assignment_group(r.assignment_group());
  incident.set_assignee(r.assignee());
  incident.set_major_incident(r.major_incident());
  incident.set_created_by(actor);
  *incident.mutable_create_time() = now;
  *incident.mutable_update_time() = now;
  incident.set_version(1);
  return incident;
}

}  // namespace itsm::incident
