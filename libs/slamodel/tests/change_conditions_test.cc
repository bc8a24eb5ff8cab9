// Conditions of definitions for changes (docs/sla.md 3.5): the change vocabulary of states,
// consistent defaults (time to authorise, time to implement), the fields a change is read as,
// and record kinds never covering each other's records.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/slamodel/conditions.h"
#include "itsm/slamodel/coverage.h"

namespace itsm::slamodel {
namespace {

using ::testing::HasSubstr;

sla::v1::Condition StateIn(const std::vector<std::string>& values) {
  sla::v1::Condition c;
  auto* p = c.add_any_of()->add_all_of();
  p->set_field(sla::v1::CONDITION_FIELD_STATE);
  p->set_operator_(sla::v1::CONDITION_OPERATOR_IN);
  for (const auto& v : values) p->add_values(v);
  return c;
}

TEST(ChangeConditions, DefaultsAreConsistentInTheChangeVocabulary) {
  for (ClockKind kind : {ClockKind::kResponse, ClockKind::kResolution}) {
    const ClockConditions c = ClockConditions::Defaults(kind, RecordKind::kChange);
    EXPECT_TRUE(c.Check("conditions").ok()) << c.Check("conditions");
    auto back = ClockConditions::FromProto(c.ToProto(), kind, "c", RecordKind::kChange);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->stop.ToString(), c.stop.ToString());
  }
  EXPECT_EQ(ClockConditions::Defaults(ClockKind::kResponse, RecordKind::kChange).start.ToString(),
            "state in {AUTHORISE}");
}

TEST(ChangeConditions, StatesAreValidatedInTheRecordKindsVocabulary) {
  sla::v1::ClockConditions proto;
  *proto.mutable_stop() = StateIn({"scheduled", "CHANGE_STATE_IMPLEMENT"});
  auto ok = ClockConditions::FromProto(proto, ClockKind::kResolution, "resolution_conditions",
                                       RecordKind::kChange);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->stop.ToString(), "state in {IMPLEMENT, SCHEDULED}");
  // A change state in an incident definition, and an incident state in a change definition.
  auto incident = ClockConditions::FromProto(proto, ClockKind::kResolution, "r");
  EXPECT_THAT(incident.status().message(),
              HasSubstr("r.stop.any_of[0].all_of[0].values[0]: unknown state \"scheduled\""));
  *proto.mutable_stop() = StateIn({"RESOLVED"});
  auto change = ClockConditions::FromProto(proto, ClockKind::kResolution, "r", RecordKind::kChange);
  EXPECT_THAT(change.status().message(),
              HasSubstr("r.stop.any_of[0].all_of[0].values[0]: unknown change state \"RESOLVED\""));
}

TEST(ChangeConditions, AChangeIsReadInItsOwnFields) {
  change::v1::Change c;
  c.set_type(change::v1::CHANGE_TYPE_NORMAL);
  c.set_state(change::v1::CHANGE_STATE_AUTHORISE);
  c.set_assignment_group("dba");
  c.set_category("database");
  *c.mutable_create_time() = base::ToProtoTimestamp(absl::FromUnixSeconds(1'800'000'000));
  RecordFields r = FromChange(c);
  EXPECT_EQ(r.state, "AUTHORISE");
  EXPECT_EQ(r.priority, "P5");  // not assessed
  EXPECT_FALSE(r.responded);
  EXPECT_EQ(r.assignment_group, "dba");
  EXPECT_EQ(r.category, "database");
  EXPECT_EQ(r.create_time, absl::FromUnixSeconds(1'800'000'000));
  const std::vector<std::pair<change::v1::RiskLevel, std::string>> by_risk = {
      {change::v1::RISK_LEVEL_HIGH, "P2"},
      {change::v1::RISK_LEVEL_MEDIUM, "P3"},
      {change::v1::RISK_LEVEL_LOW, "P4"}};
  for (const auto& [level, priority] : by_risk) {
    c.mutable_risk()->set_level(level);
    EXPECT_EQ(FromChange(c).priority, priority);
  }
  c.set_type(change::v1::CHANGE_TYPE_EMERGENCY);
  EXPECT_EQ(FromChange(c).priority, "P1");
  for (auto outcome : {change::v1::APPROVAL_OUTCOME_APPROVED, change::v1::APPROVAL_OUTCOME_REJECTED,
                       change::v1::APPROVAL_OUTCOME_PRE_APPROVED}) {
    c.mutable_approval()->set_outcome(outcome);
    EXPECT_TRUE(FromChange(c).responded) << outcome;
  }
  c.mutable_approval()->set_outcome(change::v1::APPROVAL_OUTCOME_PENDING);
  EXPECT_FALSE(FromChange(c).responded);
}

TEST(ChangeConditions, RecordKindsNeverCoverEachOthersRecords) {
  sla::v1::SlaDefinition d;
  d.mutable_coverage()->add_services("billing");
  const CoverageFields incident{.service = "billing"};
  const CoverageFields change{.service = "billing", .record_kind = sla::v1::RECORD_KIND_CHANGE};
  EXPECT_TRUE(Covers(d, incident));
  EXPECT_FALSE(Covers(d, change));
  d.set_record_kind(sla::v1::RECORD_KIND_CHANGE);
  EXPECT_FALSE(Covers(d, incident));
  EXPECT_TRUE(Covers(d, change));
}

}  // namespace
}  // namespace itsm::slamodel
