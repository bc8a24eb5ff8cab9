#include "services/change/src/change_workflow.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/record_ids.h"
#include "services/change/src/approvals.h"
#include "services/change/src/change_factory.h"
#include "services/change/src/change_state_machine.h"

namespace itsm::change {
namespace {

constexpr int kMaxTasks = 50;
constexpr int kMaxVotes = 260;

// Fields each event owns; the rest of a change is announced by ChangeUpdated.
const std::set<std::string> kStateFields = {"state",   "actual_start_time", "actual_end_time",
                                            "outcome", "review_notes",      "close_notes"};
const std::set<std::string> kScheduleFields = {"planned_start_time", "planned_end_time"};
const std::set<std::string> kOverrideFields = {"conflict_override_reason", "conflict_override_by"};
// What the approvers approved: the scope, the plans and the risk answers. Fixed from AUTHORISE
// on, so that an approval always covers the change as it stands.
const std::set<std::string> kApprovedFields = {"configuration_item_ids",
                                               "affected_service_ids",
                                               "implementation_plan",
                                               "backout_plan",
                                               "test_plan",
                                               "risk_answers"};

const records::UpdatableFields& UpdatableChangeFields() {
  static const auto* fields = [] {
    auto* f = new records::UpdatableFields{
        .paths = {"title", "description", "category", "reason", "affected_service_ids",
                  "configuration_item_ids", "implementation_plan", "backout_plan", "test_plan",
                  "assignment_group", "assignee", "incident_ids", "problem_ids", "release_ids",
                  "risk_answers"},
        .elsewhere = {}};
    for (const std::string& path : kStateFields) f->elsewhere[path] = "TransitionChange";
    for (const std::string& path : kScheduleFields) f->elsewhere[path] = "ScheduleChange";
    for (const std::string& path : kOverrideFields) f->elsewhere[path] = "OverrideChangeConflicts";
    f->elsewhere["risk"] = "AssessChange";
    f->elsewhere["approval"] = "DecideChangeApproval";
    f->elsewhere["conflicts"] = "ScheduleChange";
    f->elsewhere["tasks"] = "AddChangeTask";
    return f;
  }();
  return *fields;
}

const records::UpdatableFields kTaskFields{
    .paths = {"title", "description", "state", "assignment_group", "assignee"}};

absl::Status Editable(const v1::Change& stored) {
  if (!IsOpen(stored.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: ", ChangeStateName(stored.state()), " changes cannot be changed"));
  }
  return absl::OkStatus();
}

template <typename Event>
std::shared_ptr<Event> NewEvent(const v1::Change& after, const std::string& actor,
                                const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_change() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

std::string ConflictKey(const v1::Conflict& c) {
  // A freeze's conflict is one occurrence of it (its reason names the occurrence): an override
  // accepted the night it saw, not tonight's when the change starts early (found from outside).
  return absl::StrCat(c.kind(), "|", c.other_id(), "|", c.ci_id(), "|",
                      absl::StrJoin(c.path(), ">"), "|",
                      c.kind() == v1::CONFLICT_KIND_BLACKOUT_WINDOW ? c.reason() : "");
}

bool Approved(const v1::Approval& a) {
  return a.outcome() == v1::APPROVAL_OUTCOME_APPROVED ||
         a.outcome() == v1::APPROVAL_OUTCOME_PRE_APPROVED;
}

// Who may not decide the approval: BarredFromDeciding, and its former assignees (unless
// self-approval is allowed).
std::vector<std::string> Barred(const v1::Change& change, const v1::Approval& approval,
                                const std::vector<std::string>& former_assignees) {
  std::vector<std::string> barred = BarredFromDeciding(change, approval);
  if (!approval.self_approval_allowed()) {
    barred.insert(barred.end(), former_assignees.begin(), former_assignees.end());
  }
  return barred;
}

// Whether the change's conflicts need an override before `step`: all of them when its
// approval's policy says so; whatever the policy, a blackout window (a freeze forbids what it
// covers) and, at implementation, an open major incident on one of its CIs (decision 236).
// The conflict that blocks `step` until a change manager overrides it, one that blocks whatever
// the policy first (the refusal names the freeze); null when none does.
const v1::Conflict* BlockingConflict(const v1::Change& c, ChangeStep step) {
  if (!c.conflict_override_reason().empty()) return nullptr;
  for (const v1::Conflict& conflict : c.conflicts()) {
    if (conflict.kind() == v1::CONFLICT_KIND_BLACKOUT_WINDOW ||
        (conflict.kind() == v1::CONFLICT_KIND_MAJOR_INCIDENT && step == ChangeStep::kImplement)) {
      return &conflict;
    }
  }
  if (c.approval().conflicts_need_override() && !c.conflicts().empty()) return &c.conflicts(0);
  return nullptr;
}

// FAILED_PRECONDITION naming the conflict that blocks `step`, when one does.
absl::Status CheckNoBlockingConflict(const v1::Change& c, ChangeStep step) {
  const v1::Conflict* blocking = BlockingConflict(c, step);
  if (blocking == nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "conflicts: ", c.conflicts_size(),
      " conflict(s) must be overridden first (OverrideChangeConflicts): ", blocking->reason()));
}

// FAILED_PRECONDITION naming the first task still open or in progress.
absl::Status CheckTasksFinished(const v1::Change& c) {
  for (const v1::ChangeTask& t : c.tasks()) {
    if (t.state() != v1::TASK_STATE_DONE && t.state() != v1::TASK_STATE_CANCELLED) {
      return absl::FailedPreconditionError(absl::StrCat("tasks: task ", t.id(), " is still open"));
    }
  }
  return absl::OkStatus();
}

// An incident the change possibly caused is looked at in the review, as a failure is.
bool NeedsReview(const v1::Change& c) {
  return c.type() == v1::CHANGE_TYPE_EMERGENCY || c.outcome() == v1::CHANGE_OUTCOME_FAILED ||
         c.outcome() == v1::CHANGE_OUTCOME_BACKED_OUT || !c.caused_incidents().empty();
}

}  // namespace

absl::Status ChangeWorkflow::ValidateUpdate(const v1::UpdateChangeRequest& request) const {
  const v1::Change& r = request.change();
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id(), "change.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), UpdatableChangeFields()));
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "title" && base::IsBlank(r.title())) {
      return absl::InvalidArgumentError("change.title: required");
    }
    if (path == "assignee")
      ITSM_RETURN_IF_ERROR(base::CheckPersonName("change.assignee", r.assignee()));
    if (path == "assignment_group") {
      ITSM_RETURN_IF_ERROR(base::CheckMatchedName("change.assignment_group", r.assignment_group()));
    }
    if (path == "category") {
      ITSM_RETURN_IF_ERROR(base::CheckMatchedName("change.category", r.category()));
    }
  }
  ITSM_RETURN_IF_ERROR(records::CheckIds("change.affected_service_ids", r.affected_service_ids()));
  ITSM_RETURN_IF_ERROR(
      records::CheckIds("change.configuration_item_ids", r.configuration_item_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("change.incident_ids", r.incident_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("change.problem_ids", r.problem_ids()));
  return records::CheckIds("change.release_ids", r.release_ids());
}

absl::Status ChangeWorkflow::ValidateTransition(const v1::TransitionChangeRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id()));
  if (r.target_state() == v1::CHANGE_STATE_UNSPECIFIED ||
      !v1::ChangeState_IsValid(r.target_state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_state: unknown state ", static_cast<int>(r.target_state())));
  }
  if (!v1::ChangeOutcome_IsValid(r.outcome())) {
    return absl::InvalidArgumentError(
        absl::StrCat("outcome: unknown outcome ", static_cast<int>(r.outcome())));
  }
  if (r.target_state() == v1::CHANGE_STATE_REVIEW &&
      r.outcome() == v1::CHANGE_OUTCOME_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "outcome: required to review a change (SUCCESSFUL, SUCCESSFUL_WITH_ISSUES, FAILED, "
        "BACKED_OUT)");
  }
  // A field the move does not keep is refused, not dropped: the text would be lost unsaid (as
  // in the incident service, decision 296).
  const bool ends =
      r.target_state() == v1::CHANGE_STATE_CLOSED || r.target_state() == v1::CHANGE_STATE_CANCELLED;
  const bool review = r.target_state() == v1::CHANGE_STATE_REVIEW;
  const std::string target = ChangeStateName(r.target_state());
  ITSM_RETURN_IF_ERROR(records::NotKeptOnThisMove(
      "outcome", !review && r.outcome() != v1::CHANGE_OUTCOME_UNSPECIFIED, target));
  ITSM_RETURN_IF_ERROR(records::NotKeptOnThisMove(
      "review_notes", !review && !ends && !r.review_notes().empty(), target));
  return records::NotKeptOnThisMove("close_notes", !ends && !r.close_notes().empty(), target);
}

absl::Status ChangeWorkflow::ValidateDecision(const v1::DecideChangeApprovalRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id()));
  if (r.decision() != v1::APPROVAL_DECISION_APPROVE &&
      r.decision() != v1::APPROVAL_DECISION_REJECT) {
    return absl::InvalidArgumentError("decision: APPROVE or REJECT");
  }
  if (r.decision() == v1::APPROVAL_DECISION_REJECT && base::IsBlank(r.comment())) {
    return absl::InvalidArgumentError("comment: required to reject (say why)");
  }
  return absl::OkStatus();
}

absl::Status ChangeWorkflow::ValidateSchedule(const v1::ScheduleChangeRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id()));
  return CheckSlot(r.has_planned_start_time() ? &r.planned_start_time() : nullptr,
                   r.has_planned_end_time() ? &r.planned_end_time() : nullptr, "planned_start_time",
                   "planned_end_time", true);
}

absl::Status ChangeWorkflow::ValidateOverride(const v1::OverrideChangeConflictsRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.id()));
  if (base::IsBlank(r.reason())) {
    return absl::InvalidArgumentError("reason: required");
  }
  return absl::OkStatus();
}

absl::Status ChangeWorkflow::ValidateAddTask(const v1::AddChangeTaskRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.change_id(), "change_id"));
  if (base::IsBlank(r.title())) {
    return absl::InvalidArgumentError("title: required");
  }
  return base::CheckPersonName("assignee", r.assignee());
}

absl::Status ChangeWorkflow::ValidateUpdateTask(const v1::UpdateChangeTaskRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.change_id(), "change_id"));
  ITSM_RETURN_IF_ERROR(records::CheckId(r.task().id(), "task.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(r.update_mask(), kTaskFields));
  for (const std::string& path : r.update_mask().paths()) {
    if (path == "title" && base::IsBlank(r.task().title())) {
      return absl::InvalidArgumentError("task.title: required");
    }
    if (path == "state" && (r.task().state() == v1::TASK_STATE_UNSPECIFIED ||
                            !v1::TaskState_IsValid(r.task().state()))) {
      return absl::InvalidArgumentError("task.state: unknown state");
    }
    if (path == "assignee") {
      ITSM_RETURN_IF_ERROR(base::CheckPersonName("task.assignee", r.task().assignee()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Change> ChangeWorkflow::Update(const v1::Change& stored,
                                                  const v1::UpdateChangeRequest& request) const {
  ITSM_RETURN_IF_ERROR(
      records::CheckVersion(stored.version(), request.change().version(), "change.version"));
  ITSM_RETURN_IF_ERROR(Editable(stored));
  v1::Change after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.change(), after);
  after.set_title(std::string(absl::StripAsciiWhitespace(after.title())));
  if (stored.type() == v1::CHANGE_TYPE_STANDARD) {
    // Pre-approved for exactly its template's plans and risk.
    for (const std::string& path : request.update_mask().paths()) {
      if (path == "implementation_plan" || path == "backout_plan" || path == "test_plan" ||
          path == "risk_answers") {
        return absl::FailedPreconditionError(absl::StrCat(
            "change.", path, ": a standard change keeps its template's plans and risk"));
      }
    }
  }
  if (UnderApproval(stored.state())) {
    for (const std::string& path : request.update_mask().paths()) {
      if (!kApprovedFields.contains(path)) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "change.", path,
          ": fixed from AUTHORISE on, since the approval covers it (the change is ",
          ChangeStateName(stored.state()),
          "); in AUTHORISE, move it back to ASSESS to change it and ask for approval again"));
    }
  }
  // Segregation of duties holds for the approval's life, not only as a vote is cast: whoever
  // decided it does not become the change's assignee afterwards (decision 237).
  if (after.assignee() != stored.assignee() && !after.assignee().empty() &&
      !stored.approval().self_approval_allowed()) {
    for (const v1::ApprovalVote& vote : stored.approval().votes()) {
      if (!auth::SamePerson(after.assignee(), vote.approver())) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "change.assignee: ", after.assignee(),
          " decided this change's approval and may not be assigned to it (segregation of "
          "duties; the change policy's allow_self_approval)"));
    }
  }
  // Nor does a named approver still to decide become the assignee while the approval is
  // pending: assignment would leave them out of their level (approvals.h), so an agent could
  // assign a required approver away and back and have the level decided without them.
  if (after.assignee() != stored.assignee() && !after.assignee().empty() &&
      !stored.approval().self_approval_allowed() &&
      stored.approval().outcome() == v1::APPROVAL_OUTCOME_PENDING) {
    const v1::Approval& approval = stored.approval();
    for (int level = approval.current_level(); level < approval.levels_size(); ++level) {
      for (const std::string& approver : approval.levels(level).approvers()) {
        if (!auth::SamePerson(after.assignee(), approver)) continue;
        return absl::FailedPreconditionError(absl::StrCat(
            "change.assignee: ", after.assignee(), " is an approver of level \"",
            approval.levels(level).name(),
            "\", which is still to be decided, and may not be assigned to the change until "
            "it is (segregation of duties; the change policy's allow_self_approval)"));
      }
    }
  }
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::Transition(const v1::Change& stored,
                                                      const v1::TransitionChangeRequest& request,
                                                      const v1::ChangePolicy& policy) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(
      ChangeStep step,
      StateMachineFor(stored.type()).Check(stored.state(), request.target_state()));
  const absl::Time now = clock_.Now();
  v1::Change after = stored;
  after.set_state(request.target_state());
  switch (step) {
    case ChangeStep::kAuthorise:
      *after.mutable_approval() = StartApproval(policy, stored, now);
      break;
    case ChangeStep::kRework:
      after.clear_approval();
      break;
    case ChangeStep::kSchedule:
      if (!Approved(stored.approval())) {
        return absl::FailedPreconditionError(
            absl::StrCat("approval: the change is not approved (",
                         v1::ApprovalOutcome_Name(stored.approval().outcome()), "): ",
                         stored.approval().outcome() == v1::APPROVAL_OUTCOME_REJECTED
                             ? "a rejected change cannot be scheduled"
                             : "its approval is still to be decided"));
      }
      if (!stored.has_planned_start_time()) {
        return absl::FailedPreconditionError(
            "planned_start_time: required to schedule the change (ScheduleChange first)");
      }
      ITSM_RETURN_IF_ERROR(CheckNoBlockingConflict(stored, step));
      break;
    case ChangeStep::kImplement:
      if (!Approved(stored.approval())) {
        return absl::FailedPreconditionError("approval: the change is not approved");
      }
      ITSM_RETURN_IF_ERROR(CheckNoBlockingConflict(stored, step));
      *after.mutable_actual_start_time() = base::ToProtoTimestamp(now);
      break;
    case ChangeStep::kReview:
      after.set_outcome(request.outcome());
      *after.mutable_actual_end_time() = base::ToProtoTimestamp(now);
      if (!request.review_notes().empty()) after.set_review_notes(request.review_notes());
      break;
    case ChangeStep::kClose:
      if (!request.review_notes().empty()) after.set_review_notes(request.review_notes());
      if (NeedsReview(after) && base::IsBlank(after.review_notes())) {
        return absl::FailedPreconditionError(
            "review_notes: a failed, backed-out or emergency change, or one that possibly "
            "caused incidents, needs its post-implementation review before closing");
      }
      ITSM_RETURN_IF_ERROR(CheckTasksFinished(stored));
      after.set_close_notes(request.close_notes());
      break;
    case ChangeStep::kCancel:
      after.set_close_notes(request.close_notes());
      // Implementation started: the change has touched production, and ending it as cancelled
      // must not skip what closing asks for (decision 235) — its review, whatever its type or
      // outcome, and its tasks finished.
      if (stored.has_actual_start_time()) {
        if (!request.review_notes().empty()) after.set_review_notes(request.review_notes());
        if (base::IsBlank(after.review_notes())) {
          return absl::FailedPreconditionError(
              "review_notes: a change cancelled after its implementation started needs its "
              "post-implementation review");
        }
        ITSM_RETURN_IF_ERROR(CheckTasksFinished(stored));
      } else {
        // Nothing was done: its pending tasks will never be, and a cancelled change takes no
        // edits, so they are cancelled with it rather than left open for good.
        for (v1::ChangeTask& t : *after.mutable_tasks()) {
          if (t.state() != v1::TASK_STATE_DONE) t.set_state(v1::TASK_STATE_CANCELLED);
        }
        // Nothing implemented, nothing to review: kept nowhere, so refused.
        if (!request.review_notes().empty()) {
          return absl::InvalidArgumentError(
              "review_notes: a change cancelled before its implementation started has no "
              "review; leave it out (close_notes says why it was cancelled)");
        }
      }
      break;
    case ChangeStep::kAssess:
      break;
  }
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::Decide(
    const v1::Change& stored, const v1::DecideChangeApprovalRequest& request,
    const base::Caller& voter, v1::ApprovalVote& vote,
    const std::vector<std::string>& former_assignees) const {
  const std::string& actor = voter.actor;
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  if (stored.state() != v1::CHANGE_STATE_AUTHORISE) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: decisions are taken in AUTHORISE, the change is ",
                     ChangeStateName(stored.state())));
  }
  ITSM_RETURN_IF_ERROR(CheckVoter(stored.approval(), voter));
  ITSM_RETURN_IF_ERROR(CheckNotOwnChange(stored, voter));
  if (stored.approval().votes_size() >= kMaxVotes) {
    return absl::FailedPreconditionError("approval.votes: too many votes on one change");
  }
  const absl::Time now = clock_.Now();
  v1::Change after = stored;
  vote.set_level(stored.approval().current_level());
  vote.set_approver(actor);
  vote.set_decision(request.decision());
  vote.set_comment(request.comment());
  *vote.mutable_time() = base::ToProtoTimestamp(now);
  *after.mutable_approval()->add_votes() = vote;
  EvaluateApproval(*after.mutable_approval(), Barred(stored, stored.approval(), former_assignees));
  if (after.approval().outcome() != v1::APPROVAL_OUTCOME_PENDING) {
    *after.mutable_approval()->mutable_decide_time() = base::ToProtoTimestamp(now);
  }
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::Schedule(
    const v1::Change& stored, const v1::ScheduleChangeRequest& request) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  if (stored.state() != v1::CHANGE_STATE_NEW && stored.state() != v1::CHANGE_STATE_ASSESS &&
      stored.state() != v1::CHANGE_STATE_AUTHORISE &&
      stored.state() != v1::CHANGE_STATE_SCHEDULED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state: the slot of a change in ", ChangeStateName(stored.state()), " is history"));
  }
  v1::Change after = stored;
  *after.mutable_planned_start_time() = request.planned_start_time();
  *after.mutable_planned_end_time() = request.planned_end_time();
  // An override accepted the conflicts of one slot: another slot is another decision, even when
  // its conflicts are of the same kinds with the same records (another day of the same freeze).
  const auto same = [](const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
    return a.seconds() == b.seconds() && a.nanos() == b.nanos();
  };
  if (!same(stored.planned_start_time(), after.planned_start_time()) ||
      !same(stored.planned_end_time(), after.planned_end_time())) {
    after.clear_conflict_override_reason();
    after.clear_conflict_override_by();
  }
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::Override(
    const v1::Change& stored, const v1::OverrideChangeConflictsRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_RETURN_IF_ERROR(Editable(stored));
  if (stored.conflicts().empty()) {
    return absl::FailedPreconditionError("conflicts: the change has none to override");
  }
  v1::Change after = stored;
  after.set_conflict_override_reason(request.reason());
  after.set_conflict_override_by(actor);
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::AddTask(const v1::Change& stored,
                                                   const v1::AddChangeTaskRequest& request,
                                                   v1::ChangeTask& task) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_RETURN_IF_ERROR(Editable(stored));
  if (stored.tasks_size() >= kMaxTasks) {
    return absl::FailedPreconditionError(
        absl::StrCat("tasks: a change has at most ", kMaxTasks, " tasks"));
  }
  task.set_id(absl::StrCat(stored.tasks_size() + 1));
  task.set_title(std::string(absl::StripAsciiWhitespace(request.title())));
  task.set_description(request.description());
  task.set_state(v1::TASK_STATE_OPEN);
  task.set_assignment_group(request.assignment_group());
  task.set_assignee(request.assignee());
  v1::Change after = stored;
  *after.add_tasks() = task;
  return after;
}

absl::StatusOr<v1::Change> ChangeWorkflow::UpdateTask(const v1::Change& stored,
                                                      const v1::UpdateChangeTaskRequest& request,
                                                      v1::ChangeTask& task) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_RETURN_IF_ERROR(Editable(stored));
  v1::Change after = stored;
  for (v1::ChangeTask& t : *after.mutable_tasks()) {
    if (t.id() != request.task().id()) continue;
    if (t.state() == v1::TASK_STATE_DONE || t.state() == v1::TASK_STATE_CANCELLED) {
      return absl::FailedPreconditionError(
          absl::StrCat("task.state: task ", t.id(), " is ", v1::TaskState_Name(t.state())));
    }
    records::ApplyUpdateMask(request.update_mask(), request.task(), t);
    t.set_title(std::string(absl::StripAsciiWhitespace(t.title())));
    task = t;
    return after;
  }
  return absl::NotFoundError(absl::StrCat("task.id: change ", stored.number(), " has no task \"",
                                          request.task().id(), "\""));
}

void ChangeWorkflow::RenewApprovalIfRiskMovedIt(const v1::ChangePolicy& policy,
                                                const v1::Change& stored, v1::Change& after) const {
  if (stored.state() != v1::CHANGE_STATE_AUTHORISE &&
      stored.state() != v1::CHANGE_STATE_SCHEDULED) {
    return;  // not yet asked for, or implementation started: the assessment is recorded only
  }
  if (stored.type() == v1::CHANGE_TYPE_STANDARD || stored.risk().level() == after.risk().level()) {
    return;
  }
  v1::Approval renewed = StartApproval(policy, after, clock_.Now());
  if (renewed.policy_name() == stored.approval().policy_name()) return;
  *after.mutable_approval() = std::move(renewed);
  after.set_state(v1::CHANGE_STATE_AUTHORISE);
}

void ChangeWorkflow::SetConflicts(v1::Change& change, const std::vector<v1::Conflict>& found) {
  std::set<std::string> before;
  for (const v1::Conflict& c : change.conflicts()) before.insert(ConflictKey(c));
  std::set<std::string> now;
  for (const v1::Conflict& c : found) now.insert(ConflictKey(c));
  change.clear_conflicts();
  for (const v1::Conflict& c : found) *change.add_conflicts() = c;
  // An override accepted the conflicts it saw; others need a decision of their own.
  if (before != now) {
    change.clear_conflict_override_reason();
    change.clear_conflict_override_by();
  }
}

ChangeOutcome ChangeWorkflow::Created(const v1::Change& change, const std::string& actor) const {
  ChangeOutcome out;
  out.after = change;
  out.action = "create";
  out.changes = records::DiffFields(v1::Change(), change);
  out.events.push_back(
      NewEvent<v1::ChangeCreated>(change, actor, records::FieldNames(out.changes)));
  return out;
}

absl::Status CheckChangeSize(const v1::Change* before, const v1::Change& after, bool by_service) {
  if (by_service) {
    if (after.ByteSizeLong() <= kMaxChangeBytes) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "change: it would grow to ", after.ByteSizeLong(), " bytes, above ", kMaxChangeBytes));
  }
  const auto own_bytes = [](const v1::Change& c) {
    v1::Change own = c;
    own.clear_conflicts();
    own.clear_caused_incidents();
    return own.ByteSizeLong();
  };
  const size_t own = own_bytes(after);
  if (own <= kMaxCallerChangeBytes || (before != nullptr && own <= own_bytes(*before))) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("change: its own content would grow to ", own,
                                                    " bytes, above ", kMaxCallerChangeBytes,
                                                    " (shorten its plans, notes or tasks)"));
}

absl::StatusOr<ChangeOutcome> ChangeWorkflow::Finish(
    const v1::Change& before, v1::Change after, std::string action, const std::string& actor,
    const std::optional<v1::ApprovalVote>& vote) const {
  ChangeOutcome out = records::Versioned(before, std::move(after), std::move(action), clock_.Now());
  if (!out.changed()) return out;
  ITSM_RETURN_IF_ERROR(CheckChangeSize(&before, out.after, actor == kServiceActor));
  const v1::Change& a = out.after;
  std::vector<std::string> updated, risk, schedule, conflicts, override_fields, approval, state,
      caused;
  for (const auto& c : out.changes) {
    const std::string& f = c.field();
    if (kStateFields.contains(f)) {
      state.push_back(f);
    } else if (f == "risk") {
      risk.push_back(f);
    } else if (kScheduleFields.contains(f)) {
      schedule.push_back(f);
    } else if (f == "conflicts") {
      conflicts.push_back(f);
    } else if (f == "caused_incidents") {
      caused.push_back(f);
    } else if (kOverrideFields.contains(f)) {
      override_fields.push_back(f);
    } else if (f == "approval") {
      // A decision has its own event; an approval started or discarded goes with the state.
      (vote ? approval : state).push_back(f);
    } else {
      updated.push_back(f);
    }
  }
  // An override dropped (the conflicts or the slot it accepted changed) is no one's override:
  // it goes with the conflicts, not as a ChangeConflictsOverridden naming whoever moved the
  // change (an agent, or the service's own re-check).
  if (!override_fields.empty() && a.conflict_override_reason().empty()) {
    conflicts.insert(conflicts.end(), override_fields.begin(), override_fields.end());
    override_fields.clear();
  }
  // Order within one change: what was edited, what it caused (risk, schedule, conflicts), the
  // decisions about it, then the state change.
  if (!updated.empty()) out.events.push_back(NewEvent<v1::ChangeUpdated>(a, actor, updated));
  if (!risk.empty()) {
    auto e = NewEvent<v1::ChangeRiskAssessed>(a, actor, risk);
    e->set_previous_level(before.risk().level());
    out.events.push_back(std::move(e));
  }
  if (!schedule.empty()) {
    out.events.push_back(NewEvent<v1::ChangeScheduleChanged>(a, actor, schedule));
  }
  if (!conflicts.empty()) {
    auto e = NewEvent<v1::ChangeConflictsChanged>(a, actor, conflicts);
    std::set<std::string> old_keys;
    std::set<std::string> new_keys;
    for (const v1::Conflict& c : before.conflicts()) old_keys.insert(ConflictKey(c));
    for (const v1::Conflict& c : a.conflicts()) new_keys.insert(ConflictKey(c));
    for (const v1::Conflict& c : a.conflicts()) {
      if (!old_keys.contains(ConflictKey(c))) *e->add_found() = c;
    }
    for (const v1::Conflict& c : before.conflicts()) {
      if (!new_keys.contains(ConflictKey(c))) *e->add_cleared() = c;
    }
    out.events.push_back(std::move(e));
  }
  // Links are only ever appended (caused_incidents.h): the last one is the new one.
  if (!caused.empty() && !a.caused_incidents().empty()) {
    auto e = NewEvent<v1::ChangeIncidentLinked>(a, actor, caused);
    *e->mutable_link() = *a.caused_incidents().rbegin();
    out.events.push_back(std::move(e));
  }
  if (!override_fields.empty()) {
    out.events.push_back(NewEvent<v1::ChangeConflictsOverridden>(a, actor, override_fields));
  }
  if (!approval.empty()) {
    auto e = NewEvent<v1::ChangeApprovalDecided>(a, actor, approval);
    *e->mutable_vote() = *vote;
    out.events.push_back(std::move(e));
  }
  if (!state.empty()) {
    auto e = NewEvent<v1::ChangeStateChanged>(a, actor, state);
    e->set_previous_state(before.state());
    e->set_new_state(a.state());
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace itsm::change
