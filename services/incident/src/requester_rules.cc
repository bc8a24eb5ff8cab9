#include "services/incident/src/requester_rules.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"

namespace itsm::incident {
namespace {

absl::Status Denied(absl::string_view field, absl::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat(field, ": ", why));
}

}  // namespace

absl::Status CheckPersonField(const char* field, const std::string& value) {
  if (value.empty()) return absl::OkStatus();
  if (base::IsBlank(value)) {
    return base::FieldError(field, "blank; leave it out to mean yourself");
  }
  return base::CheckPersonName(field, value);
}

absl::Status CheckRequesterMayNameCis(const base::Caller& caller, const char* field, bool given) {
  if (!caller.own_records_only || !given) return absl::OkStatus();
  return Denied(field,
                "held to your own records here (a requester), you name no configuration items; "
                "the service desk links them");
}

absl::Status CheckRequesterMayCreate(const base::Caller& caller,
                                     const v1::CreateIncidentRequest& request) {
  if (!caller.own_records_only) return absl::OkStatus();
  if (!request.caller().empty() && request.caller() != caller.actor) {
    return Denied("caller", "a requester raises incidents for themselves only");
  }
  if (!request.assignment_group().empty()) {
    return Denied("assignment_group", "routing is the service desk's, not a requester's");
  }
  if (!request.assignee().empty()) {
    return Denied("assignee", "routing is the service desk's, not a requester's");
  }
  if (request.major_incident()) {
    return Denied("major_incident", "only the service desk declares a major incident");
  }
  ITSM_RETURN_IF_ERROR(CheckRequesterMayNameCis(caller, "configuration_item_ids",
                                                !request.configuration_item_ids().empty()));
  return absl::OkStatus();
}

absl::Status CheckRequesterMayCreate(const base::Caller& caller,
                                     const v1::CreateServiceRequestRequest& request) {
  if (!caller.own_records_only) return absl::OkStatus();
  if (!request.requested_for().empty() && request.requested_for() != caller.actor) {
    return Denied("requested_for", "a requester raises requests for themselves only");
  }
  if (!request.assignment_group().empty()) {
    return Denied("assignment_group", "routing is the service desk's, not a requester's");
  }
  if (!request.assignee().empty()) {
    return Denied("assignee", "routing is the service desk's, not a requester's");
  }
  return absl::OkStatus();
}

absl::Status CheckMaySee(const base::Caller& caller, const v1::Incident& incident,
                         const std::string& asked_id) {
  if (!caller.own_records_only || incident.caller() == caller.actor) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("id: no incident \"", asked_id, "\""));
}

absl::Status CheckMaySee(const base::Caller& caller, const v1::ServiceRequest& request,
                         const std::string& asked_id) {
  if (!caller.own_records_only || request.requested_for() == caller.actor) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("id: no service request \"", asked_id, "\""));
}

absl::Status CheckMaySeeRepeated(const base::Caller& caller, const v1::Incident& incident) {
  if (CheckMaySee(caller, incident, incident.id()).ok()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("idempotency_key: the incident this key created (",
                                          incident.number(), ") is no longer yours to see"));
}

absl::Status CheckMaySeeRepeated(const base::Caller& caller, const v1::ServiceRequest& request) {
  if (CheckMaySee(caller, request, request.id()).ok()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("idempotency_key: the service request this key created (",
                                          request.number(), ") is no longer yours to see"));
}

absl::Status CheckMaySee(const base::Caller& caller, const v1::Problem& /*problem*/,
                         const std::string& asked_id) {
  if (!caller.own_records_only) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("id: no problem \"", asked_id, "\""));
}

absl::Status CheckRequesterMayAddNote(const base::Caller& caller, v1::NoteVisibility visibility) {
  if (!caller.own_records_only || visibility == v1::NOTE_VISIBILITY_COMMENT) {
    return absl::OkStatus();
  }
  return Denied("visibility", "a requester adds comments (NOTE_VISIBILITY_COMMENT) only");
}

absl::Status CheckRequesterMayTransition(const base::Caller& caller,
                                         v1::ServiceRequestState target) {
  if (!caller.own_records_only || target == v1::SERVICE_REQUEST_STATE_CANCELLED) {
    return absl::OkStatus();
  }
  return Denied("target_state", "a requester may cancel their own request (CANCELLED), no more");
}

absl::Status CheckRequesterMayTransition(const base::Caller& caller, v1::IncidentState from,
                                         v1::IncidentState target) {
  if (!caller.own_records_only || target == v1::INCIDENT_STATE_CANCELLED) {
    return absl::OkStatus();
  }
  if (from == v1::INCIDENT_STATE_RESOLVED &&
      (target == v1::INCIDENT_STATE_IN_PROGRESS || target == v1::INCIDENT_STATE_CLOSED)) {
    return absl::OkStatus();
  }
  return Denied("target_state",
                "a requester may reopen (IN_PROGRESS) or close their own resolved incident, or "
                "withdraw it (CANCELLED), no more");
}

absl::Status CheckRequesterMayListNotes(const base::Caller& caller, v1::NoteVisibility visibility) {
  if (!caller.own_records_only || visibility != v1::NOTE_VISIBILITY_WORK_NOTE) {
    return absl::OkStatus();
  }
  return Denied("visibility", "a requester reads comments (NOTE_VISIBILITY_COMMENT) only");
}

absl::Status NarrowToOwn(const base::Caller& caller, v1::ListIncidentsRequest& request) {
  if (!caller.own_records_only) return absl::OkStatus();
  if (!request.caller().empty() && request.caller() != caller.actor) {
    return Denied("caller", "a requester lists their own incidents only");
  }
  ITSM_RETURN_IF_ERROR(CheckRequesterMayNameCis(caller, "configuration_item_id",
                                                !request.configuration_item_id().empty()));
  request.set_caller(caller.actor);
  return absl::OkStatus();
}

absl::Status NarrowToOwn(const base::Caller& caller, v1::ListServiceRequestsRequest& request) {
  if (!caller.own_records_only) return absl::OkStatus();
  if (!request.requested_for().empty() && request.requested_for() != caller.actor) {
    return Denied("requested_for", "a requester lists their own requests only");
  }
  request.set_requested_for(caller.actor);
  return absl::OkStatus();
}

}  // namespace itsm::incident
