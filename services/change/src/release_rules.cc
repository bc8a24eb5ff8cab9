#include "services/change/src/release_rules.h"

#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/record_ids.h"
#include "services/change/src/change_factory.h"
#include "services/change/src/change_state_machine.h"

namespace itsm::change {
namespace {

// A release spans at most a year; a deployment at most a change's slot (31 days).
constexpr absl::Duration kMaxReleaseSpan = absl::Hours(24 * 366);

const records::UpdatableFields kReleaseFields{
    .paths = {"title", "description", "kind", "change_ids", "planned_start_time",
              "planned_end_time", "assignment_group", "owner"},
    .elsewhere = {{"state", "TransitionRelease"},
                  {"close_notes", "TransitionRelease"},
                  {"deployments", "AddDeployment or UpdateDeployment"}}};
const records::UpdatableFields kDeploymentFields{
    .paths = {"environment", "planned_start_time", "planned_end_time", "configuration_item_ids",
              "notes", "state", "outcome"}};
constexpr int kMaxDeployments = 20;

template <typename Event>
std::shared_ptr<Event> NewEvent(const v1::Release& after, const std::string& actor,
                                const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_release() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

absl::Status CheckKind(v1::ReleaseKind kind, const char* field) {
  if (kind == v1::RELEASE_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required (MAJOR, MINOR or EMERGENCY)"));
  }
  if (!v1::ReleaseKind_IsValid(kind)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": unknown value ", static_cast<int>(kind), " (MAJOR, MINOR or EMERGENCY)"));
  }
  return absl::OkStatus();
}

absl::Status CheckTitle(const std::string& title, const char* field) {
  if (base::IsBlank(title)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  return absl::OkStatus();
}

// Either bound may be missing; when both are there, the end is after the start, within a year.
absl::Status CheckReleaseDates(const v1::Release& r, const std::string& prefix) {
  if (!r.has_planned_start_time() || !r.has_planned_end_time()) return absl::OkStatus();
  const absl::Time s = base::FromProtoTimestamp(r.planned_start_time());
  const absl::Time e = base::FromProtoTimestamp(r.planned_end_time());
  if (e <= s) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "planned_end_time: must be after ", prefix, "planned_start_time"));
  }
  if (e - s > kMaxReleaseSpan) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "planned_end_time: at most 366 days after ", prefix, "planned_start_time"));
  }
  return absl::OkStatus();
}

absl::Status CheckOutcome(v1::DeploymentOutcome outcome, const char* field) {
  if (!v1::DeploymentOutcome_IsValid(outcome)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown outcome ", outcome));
  }
  return absl::OkStatus();
}

absl::Status CheckOpen(const v1::Release& stored) {
  if (!IsOpen(stored.state())) {
    return absl::FailedPreconditionError(absl::StrCat("state: release ", stored.number(), " is ",
                                                      ReleaseStateName(stored.state()),
                                                      " and can no longer change"));
  }
  return absl::OkStatus();
}

absl::Status CheckNoDeploymentInProgress(const v1::Release& stored) {
  for (const v1::Deployment& d : stored.deployments()) {
    if (d.state() == v1::DEPLOYMENT_STATE_IN_PROGRESS) {
      return absl::FailedPreconditionError(
          absl::StrCat("target_state: deployment ", d.id(), " (", d.environment(),
                       ") is in progress; complete or cancel it first"));
    }
  }
  return absl::OkStatus();
}

// A deployment started or completed: the release's changes reached an environment.
bool HasDeployed(const v1::Release& release) {
  for (const v1::Deployment& d : release.deployments()) {
    if (d.state() == v1::DEPLOYMENT_STATE_IN_PROGRESS ||
        d.state() == v1::DEPLOYMENT_STATE_COMPLETED) {
      return true;
    }
  }
  return false;
}

// FAILED_PRECONDITION naming the changes that keep the release from deploying.
absl::Status RequireReady(const v1::Release& release, const std::vector<v1::Change>& changes,
                          const std::string& field, const std::string& what) {
  const v1::ReleaseReadiness readiness = Readiness(changes);
  if (readiness.ready()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(field, ": release ", release.number(),
                                                    " cannot ", what, ": ", readiness.reason()));
}

}  // namespace

bool IsAuthorised(const v1::Change& change) {
  if (change.state() == v1::CHANGE_STATE_CANCELLED) return false;
  const v1::ApprovalOutcome o = change.approval().outcome();
  return o == v1::APPROVAL_OUTCOME_APPROVED || o == v1::APPROVAL_OUTCOME_PRE_APPROVED;
}

v1::ReleaseReadiness Readiness(const std::vector<v1::Change>& changes) {
  v1::ReleaseReadiness out;
  std::vector<std::string> why;
  for (const v1::Change& c : changes) {
    if (IsAuthorised(c)) continue;
    v1::UnauthorisedChange* b = out.add_blocking();
    b->set_change_id(c.id());
    b->set_number(c.number());
    b->set_state(c.state());
    b->set_approval_outcome(c.approval().outcome());
    std::string approval = v1::ApprovalOutcome_Name(c.approval().outcome());
    approval = approval.substr(std::string("APPROVAL_OUTCOME_").size());
    why.push_back(c.state() == v1::CHANGE_STATE_CANCELLED
                      ? absl::StrCat(c.number(), " is CANCELLED")
                      : absl::StrCat(c.number(), " is in ", ChangeStateName(c.state()),
                                     ", approval ", approval));
  }
  if (changes.empty()) {
    out.set_reason("it has no changes");
  } else if (!why.empty()) {
    out.set_reason(absl::StrCat("not authorised: ", absl::StrJoin(why, "; ")));
  }
  out.set_ready(!changes.empty() && why.empty());
  return out;
}

absl::Status ReleaseRules::ValidateCreate(const v1::CreateReleaseRequest& r) const {
  ITSM_RETURN_IF_ERROR(CheckKind(r.kind(), "kind"));
  ITSM_RETURN_IF_ERROR(CheckTitle(r.title(), "title"));
  ITSM_RETURN_IF_ERROR(records::CheckIds("change_ids", r.change_ids()));
  // Names list filters match: " release-team" would match nothing.
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("assignment_group", r.assignment_group()));
  ITSM_RETURN_IF_ERROR(base::CheckPersonName("owner", r.owner()));
  v1::Release dates;
  if (r.has_planned_start_time()) *dates.mutable_planned_start_time() = r.planned_start_time();
  if (r.has_planned_end_time()) *dates.mutable_planned_end_time() = r.planned_end_time();
  return CheckReleaseDates(dates, "");
}

absl::Status ReleaseRules::ValidateUpdate(const v1::UpdateReleaseRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.release().id(), "release.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(r.update_mask(), kReleaseFields));
  if (records::MaskNames(r.update_mask(), "assignment_group")) {
    ITSM_RETURN_IF_ERROR(
        base::CheckMatchedName("release.assignment_group", r.release().assignment_group()));
  }
  if (records::MaskNames(r.update_mask(), "owner")) {
    ITSM_RETURN_IF_ERROR(base::CheckPersonName("release.owner", r.release().owner()));
  }
  return records::CheckIds("release.change_ids", r.release().change_ids());
}

absl::Status ReleaseRules::ValidateTransition(const v1::TransitionReleaseRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id()));
  if (r.target_state() == v1::RELEASE_STATE_UNSPECIFIED ||
      !v1::ReleaseState_IsValid(r.target_state())) {
    return absl::InvalidArgumentError("target_state: required (a release state)");
  }
  if (!r.close_notes().empty() && r.target_state() != v1::RELEASE_STATE_CLOSED &&
      r.target_state() != v1::RELEASE_STATE_CANCELLED) {
    return absl::InvalidArgumentError("close_notes: only when closing or cancelling");
  }
  return absl::OkStatus();
}

absl::Status ReleaseRules::ValidateAddDeployment(const v1::AddDeploymentRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.release_id(), "release_id"));
  if (base::IsBlank(r.environment())) {
    return absl::InvalidArgumentError("environment: required (e.g. production)");
  }
  ITSM_RETURN_IF_ERROR(records::CheckIds("configuration_item_ids", r.configuration_item_ids()));
  return CheckSlot(r.has_planned_start_time() ? &r.planned_start_time() : nullptr,
                   r.has_planned_end_time() ? &r.planned_end_time() : nullptr, "planned_start_time",
                   "planned_end_time", false);
}

absl::Status ReleaseRules::ValidateUpdateDeployment(const v1::UpdateDeploymentRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.release_id(), "release_id"));
  ITSM_RETURN_IF_ERROR(records::CheckId(r.deployment().id(), "deployment.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(r.update_mask(), kDeploymentFields));
  for (const std::string& path : r.update_mask().paths()) {
    if (path == "environment" && base::IsBlank(r.deployment().environment())) {
      return absl::InvalidArgumentError("deployment.environment: required (e.g. production)");
    }
    if (path == "state" && (r.deployment().state() == v1::DEPLOYMENT_STATE_UNSPECIFIED ||
                            !v1::DeploymentState_IsValid(r.deployment().state()))) {
      return absl::InvalidArgumentError("deployment.state: required (a deployment state)");
    }
    if (path == "outcome") {
      ITSM_RETURN_IF_ERROR(CheckOutcome(r.deployment().outcome(), "deployment.outcome"));
    }
  }
  return records::CheckIds("deployment.configuration_item_ids",
                           r.deployment().configuration_item_ids());
}

v1::Release ReleaseRules::NewRelease(const v1::CreateReleaseRequest& r,
                                     const std::vector<std::string>& change_ids,
                                     const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Release out;
  out.set_id(base::NewUuid());
  out.set_kind(r.kind());
  out.set_state(v1::RELEASE_STATE_PLANNED);
  out.set_title(std::string(absl::StripAsciiWhitespace(r.title())));
  out.set_description(r.description());
  out.mutable_change_ids()->Assign(change_ids.begin(), change_ids.end());
  if (r.has_planned_start_time()) *out.mutable_planned_start_time() = r.planned_start_time();
  if (r.has_planned_end_time()) *out.mutable_planned_end_time() = r.planned_end_time();
  out.set_assignment_group(r.assignment_group());
  out.set_owner(r.owner());
  out.set_created_by(actor);
  *out.mutable_create_time() = now;
  *out.mutable_update_time() = now;
  out.set_version(1);
  return out;
}

absl::StatusOr<v1::Release> ReleaseRules::Update(const v1::Release& stored,
                                                 const v1::UpdateReleaseRequest& request,
                                                 const std::vector<std::string>& change_ids,
                                                 const std::vector<v1::Change>& changes) const {
  ITSM_RETURN_IF_ERROR(
      records::CheckVersion(stored.version(), request.release().version(), "release.version"));
  ITSM_RETURN_IF_ERROR(CheckOpen(stored));
  v1::Release after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.release(), after);
  after.set_title(std::string(absl::StripAsciiWhitespace(after.title())));
  ITSM_RETURN_IF_ERROR(CheckTitle(after.title(), "release.title"));
  ITSM_RETURN_IF_ERROR(CheckKind(after.kind(), "release.kind"));
  ITSM_RETURN_IF_ERROR(CheckReleaseDates(after, "release."));
  bool changes_named = false;
  for (const std::string& p : request.update_mask().paths()) changes_named |= p == "change_ids";
  if (changes_named) {
    // What was deployed stays the release's content: a change list rewritten afterwards would
    // make the record name changes that never went out and drop the ones that did.
    std::vector<std::string> before(stored.change_ids().begin(), stored.change_ids().end());
    std::vector<std::string> now = change_ids;
    std::sort(before.begin(), before.end());
    std::sort(now.begin(), now.end());
    if (before != now && HasDeployed(stored)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "release.change_ids: ", stored.number(),
          " has deployed its changes; they stay its content (more changes: a new release)"));
    }
    after.mutable_change_ids()->Assign(change_ids.begin(), change_ids.end());
    // Deploying already: a change added now must be as authorised as the others were.
    if (stored.state() == v1::RELEASE_STATE_DEPLOY) {
      ITSM_RETURN_IF_ERROR(RequireReady(stored, changes, "release.change_ids", "keep deploying"));
    }
  }
  return after;
}

absl::StatusOr<v1::Release> ReleaseRules::Transition(const v1::Release& stored,
                                                     const v1::TransitionReleaseRequest& request,
                                                     const std::vector<v1::Change>& changes) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(ReleaseStep step,
                        ReleaseStateMachine().Check(stored.state(), request.target_state()));
  v1::Release after = stored;
  switch (step) {
    case ReleaseStep::kDeploy:
      ITSM_RETURN_IF_ERROR(RequireReady(stored, changes, "target_state", "deploy"));
      break;
    case ReleaseStep::kReview: {
      ITSM_RETURN_IF_ERROR(CheckNoDeploymentInProgress(stored));
      bool completed = false;
      for (const v1::Deployment& d : stored.deployments()) {
        completed |= d.state() == v1::DEPLOYMENT_STATE_COMPLETED;
      }
      if (!completed) {
        return absl::FailedPreconditionError(
            "target_state: a release is reviewed after at least one completed deployment");
      }
      break;
    }
    case ReleaseStep::kCancel:
      // A running deployment may have touched production already: how it ended is recorded
      // first (completed with its outcome, or cancelled). Those not started end with the release.
      ITSM_RETURN_IF_ERROR(CheckNoDeploymentInProgress(stored));
      // Cancelled after a deployment completed, the release is in an environment: the record
      // says what became of it (as a change cancelled after its implementation started does).
      if (HasDeployed(stored) && base::IsBlank(request.close_notes())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "close_notes: required to cancel ", stored.number(),
            ", which has a completed deployment: say what became of what was deployed"));
      }
      for (v1::Deployment& d : *after.mutable_deployments()) {
        if (d.state() == v1::DEPLOYMENT_STATE_PLANNED) d.set_state(v1::DEPLOYMENT_STATE_CANCELLED);
      }
      if (!request.close_notes().empty()) after.set_close_notes(request.close_notes());
      break;
    case ReleaseStep::kClose:
      if (!request.close_notes().empty()) after.set_close_notes(request.close_notes());
      break;
    case ReleaseStep::kBuild:
    case ReleaseStep::kTest:
      break;
  }
  after.set_state(request.target_state());
  return after;
}

absl::StatusOr<v1::Release> ReleaseRules::AddDeployment(const v1::Release& stored,
                                                        const v1::AddDeploymentRequest& request,
                                                        const std::vector<std::string>& ci_ids,
                                                        v1::Deployment& deployment) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_RETURN_IF_ERROR(CheckOpen(stored));
  if (stored.deployments_size() >= kMaxDeployments) {
    return absl::FailedPreconditionError(absl::StrCat("release_id: release ", stored.number(),
                                                      " has ", kMaxDeployments,
                                                      " deployments, the most it can have"));
  }
  int next = 0;
  for (const v1::Deployment& d : stored.deployments()) next = std::max(next, std::stoi(d.id()));
  deployment.Clear();
  deployment.set_id(absl::StrCat(next + 1));
  deployment.set_environment(std::string(absl::StripAsciiWhitespace(request.environment())));
  deployment.set_state(v1::DEPLOYMENT_STATE_PLANNED);
  if (request.has_planned_start_time()) {
    *deployment.mutable_planned_start_time() = request.planned_start_time();
  }
  if (request.has_planned_end_time()) {
    *deployment.mutable_planned_end_time() = request.planned_end_time();
  }
  deployment.mutable_configuration_item_ids()->Assign(ci_ids.begin(), ci_ids.end());
  deployment.set_notes(request.notes());
  v1::Release after = stored;
  *after.add_deployments() = deployment;
  return after;
}

absl::StatusOr<v1::Release> ReleaseRules::UpdateDeployment(
    const v1::Release& stored, const v1::UpdateDeploymentRequest& request,
    const std::vector<std::string>& ci_ids, const std::vector<v1::Change>& changes,
    v1::Deployment& deployment) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_RETURN_IF_ERROR(CheckOpen(stored));
  v1::Release after = stored;
  v1::Deployment* d = nullptr;
  for (v1::Deployment& candidate : *after.mutable_deployments()) {
    if (candidate.id() == request.deployment().id()) d = &candidate;
  }
  if (d == nullptr) {
    return absl::NotFoundError(absl::StrCat("deployment.id: release ", stored.number(),
                                            " has no deployment \"", request.deployment().id(),
                                            "\""));
  }
  const v1::Deployment before = *d;
  std::set<std::string> paths(request.update_mask().paths().begin(),
                              request.update_mask().paths().end());
  if (!IsOpen(before.state())) {
    for (const std::string& p : paths) {
      if (p != "notes") {
        return absl::FailedPreconditionError(
            absl::StrCat("deployment.", p, ": deployment ", before.id(), " is ",
                         DeploymentStateName(before.state()), "; only its notes can change"));
      }
    }
  }
  v1::Deployment edited = before;
  records::ApplyUpdateMask(request.update_mask(), request.deployment(), edited);
  edited.set_state(before.state());  // the state moves below, through its table
  if (paths.contains("configuration_item_ids")) {
    edited.mutable_configuration_item_ids()->Assign(ci_ids.begin(), ci_ids.end());
  }
  edited.set_environment(std::string(absl::StripAsciiWhitespace(edited.environment())));
  ITSM_RETURN_IF_ERROR(
      CheckSlot(edited.has_planned_start_time() ? &edited.planned_start_time() : nullptr,
                edited.has_planned_end_time() ? &edited.planned_end_time() : nullptr,
                "deployment.planned_start_time", "deployment.planned_end_time", false));
  const auto now = base::ToProtoTimestamp(clock_.Now());
  if (paths.contains("state") && request.deployment().state() != before.state()) {
    ITSM_ASSIGN_OR_RETURN(DeploymentStep step, DeploymentStateMachine().Check(
                                                   before.state(), request.deployment().state()));
    switch (step) {
      case DeploymentStep::kStart:
        if (stored.state() != v1::RELEASE_STATE_TEST &&
            stored.state() != v1::RELEASE_STATE_DEPLOY) {
          return absl::FailedPreconditionError(
              absl::StrCat("deployment.state: a deployment starts while its release is in TEST "
                           "or DEPLOY; release ",
                           stored.number(), " is in ", ReleaseStateName(stored.state())));
        }
        ITSM_RETURN_IF_ERROR(
            RequireReady(stored, changes, "deployment.state", "start a deployment"));
        *edited.mutable_actual_start_time() = now;
        break;
      case DeploymentStep::kComplete:
        if (edited.outcome() == v1::DEPLOYMENT_OUTCOME_UNSPECIFIED) {
          return absl::FailedPreconditionError(
              "deployment.outcome: required to complete a deployment (SUCCESSFUL, FAILED or "
              "ROLLED_BACK)");
        }
        *edited.mutable_actual_end_time() = now;
        break;
      case DeploymentStep::kCancel:
        break;
    }
    edited.set_state(request.deployment().state());
  }
  if (edited.outcome() != v1::DEPLOYMENT_OUTCOME_UNSPECIFIED &&
      edited.state() != v1::DEPLOYMENT_STATE_COMPLETED) {
    return absl::FailedPreconditionError(
        "deployment.outcome: only a completed deployment has an outcome (set it with state "
        "COMPLETED)");
  }
  *d = edited;
  deployment = edited;
  return after;
}

ReleaseOutcome ReleaseRules::Created(const v1::Release& release, const std::string& actor) const {
  ReleaseOutcome out;
  out.after = release;
  out.action = "create";
  out.changes = records::DiffFields(v1::Release(), release);
  out.events.push_back(
      NewEvent<v1::ReleaseCreated>(release, actor, records::FieldNames(out.changes)));
  return out;
}

absl::StatusOr<ReleaseOutcome> ReleaseRules::Finish(
    const v1::Release& before, v1::Release after, std::string action, const std::string& actor,
    const std::optional<v1::Deployment>& deployment) const {
  ReleaseOutcome out =
      records::Versioned(before, std::move(after), std::move(action), clock_.Now());
  if (!out.changed()) return out;
  if (out.after.ByteSizeLong() > kMaxReleaseBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("release: it would grow to ", out.after.ByteSizeLong(), " bytes, above ",
                     kMaxReleaseBytes, " (shorten its description or notes)"));
  }
  const v1::Release& a = out.after;
  std::vector<std::string> updated, deployed, state;
  for (const auto& c : out.changes) {
    const std::string& f = c.field();
    if (f == "state" || f == "close_notes") {
      state.push_back(f);
    } else if (f == "deployments") {
      deployed.push_back(f);
    } else {
      updated.push_back(f);
    }
  }
  if (!updated.empty()) out.events.push_back(NewEvent<v1::ReleaseUpdated>(a, actor, updated));
  if (!deployed.empty() && deployment) {
    auto e = NewEvent<v1::DeploymentRecorded>(a, actor, deployed);
    *e->mutable_deployment() = *deployment;
    out.events.push_back(std::move(e));
  }
  if (!state.empty()) {
    auto e = NewEvent<v1::ReleaseStateChanged>(a, actor, state);
    e->set_previous_state(before.state());
    e->set_new_state(a.state());
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace itsm::change
