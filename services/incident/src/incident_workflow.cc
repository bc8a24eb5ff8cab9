#include "services/incident/src/incident_workflow.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/note_rules.h"
#include "services/incident/src/requester_rules.h"

namespace itsm::incident {
namespace {

// TransitionIncidentRequest.resolution_notes' limit, in characters (incident.proto).
constexpr size_t kMaxResolutionNotes = 20000;

// The first `max` characters (code points) of valid UTF-8 `text`.
std::string FirstCharacters(const std::string& text, size_t max) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts_character = (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80;
    if (starts_character && characters++ == max) return text.substr(0, i);
  }
  return text;
}

// Fields each event owns; the rest of a change is announced by IncidentUpdated.
const std::set<std::string> kStateFields = {
    "state",      "hold_reason",         "resolution_code", "resolution_notes", "resolve_time",
    "close_time", "first_response_time", "reopen_count",    "cancel_reason"};
const std::set<std::string> kAssignmentFields = {"assignment_group", "assignee"};
const std::set<std::string> kPriorityFields = {"priority", "impact", "urgency"};

// What UpdateIncident may change; the state fields change through TransitionIncident.
const records::UpdatableFields& UpdatableIncidentFields() {
  static const auto* fields = [] {
    auto* f = new records::UpdatableFields{
        .paths = {"title", "description", "caller", "service", "configuration_item_ids", "category",
                  "impact", "urgency", "assignment_group", "assignee", "major_incident",
                  "parent_incident_id", "problem_id", "change_ids"},
        .elsewhere = {}};
    for (const std::string& path : kStateFields) f->elsewhere[path] = "TransitionIncident";
    return f;
  }();
  return *fields;
}

template <typename Event>
std::shared_ptr<Event> NewEvent(const v1::Incident& after, const std::string& actor,
                                const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_incident() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

}  // namespace

absl::Status IncidentWorkflow::ValidateUpdate(const v1::UpdateIncidentRequest& request) const {
  const v1::Incident& r = request.incident();
  if (r.id().empty()) return absl::InvalidArgumentError("incident.id: required");
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), UpdatableIncidentFields()));
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "title") {
      if (base::IsBlank(r.title())) {
        return absl::InvalidArgumentError("incident.title: required");
      }
    } else if (path == "caller") {
      if (r.caller().empty()) return absl::InvalidArgumentError("incident.caller: required");
      ITSM_RETURN_IF_ERROR(CheckPersonField("incident.caller", r.caller()));
    } else if (path == "service" || path == "category") {
      ITSM_RETURN_IF_ERROR(base::CheckMatchedName(absl::StrCat("incident.", path),
                                                  path == "service" ? r.service() : r.category()));
    } else if (path == "assignment_group") {
      ITSM_RETURN_IF_ERROR(
          base::CheckMatchedName("incident.assignment_group", r.assignment_group()));
    } else if (path == "assignee") {
      ITSM_RETURN_IF_ERROR(base::CheckPersonName("incident.assignee", r.assignee()));
    } else if (path == "impact") {
      ITSM_RETURN_IF_ERROR(CheckLevel("incident.impact", r.impact(), matrix_.impact_levels()));
    } else if (path == "urgency") {
      ITSM_RETURN_IF_ERROR(CheckLevel("incident.urgency", r.urgency(), matrix_.urgency_levels()));
    } else if (path == "configuration_item_ids") {
      ITSM_RETURN_IF_ERROR(CheckIds("incident.configuration_item_ids", r.configuration_item_ids()));
    } else if (path == "change_ids") {
      ITSM_RETURN_IF_ERROR(CheckIds("incident.change_ids", r.change_ids()));
    }
  }
  return absl::OkStatus();
}

absl::Status IncidentWorkflow::ValidateAssign(const v1::AssignIncidentRequest& r) const {
  if (r.id().empty()) return absl::InvalidArgumentError("id: required");
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("assignment_group", r.assignment_group()));
  return base::CheckPersonName("assignee", r.assignee());
}

absl::Status IncidentWorkflow::ValidateTransition(const v1::TransitionIncidentRequest& r) const {
  if (r.id().empty()) return absl::InvalidArgumentError("id: required");
  if (!v1::IncidentState_IsValid(r.target_state()) ||
      r.target_state() == v1::INCIDENT_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_state: unknown state ", static_cast<int>(r.target_state())));
  }
  if (!v1::HoldReason_IsValid(r.hold_reason())) {
    return absl::InvalidArgumentError(
        absl::StrCat("hold_reason: unknown reason ", static_cast<int>(r.hold_reason())));
  }
  if (r.target_state() == v1::INCIDENT_STATE_ON_HOLD &&
      r.hold_reason() == v1::HOLD_REASON_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "hold_reason: required to put an incident ON_HOLD (awaiting caller, supplier or change)");
  }
  const std::string target = IncidentStateName(r.target_state());
  if (r.target_state() != v1::INCIDENT_STATE_ON_HOLD) {
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("hold_reason", r.hold_reason() != v1::HOLD_REASON_UNSPECIFIED, target));
  }
  if (r.target_state() == v1::INCIDENT_STATE_RESOLVED) {
    if (base::IsBlank(r.resolution_code())) {
      return absl::InvalidArgumentError("resolution_code: required to resolve an incident");
    }
    if (base::IsBlank(r.resolution_notes())) {
      return absl::InvalidArgumentError("resolution_notes: required to resolve an incident");
    }
  } else {
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("resolution_code", !r.resolution_code().empty(), target));
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("resolution_notes", !r.resolution_notes().empty(), target));
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("resolve_child_incidents", r.resolve_child_incidents(), target));
  }
  if (r.target_state() == v1::INCIDENT_STATE_CANCELLED) {
    if (base::IsBlank(r.cancel_reason())) {
      return absl::InvalidArgumentError(
          "cancel_reason: required to cancel an incident (why it is withdrawn)");
    }
  } else {
    ITSM_RETURN_IF_ERROR(NotKeptOnThisMove("cancel_reason", !r.cancel_reason().empty(), target));
  }
  return absl::OkStatus();
}

absl::Status IncidentWorkflow::ValidateNote(const v1::AddIncidentNoteRequest& r) const {
  return incident::ValidateNote(r.id(), r.visibility(), r.text());
}

bool IsOpen(const v1::Incident& incident) {
  switch (incident.state()) {
    case v1::INCIDENT_STATE_RESOLVED:
    case v1::INCIDENT_STATE_CLOSED:
    case v1::INCIDENT_STATE_CANCELLED:
      return false;
    default:
      return true;
  }
}

IncidentOutcome IncidentWorkflow::Created(v1::Incident incident, const std::string& actor) const {
  IncidentOutcome out;
  out.action = "create";
  out.changes = records::DiffFields(v1::Incident(), incident);
  out.events.push_back(
      NewEvent<v1::IncidentCreated>(incident, actor, records::FieldNames(out.changes)));
  out.after = std::move(incident);
  return out;
}

absl::StatusOr<IncidentOutcome> IncidentWorkflow::Update(const v1::Incident& stored,
                                                         const v1::UpdateIncidentRequest& request,
                                                         const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(
      CheckVersion(stored.version(), request.incident().version(), "incident.version"));
  if (stored.state() == v1::INCIDENT_STATE_CLOSED ||
      stored.state() == v1::INCIDENT_STATE_CANCELLED) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: ", IncidentStateName(stored.state()), " incidents cannot be changed"));
  }
  const v1::Incident& r = request.incident();
  v1::Incident after = stored;
  records::ApplyUpdateMask(request.update_mask(), r, after);
  after.set_title(std::string(absl::StripAsciiWhitespace(after.title())));
  const bool assignment =
      std::any_of(request.update_mask().paths().begin(), request.update_mask().paths().end(),
                  [](const std::string& path) { return kAssignmentFields.contains(path); });
  if (!after.parent_incident_id().empty() && (after.parent_incident_id() == stored.id() ||
                                              after.parent_incident_id() == stored.number())) {
    return absl::InvalidArgumentError(
        "incident.parent_incident_id: an incident cannot be its own parent");
  }
  // ASSIGNED means someone has it: the rule of the transition into it holds while it stays.
  if (assignment && after.state() == v1::INCIDENT_STATE_ASSIGNED &&
      after.assignment_group().empty() && after.assignee().empty()) {
    return absl::FailedPreconditionError(
        "incident.assignment_group: an ASSIGNED incident keeps an assignment group or assignee "
        "(give another in the same call)");
  }
  after.set_priority(matrix_.PriorityFor(after.impact(), after.urgency()));
  std::optional<TransitionKind> kind;
  if (assignment && stored.state() == v1::INCIDENT_STATE_NEW &&
      (!after.assignment_group().empty() || !after.assignee().empty())) {
    after.set_state(v1::INCIDENT_STATE_ASSIGNED);
    *after.mutable_first_response_time() = base::ToProtoTimestamp(clock_.Now());
    kind = TransitionKind::kAssign;
  }
  return Finish(stored, std::move(after), "update", actor, kind);
}

absl::StatusOr<IncidentOutcome> IncidentWorkflow::Assign(const v1::Incident& stored,
                                                         const v1::AssignIncidentRequest& request,
                                                         const std::string& actor) const {
  v1::UpdateIncidentRequest update;
  update.mutable_incident()->set_id(request.id());
  update.mutable_incident()->set_version(request.version());
  update.mutable_incident()->set_assignment_group(request.assignment_group());
  update.mutable_incident()->set_assignee(request.assignee());
  update.mutable_update_mask()->add_paths("assignment_group");
  update.mutable_update_mask()->add_paths("assignee");
  ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(IncidentOutcome out, Update(stored, update, actor));
  if (out.changed()) out.action = "assign";
  return out;
}

absl::StatusOr<IncidentOutcome> IncidentWorkflow::ResolveWithParent(
    const v1::Incident& child, const v1::Incident& parent,
    const v1::TransitionIncidentRequest& request, const std::string& actor) const {
  v1::TransitionIncidentRequest resolve;
  resolve.set_id(child.id());
  resolve.set_version(child.version());
  resolve.set_target_state(v1::INCIDENT_STATE_RESOLVED);
  resolve.set_resolution_code(request.resolution_code());
  // A child is the same outage seen by another caller: its caller reads the parent's resolution
  // as theirs, under a line naming the parent (notes too long for both are cut to the limit).
  const std::string heading =
      absl::StrCat("Resolved with its parent incident ", parent.number(), ":\n");
  resolve.set_resolution_notes(absl::StrCat(
      heading, FirstCharacters(request.resolution_notes(), kMaxResolutionNotes - heading.size())));
  return Transition(child, resolve, actor);
}

absl::StatusOr<IncidentOutcome> IncidentWorkflow::Transition(
    const v1::Incident& stored, const v1::TransitionIncidentRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
                        IncidentStateMachine().Check(stored.state(), request.target_state()));
  const absl::Time now = clock_.Now();
  v1::Incident after = stored;
  after.set_state(request.target_state());
  if (stored.state() == v1::INCIDENT_STATE_NEW && !stored.has_first_response_time()) {
    // First response = the first time the incident leaves NEW (by assignment or otherwise).
    *after.mutable_first_response_time() = base::ToProtoTimestamp(now);
  }
  if (stored.state() == v1::INCIDENT_STATE_ON_HOLD) after.clear_hold_reason();
  switch (kind) {
    case TransitionKind::kAssign:
      if (stored.assignment_group().empty() && stored.assignee().empty()) {
        return absl::FailedPreconditionError(
            "assignment_group: an incident needs an assignment group or assignee to become "
            "ASSIGNED (use AssignIncident)");
      }
      break;
    case TransitionKind::kHold:
      after.set_hold_reason(request.hold_reason());
      break;
    case TransitionKind::kResolve:
      after.set_resolution_code(std::string(absl::StripAsciiWhitespace(request.resolution_code())));
      after.set_resolution_notes(request.resolution_notes());
      *after.mutable_resolve_time() = base::ToProtoTimestamp(now);
      break;
    case TransitionKind::kClose:
      *after.mutable_close_time() = base::ToProtoTimestamp(now);
      break;
    case TransitionKind::kReopen: {
      const absl::Time resolved = base::FromProtoTimestamp(stored.resolve_time());
      if (now - resolved > options_.reopen_window) {
        return absl::FailedPreconditionError(absl::StrCat(
            "target_state: the reopen window (", absl::ToInt64Hours(options_.reopen_window),
            " hours after resolution) ended at ",
            base::FormatRfc3339(resolved + options_.reopen_window),
            "; allowed from RESOLVED: CLOSED (close); record a new incident instead"));
      }
      after.set_reopen_count(stored.reopen_count() + 1);
      after.clear_resolve_time();
      after.clear_resolution_code();
      after.clear_resolution_notes();
      break;
    }
    case TransitionKind::kCancel:
      after.set_cancel_reason(request.cancel_reason());
      break;
    default:
      break;
  }
  return Finish(stored, std::move(after), TransitionKindName(kind), actor, kind);
}

IncidentOutcome IncidentWorkflow::Note(const v1::Incident& stored,
                                       const v1::AddIncidentNoteRequest& request,
                                       const std::string& actor) const {
  IncidentOutcome out = Noted(stored, request.visibility(), request.text(), clock_.Now());
  auto e = NoteEvent<v1::IncidentCommented>(request.visibility(), request.text(), actor);
  *e->mutable_incident() = out.after;
  out.events.push_back(std::move(e));
  return out;
}

IncidentOutcome IncidentWorkflow::Finish(const v1::Incident& before, v1::Incident after,
                                         std::string action, const std::string& actor,
                                         std::optional<TransitionKind> kind) const {
  IncidentOutcome out =
      records::Versioned(before, std::move(after), std::move(action), clock_.Now());
  if (!out.changed()) return out;
  const v1::Incident& a = out.after;

  const bool priority_changed = before.priority() != a.priority();
  std::vector<std::string> updated, priority, assigned, state;
  for (const auto& c : out.changes) {
    const std::string& f = c.field();
    if (kStateFields.contains(f))
      state.push_back(f);
    else if (kAssignmentFields.contains(f))
      assigned.push_back(f);
    else if (priority_changed && kPriorityFields.contains(f))
      priority.push_back(f);
    else
      updated.push_back(f);
  }
  // Order within one change: the plain fields, then priority, then assignment, then the state
  // change they may have caused (assigning a NEW incident makes it ASSIGNED).
  if (!updated.empty()) out.events.push_back(NewEvent<v1::IncidentUpdated>(a, actor, updated));
  if (!priority.empty()) {
    auto e = NewEvent<v1::IncidentPriorityChanged>(a, actor, priority);
    e->set_previous_priority(before.priority());
    e->set_new_priority(a.priority());
    out.events.push_back(std::move(e));
  }
  if (!assigned.empty()) {
    auto e = NewEvent<v1::IncidentAssigned>(a, actor, assigned);
    e->set_previous_assignment_group(before.assignment_group());
    e->set_previous_assignee(before.assignee());
    out.events.push_back(std::move(e));
  }
  if (!state.empty() && kind) {
    switch (*kind) {
      case TransitionKind::kResolve: {
        auto e = NewEvent<v1::IncidentResolved>(a, actor, state);
        e->set_previous_state(before.state());
        out.events.push_back(std::move(e));
        break;
      }
      case TransitionKind::kClose:
        out.events.push_back(NewEvent<v1::IncidentClosed>(a, actor, state));
        break;
      case TransitionKind::kReopen:
        out.events.push_back(NewEvent<v1::IncidentReopened>(a, actor, state));
        break;
      case TransitionKind::kCancel: {
        auto e = NewEvent<v1::IncidentCancelled>(a, actor, state);
        e->set_previous_state(before.state());
        out.events.push_back(std::move(e));
        break;
      }
      default: {
        auto e = NewEvent<v1::IncidentStateChanged>(a, actor, state);
        e->set_previous_state(before.state());
        e->set_new_state(a.state());
        out.events.push_back(std::move(e));
        break;
      }
    }
  }
  return out;
}

}  // namespace itsm::incident
