#include "services/change/src/change_workflow.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "services/change/src/approvals.h"
#include "services/change/src/change_factory.h"
#include "services/change/src/change_policy.h"

namespace itsm::change {
namespace {

class FixedClock final : public base::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1'800'000'000); }
};

class ChangeWorkflowTest : public ::testing::Test {
 protected:
  v1::Change Normal(v1::ChangeState state) {
    v1::CreateChangeRequest r;
    r.set_type(v1::CHANGE_TYPE_NORMAL);
    r.set_title("Upgrade the database");
    v1::Change c = NewChange(r, nullptr, "ann", clock_.Now());
    c.set_state(state);
    c.set_number("CHG0000001");
    c.mutable_risk()->set_level(v1::RISK_LEVEL_LOW);
    return c;
  }
  v1::TransitionChangeRequest To(const v1::Change& c, v1::ChangeState s) {
    v1::TransitionChangeRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_target_state(s);
    return r;
  }
  FixedClock clock_;
  ChangeWorkflow workflow_{clock_};
  v1::ChangePolicy policy_ = DefaultChangePolicy();
};

TEST_F(ChangeWorkflowTest, CreateRequestsAreValidatedNamingTheField) {
  v1::CreateChangeRequest r;
  EXPECT_EQ(ValidateCreate(r).message().substr(0, 5), "type:");
  r.set_type(v1::CHANGE_TYPE_NORMAL);
  EXPECT_EQ(ValidateCreate(r).message(), "title: required");
  r.set_title("t");
  r.add_configuration_item_ids("");
  EXPECT_EQ(ValidateCreate(r).message(), "configuration_item_ids[0]: empty");
  r.clear_configuration_item_ids();
  *r.mutable_planned_start_time() = base::ToProtoTimestamp(clock_.Now());
  EXPECT_EQ(ValidateCreate(r).message(), "planned_end_time: required");
  *r.mutable_planned_end_time() = base::ToProtoTimestamp(clock_.Now() - absl::Hours(1));
  EXPECT_EQ(ValidateCreate(r).message().substr(0, 17), "planned_end_time:");
  r.set_type(v1::CHANGE_TYPE_STANDARD);
  EXPECT_EQ(ValidateCreate(r).message(), "template_id: required");
}

// Cancelled before its implementation started, a change cancels its pending tasks with it (a
// cancelled change takes no edits, so they could never be finished); done ones stay done.
TEST_F(ChangeWorkflowTest, CancellingBeforeImplementationCancelsPendingTasks) {
  v1::Change c = Normal(v1::CHANGE_STATE_ASSESS);
  for (auto state : {v1::TASK_STATE_OPEN, v1::TASK_STATE_IN_PROGRESS, v1::TASK_STATE_DONE}) {
    c.add_tasks()->set_state(state);
  }
  v1::TransitionChangeRequest cancel = To(c, v1::CHANGE_STATE_CANCELLED);
  cancel.set_close_notes("Superseded by CHG0000002");
  absl::StatusOr<v1::Change> after = workflow_.Transition(c, cancel, policy_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->tasks(0).state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(after->tasks(1).state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(after->tasks(2).state(), v1::TASK_STATE_DONE);
}

// A field the move does not keep is refused rather than dropped (decision 296).
TEST_F(ChangeWorkflowTest, AMoveRefusesWhatItWouldNotKeep) {
  v1::Change c = Normal(v1::CHANGE_STATE_ASSESS);
  v1::TransitionChangeRequest authorise = To(c, v1::CHANGE_STATE_AUTHORISE);
  authorise.set_outcome(v1::CHANGE_OUTCOME_SUCCESSFUL);
  EXPECT_EQ(workflow_.ValidateTransition(authorise).message(),
            "outcome: a move to AUTHORISE does not keep it; leave it out");
  authorise.clear_outcome();
  authorise.set_review_notes("Went well");
  EXPECT_EQ(workflow_.ValidateTransition(authorise).message(),
            "review_notes: a move to AUTHORISE does not keep it; leave it out");
  authorise.clear_review_notes();
  authorise.set_close_notes("Done");
  EXPECT_EQ(workflow_.ValidateTransition(authorise).message(),
            "close_notes: a move to AUTHORISE does not keep it; leave it out");
  authorise.clear_close_notes();
  EXPECT_TRUE(workflow_.ValidateTransition(authorise).ok());
  // Cancelled before anything was implemented, there is no review to keep.
  v1::TransitionChangeRequest cancel = To(c, v1::CHANGE_STATE_CANCELLED);
  cancel.set_close_notes("Superseded");
  cancel.set_review_notes("Nothing to review");
  EXPECT_TRUE(workflow_.ValidateTransition(cancel).ok());
  EXPECT_EQ(workflow_.Transition(c, cancel, policy_).status().message().rfind("review_notes:", 0),
            0u);
}

TEST_F(ChangeWorkflowTest, AuthoriseStartsTheApprovalAndARejectedChangeCannotBeScheduled) {
  v1::Change c = Normal(v1::CHANGE_STATE_ASSESS);
  auto authorised = workflow_.Transition(c, To(c, v1::CHANGE_STATE_AUTHORISE), policy_);
  ASSERT_TRUE(authorised.ok()) << authorised.status();
  EXPECT_EQ(authorised->approval().outcome(), v1::APPROVAL_OUTCOME_PENDING);
  v1::DecideChangeApprovalRequest no;
  no.set_id(c.id());
  no.set_version(c.version());
  no.set_decision(v1::APPROVAL_DECISION_REJECT);
  no.set_comment("not now");
  v1::ApprovalVote vote;
  auto rejected = workflow_.Decide(*authorised, no, base::Caller{.actor = "cm"}, vote);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->approval().outcome(), v1::APPROVAL_OUTCOME_REJECTED);
  *rejected->mutable_planned_start_time() = base::ToProtoTimestamp(clock_.Now());
  auto scheduled =
      workflow_.Transition(*rejected, To(*rejected, v1::CHANGE_STATE_SCHEDULED), policy_);
  EXPECT_EQ(scheduled.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(scheduled.status().message().find("rejected"), std::string::npos);
}

// From AUTHORISE on, the approval covers the scope, the plans and the risk answers: they cannot
// change under it. The title and the assignment can; back in ASSESS, everything can again.
TEST_F(ChangeWorkflowTest, WhatTheApprovalCoversIsFixedFromAuthoriseOn) {
  for (v1::ChangeState state : {v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_SCHEDULED,
                                v1::CHANGE_STATE_IMPLEMENT, v1::CHANGE_STATE_REVIEW}) {
    const v1::Change c = Normal(state);
    for (const char* path : {"implementation_plan", "backout_plan", "test_plan", "risk_answers",
                             "configuration_item_ids", "affected_service_ids"}) {
      v1::UpdateChangeRequest r;
      *r.mutable_change() = c;
      r.mutable_update_mask()->add_paths(path);
      const absl::Status refused = workflow_.Update(c, r).status();
      EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << path << " " << state;
      EXPECT_EQ(refused.message().substr(0, 8 + std::string(path).size()),
                absl::StrCat("change.", path, ":"));
    }
    v1::UpdateChangeRequest title;
    *title.mutable_change() = c;
    title.mutable_change()->set_title("clearer title");
    title.mutable_update_mask()->add_paths("title");
    title.mutable_update_mask()->add_paths("assignee");
    EXPECT_TRUE(workflow_.Update(c, title).ok()) << state;
  }
  const v1::Change assessed = Normal(v1::CHANGE_STATE_ASSESS);
  v1::UpdateChangeRequest plan;
  *plan.mutable_change() = assessed;
  plan.mutable_change()->set_implementation_plan("a better plan");
  plan.mutable_update_mask()->add_paths("implementation_plan");
  EXPECT_TRUE(workflow_.Update(assessed, plan).ok());
}

TEST_F(ChangeWorkflowTest, ConflictsNeedAnOverrideWhenThePolicySaysSo) {
  v1::Change c = Normal(v1::CHANGE_STATE_AUTHORISE);
  c.mutable_approval()->set_outcome(v1::APPROVAL_OUTCOME_APPROVED);
  c.mutable_approval()->set_conflicts_need_override(true);
  *c.mutable_planned_start_time() = base::ToProtoTimestamp(clock_.Now());
  v1::Conflict k;
  k.set_kind(v1::CONFLICT_KIND_SAME_CI);
  ChangeWorkflow::SetConflicts(c, {k});
  EXPECT_EQ(workflow_.Transition(c, To(c, v1::CHANGE_STATE_SCHEDULED), policy_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::OverrideChangeConflictsRequest o;
  o.set_version(c.version());
  o.set_reason("coordinated with the DBA team");
  auto overridden = workflow_.Override(c, o, "cm");
  ASSERT_TRUE(overridden.ok());
  EXPECT_TRUE(workflow_.Transition(*overridden, To(c, v1::CHANGE_STATE_SCHEDULED), policy_).ok());
  // New conflicts drop the override.
  v1::Conflict other = k;
  other.set_other_id("x");
  ChangeWorkflow::SetConflicts(*overridden, {k, other});
  EXPECT_TRUE(overridden->conflict_override_reason().empty());
}

TEST_F(ChangeWorkflowTest, FailedChangesNeedAReviewBeforeClosing) {
  v1::Change c = Normal(v1::CHANGE_STATE_IMPLEMENT);
  v1::TransitionChangeRequest review = To(c, v1::CHANGE_STATE_REVIEW);
  review.set_outcome(v1::CHANGE_OUTCOME_FAILED);
  auto reviewed = workflow_.Transition(c, review, policy_);
  ASSERT_TRUE(reviewed.ok());
  EXPECT_TRUE(reviewed->has_actual_end_time());
  auto closed = workflow_.Transition(*reviewed, To(c, v1::CHANGE_STATE_CLOSED), policy_);
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kFailedPrecondition);
  v1::TransitionChangeRequest close = To(c, v1::CHANGE_STATE_CLOSED);
  close.set_review_notes("Root cause: missing index; backed out at 02:10");
  EXPECT_TRUE(workflow_.Transition(*reviewed, close, policy_).ok());
}

TEST_F(ChangeWorkflowTest, FinishVersionsDiffsAndAnnouncesInOrder) {
  v1::Change before = Normal(v1::CHANGE_STATE_NEW);
  v1::Change after = before;
  after.set_title("Upgrade the database to 16");
  after.set_state(v1::CHANGE_STATE_ASSESS);
  absl::StatusOr<ChangeOutcome> finished = workflow_.Finish(before, after, "x", "ann");
  ASSERT_TRUE(finished.ok());
  const ChangeOutcome& out = *finished;
  EXPECT_EQ(out.after.version(), before.version() + 1);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0]->GetTypeName(), "itsm.change.v1.ChangeUpdated");
  EXPECT_EQ(out.events[1]->GetTypeName(), "itsm.change.v1.ChangeStateChanged");
  EXPECT_FALSE(workflow_.Finish(before, before, "x", "ann")->changed());
  // A record that would outgrow what its events may carry is refused.
  after.set_implementation_plan(std::string(kMaxChangeBytes, 'x'));
  EXPECT_EQ(workflow_.Finish(before, after, "x", "ann").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(workflow_.Finish(before, after, "x", kServiceActor).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A caller fills less of it than the service may: an outside tester filled their change to
  // the limit, and the incidents it caused could no longer be linked to it.
  after.set_implementation_plan(std::string((kMaxCallerChangeBytes + kMaxChangeBytes) / 2, 'x'));
  EXPECT_EQ(workflow_.Finish(before, after, "x", "ann").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(workflow_.Finish(before, after, "link_incident", kServiceActor).ok());
  // What the service recorded does not count against a caller (a second outside round: links
  // and conflicts took a change past the callers' bound, and then nothing could move it on), nor
  // does a write that does not grow the caller's own content.
  v1::Change linked = before;
  linked.set_implementation_plan(std::string(kMaxCallerChangeBytes - 1000, 'x'));
  for (int i = 0; i < 20; ++i) {
    v1::Conflict* conflict = linked.add_conflicts();
    conflict->set_reason(std::string(4000, 'c'));
  }
  ASSERT_GT(linked.ByteSizeLong(), kMaxCallerChangeBytes);
  v1::Change moved_on = linked;
  moved_on.set_state(v1::CHANGE_STATE_REVIEW);
  moved_on.set_description("done");
  EXPECT_TRUE(workflow_.Finish(linked, moved_on, "x", "ann").ok());
  v1::Change shortened = linked;
  shortened.set_implementation_plan(std::string(kMaxCallerChangeBytes - 2000, 'x'));
  EXPECT_TRUE(workflow_.Finish(linked, shortened, "x", "ann").ok());
  v1::Change grown = linked;
  grown.set_implementation_plan(std::string(kMaxCallerChangeBytes + 10, 'x'));
  EXPECT_EQ(workflow_.Finish(linked, grown, "x", "ann").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ChangeWorkflowTest, StandardChangesKeepTheirTemplatesPlans) {
  v1::Change c = Normal(v1::CHANGE_STATE_NEW);
  c.set_type(v1::CHANGE_TYPE_STANDARD);
  v1::UpdateChangeRequest u;
  *u.mutable_change() = c;
  u.mutable_update_mask()->add_paths("backout_plan");
  EXPECT_EQ(workflow_.Update(c, u).status().code(), absl::StatusCode::kFailedPrecondition);
  u.mutable_update_mask()->Clear();
  u.mutable_update_mask()->add_paths("state");
  EXPECT_NE(workflow_.ValidateUpdate(u).message().find("TransitionChange"), std::string::npos);
}

}  // namespace
}  // namespace itsm::change
