#include "services/incident/src/problem_management.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/records/page_start.h"
#include "itsm/records/unit_of_work.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_management.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/note_rules.h"
#include "services/incident/src/problem_repository.h"
#include "services/incident/src/record_notes.h"
#include "services/incident/src/requester_rules.h"

namespace itsm::incident {
namespace {

constexpr char kCreateProblem[] = "itsm.incident.v1.IncidentService/CreateProblem";
// GetProblemResponse.linked_incident_ids' limit (incident.proto).
constexpr int64_t kMaxLinkedIncidentIds = 100000;
constexpr char kListProblemNotes[] = "itsm.incident.v1.IncidentService/ListProblemNotes";

using ProblemWork = records::UnitOfWork<v1::Problem, ProblemRepository>;
using IncidentWork = records::UnitOfWork<v1::Incident, IncidentRepository>;

}  // namespace

absl::Status ProblemManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::CreateProblemRequest& request,
                                       const CiReferences& cis, v1::Problem& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateCreate(request));
  v1::Problem problem = workflow_.NewProblem(request, caller.actor);
  if (cis.checked) {
    ITSM_ASSIGN_OR_RETURN(
        *problem.mutable_configuration_item_ids(),
        CiIdsToStore(cis, request.configuration_item_ids(), {}, "configuration_item_ids"));
  }
  ProblemWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(records::IdempotentCallOf(kCreateProblem, request), std::move(problem),
                       [&](const v1::Problem& p) { return workflow_.Created(p, caller.actor); }));
  return absl::OkStatus();
}

absl::Status ProblemManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::UpdateProblemRequest& request,
                                       const CiReferences& cis, v1::Problem& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(request));
  ProblemWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(
          request.problem().id(), [&](const v1::Problem& stored) -> absl::StatusOr<ProblemOutcome> {
            if (!cis.checked) return workflow_.Update(stored, request, caller.actor);
            v1::UpdateProblemRequest resolved = request;
            ITSM_ASSIGN_OR_RETURN(
                *resolved.mutable_problem()->mutable_configuration_item_ids(),
                CiIdsToStore(cis, request.problem().configuration_item_ids(),
                             stored.configuration_item_ids(), "problem.configuration_item_ids"));
            return workflow_.Update(stored, resolved, caller.actor);
          }));
  return absl::OkStatus();
}

absl::Status ProblemManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::TransitionProblemRequest& request,
                                           v1::TransitionProblemResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateTransition(request));
  if (request.resolve_linked_incidents() && request.target_state() != v1::PROBLEM_STATE_RESOLVED) {
    return absl::InvalidArgumentError(
        "resolve_linked_incidents: only when target_state is RESOLVED");
  }
  ProblemWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(v1::Problem stored, work.Load(request.id()));
  ITSM_ASSIGN_OR_RETURN(ProblemOutcome change, workflow_.Transition(stored, request, caller.actor));
  out.clear_resolved_incidents();
  out.clear_resolved_incident_ids();
  size_t answered_bytes = 0;
  if (request.resolve_linked_incidents()) {
    // Every open linked incident is resolved in this same transaction, each through the incident
    // state machine with its own audit entry and IncidentResolved event; if one cannot be
    // resolved, nothing is.
    ITSM_ASSIGN_OR_RETURN(auto linked, IncidentRepository::ListByProblem(txn, stored.id()));
    const size_t open = std::count_if(linked.begin(), linked.end(), IsOpen);
    if (open > kMaxResolvedWithProblem) {
      return absl::FailedPreconditionError(
          absl::StrCat("resolve_linked_incidents: ", open, " open incidents are linked; at most ",
                       kMaxResolvedWithProblem, " are resolved with a problem in one call"));
    }
    auto* resolved_event = change.events.empty()
                               ? nullptr
                               : dynamic_cast<v1::ProblemResolved*>(change.events.back().get());
    IncidentWork incidents(txn, caller, IncidentEvents());
    for (const v1::Incident& incident : linked) {
      if (!IsOpen(incident)) continue;
      v1::TransitionIncidentRequest resolve;
      resolve.set_id(incident.id());
      resolve.set_version(incident.version());
      resolve.set_target_state(v1::INCIDENT_STATE_RESOLVED);
      resolve.set_resolution_code(request.resolution_code());
      // The incident's resolution is its caller's to read, the problem's notes the service
      // desk's (root cause analysis, vendor detail): the incident names the problem, whose notes
      // stay on it.
      resolve.set_resolution_notes(
          absl::StrCat("Resolved with problem ", stored.number(), " (the fix of its root cause)"));
      auto resolved = incidents_.Transition(incident, resolve, caller.actor);
      if (!resolved.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "resolve_linked_incidents: ", incident.number(), ": ", resolved.status().message()));
      }
      ITSM_RETURN_IF_ERROR(incidents.Save(*resolved, incident.version()));
      out.add_resolved_incident_ids(incident.id());
      // The whole incidents while the answer stays within a page's budget (the gateway and
      // clients take 4 MiB; found from outside: a resolve that succeeded answered an error).
      answered_bytes += resolved->after.ByteSizeLong();
      if (answered_bytes <= records::kMaxPageBytes) {
        *out.add_resolved_incidents() = resolved->after;
      }
      if (resolved_event != nullptr) resolved_event->add_resolved_incident_ids(incident.id());
    }
  }
  ITSM_RETURN_IF_ERROR(work.Save(change, stored.version()));
  *out.mutable_problem() = std::move(change.after);
  return absl::OkStatus();
}

absl::Status ProblemManagement::AddNote(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::AddRecordNoteRequest& request,
                                        v1::AddProblemNoteResponse& out) const {
  ITSM_RETURN_IF_ERROR(ValidateNote(request.id(), request.visibility(), request.text()));
  ProblemWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      NotedRecord<v1::Problem> noted,
      AddNoteTo(
          work, request,
          [&](const v1::Problem& stored) { return CheckMaySee(caller, stored, request.id()); },
          [&](const v1::Problem& stored) {
            return workflow_.Note(stored, request, caller.actor);
          }));
  *out.mutable_note() = std::move(noted.note);
  *out.mutable_problem() = std::move(noted.record);
  return absl::OkStatus();
}

absl::Status ProblemManagement::Get(storage::Transaction& txn, const v1::GetProblemRequest& request,
                                    v1::GetProblemResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(*out.mutable_problem(), ProblemRepository::Get(txn, request.id()));
  // Ids only, up to the answer's limit (GetProblemResponse.linked_incident_ids).
  ITSM_ASSIGN_OR_RETURN(
      std::vector<std::string> linked,
      IncidentRepository::IdsByProblem(txn, out.problem().id(), kMaxLinkedIncidentIds));
  for (auto& id : linked) out.add_linked_incident_ids(std::move(id));
  return absl::OkStatus();
}

absl::Status ProblemManagement::List(storage::Transaction& txn,
                                     const v1::ListProblemsRequest& request,
                                     v1::ListProblemsResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(auto page, ProblemRepository::List(txn, request));
  for (auto& p : page.first) *out.add_problems() = std::move(p);
  out.set_next_page_token(page.second);
  return absl::OkStatus();
}

absl::Status ProblemManagement::ListNotes(storage::Transaction& txn, const base::Caller& caller,
                                          const v1::ListRecordNotesRequest& request,
                                          v1::ListRecordNotesResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_RETURN_IF_ERROR(ValidateNoteFilter(request.visibility()));
  ITSM_ASSIGN_OR_RETURN(v1::Problem stored, ProblemRepository::Get(txn, request.id()));
  ITSM_RETURN_IF_ERROR(CheckMaySee(caller, stored, request.id()));
  ITSM_ASSIGN_OR_RETURN(NotePage page,
                        NoteRepository::List(txn, kListProblemNotes, request, request.page(),
                                             stored.id(), request.visibility()));
  for (auto& note : page.notes) *out.add_notes() = std::move(note);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::incident
