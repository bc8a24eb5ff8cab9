#include "services/incident/src/incident_management.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/record_change.h"
#include "itsm/records/stored_messages.h"
#include "itsm/records/unit_of_work.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/note_rules.h"
#include "services/incident/src/problem_repository.h"
#include "services/incident/src/record_notes.h"
#include "services/incident/src/requester_rules.h"
#include "services/incident/src/state_machine.h"

namespace itsm::incident {
namespace {

constexpr int kMaxParentDepth = 100;
constexpr char kCreateIncident[] = "itsm.incident.v1.IncidentService/CreateIncident";
constexpr char kGetHistory[] = "itsm.incident.v1.IncidentService/GetHistory";
constexpr char kListIncidentNotes[] = "itsm.incident.v1.IncidentService/ListIncidentNotes";

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
      // As for problems: a closed or cancelled incident is no longer worked, so nothing new goes
      // under it. A link made while it was open stays.
      if (parent->id() != stored.parent_incident_id() &&
          (parent->state() == v1::INCIDENT_STATE_CLOSED ||
           parent->state() == v1::INCIDENT_STATE_CANCELLED)) {
        return absl::FailedPreconditionError(
            absl::StrCat("incident.parent_incident_id: ", parent->number(), " is ",
                         IncidentStateName(parent->state()), "; put incidents under an open one"));
      }
      // Up from the new parent to the root: the incident must not be on the way. A walk that
      // stopped early could not tell, so a hierarchy deeper than the limit is refused.
      v1::Incident up = *parent;
      int levels = 1;  // the new parent and those above it
      for (;; ++levels) {
        if (up.id() == stored.id()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "incident.parent_incident_id: ", parent->number(),
              " is this incident or one of its children (a parent cannot be its own descendant)"));
        }
        if (up.parent_incident_id().empty()) break;
        if (levels == kMaxParentDepth) {
          return absl::InvalidArgumentError(absl::StrCat(
              "incident.parent_incident_id: ", parent->number(), " has ", kMaxParentDepth,
              " or more parents above it; a hierarchy of incidents is at most ", kMaxParentDepth,
              " levels deep"));
        }
        ITSM_ASSIGN_OR_RETURN(up, IncidentRepository::Get(txn, up.parent_incident_id()));
      }
      // The incident brings its own children along: short chains joined one under another
      // must not add up past the limit either.
      ITSM_ASSIGN_OR_RETURN(const int below,
                            IncidentRepository::SubtreeHeight(txn, stored.id(), kMaxParentDepth));
      if (levels + 1 + below > kMaxParentDepth) {
        return absl::InvalidArgumentError(absl::StrCat(
            "incident.parent_incident_id: under ", parent->number(), " (", levels,
            " levels) this incident and its ", below,
            " levels of children would make the hierarchy ", levels + 1 + below,
            " levels deep; a hierarchy of incidents is at most ", kMaxParentDepth, " levels deep"));
      }
      request.mutable_incident()->set_parent_incident_id(parent->id());
    }
    if (path == "problem_id" && !request.incident().problem_id().empty()) {
      ITSM_ASSIGN_OR_RETURN(
          v1::Problem problem,
          ProblemRepository::Get(txn, request.incident().problem_id(), "incident.problem_id"));
      // A closed or cancelled problem is no longer worked: an incident linked to it would never
      // be resolved with it, and the problem's record would grow after it was closed. A link
      // made while it was open stays.
      if (problem.id() != stored.problem_id() && (problem.state() == v1::PROBLEM_STATE_CLOSED ||
                                                  problem.state() == v1::PROBLEM_STATE_CANCELLED)) {
        return absl::FailedPreconditionError(absl::StrCat("incident.problem_id: ", problem.number(),
                                                          " is ", ProblemStateName(problem.state()),
                                                          "; link incidents to an open problem"));
      }
      request.mutable_incident()->set_problem_id(problem.id());
    }
  }
  return absl::OkStatus();
}

// The id of any record of the service, by id or number. Only NOT_FOUND moves on to the next
// kind: a storage failure is that failure, not "no record".
// A requester finds only their own incidents and requests, and no problem.
absl::StatusOr<std::string> AnyRecordId(storage::Transaction& txn, const base::Caller& caller,
                                        const std::string& id) {
  const absl::Status none =
      absl::NotFoundError(absl::StrCat("id: no incident, service request or problem \"", id, "\""));
  auto incident = IncidentRepository::Get(txn, id);
  if (incident.ok()) {
    if (!CheckMaySee(caller, *incident, id).ok()) return none;
    return incident->id();
  }
  if (!absl::IsNotFound(incident.status())) return incident.status();
  auto request = ServiceRequestRepository::Get(txn, id);
  if (request.ok()) {
    if (!CheckMaySee(caller, *request, id).ok()) return none;
    return request->id();
  }
  if (!absl::IsNotFound(request.status())) return request.status();
  if (caller.own_records_only) return none;
  auto problem = ProblemRepository::Get(txn, id);
  if (problem.ok()) return problem->id();
  if (!absl::IsNotFound(problem.status())) return problem.status();
  return none;
}

// The parent incident and the problem a list is filtered by, by id or number as everywhere
// else: the records store ids. An unknown one is refused rather than answered with an empty page.
// A requester names only an incident they may see, and a problem only by its id (they find no
// problem by number, as in AnyRecordId).
absl::Status ResolveListLinks(storage::Transaction& txn, const base::Caller& caller,
                              v1::ListIncidentsRequest& request) {
  if (!request.parent_incident_id().empty()) {
    const std::string given = request.parent_incident_id();
    absl::StatusOr<v1::Incident> parent = IncidentRepository::Get(txn, given);
    if (absl::IsNotFound(parent.status()) ||
        (parent.ok() && !CheckMaySee(caller, *parent, given).ok())) {
      return base::FieldError("parent_incident_id", absl::StrCat("no incident \"", given, "\""));
    }
    ITSM_RETURN_IF_ERROR(parent.status());
    request.set_parent_incident_id(parent->id());
  }
  if (!request.problem_id().empty() && !caller.own_records_only) {
    absl::StatusOr<v1::Problem> problem =
        ProblemRepository::Get(txn, request.problem_id(), "problem_id");
    if (absl::IsNotFound(problem.status())) {
      return absl::InvalidArgumentError(problem.status().message());
    }
    ITSM_RETURN_IF_ERROR(problem.status());
    request.set_problem_id(problem->id());
  }
  return absl::OkStatus();
}

}  // namespace

const records::EventStream& IncidentEvents() {
  static const records::EventStream kEvents{kIncidentTopic, kEventSource};
  return kEvents;
}

absl::Status IncidentManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::CreateIncidentRequest& request,
                                        const CiReferences& cis, v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(factory_.Validate(request));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayCreate(caller, request));
  v1::Incident incident = factory_.NewIncident(request, caller.actor);
  if (cis.checked) {
    ITSM_ASSIGN_OR_RETURN(
        *incident.mutable_configuration_item_ids(),
        CiIdsToStore(cis, request.configuration_item_ids(), {}, "configuration_item_ids"));
  }
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Create(records::IdempotentCallOf(kCreateIncident, request),
                                         std::move(incident), [&](v1::Incident i) {
                                           return workflow_.Created(std::move(i), caller.actor);
                                         }));
  return CheckMaySeeRepeated(caller, out);
}

absl::Status IncidentManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::UpdateIncidentRequest& request,
                                        const CiReferences& cis, v1::Incident& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(request));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.incident().id(),
                       [&](const v1::Incident& stored) -> absl::StatusOr<IncidentOutcome> {
                         v1::UpdateIncidentRequest resolved = request;
                         ITSM_RETURN_IF_ERROR(ResolveLinks(txn, stored, resolved));
                         if (cis.checked) {
                           ITSM_ASSIGN_OR_RETURN(
                               *resolved.mutable_incident()->mutable_configuration_item_ids(),
                               CiIdsToStore(cis, request.incident().configuration_item_ids(),
                                            stored.configuration_item_ids(),
                                            "incident.configuration_item_ids"));
                         }
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
                                            v1::TransitionIncidentResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateTransition(request));
  IncidentWork work(txn, caller, IncidentEvents());
  out.clear_resolved_child_incident_ids();
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_incident(),
      work.Modify(request.id(), [&](const v1::Incident& stored) -> absl::StatusOr<IncidentOutcome> {
        ITSM_RETURN_IF_ERROR(CheckMaySee(caller, stored, request.id()));
        // A stale version is told as such first: the requester's rule reads the state stored
        // now, which a move they did not see may have changed (found from outside: 403 for what
        // was a lost race).
        ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
        // A move nobody may make is the state machine's to tell (FAILED_PRECONDITION naming
        // the allowed ones), not the requester's limit.
        ITSM_RETURN_IF_ERROR(
            IncidentStateMachine().Check(stored.state(), request.target_state()).status());
        ITSM_RETURN_IF_ERROR(
            CheckRequesterMayTransition(caller, stored.state(), request.target_state()));
        return workflow_.Transition(stored, request, caller.actor);
      }));
  if (!request.resolve_child_incidents()) return absl::OkStatus();
  const v1::Incident& parent = out.incident();
  ITSM_ASSIGN_OR_RETURN(std::vector<v1::Incident> below,
                        IncidentRepository::OpenDescendants(txn, parent.id(), kMaxParentDepth,
                                                            kMaxResolvedWithParent + 1));
  if (static_cast<int64_t>(below.size()) > kMaxResolvedWithParent) {
    return absl::FailedPreconditionError(
        absl::StrCat("resolve_child_incidents: more than ", kMaxResolvedWithParent,
                     " open incidents below ", parent.number(), "; resolve some of them first"));
  }
  // Each through the incident state machine, with its own audit entry and IncidentResolved
  // event (the SLA timer stops its clocks as for any resolution).
  for (const v1::Incident& child : below) {
    auto resolved = workflow_.ResolveWithParent(child, parent, request, caller.actor);
    if (!resolved.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("resolve_child_incidents: ", child.number(),
                                                        ": ", resolved.status().message()));
    }
    ITSM_RETURN_IF_ERROR(work.Save(*resolved, child.version()));
    out.add_resolved_child_incident_ids(child.id());
  }
  return absl::OkStatus();
}

absl::Status IncidentManagement::AddNote(storage::Transaction& txn, const base::Caller& caller,
                                         const v1::AddIncidentNoteRequest& request,
                                         v1::AddIncidentNoteResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateNote(request));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayAddNote(caller, request.visibility()));
  IncidentWork work(txn, caller, IncidentEvents());
  ITSM_ASSIGN_OR_RETURN(
      NotedRecord<v1::Incident> noted,
      AddNoteTo(
          work, request,
          [&](const v1::Incident& stored) { return CheckMaySee(caller, stored, request.id()); },
          [&](const v1::Incident& stored) {
            return workflow_.Note(stored, request, caller.actor);
          }));
  *out.mutable_note() = AsIncidentNote(noted.note);
  *out.mutable_incident() = std::move(noted.record);
  return absl::OkStatus();
}

absl::Status IncidentManagement::Get(storage::Transaction& txn, const base::Caller& caller,
                                     const v1::GetIncidentRequest& request,
                                     v1::GetIncidentResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(StoredIncident stored, IncidentRepository::GetStored(txn, request.id()));
  // A requester's own incident is told by the row's caller column; a row not written since that
  // column exists holds '', and there the record itself decides.
  if (caller.own_records_only && stored.caller != caller.actor) {
    ITSM_ASSIGN_OR_RETURN(const v1::Incident incident, IncidentRepository::Decode(stored.data));
    ITSM_RETURN_IF_ERROR(CheckMaySee(caller, incident, request.id()));
  }
  return records::SetStoredMessage(v1::GetIncidentResponse::kIncidentFieldNumber,
                                   std::move(stored.data), out);
}

absl::Status IncidentManagement::List(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::ListIncidentsRequest& request,
                                      v1::ListIncidentsResponse& out) const {
  v1::ListIncidentsRequest narrowed = request;
  ITSM_RETURN_IF_ERROR(NarrowToOwn(caller, narrowed));
  // Before the transaction's first statement, which takes its snapshot.
  absl::Time updated_up_to = absl::InfiniteFuture();
  if (settled_ != nullptr) {
    ITSM_ASSIGN_OR_RETURN(updated_up_to, settled_->Horizon(narrowed));
  }
  ITSM_RETURN_IF_ERROR(ResolveListLinks(txn, caller, narrowed));
  ITSM_ASSIGN_OR_RETURN(IncidentPage page, IncidentRepository::List(txn, narrowed, updated_up_to));
  out.set_next_page_token(page.next_page_token);
  return records::AppendStoredMessages(v1::ListIncidentsResponse::kIncidentsFieldNumber,
                                       std::move(page.incidents), out);
}

absl::Status IncidentManagement::ListNotes(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::ListIncidentNotesRequest& request,
                                           v1::ListIncidentNotesResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_RETURN_IF_ERROR(ValidateNoteFilter(request.visibility()));
  ITSM_ASSIGN_OR_RETURN(v1::Incident incident, IncidentRepository::Get(txn, request.id()));
  ITSM_RETURN_IF_ERROR(CheckMaySee(caller, incident, request.id()));
  ITSM_RETURN_IF_ERROR(CheckRequesterMayListNotes(caller, request.visibility()));
  ITSM_ASSIGN_OR_RETURN(
      NotePage page,
      NoteRepository::List(txn, kListIncidentNotes, request, request.page(), incident.id(),
                           VisibleNotes(caller, request.visibility())));
  for (const auto& note : page.notes) *out.add_notes() = AsIncidentNote(note);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status IncidentManagement::History(storage::Transaction& txn, const base::Caller& caller,
                                         const v1::GetHistoryRequest& request,
                                         v1::GetHistoryResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(std::string record_id, AnyRecordId(txn, caller, request.id()));
  ITSM_ASSIGN_OR_RETURN(
      records::AuditPage page,
      records::AuditTrail::Read(txn, kGetHistory, request, record_id, request.page()));
  for (auto& entry : page.entries) {
    // A requester sees the history of their own records, but not the agents' work notes, which
    // ListIncidentNotes hides from them too: an entry is kept without them, or left out when
    // they were all it held. (A page may then hold fewer entries; its token goes on as usual.)
    if (caller.own_records_only) {
      auto* changes = entry.mutable_changes();
      changes->erase(std::remove_if(changes->begin(), changes->end(),
                                    [](const common::v1::FieldChange& c) {
                                      return c.field() == NoteField(v1::NOTE_VISIBILITY_WORK_NOTE);
                                    }),
                     changes->end());
      if (changes->empty()) continue;
    }
    *out.add_entries() = std::move(entry);
  }
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::incident
