#include "services/change/src/approvals.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

bool Matches(const v1::ApprovalPolicyMatch& match, const v1::Change& change) {
  if (!match.types().empty() &&
      std::find(match.types().begin(), match.types().end(), change.type()) == match.types().end()) {
    return false;
  }
  if (match.min_risk() != v1::RISK_LEVEL_UNSPECIFIED && change.risk().level() < match.min_risk()) {
    return false;
  }
  if (match.service_ids().empty()) return true;
  for (const std::string& s : match.service_ids()) {
    const auto& named = change.affected_service_ids();
    const auto& reached = change.risk().business_service_ids();
    if (std::find(named.begin(), named.end(), s) != named.end() ||
        std::find(reached.begin(), reached.end(), s) != reached.end()) {
      return true;
    }
  }
  return false;
}

std::vector<v1::ApprovalVote> VotesAt(const v1::Approval& approval, int level) {
  std::vector<v1::ApprovalVote> out;
  for (const v1::ApprovalVote& v : approval.votes()) {
    if (v.level() == level) out.push_back(v);
  }
  return out;
}

}  // namespace

v1::ApprovalLevel DefaultLevel() {
  v1::ApprovalLevel level;
  level.set_name("change manager");
  level.set_approver_role(common::v1::ROLE_CHANGE_MANAGER);
  level.set_rule(v1::APPROVAL_RULE_ANY);
  return level;
}

const v1::ApprovalPolicy* SelectApprovalPolicy(const v1::ChangePolicy& policy,
                                               const v1::Change& change) {
  if (change.type() == v1::CHANGE_TYPE_STANDARD) return nullptr;
  for (const v1::ApprovalPolicy& p : policy.approval_policies()) {
    if (Matches(p.match(), change)) return &p;
  }
  return nullptr;
}

v1::Approval StartApproval(const v1::ChangePolicy& policy, const v1::Change& change,
                           absl::Time now) {
  v1::Approval approval;
  *approval.mutable_request_time() = base::ToProtoTimestamp(now);
  approval.set_self_approval_allowed(policy.allow_self_approval());
  if (change.type() == v1::CHANGE_TYPE_STANDARD) {
    approval.set_policy_name("standard change (pre-approved)");
    approval.set_outcome(v1::APPROVAL_OUTCOME_PRE_APPROVED);
    *approval.mutable_decide_time() = base::ToProtoTimestamp(now);
    return approval;
  }
  if (const v1::ApprovalPolicy* p = SelectApprovalPolicy(policy, change)) {
    approval.set_policy_name(p->name());
    *approval.mutable_levels() = p->levels();
    approval.set_conflicts_need_override(p->conflicts_need_override());
  } else {
    approval.set_policy_name("default (change manager)");
    *approval.add_levels() = DefaultLevel();
  }
  EvaluateApproval(approval, BarredFromDeciding(change, approval));
  if (approval.outcome() == v1::APPROVAL_OUTCOME_APPROVED) {
    // A policy without levels approves at once.
    *approval.mutable_decide_time() = base::ToProtoTimestamp(now);
  }
  return approval;
}

std::vector<std::string> BarredFromDeciding(const v1::Change& change,
                                            const v1::Approval& approval) {
  if (approval.self_approval_allowed()) return {};
  std::vector<std::string> barred;
  for (const std::string& person : {change.created_by(), change.assignee()}) {
    if (!person.empty()) barred.push_back(person);
  }
  return barred;
}

v1::ApprovalOutcome LevelOutcome(const v1::ApprovalLevel& level,
                                 const std::vector<v1::ApprovalVote>& votes,
                                 const std::vector<std::string>& barred) {
  int approvals = 0;
  int rejections = 0;
  for (const v1::ApprovalVote& v : votes) {
    (v.decision() == v1::APPROVAL_DECISION_APPROVE ? approvals : rejections)++;
  }
  // A named approver barred from deciding (segregation of duties) will never vote: the level
  // asks those who may, or it could never be decided.
  const int electorate = static_cast<int>(
      std::count_if(level.approvers().begin(), level.approvers().end(), [&](const auto& person) {
        return std::none_of(barred.begin(), barred.end(),
                            [&](const std::string& b) { return auth::SamePerson(person, b); });
      }));
  switch (level.rule()) {
    case v1::APPROVAL_RULE_ALL:
      if (rejections > 0) return v1::APPROVAL_OUTCOME_REJECTED;
      return electorate > 0 && approvals >= electorate ? v1::APPROVAL_OUTCOME_APPROVED
                                                       : v1::APPROVAL_OUTCOME_PENDING;
    case v1::APPROVAL_RULE_QUORUM: {
      const int needed = std::min(level.quorum(), electorate);
      if (needed > 0 && approvals >= needed) return v1::APPROVAL_OUTCOME_APPROVED;
      if (needed > 0 && rejections > electorate - needed) return v1::APPROVAL_OUTCOME_REJECTED;
      return v1::APPROVAL_OUTCOME_PENDING;
    }
    default:  // ANY
      if (votes.empty()) return v1::APPROVAL_OUTCOME_PENDING;
      return votes.front().decision() == v1::APPROVAL_DECISION_APPROVE
                 ? v1::APPROVAL_OUTCOME_APPROVED
                 : v1::APPROVAL_OUTCOME_REJECTED;
  }
}

void EvaluateApproval(v1::Approval& approval, const std::vector<std::string>& barred) {
  if (approval.outcome() == v1::APPROVAL_OUTCOME_PRE_APPROVED) return;
  std::vector<std::string> barred_here = barred;
  for (int i = 0; i < approval.levels_size(); ++i) {
    if (i > 0 && !approval.self_approval_allowed()) {
      // Who decided the level before does not decide this one (CheckVoter).
      for (const v1::ApprovalVote& v : VotesAt(approval, i - 1))
        barred_here.push_back(v.approver());
    }
    const v1::ApprovalOutcome level =
        LevelOutcome(approval.levels(i), VotesAt(approval, i), barred_here);
    approval.set_current_level(i);
    if (level != v1::APPROVAL_OUTCOME_APPROVED) {
      approval.set_outcome(level);
      return;
    }
  }
  approval.set_current_level(std::max(0, approval.levels_size() - 1));
  approval.set_outcome(v1::APPROVAL_OUTCOME_APPROVED);
}

absl::Status CheckNotOwnChange(const v1::Change& change, const base::Caller& voter) {
  if (change.approval().self_approval_allowed()) return absl::OkStatus();
  const char* part = auth::SamePerson(change.created_by(), voter.actor) ? "raised"
                     : auth::SamePerson(change.assignee(), voter.actor) ? "is assigned to"
                                                                        : nullptr;
  if (part == nullptr) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("decision: ", voter.actor, " ", part, " this change and may not decide its ",
                   "approval (segregation of duties; the change policy's allow_self_approval)"));
}

absl::Status CheckVoter(const v1::Approval& approval, const base::Caller& voter) {
  const std::string& actor = voter.actor;
  if (approval.outcome() != v1::APPROVAL_OUTCOME_PENDING) {
    return absl::FailedPreconditionError(absl::StrCat("decision: the approval is ",
                                                      v1::ApprovalOutcome_Name(approval.outcome()),
                                                      ", not pending"));
  }
  const int current = approval.current_level();
  const v1::ApprovalLevel& level = approval.levels(current);
  if (voter.roles.has_value() && level.approver_role() != common::v1::ROLE_UNSPECIFIED) {
    const std::string role = auth::RoleName(level.approver_role());
    auto holds = [&](const std::string& r) {
      return std::find(voter.roles->begin(), voter.roles->end(), r) != voter.roles->end();
    };
    // An administrator holds every role's powers, here as in every RPC's check.
    if (!holds(role) && !holds(auth::RoleName(common::v1::ROLE_ADMIN))) {
      return absl::PermissionDeniedError(absl::StrCat("decision: level \"", level.name(),
                                                      "\" is decided by the role ", role,
                                                      ", which ", actor, " does not hold"));
    }
  }
  auto is_actor = [&](const std::string& person) { return auth::SamePerson(person, actor); };
  if (!level.approvers().empty() &&
      std::none_of(level.approvers().begin(), level.approvers().end(), is_actor)) {
    return absl::PermissionDeniedError(
        absl::StrCat("decision: ", actor, " is not an approver of level \"", level.name(), "\""));
  }
  for (const v1::ApprovalVote& v : approval.votes()) {
    if (!is_actor(v.approver())) continue;
    if (v.level() == current) {
      return absl::FailedPreconditionError(
          absl::StrCat("decision: ", actor, " already decided at level \"", level.name(), "\""));
    }
    // Levels are successive pairs of eyes: one person holding both roles (or an administrator)
    // does not approve twice.
    if (!approval.self_approval_allowed()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "decision: ", actor, " decided level \"",
          v.level() < approval.levels_size() ? approval.levels(v.level()).name() : "",
          "\" already; each level is decided by someone else (segregation of duties; the "
          "change policy's allow_self_approval)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckApprovalPolicy(const v1::ApprovalPolicy& policy, const std::string& field) {
  if (policy.name().empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ".name: required"));
  // A policy without a level would approve every change it matches with no vote at all: the
  // bypass that making the policy an administrator's alone was meant to close (decision 270).
  if (policy.levels().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".levels: at least one level (a policy without one approves with no vote)"));
  }
  for (int i = 0; i < policy.levels_size(); ++i) {
    const v1::ApprovalLevel& l = policy.levels(i);
    const std::string at = absl::StrCat(field, ".levels[", i, "]");
    // Voters are told which level they decide, by its name.
    if (base::IsBlank(l.name())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".name: required"));
    }
    ITSM_RETURN_IF_ERROR(base::CheckMatchedName(absl::StrCat(at, ".name"), l.name()));
    if (l.rule() == v1::APPROVAL_RULE_UNSPECIFIED || !v1::ApprovalRule_IsValid(l.rule())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".rule: required (ANY, ALL or QUORUM)"));
    }
    if (l.rule() != v1::APPROVAL_RULE_QUORUM && l.quorum() != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".quorum: only for a QUORUM level (this one is ",
                       v1::ApprovalRule_Name(l.rule()), ")"));
    }
    if (l.approver_role() != common::v1::ROLE_CHANGE_MANAGER &&
        l.approver_role() != common::v1::ROLE_CAB_MEMBER) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".approver_role: must be ROLE_CHANGE_MANAGER or ROLE_CAB_MEMBER"));
    }
    ITSM_RETURN_IF_ERROR(
        base::CheckMatchedName(absl::StrCat(at, ".approver_group"), l.approver_group()));
    for (int k = 0; k < l.approvers_size(); ++k) {
      const std::string approver = absl::StrCat(at, ".approvers[", k, "]");
      if (l.approvers(k).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(approver, ": empty"));
      }
      // Matched to a voter's verified name: a padded one, or one no identity can carry (an
      // invisible character), could never vote and would hold an ALL level forever.
      ITSM_RETURN_IF_ERROR(base::CheckMatchedName(approver, l.approvers(k)));
      if (const std::string why = base::WhyNotAnIdentity(l.approvers(k)); !why.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(approver, ": ", why));
      }
      // Names match voters in any case: one person named twice would be counted twice, and an
      // ALL or QUORUM level could never be decided.
      for (int earlier = 0; earlier < k; ++earlier) {
        if (auth::SamePerson(l.approvers(earlier), l.approvers(k))) {
          return absl::InvalidArgumentError(absl::StrCat(
              approver, ": the same person as approvers[", earlier, "] (names match in any case)"));
        }
      }
    }
    if (l.rule() != v1::APPROVAL_RULE_ANY && l.approvers().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".approvers: required for ALL and QUORUM (who counts)"));
    }
    if (l.rule() == v1::APPROVAL_RULE_QUORUM &&
        (l.quorum() < 1 || l.quorum() > l.approvers_size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".quorum: must be 1..", l.approvers_size(), ", got ", l.quorum()));
    }
  }
  return absl::OkStatus();
}

}  // namespace itsm::change
