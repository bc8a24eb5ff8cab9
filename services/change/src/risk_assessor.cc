#include "services/change/src/risk_assessor.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

const char* CriticalityName(int c) {
  switch (c) {
    case 1:
      return "LOW";
    case 2:
      return "MEDIUM";
    case 3:
      return "HIGH";
    case 4:
      return "CRITICAL";
    default:
      return "UNSPECIFIED";
  }
}

void AddFactor(v1::RiskAssessment& out, std::string factor, std::string detail,
               double contribution) {
  v1::RiskFactor* f = out.add_factors();
  f->set_factor(std::move(factor));
  f->set_detail(std::move(detail));
  f->set_contribution(contribution);
  out.set_score(out.score() + contribution);
}

}  // namespace

absl::Status CheckAnswers(const v1::ChangePolicy& policy,
                          const google::protobuf::RepeatedPtrField<v1::RiskAnswer>& answers,
                          const char* field) {
  std::set<std::string> answered;
  for (int i = 0; i < answers.size(); ++i) {
    const v1::RiskAnswer& a = answers[i];
    const auto q =
        std::find_if(policy.questions().begin(), policy.questions().end(),
                     [&](const v1::RiskQuestion& q) { return q.id() == a.question_id(); });
    if (q == policy.questions().end()) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "].question_id: no question \"",
                                                     a.question_id(), "\" in the change policy"));
    }
    if (!answered.insert(a.question_id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "].question_id: \"", a.question_id(), "\" answered twice"));
    }
    const bool known =
        std::any_of(q->answers().begin(), q->answers().end(),
                    [&](const v1::RiskAnswerOption& o) { return o.id() == a.answer_id(); });
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "].answer_id: question \"",
                                                     a.question_id(), "\" has no answer \"",
                                                     a.answer_id(), "\""));
    }
  }
  return absl::OkStatus();
}

v1::RiskLevel LevelOf(const v1::RiskWeights& weights, double score) {
  if (score >= weights.high_threshold()) return v1::RISK_LEVEL_HIGH;
  if (score >= weights.medium_threshold()) return v1::RISK_LEVEL_MEDIUM;
  return v1::RISK_LEVEL_LOW;
}

v1::RiskAssessment AssessRisk(const v1::ChangePolicy& policy, const RiskInputs& in,
                              absl::Time now) {
  v1::RiskAssessment out;
  const v1::RiskWeights& w = policy.risk_weights();
  // Questionnaire, in the policy's question order (so two assessments of the same answers list
  // their factors alike whatever order the caller gave).
  for (const v1::RiskQuestion& q : policy.questions()) {
    for (const v1::RiskAnswer& a : in.answers) {
      if (a.question_id() != q.id()) continue;
      for (const v1::RiskAnswerOption& o : q.answers()) {
        if (o.id() != a.answer_id()) continue;
        AddFactor(out, absl::StrCat("question:", q.id()), absl::StrCat(q.text(), " ", o.text()),
                  o.weight());
      }
    }
  }
  // The CMDB: how many business services the change reaches, and the most critical of them.
  std::vector<ReachedService> services = in.business_services;
  std::sort(services.begin(), services.end(),
            [](const ReachedService& a, const ReachedService& b) { return a.id < b.id; });
  services.erase(
      std::unique(services.begin(), services.end(),
                  [](const ReachedService& a, const ReachedService& b) { return a.id == b.id; }),
      services.end());
  for (const ReachedService& s : services) out.add_business_service_ids(s.id);
  const int counted =
      std::min(static_cast<int>(services.size()), std::max(0, w.max_counted_services()));
  AddFactor(out, "business_services.count",
            absl::StrCat(services.size(), " business service(s) reached",
                         counted < static_cast<int>(services.size())
                             ? absl::StrCat(", ", counted, " counted")
                             : ""),
            counted * w.per_business_service());
  const ReachedService* most = nullptr;
  for (const ReachedService& s : services) {
    if (most == nullptr || s.criticality > most->criticality) most = &s;
  }
  if (most != nullptr && most->criticality > 0 && most->criticality <= w.criticality_size()) {
    AddFactor(
        out, "business_services.criticality",
        absl::StrCat("most critical service reached: ", most->name.empty() ? most->id : most->name,
                     " (", CriticalityName(most->criticality), ")"),
        w.criticality(most->criticality - 1));
  } else {
    AddFactor(out, "business_services.criticality", "no business service with a criticality", 0);
  }
  // History: how often changes to these CIs went wrong lately.
  const double rate =
      in.recent_changes > 0 ? static_cast<double>(in.recent_failures) / in.recent_changes : 0.0;
  AddFactor(out, "change_failure_rate",
            absl::StrFormat("%d of %d change(s) on these CIs in the last %d days failed or were "
                            "backed out",
                            in.recent_failures, in.recent_changes, w.failure_lookback_days()),
            rate * w.failure_rate());
  out.set_level(LevelOf(w, out.score()));
  out.set_policy_version(policy.version());
  *out.mutable_assess_time() = base::ToProtoTimestamp(now);
  return out;
}

v1::RiskAssessment TemplateRisk(const v1::ChangeTemplate& tmpl, int64_t policy_version,
                                absl::Time now) {
  v1::RiskAssessment out;
  out.set_level(tmpl.risk_level());
  AddFactor(out, "template",
            absl::StrCat("standard change template \"", tmpl.name(), "\": risk ",
                         v1::RiskLevel_Name(tmpl.risk_level()), ", fixed"),
            0);
  out.set_policy_version(policy_version);
  *out.mutable_assess_time() = base::ToProtoTimestamp(now);
  return out;
}

}  // namespace itsm::change
