#include "services/incident/src/problem_workflow.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/ids.h"
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

absl::Status Required(const char* field, const std::string& value) {
  if (base::IsBlank(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  return absl::OkStatus();
}

absl::Status OptionalLevel(const char* field, int value, int levels) {
  return value == 0 ? absl::OkStatus() : CheckLevel(field, value, levels);
}

// The fields a state change sets: announced by the state event, the rest by *Updated.
const std::set<std::string> kProblemStateFields = {
    "state",           "known_error_time", "resolve_time", "close_time",
    "resolution_code", "resolution_notes", "cancel_reason"};
const std::set<std::string> kRequestStateFields = {
    "state",         "approver",     "decision_reason", "approve_time",     "reject_time",
    "cancel_reason", "fulfill_time", "close_time",      "fulfillment_notes"};

template <typename Event>
std::shared_ptr<Event> ProblemEvent(const v1::Problem& after, const std::string& actor,
                                    const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_problem() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

template <typename Event>
std::shared_ptr<Event> RequestEvent(const v1::ServiceRequest& after, const std::string& actor,
                                    const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_service_request() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

// Version, update time and diff; splits the changed fields into state-owned and other.
template <typename Record>
Outcome<Record> Finish(const Record& before, Record after, std::string action,
                       const base::Clock& clock, const std::set<std::string>& state_fields,
                       std::vector<std::string>& other, std::vector<std::string>& state) {
  Outcome<Record> out =
      records::Versioned(before, std::move(after), std::move(action), clock.Now());
  for (const auto& c : out.changes) {
    (state_fields.contains(c.field()) ? state : other).push_back(c.field());
  }
  return out;
}

int OrLowest(int value, int levels) { return value == 0 ? levels : value; }

const records::UpdatableFields kProblemFields{
    .paths = {"title", "description", "root_cause", "workaround", "service",
              "configuration_item_ids", "category", "impact", "urgency", "assignment_group",
              "assignee"},
    .elsewhere = {{"state", "TransitionProblem"}}};
const records::UpdatableFields kRequestFields{
    .paths = {"catalog_item", "title", "description", "requested_for", "quantity", "service",
              "impact", "urgency", "assignment_group", "assignee"},
    .elsewhere = {{"state", "TransitionServiceRequest"}}};

// The names other records, queues and SLA conditions match exactly: refused padded or blank
// rather than stored to match nothing; the assignee as a person's name. `prefix` is the
// record's field path ("" on create); with an update's `mask`, only the names it sets are
// checked.
absl::Status CheckMatchedNames(
    const std::string& prefix,
    std::initializer_list<std::pair<const char*, const std::string*>> names,
    const google::protobuf::FieldMask* mask = nullptr) {
  for (const auto& [field, value] : names) {
    if (mask != nullptr &&
        std::find(mask->paths().begin(), mask->paths().end(), field) == mask->paths().end()) {
      continue;
    }
    const std::string path = absl::StrCat(prefix, field);
    ITSM_RETURN_IF_ERROR(absl::string_view(field) == "assignee"
                             ? base::CheckPersonName(path, *value)
                             : base::CheckMatchedName(path, *value));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Problems ----

absl::Status ProblemWorkflow::ValidateCreate(const v1::CreateProblemRequest& r) const {
  ITSM_RETURN_IF_ERROR(Required("title", r.title()));
  ITSM_RETURN_IF_ERROR(CheckMatchedNames("", {{"service", &r.service()},
                                              {"category", &r.category()},
                                              {"assignment_group", &r.assignment_group()},
                                              {"assignee", &r.assignee()}}));
  ITSM_RETURN_IF_ERROR(CheckIds("configuration_item_ids", r.configuration_item_ids()));
  ITSM_RETURN_IF_ERROR(OptionalLevel("impact", r.impact(), matrix_.impact_levels()));
  return OptionalLevel("urgency", r.urgency(), matrix_.urgency_levels());
}

v1::Problem ProblemWorkflow::NewProblem(const v1::CreateProblemRequest& r,
                                        const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Problem p;
  p.set_id(base::NewUuid());
  p.set_title(std::string(absl::StripAsciiWhitespace(r.title())));
  p.set_description(r.description());
  p.set_root_cause(r.root_cause());
  p.set_workaround(r.workaround());
  p.set_state(v1::PROBLEM_STATE_NEW);
  p.set_service(r.service());
  *p.mutable_configuration_item_ids() = r.configuration_item_ids();
  p.set_category(r.category());
  p.set_impact(OrLowest(r.impact(), matrix_.impact_levels()));
  p.set_urgency(OrLowest(r.urgency(), matrix_.urgency_levels()));
  p.set_priority(matrix_.PriorityFor(p.impact(), p.urgency()));
  p.set_assignment_group(r.assignment_group());
  p.set_assignee(r.assignee());
  p.set_created_by(actor);
  *p.mutable_create_time() = now;
  *p.mutable_update_time() = now;
  p.set_version(1);
  return p;
}

ProblemOutcome ProblemWorkflow::Created(const v1::Problem& problem,
                                        const std::string& actor) const {
  ProblemOutcome out;
  out.after = problem;
  out.action = "create";
  out.changes = records::DiffFields(v1::Problem(), problem);
  out.events.push_back(
      ProblemEvent<v1::ProblemCreated>(problem, actor, records::FieldNames(out.changes)));
  return out;
}

absl::Status ProblemWorkflow::ValidateUpdate(const v1::UpdateProblemRequest& request) const {
  const auto& r = request.problem();
  if (r.id().empty()) return absl::InvalidArgumentError("problem.id: required");
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), kProblemFields));
  for (const auto& path : request.update_mask().paths()) {
    if (path == "title") {
      ITSM_RETURN_IF_ERROR(Required("problem.title", r.title()));
    }
    if (path == "impact")
      ITSM_RETURN_IF_ERROR(CheckLevel("problem.impact", r.impact(), matrix_.impact_levels()));
    if (path == "urgency")
      ITSM_RETURN_IF_ERROR(CheckLevel("problem.urgency", r.urgency(), matrix_.urgency_levels()));
    if (path == "configuration_item_ids")
      ITSM_RETURN_IF_ERROR(CheckIds("problem.configuration_item_ids", r.configuration_item_ids()));
  }
  return CheckMatchedNames("problem.",
                           {{"service", &r.service()},
                            {"category", &r.category()},
                            {"assignment_group", &r.assignment_group()},
                            {"assignee", &r.assignee()}},
                           &request.update_mask());
}

absl::StatusOr<ProblemOutcome> ProblemWorkflow::Update(const v1::Problem& stored,
                                                       const v1::UpdateProblemRequest& request,
                                                       const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(
      CheckVersion(stored.version(), request.problem().version(), "problem.version"));
  if (ProblemStateMachine().IsFinal(stored.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: ", ProblemStateName(stored.state()), " problems cannot be changed"));
  }
  v1::Problem after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.problem(), after);
  // The rule of the transition holds as long as the problem is a known error (it stays one
  // after its resolution): the known-error database never lists one without a workaround.
  if (after.has_known_error_time() && base::IsBlank(after.workaround())) {
    return absl::FailedPreconditionError(absl::StrCat("problem.workaround: ", stored.number(),
                                                      " is a known error; its workaround can be "
                                                      "rewritten, not removed"));
  }
  // Likewise a resolved problem keeps the root cause its resolution needed.
  if (after.has_resolve_time() && base::IsBlank(after.root_cause())) {
    return absl::FailedPreconditionError(absl::StrCat("problem.root_cause: ", stored.number(),
                                                      " is resolved; its root cause can be "
                                                      "rewritten, not removed"));
  }
  after.set_title(std::string(absl::StripAsciiWhitespace(after.title())));
  after.set_priority(matrix_.PriorityFor(after.impact(), after.urgency()));
  std::vector<std::string> other, state;
  auto out = Finish(stored, std::move(after), "update", clock_, kProblemStateFields, other, state);
  if (!other.empty())
    out.events.push_back(ProblemEvent<v1::ProblemUpdated>(out.after, actor, other));
  return out;
}

absl::Status ProblemWorkflow::ValidateTransition(const v1::TransitionProblemRequest& r) const {
  if (r.id().empty()) return absl::InvalidArgumentError("id: required");
  if (!v1::ProblemState_IsValid(r.target_state()) ||
      r.target_state() == v1::PROBLEM_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_state: unknown state ", static_cast<int>(r.target_state())));
  }
  const std::string target = ProblemStateName(r.target_state());
  if (r.target_state() == v1::PROBLEM_STATE_RESOLVED) {
    ITSM_RETURN_IF_ERROR(Required("resolution_code", r.resolution_code()));
    ITSM_RETURN_IF_ERROR(Required("resolution_notes", r.resolution_notes()));
  } else {
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("resolution_code", !r.resolution_code().empty(), target));
    ITSM_RETURN_IF_ERROR(
        NotKeptOnThisMove("resolution_notes", !r.resolution_notes().empty(), target));
  }
  if (r.target_state() == v1::PROBLEM_STATE_CANCELLED) {
    if (base::IsBlank(r.reason())) {
      return absl::InvalidArgumentError(
          "reason: required to cancel a problem (why it is withdrawn)");
    }
  } else {
    ITSM_RETURN_IF_ERROR(NotKeptOnThisMove("reason", !r.reason().empty(), target));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProblemOutcome> ProblemWorkflow::Transition(
    const v1::Problem& stored, const v1::TransitionProblemRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
                        ProblemStateMachine().Check(stored.state(), request.target_state()));
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Problem after = stored;
  after.set_state(request.target_state());
  switch (kind) {
    case TransitionKind::kKnownError:
      if (base::IsBlank(stored.workaround())) {
        return absl::FailedPreconditionError(
            "workaround: required before a problem becomes a KNOWN_ERROR (UpdateProblem first)");
      }
      *after.mutable_known_error_time() = now;
      break;
    case TransitionKind::kResolve:
      // Problem management is about causes: a problem is resolved once its cause is recorded.
      if (base::IsBlank(stored.root_cause())) {
        return absl::FailedPreconditionError(
            "root_cause: required before a problem is resolved (UpdateProblem first)");
      }
      after.set_resolution_code(std::string(absl::StripAsciiWhitespace(request.resolution_code())));
      after.set_resolution_notes(request.resolution_notes());
      *after.mutable_resolve_time() = now;
      break;
    case TransitionKind::kClose:
      *after.mutable_close_time() = now;
      break;
    case TransitionKind::kCancel:
      after.set_cancel_reason(request.reason());
      break;
    default:
      break;
  }
  std::vector<std::string> other, state;
  auto out = Finish(stored, std::move(after), TransitionKindName(kind), clock_, kProblemStateFields,
                    other, state);
  state.insert(state.end(), other.begin(), other.end());
  switch (kind) {
    case TransitionKind::kKnownError: {
      auto e = ProblemEvent<v1::KnownErrorPublished>(out.after, actor, state);
      e->set_previous_state(stored.state());
      out.events.push_back(std::move(e));
      break;
    }
    case TransitionKind::kResolve: {
      // resolved_incident_ids is filled in by the caller, who resolves the linked incidents.
      auto e = ProblemEvent<v1::ProblemResolved>(out.after, actor, state);
      e->set_previous_state(stored.state());
      out.events.push_back(std::move(e));
      break;
    }
    case TransitionKind::kClose:
      out.events.push_back(ProblemEvent<v1::ProblemClosed>(out.after, actor, state));
      break;
    default: {
      auto e = ProblemEvent<v1::ProblemStateChanged>(out.after, actor, state);
      e->set_previous_state(stored.state());
      e->set_new_state(out.after.state());
      out.events.push_back(std::move(e));
      break;
    }
  }
  return out;
}

// ---- Service requests ----

absl::Status ServiceRequestWorkflow::ValidateCreate(
    const v1::CreateServiceRequestRequest& r) const {
  ITSM_RETURN_IF_ERROR(Required("catalog_item", r.catalog_item()));
  // The item is stored without the ASCII blanks around it (as ever); other blanks are refused.
  const std::string item(absl::StripAsciiWhitespace(r.catalog_item()));
  ITSM_RETURN_IF_ERROR(CheckMatchedNames("", {{"catalog_item", &item},
                                              {"service", &r.service()},
                                              {"assignment_group", &r.assignment_group()},
                                              {"assignee", &r.assignee()}}));
  ITSM_RETURN_IF_ERROR(CheckPersonField("requested_for", r.requested_for()));
  if (r.quantity() < 0 || r.quantity() > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantity: must be 1..", kMaxQuantity, ", got ", r.quantity()));
  }
  ITSM_RETURN_IF_ERROR(OptionalLevel("impact", r.impact(), matrix_.impact_levels()));
  return OptionalLevel("urgency", r.urgency(), matrix_.urgency_levels());
}

v1::ServiceRequest ServiceRequestWorkflow::NewServiceRequest(
    const v1::CreateServiceRequestRequest& r, const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::ServiceRequest s;
  s.set_id(base::NewUuid());
  s.set_catalog_item(std::string(absl::StripAsciiWhitespace(r.catalog_item())));
  s.set_title(r.title().empty() ? s.catalog_item()
                                : std::string(absl::StripAsciiWhitespace(r.title())));
  s.set_description(r.description());
  s.set_requested_for(r.requested_for().empty() ? actor : r.requested_for());
  s.set_quantity(r.quantity() == 0 ? 1 : r.quantity());
  s.set_service(r.service());
  s.set_impact(OrLowest(r.impact(), matrix_.impact_levels()));
  s.set_urgency(OrLowest(r.urgency(), matrix_.urgency_levels()));
  s.set_priority(matrix_.PriorityFor(s.impact(), s.urgency()));
  s.set_state(v1::SERVICE_REQUEST_STATE_SUBMITTED);
  s.set_assignment_group(r.assignment_group());
  s.set_assignee(r.assignee());
  s.set_created_by(actor);
  *s.mutable_create_time() = now;
  *s.mutable_update_time() = now;
  s.set_version(1);
  return s;
}

ServiceRequestOutcome ServiceRequestWorkflow::Created(const v1::ServiceRequest& request,
                                                      const std::string& actor) const {
  ServiceRequestOutcome out;
  out.after = request;
  out.action = "create";
  out.changes = records::DiffFields(v1::ServiceRequest(), request);
  out.events.push_back(
      RequestEvent<v1::ServiceRequestCreated>(request, actor, records::FieldNames(out.changes)));
  return out;
}

absl::Status ServiceRequestWorkflow::ValidateUpdate(
    const v1::UpdateServiceRequestRequest& request) const {
  const auto& r = request.service_request();
  if (r.id().empty()) return absl::InvalidArgumentError("service_request.id: required");
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), kRequestFields));
  for (const auto& path : request.update_mask().paths()) {
    if (path == "catalog_item")
      ITSM_RETURN_IF_ERROR(Required("service_request.catalog_item", r.catalog_item()));
    if (path == "title") ITSM_RETURN_IF_ERROR(Required("service_request.title", r.title()));
    if (path == "requested_for")
      ITSM_RETURN_IF_ERROR(Required("service_request.requested_for", r.requested_for()));
    if (path == "requested_for")
      ITSM_RETURN_IF_ERROR(CheckPersonField("service_request.requested_for", r.requested_for()));
    if (path == "quantity" && (r.quantity() < 1 || r.quantity() > kMaxQuantity)) {
      return absl::InvalidArgumentError(absl::StrCat("service_request.quantity: must be 1..",
                                                     kMaxQuantity, ", got ", r.quantity()));
    }
    if (path == "impact")
      ITSM_RETURN_IF_ERROR(
          CheckLevel("service_request.impact", r.impact(), matrix_.impact_levels()));
    if (path == "urgency")
      ITSM_RETURN_IF_ERROR(
          CheckLevel("service_request.urgency", r.urgency(), matrix_.urgency_levels()));
  }
  return CheckMatchedNames("service_request.",
                           {{"catalog_item", &r.catalog_item()},
                            {"service", &r.service()},
                            {"assignment_group", &r.assignment_group()},
                            {"assignee", &r.assignee()}},
                           &request.update_mask());
}

absl::StatusOr<ServiceRequestOutcome> ServiceRequestWorkflow::Update(
    const v1::ServiceRequest& stored, const v1::UpdateServiceRequestRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.service_request().version(),
                                    "service_request.version"));
  if (ServiceRequestStateMachine().IsFinal(stored.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state: ", ServiceRequestStateName(stored.state()), " service requests cannot be changed"));
  }
  ITSM_RETURN_IF_ERROR(CheckDecisionKept(stored, request));
  v1::ServiceRequest after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.service_request(), after);
  // A title that was the catalogue item's (the default) follows the item it names, unless the
  // update sets the title too: "Visio" must not stay the title of a request for Project.
  if (stored.title() == stored.catalog_item() &&
      records::MaskNames(request.update_mask(), "catalog_item") &&
      !records::MaskNames(request.update_mask(), "title")) {
    after.set_title(after.catalog_item());
  }
  after.set_priority(matrix_.PriorityFor(after.impact(), after.urgency()));
  std::vector<std::string> other, state;
  auto out = Finish(stored, std::move(after), "update", clock_, kRequestStateFields, other, state);
  if (!other.empty()) {
    out.events.push_back(RequestEvent<v1::ServiceRequestUpdated>(out.after, actor, other));
  }
  return out;
}

absl::Status ServiceRequestWorkflow::ValidateTransition(
    const v1::TransitionServiceRequestRequest& r) const {
  if (r.id().empty()) return absl::InvalidArgumentError("id: required");
  if (!v1::ServiceRequestState_IsValid(r.target_state()) ||
      r.target_state() == v1::SERVICE_REQUEST_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_state: unknown state ", static_cast<int>(r.target_state())));
  }
  if (r.target_state() == v1::SERVICE_REQUEST_STATE_REJECTED ||
      r.target_state() == v1::SERVICE_REQUEST_STATE_CANCELLED) {
    if (base::IsBlank(r.reason())) {
      return absl::InvalidArgumentError(
          absl::StrCat("reason: required to move a service request to ",
                       ServiceRequestStateName(r.target_state())));
    }
  }
  // Starting fulfilment and closing keep no reason: text sent with them would be lost.
  if (r.target_state() == v1::SERVICE_REQUEST_STATE_FULFILLING ||
      r.target_state() == v1::SERVICE_REQUEST_STATE_CLOSED) {
    ITSM_RETURN_IF_ERROR(NotKeptOnThisMove("reason", !r.reason().empty(),
                                           ServiceRequestStateName(r.target_state())));
  }
  return absl::OkStatus();
}

// What an approval or rejection judged stays as it was judged: a request approved for one
// standard laptop is not fulfilled as a thousand executive ones for someone else. To ask for
// something else, cancel it and raise a new request.
absl::Status ServiceRequestWorkflow::CheckDecisionKept(
    const v1::ServiceRequest& stored, const v1::UpdateServiceRequestRequest& request) const {
  if (stored.state() == v1::SERVICE_REQUEST_STATE_SUBMITTED) return absl::OkStatus();
  static const auto* const kJudged = new std::set<std::string>{
      "catalog_item", "title", "description", "requested_for", "quantity"};
  v1::ServiceRequest after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.service_request(), after);
  for (const auto& c : records::DiffFields(stored, after)) {
    if (kJudged->contains(c.field())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "service_request.", c.field(), ": ", stored.number(), " was ",
          stored.state() == v1::SERVICE_REQUEST_STATE_REJECTED ? "rejected" : "approved",
          " as it is; cancel it and raise a new request to ask for something else"));
    }
  }
  return absl::OkStatus();
}

// Segregation of duties, as for changes (decision 233): the person a request is for, or was for
// before an edit (editing oneself out does not make one an outsider), or who raised it, does not
// decide it, whatever their roles.
absl::Status ServiceRequestWorkflow::CheckMayDecide(
    const v1::ServiceRequest& stored, const std::string& actor,
    const std::vector<std::string>& former_beneficiaries) const {
  if (options_.allow_self_approval) return absl::OkStatus();
  const bool was_for =
      std::any_of(former_beneficiaries.begin(), former_beneficiaries.end(),
                  [&](const std::string& p) { return auth::SamePerson(p, actor); });
  const char* relation = auth::SamePerson(stored.requested_for(), actor) ? "is for"
                         : was_for                                       ? "was for"
                         : auth::SamePerson(stored.created_by(), actor)  ? "was raised by"
                                                                         : nullptr;
  if (relation == nullptr) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "target_state: ", stored.number(), " ", relation, " ", actor,
      ", who may not approve or reject it (segregation of duties; the incident service's "
      "request_self_approval setting lifts the rule)"));
}

absl::StatusOr<ServiceRequestOutcome> ServiceRequestWorkflow::Transition(
    const v1::ServiceRequest& stored, const v1::TransitionServiceRequestRequest& request,
    const std::string& actor, const std::vector<std::string>& former_beneficiaries) const {
  ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
                        ServiceRequestStateMachine().Check(stored.state(), request.target_state()));
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::ServiceRequest after = stored;
  after.set_state(request.target_state());
  switch (kind) {
    case TransitionKind::kApprove:
    case TransitionKind::kReject:
      ITSM_RETURN_IF_ERROR(CheckMayDecide(stored, actor, former_beneficiaries));
      after.set_approver(actor);
      after.set_decision_reason(request.reason());
      *(kind == TransitionKind::kApprove ? after.mutable_approve_time()
                                         : after.mutable_reject_time()) = now;
      break;
    case TransitionKind::kFulfil:
      *after.mutable_fulfill_time() = now;
      if (!request.reason().empty()) after.set_fulfillment_notes(request.reason());
      break;
    case TransitionKind::kClose:
      *after.mutable_close_time() = now;
      break;
    case TransitionKind::kCancel:
      after.set_cancel_reason(request.reason());
      *after.mutable_close_time() = now;
      break;
    default:
      break;
  }
  std::vector<std::string> other, state;
  auto out = Finish(stored, std::move(after), TransitionKindName(kind), clock_, kRequestStateFields,
                    other, state);
  state.insert(state.end(), other.begin(), other.end());
  auto e = RequestEvent<v1::ServiceRequestStateChanged>(out.after, actor, state);
  e->set_previous_state(stored.state());
  e->set_new_state(out.after.state());
  out.events.push_back(std::move(e));
  return out;
}

ProblemOutcome ProblemWorkflow::Note(const v1::Problem& stored,
                                     const v1::AddRecordNoteRequest& request,
                                     const std::string& actor) const {
  ProblemOutcome out = Noted(stored, request.visibility(), request.text(), clock_.Now());
  auto e = NoteEvent<v1::ProblemCommented>(request.visibility(), request.text(), actor);
  *e->mutable_problem() = out.after;
  out.events.push_back(std::move(e));
  return out;
}

ServiceRequestOutcome ServiceRequestWorkflow::Note(const v1::ServiceRequest& stored,
                                                   const v1::AddRecordNoteRequest& request,
                                                   const std::string& actor) const {
  ServiceRequestOutcome out = Noted(stored, request.visibility(), request.text(), clock_.Now());
  auto e = NoteEvent<v1::ServiceRequestCommented>(request.visibility(), request.text(), actor);
  *e->mutable_service_request() = out.after;
  out.events.push_back(std::move(e));
  return out;
}

}  // namespace itsm::incident
