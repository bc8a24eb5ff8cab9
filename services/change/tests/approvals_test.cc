#include "services/change/src/approvals.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "services/change/src/change_policy.h"

namespace itsm::change {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::Change ChangeOf(v1::ChangeType type, v1::RiskLevel risk) {
  v1::Change c;
  c.set_type(type);
  c.mutable_risk()->set_level(risk);
  return c;
}

TEST(Approvals, DefaultPolicyRoutesByTypeAndRisk) {
  const v1::ChangePolicy p = DefaultChangePolicy();
  EXPECT_EQ(
      StartApproval(p, ChangeOf(v1::CHANGE_TYPE_STANDARD, v1::RISK_LEVEL_HIGH), kNow).outcome(),
      v1::APPROVAL_OUTCOME_PRE_APPROVED);
  const v1::Approval ecab =
      StartApproval(p, ChangeOf(v1::CHANGE_TYPE_EMERGENCY, v1::RISK_LEVEL_LOW), kNow);
  EXPECT_EQ(ecab.policy_name(), "emergency: ECAB");
  EXPECT_EQ(ecab.levels(0).name(), "ECAB");
  EXPECT_TRUE(ecab.conflicts_need_override());
  const v1::Approval cab =
      StartApproval(p, ChangeOf(v1::CHANGE_TYPE_NORMAL, v1::RISK_LEVEL_HIGH), kNow);
  ASSERT_EQ(cab.levels_size(), 2);
  EXPECT_EQ(cab.levels(1).name(), "CAB");
  EXPECT_EQ(cab.outcome(), v1::APPROVAL_OUTCOME_PENDING);
  const v1::Approval low =
      StartApproval(p, ChangeOf(v1::CHANGE_TYPE_NORMAL, v1::RISK_LEVEL_LOW), kNow);
  EXPECT_EQ(low.levels_size(), 1);
  EXPECT_FALSE(low.conflicts_need_override());
}

TEST(Approvals, PoliciesCanMatchAffectedServices) {
  v1::ChangePolicy p;
  v1::ApprovalPolicy* billing = p.add_approval_policies();
  billing->set_name("billing owners");
  billing->mutable_match()->add_service_ids("svc-billing");
  v1::ApprovalLevel* l = billing->add_levels();
  l->set_name("billing CAB");
  l->set_rule(v1::APPROVAL_RULE_ALL);
  l->add_approvers("ann");
  v1::Change c = ChangeOf(v1::CHANGE_TYPE_NORMAL, v1::RISK_LEVEL_LOW);
  EXPECT_EQ(StartApproval(p, c, kNow).policy_name(), "default (change manager)");
  c.mutable_risk()->add_business_service_ids("svc-billing");  // reached through the CMDB
  EXPECT_EQ(StartApproval(p, c, kNow).policy_name(), "billing owners");
}

base::Caller Voter(const std::string& actor,
                   std::optional<std::vector<std::string>> roles = std::nullopt) {
  return base::Caller{.actor = actor, .roles = std::move(roles)};
}

TEST(Approvals, OnlyNamedApproversOnceEachAtTheCurrentLevel) {
  v1::Approval a;
  v1::ApprovalLevel* l = a.add_levels();
  l->set_rule(v1::APPROVAL_RULE_QUORUM);
  l->set_quorum(2);
  for (const char* who : {"ann", "bob", "cid"}) l->add_approvers(who);
  EvaluateApproval(a);
  EXPECT_EQ(CheckVoter(a, Voter("eve")).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(CheckVoter(a, Voter("ann")).ok());
  v1::ApprovalVote* v = a.add_votes();
  v->set_approver("ann");
  v->set_decision(v1::APPROVAL_DECISION_APPROVE);
  EvaluateApproval(a);
  EXPECT_EQ(CheckVoter(a, Voter("ann")).code(), absl::StatusCode::kFailedPrecondition);
}

// Segregation of duties: whoever raised a change or implements it does not decide its approval,
// an administrator neither, unless the policy under which the approval started allowed it.
TEST(Approvals, NoOneDecidesTheirOwnChangeUnlessThePolicyAllowsIt) {
  v1::ChangePolicy policy;
  v1::Change change;
  change.set_type(v1::CHANGE_TYPE_NORMAL);
  change.set_created_by("ann");
  change.set_assignee("bob");
  *change.mutable_approval() = StartApproval(policy, change, absl::UnixEpoch());
  const auto admin = std::vector<std::string>{"admin"};
  for (const char* own : {"ann", "bob"}) {
    const absl::Status s = CheckNotOwnChange(change, Voter(own, admin));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << own;
    EXPECT_NE(s.message().find("segregation of duties"), absl::string_view::npos) << s;
  }
  EXPECT_TRUE(CheckNotOwnChange(change, Voter("cid")).ok());
  // An assignee written as a look-alike of the voter is the voter.
  for (const char* look_alike : {"cid ", "CID", "\u200bcid", "cid\u00a0"}) {
    change.set_assignee(look_alike);
    EXPECT_EQ(CheckNotOwnChange(change, Voter("cid")).code(), absl::StatusCode::kPermissionDenied)
        << look_alike;
  }
  change.set_assignee("bob");

  policy.set_allow_self_approval(true);
  *change.mutable_approval() = StartApproval(policy, change, absl::UnixEpoch());
  EXPECT_TRUE(change.approval().self_approval_allowed());
  EXPECT_TRUE(CheckNotOwnChange(change, Voter("ann")).ok());
}

TEST(Approvals, BadPoliciesAreRefusedNamingTheField) {
  v1::ApprovalPolicy p;
  p.set_name("x");
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 10), "p.levels: ")
      << "no level: approved with no vote";
  v1::ApprovalLevel* l = p.add_levels();
  l->set_approver_role(common::v1::ROLE_CAB_MEMBER);
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 17), "p.levels[0].name:");
  l->set_name("CAB");
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 15), "p.levels[0].rul");
  l->set_rule(v1::APPROVAL_RULE_QUORUM);
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 22), "p.levels[0].approvers:");
  l->add_approvers("ann");
  l->set_quorum(2);
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 19), "p.levels[0].quorum:");
  l->set_quorum(1);
  EXPECT_TRUE(CheckApprovalPolicy(p, "p").ok());

  // One person named twice (names match voters in any case) would be counted twice.
  l->add_approvers("ANN");
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message(),
            "p.levels[0].approvers[1]: the same person as approvers[0] (names match in any case)");
  l->set_approvers(1, "ann\u200b");
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 26), "p.levels[0].approvers[1]: ");
  l->set_approvers(1, "bob");
  EXPECT_TRUE(CheckApprovalPolicy(p, "p").ok());
  l->set_rule(v1::APPROVAL_RULE_ANY);
  EXPECT_EQ(CheckApprovalPolicy(p, "p").message().substr(0, 19), "p.levels[0].quorum:")
      << "a quorum that would be ignored";
}

// ---- Property: the outcome equals a brute-force evaluation of the policy ----

// A level's outcome by enumeration: APPROVED when every way the outstanding approvers could
// still vote approves it, REJECTED when none does, PENDING otherwise. ANY: the first decision.
// By enumeration of every way the outstanding votes could go: approved (rejected) when every
// completion approves (none does). Who is barred never votes; with nobody left, nobody decides.
v1::ApprovalOutcome BruteForceLevel(const v1::ApprovalLevel& level,
                                    const std::vector<v1::ApprovalVote>& votes,
                                    const std::set<std::string>& barred) {
  if (level.rule() == v1::APPROVAL_RULE_ANY) {
    if (votes.empty()) return v1::APPROVAL_OUTCOME_PENDING;
    return votes[0].decision() == v1::APPROVAL_DECISION_APPROVE ? v1::APPROVAL_OUTCOME_APPROVED
                                                                : v1::APPROVAL_OUTCOME_REJECTED;
  }
  std::map<std::string, bool> cast;
  for (const auto& v : votes) cast[v.approver()] = v.decision() == v1::APPROVAL_DECISION_APPROVE;
  std::vector<std::string> outstanding;
  int eligible = 0;
  for (const auto& a : level.approvers()) {
    if (barred.contains(a)) continue;
    ++eligible;
    if (!cast.contains(a)) outstanding.push_back(a);
  }
  const int needed =
      level.rule() == v1::APPROVAL_RULE_ALL ? eligible : std::min(level.quorum(), eligible);
  if (needed == 0) return v1::APPROVAL_OUTCOME_PENDING;
  int approving_completions = 0;
  const int completions = 1 << outstanding.size();
  for (int mask = 0; mask < completions; ++mask) {
    std::map<std::string, bool> full = cast;
    for (size_t i = 0; i < outstanding.size(); ++i) full[outstanding[i]] = (mask >> i) & 1;
    int yes = 0;
    for (const auto& [who, approve] : full) yes += approve;
    const bool approved = yes >= needed;
    approving_completions += approved;
  }
  if (approving_completions == completions) return v1::APPROVAL_OUTCOME_APPROVED;
  if (approving_completions == 0) return v1::APPROVAL_OUTCOME_REJECTED;
  return v1::APPROVAL_OUTCOME_PENDING;
}

v1::ApprovalOutcome BruteForce(const v1::Approval& a, std::set<std::string> barred = {}) {
  for (int i = 0; i < a.levels_size(); ++i) {
    std::vector<v1::ApprovalVote> votes;
    for (const auto& v : a.votes()) {
      if (v.level() == i) votes.push_back(v);
      if (v.level() == i - 1) barred.insert(v.approver());  // decided the level before
    }
    const v1::ApprovalOutcome level = BruteForceLevel(a.levels(i), votes, barred);
    if (level != v1::APPROVAL_OUTCOME_APPROVED) return level;
  }
  return v1::APPROVAL_OUTCOME_APPROVED;
}

// A named approver barred from deciding (who raised the change or is assigned to it, who decided
// the level before) is left out of the level: ALL asks the others, QUORUM at most as many as
// remain, and a level with nobody left stays pending (decision 263).
TEST(Approvals, ABarredNamedApproverIsLeftOutOfTheLevel) {
  const auto vote = [](v1::Approval& a, const std::string& who, int level) {
    v1::ApprovalVote* v = a.add_votes();
    v->set_level(level);
    v->set_approver(who);
    v->set_decision(v1::APPROVAL_DECISION_APPROVE);
  };
  v1::Change change;
  change.set_created_by("ann");
  change.set_assignee("Cid");
  v1::Approval all;
  v1::ApprovalLevel* l = all.add_levels();
  l->set_rule(v1::APPROVAL_RULE_ALL);
  for (const char* who : {"ann", "bob"}) l->add_approvers(who);
  EXPECT_EQ(BarredFromDeciding(change, all), (std::vector<std::string>{"ann", "Cid"}));
  EvaluateApproval(all, BarredFromDeciding(change, all));
  EXPECT_EQ(all.outcome(), v1::APPROVAL_OUTCOME_PENDING);
  vote(all, "bob", 0);
  EvaluateApproval(all, BarredFromDeciding(change, all));
  EXPECT_EQ(all.outcome(), v1::APPROVAL_OUTCOME_APPROVED) << "ann raised it: bob alone decides";
  all.set_self_approval_allowed(true);
  all.clear_outcome();
  EvaluateApproval(all, BarredFromDeciding(change, all));
  EXPECT_EQ(all.outcome(), v1::APPROVAL_OUTCOME_PENDING) << "allowed, ann's vote is awaited";

  v1::Approval quorum;
  l = quorum.add_levels();
  l->set_rule(v1::APPROVAL_RULE_QUORUM);
  l->set_quorum(3);
  for (const char* who : {"ann", "bob", "cid"}) l->add_approvers(who);
  vote(quorum, "bob", 0);
  EvaluateApproval(quorum, BarredFromDeciding(change, quorum));
  EXPECT_EQ(quorum.outcome(), v1::APPROVAL_OUTCOME_APPROVED)
      << "ann and Cid (however cased) are barred: one of one";

  v1::Approval alone;
  l = alone.add_levels();
  l->set_rule(v1::APPROVAL_RULE_ALL);
  l->add_approvers("ann");
  EvaluateApproval(alone, BarredFromDeciding(change, alone));
  EXPECT_EQ(alone.outcome(), v1::APPROVAL_OUTCOME_PENDING) << "nobody left decides nothing";

  // Two levels: who decided the first is left out of the second.
  v1::Approval two;
  for (int i = 0; i < 2; ++i) {
    l = two.add_levels();
    l->set_rule(v1::APPROVAL_RULE_ALL);
    for (const char* who : {"dee", i == 0 ? "eve" : "fay"}) l->add_approvers(who);
  }
  vote(two, "dee", 0);
  vote(two, "eve", 0);
  EvaluateApproval(two);
  ASSERT_EQ(two.current_level(), 1);
  vote(two, "fay", 1);
  EvaluateApproval(two);
  EXPECT_EQ(two.outcome(), v1::APPROVAL_OUTCOME_APPROVED);
  EXPECT_EQ(two.outcome(), BruteForce(two));
}

TEST(Approvals, OutcomeEqualsBruteForceEvaluationOnRandomPoliciesAndVotes) {
  std::mt19937 rng(20261130);
  const std::vector<std::string> people = {"ann", "bob", "cid", "dee", "eve", "fay", "gus"};
  int decided = 0;
  for (int round = 0; round < 3000; ++round) {
    v1::Approval a;
    const int levels = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < levels; ++i) {
      v1::ApprovalLevel* l = a.add_levels();
      l->set_rule(static_cast<v1::ApprovalRule>(1 + rng() % 3));
      if (l->rule() != v1::APPROVAL_RULE_ANY || rng() % 2) {
        const int n = 1 + static_cast<int>(rng() % 5);
        std::vector<std::string> pool = people;
        std::shuffle(pool.begin(), pool.end(), rng);
        for (int k = 0; k < n; ++k) l->add_approvers(pool[k]);
      }
      if (l->rule() == v1::APPROVAL_RULE_QUORUM) {
        l->set_quorum(1 + static_cast<int>(rng() % l->approvers_size()));
      }
    }
    EvaluateApproval(a);
    for (int attempt = 0; attempt < 12; ++attempt) {
      const std::string& who = people[rng() % people.size()];
      if (!CheckVoter(a, Voter(who)).ok()) continue;
      v1::ApprovalVote* v = a.add_votes();
      v->set_level(a.current_level());
      v->set_approver(who);
      v->set_decision(rng() % 3 == 0 ? v1::APPROVAL_DECISION_REJECT
                                     : v1::APPROVAL_DECISION_APPROVE);
      EvaluateApproval(a);
      ASSERT_EQ(a.outcome(), BruteForce(a)) << a.DebugString();
    }
    decided += a.outcome() != v1::APPROVAL_OUTCOME_PENDING;
  }
  EXPECT_GT(decided, 500);  // the generator reaches decisions, not just pending approvals
}

// With authentication on, the level's approver role is required as well: a CAB member cannot
// decide the change manager's level, nor a change manager the CAB's, even where the level names
// no approvers (ANY: anyone with the role).
TEST(Approvals, TheCurrentLevelsRoleIsRequiredWhenRolesAreKnown) {
  v1::Approval a;
  *a.add_levels() = DefaultLevel();  // change manager, ANY
  v1::ApprovalLevel* cab = a.add_levels();
  cab->set_name("CAB");
  cab->set_approver_role(common::v1::ROLE_CAB_MEMBER);
  cab->set_rule(v1::APPROVAL_RULE_ANY);
  EvaluateApproval(a);
  const absl::Status cab_member =
      CheckVoter(a, Voter("carol", std::vector<std::string>{"cab_member"}));
  EXPECT_EQ(cab_member.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(cab_member.message().find("change_manager"), std::string::npos) << cab_member;
  EXPECT_TRUE(CheckVoter(a, Voter("root", std::vector<std::string>{"admin"})).ok())
      << "an administrator decides any level, as it may call any RPC";
  EXPECT_TRUE(
      CheckVoter(a, Voter("mia", std::vector<std::string>{"agent", "change_manager"})).ok());
  EXPECT_TRUE(CheckVoter(a, Voter("anyone")).ok()) << "roles unknown: authentication is off";

  v1::ApprovalVote* v = a.add_votes();
  v->set_level(0);
  v->set_approver("mia");
  v->set_decision(v1::APPROVAL_DECISION_APPROVE);
  EvaluateApproval(a);
  ASSERT_EQ(a.current_level(), 1);
  EXPECT_EQ(CheckVoter(a, Voter("mia", std::vector<std::string>{"change_manager"})).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckVoter(a, Voter("carol", std::vector<std::string>{"cab_member"})).ok());
}

}  // namespace
}  // namespace itsm::change
