#include "services/incident/src/request_fulfilment.h"

#include <string>
#include <vector>

#include "itsm/base/status_macros.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/unit_of_work.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_management.h"
#include "services/incident/src/note_rules.h"
#include "services/incident/src/problem_repository.h"
#include "services/incident/src/record_notes.h"
#include "services/incident/src/requester_rules.h"

namespace itsm::incident {
namespace {

constexpr char kCreateServiceRequest[] = "itsm.incident.v1.IncidentService/CreateServiceRequest";
constexpr char kListServiceRequestNotes[] =
    "itsm.incident.v1.IncidentService/ListServiceRequestNotes";

using RequestWork = records::UnitOfWork<v1::ServiceRequest, ServiceRequestRepository>;

}  // namespace

absl::Status RequestFulfilment::Create(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::CreateServiceRequestRequest& request,
                                       v1::ServiceRequest& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateCreate(request));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayCreate(caller, request));
  RequestWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Create(records::IdempotentCallOf(kCreateServiceRequest, request),
                                         workflow_.NewServiceRequest(request, caller.actor),
                                         [&](const v1::ServiceRequest& r) {
                                           return workflow_.Created(r, caller.actor);
                                         }));
  return CheckMaySeeRepeated(caller, out);
}

absl::Status RequestFulfilment::Update(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::UpdateServiceRequestRequest& request,
                                       v1::ServiceRequest& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(request));
  RequestWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.service_request().id(), [&](const v1::ServiceRequest& stored) {
        return workflow_.Update(stored, request, caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status RequestFulfilment::Transition(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::TransitionServiceRequestRequest& request,
                                           v1::ServiceRequest& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateTransition(request));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayTransition(caller, request.target_state()));
  RequestWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(
               request.id(),
               [&](const v1::ServiceRequest& stored) -> absl::StatusOr<ServiceRequestOutcome> {
                 ITSM_RETURN_IF_ERROR(CheckMaySee(caller, stored, request.id()));
                 // Whom it was for, read from the trail for a decision only.
                 std::vector<std::string> former_beneficiaries;
                 if (request.target_state() == v1::SERVICE_REQUEST_STATE_APPROVED ||
                     request.target_state() == v1::SERVICE_REQUEST_STATE_REJECTED) {
                   ITSM_ASSIGN_OR_RETURN(
                       former_beneficiaries,
                       records::AuditTrail::FormerValues(txn, stored.id(), "requested_for",
                                                         absl::InfinitePast()));
                 }
                 return workflow_.Transition(stored, request, caller.actor, former_beneficiaries);
               }));
  return absl::OkStatus();
}

absl::Status RequestFulfilment::AddNote(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::AddRecordNoteRequest& request,
                                        v1::AddServiceRequestNoteResponse& out) const {
  ITSM_RETURN_IF_ERROR(ValidateNote(request.id(), request.visibility(), request.text()));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayAddNote(caller, request.visibility()));
  RequestWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(NotedRecord<v1::ServiceRequest> noted,
                        AddNoteTo(
                            work, request,
                            [&](const v1::ServiceRequest& stored) {
                              return CheckMaySee(caller, stored, request.id());
                            },
                            [&](const v1::ServiceRequest& stored) {
                              return workflow_.Note(stored, request, caller.actor);
                            }));
  *out.mutable_note() = std::move(noted.note);
  *out.mutable_service_request() = std::move(noted.record);
  return absl::OkStatus();
}

absl::Status RequestFulfilment::Get(storage::Transaction& txn, const base::Caller& caller,
                                    const v1::GetServiceRequestRequest& request,
                                    v1::ServiceRequest& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, ServiceRequestRepository::Get(txn, request.id()));
  return CheckMaySee(caller, out, request.id());
}

absl::Status RequestFulfilment::List(storage::Transaction& txn, const base::Caller& caller,
                                     const v1::ListServiceRequestsRequest& request,
                                     v1::ListServiceRequestsResponse& out) const {
  v1::ListServiceRequestsRequest narrowed = request;
  ITSM_RETURN_IF_ERROR(NarrowToOwn(caller, narrowed));
  ITSM_ASSIGN_OR_RETURN(auto page, ServiceRequestRepository::List(txn, narrowed));
  for (auto& r : page.first) *out.add_service_requests() = std::move(r);
  out.set_next_page_token(page.second);
  return absl::OkStatus();
}

absl::Status RequestFulfilment::ListNotes(storage::Transaction& txn, const base::Caller& caller,
                                          const v1::ListRecordNotesRequest& request,
                                          v1::ListRecordNotesResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_RETURN_IF_ERROR(ValidateNoteFilter(request.visibility()));
  ITSM_ASSIGN_OR_RETURN(v1::ServiceRequest stored,
                        ServiceRequestRepository::Get(txn, request.id()));
  ITSM_RETURN_IF_ERROR(CheckMaySee(caller, stored, request.id()));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayListNotes(caller, request.visibility()));
  ITSM_ASSIGN_OR_RETURN(
      NotePage page, NoteRepository::List(txn, kListServiceRequestNotes, request, request.page(),
                                          stored.id(), VisibleNotes(caller, request.visibility())));
  for (auto& note : page.notes) *out.add_notes() = std::move(note);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::incident
