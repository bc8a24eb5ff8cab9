// Releases and deployments without I/O: every pair of states of both tables (generated, against
// an independent statement of the life cycles as the issue gives them), readiness, and bad
// input named by field.
#include "services/change/src/release_rules.h"

#include <map>
#include <set>

#include "gtest/gtest.h"
#include "itsm/base/clock.h"

namespace itsm::change {
namespace {

using namespace v1;

std::map<int, std::set<int>> ExpectedReleases() {
  return {{RELEASE_STATE_PLANNED, {RELEASE_STATE_BUILD, RELEASE_STATE_CANCELLED}},
          {RELEASE_STATE_BUILD, {RELEASE_STATE_TEST, RELEASE_STATE_CANCELLED}},
          {RELEASE_STATE_TEST, {RELEASE_STATE_DEPLOY, RELEASE_STATE_CANCELLED}},
          {RELEASE_STATE_DEPLOY, {RELEASE_STATE_REVIEW, RELEASE_STATE_CANCELLED}},
          {RELEASE_STATE_REVIEW, {RELEASE_STATE_CLOSED, RELEASE_STATE_CANCELLED}},
          {RELEASE_STATE_CLOSED, {}},
          {RELEASE_STATE_CANCELLED, {}}};
}

std::map<int, std::set<int>> ExpectedDeployments() {
  return {{DEPLOYMENT_STATE_PLANNED, {DEPLOYMENT_STATE_IN_PROGRESS, DEPLOYMENT_STATE_CANCELLED}},
          {DEPLOYMENT_STATE_IN_PROGRESS, {DEPLOYMENT_STATE_COMPLETED, DEPLOYMENT_STATE_CANCELLED}},
          {DEPLOYMENT_STATE_COMPLETED, {}},
          {DEPLOYMENT_STATE_CANCELLED, {}}};
}

template <typename Machine, typename NameFn>
int CheckEveryPair(const Machine& sm, const std::map<int, std::set<int>>& expected, int max,
                   NameFn name) {
  int checked = 0;
  for (int from = 1; from <= max; ++from) {
    for (int to = 1; to <= max; ++to) {
      const bool legal = expected.at(from).contains(to);
      auto step = sm.Check(from, to);
      EXPECT_EQ(step.ok(), legal) << name(from) << " -> " << name(to);
      if (!legal) {
        EXPECT_EQ(step.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(step.status().message().rfind("target_state: ", 0), 0u) << step.status();
        for (int allowed : expected.at(from)) {
          EXPECT_NE(step.status().message().find(name(allowed)), std::string::npos)
              << step.status();
        }
      }
      ++checked;
    }
  }
  return checked;
}

TEST(ReleaseStateMachine, EveryPairOfStatesMatchesTheLifeCycle) {
  EXPECT_EQ(
      CheckEveryPair(ReleaseStateMachine(), ExpectedReleases(), ReleaseState_MAX, ReleaseStateName),
      7 * 7);
}

TEST(ReleaseStateMachine, EveryPairOfDeploymentStatesMatchesItsLifeCycle) {
  EXPECT_EQ(CheckEveryPair(DeploymentStateMachine(), ExpectedDeployments(), DeploymentState_MAX,
                           DeploymentStateName),
            4 * 4);
}

TEST(ReleaseStateMachine, CancelledFromEveryOpenStateOnly) {
  for (int s = RELEASE_STATE_PLANNED; s <= ReleaseState_MAX; ++s) {
    EXPECT_EQ(ReleaseStateMachine().Check(s, RELEASE_STATE_CANCELLED).ok(),
              IsOpen(static_cast<ReleaseState>(s)))
        << ReleaseStateName(s);
  }
}

Change ChangeIn(const std::string& number, ChangeState state, ApprovalOutcome outcome) {
  Change c;
  c.set_id("id-" + number);
  c.set_number(number);
  c.set_state(state);
  c.mutable_approval()->set_outcome(outcome);
  return c;
}

// Authorised = approved or pre-approved, and not cancelled: checked against every state and
// outcome.
TEST(ReleaseReadiness, AChangeIsAuthorisedWhenApprovedAndNotCancelled) {
  for (int s = CHANGE_STATE_NEW; s <= ChangeState_MAX; ++s) {
    for (int o = APPROVAL_OUTCOME_UNSPECIFIED; o <= ApprovalOutcome_MAX; ++o) {
      const bool expected = s != CHANGE_STATE_CANCELLED &&
                            (o == APPROVAL_OUTCOME_APPROVED || o == APPROVAL_OUTCOME_PRE_APPROVED);
      EXPECT_EQ(IsAuthorised(
                    ChangeIn("CHG1", static_cast<ChangeState>(s), static_cast<ApprovalOutcome>(o))),
                expected)
          << s << " " << o;
    }
  }
}

TEST(ReleaseReadiness, NamesEveryChangeThatIsNotAuthorised) {
  const std::vector<Change> changes = {
      ChangeIn("CHG0000001", CHANGE_STATE_SCHEDULED, APPROVAL_OUTCOME_APPROVED),
      ChangeIn("CHG0000002", CHANGE_STATE_ASSESS, APPROVAL_OUTCOME_UNSPECIFIED),
      ChangeIn("CHG0000003", CHANGE_STATE_AUTHORISE, APPROVAL_OUTCOME_REJECTED),
      ChangeIn("CHG0000004", CHANGE_STATE_CANCELLED, APPROVAL_OUTCOME_APPROVED),
      ChangeIn("CHG0000005", CHANGE_STATE_NEW, APPROVAL_OUTCOME_PRE_APPROVED)};
  const ReleaseReadiness r = Readiness(changes);
  EXPECT_FALSE(r.ready());
  ASSERT_EQ(r.blocking_size(), 3);
  EXPECT_EQ(r.blocking(0).number(), "CHG0000002");
  EXPECT_EQ(r.blocking(1).number(), "CHG0000003");
  EXPECT_EQ(r.blocking(2).number(), "CHG0000004");
  EXPECT_EQ(r.reason(),
            "not authorised: CHG0000002 is in ASSESS, approval UNSPECIFIED; CHG0000003 is in "
            "AUTHORISE, approval REJECTED; CHG0000004 is CANCELLED");
  EXPECT_TRUE(Readiness({changes[0], changes[4]}).ready());
  EXPECT_FALSE(Readiness({}).ready());
  EXPECT_EQ(Readiness({}).reason(), "it has no changes");
}

class ReleaseRulesTest : public ::testing::Test {
 protected:
  Release Stored(ReleaseState state, int deployments = 0) {
    Release r;
    r.set_id("r1");
    r.set_number("REL0000001");
    r.set_kind(RELEASE_KIND_MINOR);
    r.set_title("Spring release");
    r.set_state(state);
    r.set_version(3);
    for (int i = 1; i <= deployments; ++i) {
      Deployment* d = r.add_deployments();
      d->set_id(std::to_string(i));
      d->set_environment("production");
      d->set_state(DEPLOYMENT_STATE_PLANNED);
    }
    return r;
  }
  UpdateDeploymentRequest Move(const Release& r, DeploymentState to,
                               DeploymentOutcome outcome = DEPLOYMENT_OUTCOME_UNSPECIFIED) {
    UpdateDeploymentRequest u;
    u.set_release_id(r.id());
    u.set_version(r.version());
    u.mutable_deployment()->set_id("1");
    u.mutable_deployment()->set_state(to);
    u.mutable_update_mask()->add_paths("state");
    if (outcome != DEPLOYMENT_OUTCOME_UNSPECIFIED) {
      u.mutable_deployment()->set_outcome(outcome);
      u.mutable_update_mask()->add_paths("outcome");
    }
    return u;
  }
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  ReleaseRules rules_{clock_};
};

TEST_F(ReleaseRulesTest, BadRequestsNameTheirField) {
  CreateReleaseRequest c;
  EXPECT_EQ(rules_.ValidateCreate(c).message(), "kind: required (MAJOR, MINOR or EMERGENCY)");
  c.set_kind(static_cast<ReleaseKind>(99));  // a number no kind has: unknown, not missing
  EXPECT_EQ(rules_.ValidateCreate(c).message(),
            "kind: unknown value 99 (MAJOR, MINOR or EMERGENCY)");
  c.set_kind(RELEASE_KIND_MAJOR);
  EXPECT_EQ(rules_.ValidateCreate(c).message(), "title: required");
  c.set_title("R");
  c.add_change_ids("");
  EXPECT_EQ(rules_.ValidateCreate(c).message(), "change_ids[0]: empty");
  c.clear_change_ids();
  c.set_assignment_group("release team ");
  EXPECT_EQ(rules_.ValidateCreate(c).message(),
            "assignment_group: has blanks around it, and would match nothing named without them");
  c.clear_assignment_group();
  *c.mutable_planned_start_time() = base::ToProtoTimestamp(clock_.Now());
  *c.mutable_planned_end_time() = base::ToProtoTimestamp(clock_.Now() - absl::Hours(1));
  EXPECT_EQ(rules_.ValidateCreate(c).message(),
            "planned_end_time: must be after planned_start_time");
  *c.mutable_planned_end_time() = base::ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 400));
  EXPECT_EQ(rules_.ValidateCreate(c).message(),
            "planned_end_time: at most 366 days after planned_start_time");

  UpdateReleaseRequest u;
  u.mutable_release()->set_id("r1");
  u.mutable_update_mask()->add_paths("state");
  EXPECT_EQ(rules_.ValidateUpdate(u).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rules_.ValidateUpdate(u).message().find("TransitionRelease"), std::string::npos);
  u.mutable_update_mask()->clear_paths();
  u.mutable_update_mask()->add_paths("owner");
  u.mutable_release()->set_owner(" ann");
  EXPECT_EQ(rules_.ValidateUpdate(u).message(),
            "release.owner: has blanks around it, and would match nothing named without them");

  AddDeploymentRequest a;
  a.set_release_id("r1");
  EXPECT_EQ(rules_.ValidateAddDeployment(a).message(), "environment: required (e.g. production)");

  UpdateDeploymentRequest d = Move(Stored(RELEASE_STATE_DEPLOY, 1), DEPLOYMENT_STATE_UNSPECIFIED);
  EXPECT_EQ(rules_.ValidateUpdateDeployment(d).message(),
            "deployment.state: required (a deployment state)");
  TransitionReleaseRequest t;
  t.set_id("r1");
  EXPECT_EQ(rules_.ValidateTransition(t).message(), "target_state: required (a release state)");
  t.set_target_state(RELEASE_STATE_BUILD);
  t.set_close_notes("x");
  EXPECT_EQ(rules_.ValidateTransition(t).message(), "close_notes: only when closing or cancelling");
}

TEST_F(ReleaseRulesTest, DeployNeedsEveryChangeAuthorised) {
  const Release r = Stored(RELEASE_STATE_TEST);
  TransitionReleaseRequest t;
  t.set_id(r.id());
  t.set_version(r.version());
  t.set_target_state(RELEASE_STATE_DEPLOY);
  auto refused = rules_.Transition(
      r, t, {ChangeIn("CHG0000007", CHANGE_STATE_AUTHORISE, APPROVAL_OUTCOME_PENDING)});
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "target_state: release REL0000001 cannot deploy: not authorised: CHG0000007 is in "
            "AUTHORISE, approval PENDING");
  auto ok = rules_.Transition(
      r, t, {ChangeIn("CHG0000007", CHANGE_STATE_SCHEDULED, APPROVAL_OUTCOME_APPROVED)});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->state(), RELEASE_STATE_DEPLOY);
}

TEST_F(ReleaseRulesTest, DeploymentStartsInTestOrDeployWhenReadyAndCompletesWithAnOutcome) {
  const std::vector<Change> ready = {
      ChangeIn("CHG0000001", CHANGE_STATE_SCHEDULED, APPROVAL_OUTCOME_APPROVED)};
  const std::vector<Change> rejected = {
      ChangeIn("CHG0000001", CHANGE_STATE_AUTHORISE, APPROVAL_OUTCOME_REJECTED)};
  Deployment d;
  for (ReleaseState s : {RELEASE_STATE_PLANNED, RELEASE_STATE_BUILD, RELEASE_STATE_REVIEW}) {
    const Release r = Stored(s, 1);
    EXPECT_EQ(rules_.UpdateDeployment(r, Move(r, DEPLOYMENT_STATE_IN_PROGRESS), {}, ready, d)
                  .status()
                  .code(),
              absl::StatusCode::kFailedPrecondition);
  }
  Release r = Stored(RELEASE_STATE_DEPLOY, 1);
  auto refused = rules_.UpdateDeployment(r, Move(r, DEPLOYMENT_STATE_IN_PROGRESS), {}, rejected, d);
  EXPECT_EQ(refused.status().message(),
            "deployment.state: release REL0000001 cannot start a deployment: not authorised: "
            "CHG0000001 is in AUTHORISE, approval REJECTED");
  auto started = rules_.UpdateDeployment(r, Move(r, DEPLOYMENT_STATE_IN_PROGRESS), {}, ready, d);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(d.state(), DEPLOYMENT_STATE_IN_PROGRESS);
  EXPECT_TRUE(d.has_actual_start_time());
  r = *started;
  auto no_outcome = rules_.UpdateDeployment(r, Move(r, DEPLOYMENT_STATE_COMPLETED), {}, ready, d);
  EXPECT_EQ(no_outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(no_outcome.status().message().rfind("deployment.outcome: required", 0), 0u);
  auto done = rules_.UpdateDeployment(
      r, Move(r, DEPLOYMENT_STATE_COMPLETED, DEPLOYMENT_OUTCOME_SUCCESSFUL), {}, ready, d);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(d.outcome(), DEPLOYMENT_OUTCOME_SUCCESSFUL);
  EXPECT_TRUE(d.has_actual_end_time());
}

TEST_F(ReleaseRulesTest, ReviewNeedsACompletedDeploymentAndNoneInProgress) {
  Release r = Stored(RELEASE_STATE_DEPLOY, 1);
  TransitionReleaseRequest t;
  t.set_id(r.id());
  t.set_version(r.version());
  t.set_target_state(RELEASE_STATE_REVIEW);
  EXPECT_EQ(rules_.Transition(r, t, {}).status().message(),
            "target_state: a release is reviewed after at least one completed deployment");
  r.mutable_deployments(0)->set_state(DEPLOYMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(rules_.Transition(r, t, {}).status().message(),
            "target_state: deployment 1 (production) is in progress; complete or cancel it first");
  r.mutable_deployments(0)->set_state(DEPLOYMENT_STATE_COMPLETED);
  EXPECT_TRUE(rules_.Transition(r, t, {}).ok());
}

// A cancelled release leaves no deployment open: one in progress is ended first (it may have
// touched production), those not started end with it.
TEST_F(ReleaseRulesTest, CancelWaitsForARunningDeploymentAndCancelsThePlannedOnes) {
  Release r = Stored(RELEASE_STATE_DEPLOY, 3);
  r.mutable_deployments(0)->set_state(DEPLOYMENT_STATE_COMPLETED);
  r.mutable_deployments(1)->set_state(DEPLOYMENT_STATE_IN_PROGRESS);
  TransitionReleaseRequest t;
  t.set_id(r.id());
  t.set_version(r.version());
  t.set_target_state(RELEASE_STATE_CANCELLED);
  EXPECT_EQ(rules_.Transition(r, t, {}).status().message(),
            "target_state: deployment 2 (production) is in progress; complete or cancel it first");
  r.mutable_deployments(1)->set_state(DEPLOYMENT_STATE_CANCELLED);
  // Deployment 1 completed: the record says what became of what was deployed.
  EXPECT_EQ(rules_.Transition(r, t, {}).status().message(),
            "close_notes: required to cancel REL0000001, which has a completed deployment: say "
            "what became of what was deployed");
  t.set_close_notes("Rolled back in production on the 12th; the fix goes out in 2.5");
  auto cancelled = rules_.Transition(r, t, {});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->deployments(0).state(), DEPLOYMENT_STATE_COMPLETED);
  EXPECT_EQ(cancelled->deployments(1).state(), DEPLOYMENT_STATE_CANCELLED);
  EXPECT_EQ(cancelled->deployments(2).state(), DEPLOYMENT_STATE_CANCELLED);
}

// Once a deployment started, the changes it took out stay the release's content.
TEST_F(ReleaseRulesTest, TheChangeListIsFixedOnceADeploymentStarted) {
  Release r = Stored(RELEASE_STATE_TEST, 1);
  r.add_change_ids("c1");
  UpdateReleaseRequest u;
  *u.mutable_release() = r;
  u.mutable_update_mask()->add_paths("change_ids");
  EXPECT_TRUE(rules_.Update(r, u, {"c1", "c2"}, {}).ok());  // nothing deployed yet
  r.mutable_deployments(0)->set_state(DEPLOYMENT_STATE_IN_PROGRESS);
  for (ReleaseState state : {RELEASE_STATE_DEPLOY, RELEASE_STATE_REVIEW}) {
    r.set_state(state);
    auto changed = rules_.Update(r, u, {"c2"}, {});
    EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(changed.status().message(),
              "release.change_ids: REL0000001 has deployed its changes; they stay its content "
              "(more changes: a new release)");
  }
  EXPECT_TRUE(rules_.Update(r, u, {"c1"}, {}).ok());  // the same list: nothing changes
}

TEST_F(ReleaseRulesTest, FinishAnnouncesEachKindOfChange) {
  const Release before = Stored(RELEASE_STATE_TEST);
  Release after = before;
  after.set_title("Renamed");
  after.set_state(RELEASE_STATE_DEPLOY);
  auto out = rules_.Finish(before, after, "x", "cm");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->after.version(), 4);
  ASSERT_EQ(out->events.size(), 2u);
  EXPECT_EQ(out->events[0]->GetDescriptor()->name(), "ReleaseUpdated");
  EXPECT_EQ(out->events[1]->GetDescriptor()->name(), "ReleaseStateChanged");
  auto same = rules_.Finish(before, before, "x", "cm");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed());
}

}  // namespace
}  // namespace itsm::change
