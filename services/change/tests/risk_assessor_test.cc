#include "services/change/src/risk_assessor.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/change/src/change_policy.h"

namespace itsm::change {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::RiskAnswer Answer(const char* q, const char* a) {
  v1::RiskAnswer r;
  r.set_question_id(q);
  r.set_answer_id(a);
  return r;
}

double Sum(const v1::RiskAssessment& r) {
  double s = 0;
  for (const auto& f : r.factors()) s += f.contribution();
  return s;
}

TEST(RiskAssessor, NoAnswersNoCmdbIsLow) {
  const v1::RiskAssessment r = AssessRisk(DefaultChangePolicy(), {}, kNow);
  EXPECT_EQ(r.level(), v1::RISK_LEVEL_LOW);
  EXPECT_EQ(r.score(), 0);
  EXPECT_EQ(Sum(r), r.score());
}

TEST(RiskAssessor, EveryFactorExplainsItsContributionAndTheyAddUp) {
  RiskInputs in;
  *in.answers.Add() = Answer("outage", "full");  // 4
  *in.answers.Add() = Answer("tested", "no");    // 3
  in.business_services = {{"s1", "billing", 4}, {"s2", "mail", 2}, {"s1", "billing", 4}};
  in.recent_changes = 4;
  in.recent_failures = 1;  // rate 0.25 * 4 = 1
  const v1::RiskAssessment r = AssessRisk(DefaultChangePolicy(), in, kNow);
  // 4 + 3 + 2 services (1 each, de-duplicated) + CRITICAL (5) + 1 = 15
  EXPECT_DOUBLE_EQ(r.score(), 15);
  EXPECT_DOUBLE_EQ(Sum(r), r.score());
  EXPECT_EQ(r.level(), v1::RISK_LEVEL_HIGH);
  ASSERT_EQ(r.business_service_ids_size(), 2);
  bool criticality = false;
  for (const auto& f : r.factors()) {
    if (f.factor() == "business_services.criticality") {
      criticality = true;
      EXPECT_NE(f.detail().find("billing (CRITICAL)"), std::string::npos) << f.detail();
    }
  }
  EXPECT_TRUE(criticality);
}

TEST(RiskAssessor, ThresholdsDecideTheLevel) {
  v1::RiskWeights w = DefaultChangePolicy().risk_weights();
  EXPECT_EQ(LevelOf(w, w.medium_threshold() - 0.01), v1::RISK_LEVEL_LOW);
  EXPECT_EQ(LevelOf(w, w.medium_threshold()), v1::RISK_LEVEL_MEDIUM);
  EXPECT_EQ(LevelOf(w, w.high_threshold()), v1::RISK_LEVEL_HIGH);
}

TEST(RiskAssessor, CountedServicesAreCapped) {
  v1::ChangePolicy p = DefaultChangePolicy();
  RiskInputs in;
  for (int i = 0; i < 20; ++i) in.business_services.push_back({"s" + std::to_string(i), "", 0});
  const v1::RiskAssessment r = AssessRisk(p, in, kNow);
  EXPECT_DOUBLE_EQ(r.factors(0).contribution(), p.risk_weights().max_counted_services());
}

TEST(RiskAssessor, UnknownQuestionsAndAnswersAreNamed) {
  google::protobuf::RepeatedPtrField<v1::RiskAnswer> answers;
  *answers.Add() = Answer("outage", "no");
  *answers.Add() = Answer("outage", "full");
  absl::Status twice = CheckAnswers(DefaultChangePolicy(), answers, "risk_answers");
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.message().substr(0, 28), "risk_answers[1].question_id:");
  answers.Clear();
  *answers.Add() = Answer("outage", "maybe");
  EXPECT_EQ(CheckAnswers(DefaultChangePolicy(), answers, "risk_answers").message().substr(0, 26),
            "risk_answers[0].answer_id:");
  answers.Clear();
  *answers.Add() = Answer("weather", "no");
  EXPECT_FALSE(CheckAnswers(DefaultChangePolicy(), answers, "risk_answers").ok());
}

TEST(RiskAssessor, StandardChangesKeepTheirTemplatesRisk) {
  v1::ChangeTemplate t;
  t.set_name("Patch a web server");
  t.set_risk_level(v1::RISK_LEVEL_MEDIUM);
  const v1::RiskAssessment r = TemplateRisk(t, 3, kNow);
  EXPECT_EQ(r.level(), v1::RISK_LEVEL_MEDIUM);
  EXPECT_EQ(r.factors(0).factor(), "template");
  EXPECT_EQ(r.policy_version(), 3);
}

// A weight or threshold that is not a number would compare false with everything: a NaN
// high threshold would make no change HIGH risk, and slip through a plain range check.
TEST(ChangePolicyCheck, WeightsAndThresholdsAreFiniteAndInRangeNamingTheField) {
  ASSERT_TRUE(CheckChangePolicy(DefaultChangePolicy()).ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::function<void(v1::ChangePolicy&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[&](v1::ChangePolicy& p) { p.mutable_risk_weights()->set_high_threshold(nan); },
       "policy.risk_weights.high_threshold:"},
      {[&](v1::ChangePolicy& p) { p.mutable_risk_weights()->set_per_business_service(inf); },
       "policy.risk_weights.per_business_service:"},
      {[&](v1::ChangePolicy& p) { p.mutable_risk_weights()->set_criticality(2, -1e308); },
       "policy.risk_weights.criticality[2]:"},
      {[&](v1::ChangePolicy& p) { p.mutable_risk_weights()->set_criticality(0, nan); },
       "policy.risk_weights.criticality[0]:"},
      {[&](v1::ChangePolicy& p) { p.mutable_questions(0)->mutable_answers(0)->set_weight(nan); },
       "policy.questions[0].answers[0].weight:"},
      // A body holding only the field meant to change: the whole policy would go.
      {[&](v1::ChangePolicy& p) { p.clear_questions(); }, "policy.questions: at least one"},
      {[&](v1::ChangePolicy& p) { p.clear_risk_weights(); },
       "policy.risk_weights.medium_threshold: above 0"},
      {[&](v1::ChangePolicy& p) { p.mutable_risk_weights()->set_medium_threshold(nan); },
       "policy.risk_weights.medium_threshold:"},
      {[&](v1::ChangePolicy& p) { p.clear_approval_policies(); },
       "policy.approval_policies: at least one"},
  };
  for (const auto& k : cases) {
    v1::ChangePolicy p = DefaultChangePolicy();
    ASSERT_EQ(p.risk_weights().criticality_size(), 4);
    k.spoil(p);
    const absl::Status s = CheckChangePolicy(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << k.field;
    EXPECT_EQ(std::string(s.message()).rfind(k.field, 0), 0u) << s;
  }
}

}  // namespace
}  // namespace itsm::change
