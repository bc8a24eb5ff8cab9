#include "services/incident/src/incident_management.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/unit_of_work.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/problem_repository.h"

namespace itsm::incident {
namespace {

constexpr int kMaxParentDepth = 100;
constexpr char kCreateIncident[] = "itsm.incident.v1.IncidentService/CreateIncident";
constexpr char kGetHistory[] = "itsm.incident.v1.IncidentService/GetHistory";

using IncidentWork = records::UnitOfWork<v1::Incident, IncidentRepository>;

// Parent and problem links name existing records; stored as ids even when given as numbers.
// A parent may not be the incident itself or one of its descendants.
absl::Status ResolveLinks(storage::Transaction& txn, const v1::Incident& stored,
                          v1::UpdateIncidentRequest& request) {
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "parent_incident_id" && !request.incident().parent_incident_id().empty()) {
      auto parent = IncidentRepository::Get(txn, request.incident().parent_incident_id());
      if (absl::IsNotFound(parent.status())) {
        return absl::NotFoundError(absl::StrCat("incident.parent_incident_id: no incident \"",
                                                request.incident().parent_incident_id(), "\""));
      }
      ITSM_RETURN_IF_ERROR(parent.status());
      v1::Incident up = *parent;
      for (int depth = 0; depth < kMaxParentDepth; ++depth) {
        if (up.id() == stored.id()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "incident.parent_incident_id: ", parent->number(),
              " is this incident or one of its children (a parent cannot be its own descendant)"));
        }
        if (up.parent_incident_id().empty()) break;
        ITSM_ASSIGN_OR_RETURN(up, IncidentRepository::Get(txn, up.parent_incident_id()));
      }
      request.mutable_incident()->set_parent_incident_id(parent->id());
    }
    if (path == "problem_id" && !request.incident().problem_id().empty()) {
      ITSM_ASSIGN_OR_RETURN(
          v1::Problem problem,
          ProblemRepository::Get(txn, request.incident().problem_id(), "incident.problem_id"));
      request.mutable_incident()->set_problem_id(problem.id());
    }
  }
  return absl::OkStatus();
}

// The id of any record of the service, by id or number. Only NOT_FOUND moves on to the next
// kind: a storage failure is that failure, not "no record".
absl::StatusOr<std::string> AnyRecordId(storage::Transaction& txn, const std::string& id) {
  auto incident = IncidentRepository::Get(txn, id);
  if (incident.ok()) return incident->id();
  if (!absl::IsNotFound(incident.status())) return incident.status();
  auto request = ServiceRequestRepository::Get(txn, id);
  if (request.ok()) return request->id();
  if (!absl::IsNotFound(request.status())) return request.status();
  auto problem = ProblemRepository::Get(txn, id);
  if (problem.ok()) return problem->id();
  if (!absl::IsNotFound(problem.status())) return problem.status();
  return absl::NotFoundError(
      absl::StrCat("id: no incident, service request or problem \"", id, "\""));
}

}  // namespace

const records::EventStream& IncidentEvents() {
  static const records::EventStream kEvents{kIncidentTopic, kEventSource};
  return kEvents;
}

absl::Status IncidentManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::CreateIncidentRequest& request,
                                        v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(factory_.Validate(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(records::IdempotentCallOf(kCreateIncident, request),
                       factory_.NewIncident(request, caller.actor),
                       [&](const v1::Incident& i) { return workflow_.Created(i, caller.actor); }));
  return absl::OkStatus();
}

absl::Status IncidentManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::UpdateIncidentRequest& request,
                                        v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.incident().id(),
                       [&](const v1::Incident& stored) -> absl::StatusOr<IncidentOutcome> {
                         v1::UpdateIncidentRequest resolved = request;
                         ITSM_RETURN_IF_ERROR(ResolveLinks(txn, stored, resolved));
                         return workflow_.Update(stored, resolved, caller.actor);
                       }));
  return absl::OkStatus();
}

absl::Status IncidentManagement::Assign(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::AssignIncidentRequest& request,
                                        v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateAssign(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Modify(request.id(), [&](const v1::Incident& stored) {
    return workflow_.Assign(stored, request, caller.actor);
  }));
  return absl::OkStatus();
}

absl::Status IncidentManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                            const v1::TransitionIncidentRequest& request,
                                            v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateTransition(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Modify(request.id(), [&](const v1::Incident& stored) {
    return workflow_.Transition(stored, request, caller.actor);
  }));
  return absl::OkStatus();
}

absl::Status IncidentManagement::AddNote(storage::Transaction& txn, const base::Caller& caller,
                                         const v1::AddIncidentNoteRequest& request,
                                         v1::AddIncidentNoteResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateNote(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(v1::Incident stored, work.Load(request.id()));
  if (request.version() != 0) {
    ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.version()));
  }
  // Notes may be added in any state, closed included (a caller's follow-up).
  IncidentOutcome change = workflow_.Note(stored, request, caller.actor);
  v1::IncidentNote note;
  note.set_id(base::NewUuid());
  note.set_incident_id(stored.id());
  note.set_author(caller.actor);
  *note.mutable_create_time() = change.after.update_time();
  note.set_visibility(request.visibility());
  note.set_text(request.text());
  note.set_incident_version(change.after.version());
  ITSM_RETURN_IF_ERROR(work.Save(change, stored.version()));
  ITSM_RETURN_IF_ERROR(IncidentRepository::InsertNote(txn, note));
  *out.mutable_note() = std::move(note);
  *out.mutable_incident() = std::move(change.after);
  return absl::OkStatus();
}

absl::Status IncidentManagement::Get(storage::Transaction& txn,
                                     const v1::GetIncidentRequest& request,
                                     v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, IncidentRepository::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status IncidentManagement::List(storage::Transaction& txn,
                                      const v1::ListIncidentsRequest& request,
                                      v1::ListIncidentsResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(IncidentPage page, IncidentRepository::List(txn, request));
  for (auto& incident : page.incidents) *out.add_incidents() = std::move(incident);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status IncidentManagement::ListNotes(storage::Transaction& txn,
                                           const v1::ListIncidentNotesRequest& request,
                                           v1::ListIncidentNotesResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  if (!v1::NoteVisibility_IsValid(request.visibility())) {
    return absl::InvalidArgumentError(
        absl::StrCat("visibility: unknown value ", static_cast<int>(request.visibility())));
  }
  ITSM_ASSIGN_OR_RETURN(v1::Incident incident, IncidentRepository::Get(txn, request.id()));
  ITSM_ASSIGN_OR_RETURN(auto notes,
                        IncidentRepository::ListNotes(txn, incident.id(), request.visibility()));
  for (auto& n : notes) *out.add_notes() = std::move(n);
  return absl::OkStatus();
}

absl::Status IncidentManagement::History(storage::Transaction& txn,
                                         const v1::GetHistoryRequest& request,
                                         v1::GetHistoryResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(std::string record_id, AnyRecordId(txn, request.id()));
  ITSM_ASSIGN_OR_RETURN(
      records::AuditPage page,
      records::AuditTrail::Read(txn, kGetHistory, request, record_id, request.page()));
  for (auto& entry : page.entries) *out.add_entries() = std::move(entry);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::incident
