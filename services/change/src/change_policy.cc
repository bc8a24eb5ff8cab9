#include "services/change/src/change_policy.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "services/change/src/approvals.h"

namespace itsm::change {
namespace {

// NaN compares false with everything, so a plain range check would let it through, and a NaN
// threshold would make no change ever HIGH risk.
bool InWeightRange(double v) { return std::isfinite(v) && v >= 0 && v <= 1000; }

void AddQuestion(v1::ChangePolicy& p, const char* id, const char* text,
                 std::initializer_list<std::pair<const char*, double>> answers) {
  v1::RiskQuestion* q = p.add_questions();
  q->set_id(id);
  q->set_text(text);
  for (const auto& [answer, weight] : answers) {
    v1::RiskAnswerOption* o = q->add_answers();
    o->set_id(answer);
    o->set_text(answer);
    o->set_weight(weight);
  }
}

v1::ApprovalLevel Level(const char* name, common::v1::Role role) {
  v1::ApprovalLevel l;
  l.set_name(name);
  l.set_approver_role(role);
  l.set_rule(v1::APPROVAL_RULE_ANY);
  return l;
}

}  // namespace

v1::ChangePolicy DefaultChangePolicy() {
  v1::ChangePolicy p;
  p.set_id(kPolicyId);
  AddQuestion(p, "outage", "Does the change need an outage of the service?",
              {{"no", 0}, {"partial", 2}, {"full", 4}});
  AddQuestion(p, "backout", "Can the change be backed out?",
              {{"tested", 0}, {"untested", 2}, {"no", 4}});
  AddQuestion(p, "tested", "Was the change tested in a test environment?", {{"yes", 0}, {"no", 3}});
  AddQuestion(p, "experience", "Has this kind of change been done before?",
              {{"often", 0}, {"rarely", 1}, {"never", 2}});
  v1::RiskWeights* w = p.mutable_risk_weights();
  w->set_per_business_service(1);
  w->set_max_counted_services(5);
  for (double c : {0.0, 1.0, 3.0, 5.0}) w->add_criticality(c);
  w->set_failure_rate(4);
  w->set_failure_lookback_days(90);
  w->set_medium_threshold(4);
  w->set_high_threshold(9);

  v1::ApprovalPolicy* ecab = p.add_approval_policies();
  ecab->set_name("emergency: ECAB");
  ecab->mutable_match()->add_types(v1::CHANGE_TYPE_EMERGENCY);
  *ecab->add_levels() = Level("ECAB", common::v1::ROLE_CAB_MEMBER);
  ecab->set_conflicts_need_override(true);
  v1::ApprovalPolicy* cab = p.add_approval_policies();
  cab->set_name("high risk: change manager, then CAB");
  cab->mutable_match()->add_types(v1::CHANGE_TYPE_NORMAL);
  cab->mutable_match()->set_min_risk(v1::RISK_LEVEL_HIGH);
  *cab->add_levels() = Level("change manager", common::v1::ROLE_CHANGE_MANAGER);
  *cab->add_levels() = Level("CAB", common::v1::ROLE_CAB_MEMBER);
  cab->set_conflicts_need_override(true);
  v1::ApprovalPolicy* manager = p.add_approval_policies();
  manager->set_name("low and medium risk: change manager");
  manager->mutable_match()->add_types(v1::CHANGE_TYPE_NORMAL);
  *manager->add_levels() = Level("change manager", common::v1::ROLE_CHANGE_MANAGER);

  p.mutable_conflict_rules()->set_dependency_depth(3);
  return p;
}

absl::Status CheckChangePolicy(const v1::ChangePolicy& p) {
  // An update replaces the whole policy: a body holding only the field meant to change would
  // silently drop the questionnaire, the thresholds and the approval policies (every normal
  // change HIGH, emergency changes without their ECAB).
  constexpr char kWhole[] = " (the whole policy is replaced: send the one GET answers, edited)";
  if (p.questions().empty()) {
    return base::FieldError("policy.questions", absl::StrCat("at least one", kWhole));
  }
  if (!(p.risk_weights().medium_threshold() > 0)) {
    return base::FieldError("policy.risk_weights.medium_threshold",
                            absl::StrCat("above 0", kWhole));
  }
  if (p.approval_policies().empty()) {
    return base::FieldError("policy.approval_policies", absl::StrCat("at least one", kWhole));
  }
  std::set<std::string> questions;
  for (int i = 0; i < p.questions_size(); ++i) {
    const v1::RiskQuestion& q = p.questions(i);
    const std::string at = absl::StrCat("policy.questions[", i, "]");
    if (q.id().empty() || !questions.insert(q.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".id: required and unique"));
    }
    if (q.answers().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".answers: at least one"));
    }
    std::set<std::string> answers;
    for (int j = 0; j < q.answers_size(); ++j) {
      if (q.answers(j).id().empty() || !answers.insert(q.answers(j).id()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".answers[", j, "].id: required and unique"));
      }
      if (!InWeightRange(q.answers(j).weight())) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".answers[", j, "].weight: 0..1000"));
      }
    }
  }
  const v1::RiskWeights& w = p.risk_weights();
  if (w.criticality_size() != 0 && w.criticality_size() != 4) {
    return absl::InvalidArgumentError(
        "policy.risk_weights.criticality: four weights (LOW, MEDIUM, HIGH, CRITICAL) or none");
  }
  const std::pair<const char*, double> weights[] = {
      {"per_business_service", w.per_business_service()},
      {"failure_rate", w.failure_rate()},
      {"medium_threshold", w.medium_threshold()},
      {"high_threshold", w.high_threshold()}};
  for (const auto& [name, v] : weights) {
    if (!InWeightRange(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy.risk_weights.", name, ": a number from 0 to 1000"));
    }
  }
  for (int i = 0; i < w.criticality_size(); ++i) {
    if (!InWeightRange(w.criticality(i))) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy.risk_weights.criticality[", i, "]: a number from 0 to 1000"));
    }
  }
  if (w.high_threshold() < w.medium_threshold()) {
    return absl::InvalidArgumentError("policy.risk_weights.high_threshold: below medium_threshold");
  }
  if (w.max_counted_services() < 0 || w.max_counted_services() > 200) {
    return absl::InvalidArgumentError("policy.risk_weights.max_counted_services: 0..200");
  }
  if (w.failure_lookback_days() < 0 || w.failure_lookback_days() > 3650) {
    return absl::InvalidArgumentError("policy.risk_weights.failure_lookback_days: 0..3650");
  }
  std::set<std::string> names;
  for (int i = 0; i < p.approval_policies_size(); ++i) {
    const std::string at = absl::StrCat("policy.approval_policies[", i, "]");
    ITSM_RETURN_IF_ERROR(CheckApprovalPolicy(p.approval_policies(i), at));
    if (!names.insert(p.approval_policies(i).name()).second) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".name: not unique"));
    }
    for (int t : p.approval_policies(i).match().types()) {
      if (t == v1::CHANGE_TYPE_UNSPECIFIED || !v1::ChangeType_IsValid(t)) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".match.types: unknown type ", t));
      }
    }
    if (!v1::RiskLevel_IsValid(p.approval_policies(i).match().min_risk())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".match.min_risk: unknown level"));
    }
  }
  if (p.conflict_rules().dependency_depth() < 0 || p.conflict_rules().dependency_depth() > 6) {
    return absl::InvalidArgumentError("policy.conflict_rules.dependency_depth: must be 0..6");
  }
  return absl::OkStatus();
}

}  // namespace itsm::change
