#include "itsm/slamodel/conditions.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/slamodel/coverage.h"

namespace itsm::slamodel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

RecordFields Record(std::string state, std::string priority = "P2") {
  RecordFields r;
  r.state = std::move(state);
  r.priority = std::move(priority);
  r.create_time = kT0;
  return r;
}

ClockPolicy Policy(ClockKind kind, bool retroactive = false,
                   ClockConditions conditions = ClockConditions::Defaults(ClockKind::kResolution)) {
  if (kind == ClockKind::kResponse) conditions = ClockConditions::Defaults(kind);
  return ClockPolicy(kind, conditions, {{"P1", absl::Hours(4)}, {"P2", absl::Hours(8)}},
                     retroactive);
}

std::vector<ActionType> Types(const std::vector<Action>& actions) {
  std::vector<ActionType> out;
  for (const auto& a : actions) out.push_back(a.type);
  return out;
}

sla::v1::Condition StateIn(std::initializer_list<const char*> states) {
  sla::v1::Condition c;
  auto* p = c.add_any_of()->add_all_of();
  p->set_field(sla::v1::CONDITION_FIELD_STATE);
  p->set_operator_(sla::v1::CONDITION_OPERATOR_IN);
  for (const char* s : states) p->add_values(s);
  return c;
}

TEST(ClockConditions, DefaultsAreConsistent) {
  EXPECT_TRUE(ClockConditions::Defaults(ClockKind::kResponse).Check("response_conditions").ok());
  EXPECT_TRUE(
      ClockConditions::Defaults(ClockKind::kResolution).Check("resolution_conditions").ok());
}

TEST(ClockConditions, ProtoRoundTripKeepsMeaning) {
  const auto defaults = ClockConditions::Defaults(ClockKind::kResolution);
  auto back = ClockConditions::FromProto(defaults.ToProto(), ClockKind::kResolution, "c");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pause.ToString(), defaults.pause.ToString());
  EXPECT_EQ(back->stop.ToString(), "state in {CLOSED, RESOLVED}");
  EXPECT_FALSE(back->resume.has_value());
}

TEST(ClockConditions, UnknownValuesNameTheirPath) {
  sla::v1::ClockConditions proto;
  *proto.mutable_pause() = StateIn({"on_hold", "HOLD"});
  auto c = ClockConditions::FromProto(proto, ClockKind::kResolution, "resolution_conditions");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      c.status().message(),
      HasSubstr(
          "resolution_conditions.pause.any_of[0].all_of[0].values[1]: unknown state \"HOLD\""));
  sla::v1::ClockConditions no_field;
  no_field.mutable_stop()->add_any_of()->add_all_of()->set_operator_(
      sla::v1::CONDITION_OPERATOR_IN);
  c = ClockConditions::FromProto(no_field, ClockKind::kResolution, "r");
  EXPECT_THAT(c.status().message(), HasSubstr("r.stop.any_of[0].all_of[0].field: required"));
}

TEST(ClockConditions, StartThatImpliesStopIsRejected) {
  sla::v1::ClockConditions proto;
  *proto.mutable_start() = StateIn({"NEW"});
  *proto.mutable_stop() = StateIn({"NEW", "RESOLVED"});
  auto c = ClockConditions::FromProto(proto, ClockKind::kResolution, "resolution_conditions");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("resolution_conditions.stop: holds whenever start holds"));
  EXPECT_THAT(c.status().message(), HasSubstr("state=NEW"));
}

// Four clauses of three fields with 50 values each would be hundreds of millions of records to
// enumerate (an outside test held the SLA service's writes for a minute with them): such
// conditions are counted, not enumerated, and saved unchecked. A small contradiction is still
// found.
TEST(ClockConditions, ConditionsOfTooManyCombinationsAreSavedUnchecked) {
  sla::v1::ClockConditions proto;
  *proto.mutable_stop() = StateIn({"RESOLVED", "CLOSED"});
  for (int k = 0; k < 4; ++k) {
    auto* clause = proto.mutable_stop()->add_any_of();
    for (auto field : {sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP, sla::v1::CONDITION_FIELD_ASSIGNEE,
                       sla::v1::CONDITION_FIELD_CATEGORY}) {
      auto* p = clause->add_all_of();
      p->set_field(field);
      p->set_operator_(sla::v1::CONDITION_OPERATOR_IN);
      for (int v = 0; v < 50; ++v) p->add_values(absl::StrCat("v", k, "-", v));
    }
  }
  EXPECT_TRUE(ClockConditions::FromProto(proto, ClockKind::kResolution, "r").ok());
}

TEST(ClockConditions, StartThatImpliesCancelIsRejected) {
  sla::v1::ClockConditions proto;
  *proto.mutable_start() = StateIn({"CANCELLED"});
  *proto.mutable_stop() = StateIn({"RESOLVED"});
  auto c = ClockConditions::FromProto(proto, ClockKind::kResolution, "x");
  EXPECT_THAT(c.status().message(), HasSubstr("x.cancel: holds whenever start holds"));
}

TEST(ClockConditions, PauseThatCanNeverEndIsRejected) {
  sla::v1::ClockConditions always_paused;
  always_paused.mutable_pause()->add_any_of();  // one clause, no predicate: always
  auto c = ClockConditions::FromProto(always_paused, ClockKind::kResolution, "r");
  EXPECT_THAT(c.status().message(), HasSubstr("r.pause: a pause that can never end"));

  // An explicit resume that only holds where the clock stops anyway.
  sla::v1::ClockConditions resume_on_stop;
  *resume_on_stop.mutable_pause() = StateIn({"ON_HOLD"});
  *resume_on_stop.mutable_resume() = StateIn({"RESOLVED"});
  c = ClockConditions::FromProto(resume_on_stop, ClockKind::kResolution, "r");
  EXPECT_THAT(c.status().message(), HasSubstr("r.resume: a pause that can never end"));
}

TEST(ClockConditions, PauseThatCanNeverTakeEffectIsRejected) {
  sla::v1::ClockConditions inside_stop;
  *inside_stop.mutable_pause() = StateIn({"RESOLVED"});
  auto c = ClockConditions::FromProto(inside_stop, ClockKind::kResolution, "r");
  EXPECT_THAT(c.status().message(), HasSubstr("r.pause: holds only when the clock stops"));

  sla::v1::ClockConditions resume_covers_pause;
  *resume_covers_pause.mutable_pause() = StateIn({"ON_HOLD"});
  *resume_covers_pause.mutable_resume() = StateIn({"ON_HOLD", "IN_PROGRESS"});
  c = ClockConditions::FromProto(resume_covers_pause, ClockKind::kResolution, "r");
  EXPECT_THAT(c.status().message(), HasSubstr("r.resume: holds whenever pause holds"));
}

TEST(ClockConditions, NeverStartingOrStoppingIsRejected) {
  sla::v1::ClockConditions never_start;
  never_start.mutable_start();  // set, no clause: never
  EXPECT_THAT(
      ClockConditions::FromProto(never_start, ClockKind::kResolution, "r").status().message(),
      HasSubstr("r.start: can never hold"));
  sla::v1::ClockConditions never_stop;
  never_stop.mutable_stop();
  EXPECT_THAT(
      ClockConditions::FromProto(never_stop, ClockKind::kResolution, "r").status().message(),
      HasSubstr("r.stop: can never hold"));
}

TEST(ClockConditions, FreeTextFieldsAreCheckedWithAnOtherValue) {
  // Pause for every group except "network": it can end (move to network) -> accepted.
  sla::v1::ClockConditions proto;
  auto* p = proto.mutable_pause()->add_any_of()->add_all_of();
  p->set_field(sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP);
  p->set_operator_(sla::v1::CONDITION_OPERATOR_NOT_IN);
  p->add_values("network");
  EXPECT_TRUE(ClockConditions::FromProto(proto, ClockKind::kResolution, "r").ok());
  // IS_SET on state makes no sense.
  p->set_field(sla::v1::CONDITION_FIELD_STATE);
  p->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
  p->clear_values();
  EXPECT_THAT(ClockConditions::FromProto(proto, ClockKind::kResolution, "r").status().message(),
              HasSubstr("state is never empty"));
}

TEST(ClockPolicy, ResolutionLifecycle) {
  const ClockPolicy policy = Policy(ClockKind::kResolution);
  RecordFields created = Record("NEW");
  auto a = policy.Decide(Stage::kNone, nullptr, created, kT0);
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kStart));
  EXPECT_EQ(a[0].at, kT0);
  EXPECT_EQ(a[0].target, absl::Hours(8));

  RecordFields hold = Record("ON_HOLD");
  hold.hold_reason = "awaiting_caller";
  EXPECT_THAT(Types(policy.Decide(Stage::kRunning, &created, hold, kT0 + absl::Hours(1))),
              ElementsAre(ActionType::kPause));
  RecordFields hold_change = hold;
  hold_change.hold_reason = "awaiting_change";  // not a pausing reason
  EXPECT_THAT(Types(policy.Decide(Stage::kPaused, &hold, hold_change, kT0 + absl::Hours(2))),
              ElementsAre(ActionType::kResume));
  RecordFields progress = Record("IN_PROGRESS");
  EXPECT_TRUE(policy.Decide(Stage::kRunning, &created, progress, kT0).empty());
  EXPECT_THAT(Types(policy.Decide(Stage::kPaused, &hold, progress, kT0)),
              ElementsAre(ActionType::kResume));
  RecordFields resolved = Record("RESOLVED");
  EXPECT_THAT(Types(policy.Decide(Stage::kPaused, &hold, resolved, kT0)),
              ElementsAre(ActionType::kStop));
  // Reopened after completion: a new clock starts (the stop no longer holds); closing the
  // resolved record starts nothing.
  EXPECT_THAT(Types(policy.Decide(Stage::kCompleted, &resolved, progress, kT0)),
              ElementsAre(ActionType::kStart));
  EXPECT_TRUE(policy.Decide(Stage::kCompleted, &resolved, Record("CLOSED"), kT0).empty());
  // Reopened at a priority without a target (P5 here): no clock then; the first priority with
  // one starts it, from that change, the retroactive definition included (the completed
  // clock counted the first cycle). Still resolved, a priority change starts nothing.
  for (const bool retroactive : {false, true}) {
    const ClockPolicy p = Policy(ClockKind::kResolution, retroactive);
    RecordFields resolved_p5 = Record("RESOLVED", "P5");
    RecordFields reopened_p5 = Record("IN_PROGRESS", "P5");
    EXPECT_TRUE(p.Decide(Stage::kCompleted, &resolved_p5, reopened_p5, kT0).empty());
    const auto started = p.Decide(Stage::kCompleted, &reopened_p5, progress, kT0 + absl::Hours(3));
    ASSERT_THAT(Types(started), ElementsAre(ActionType::kStart)) << retroactive;
    EXPECT_EQ(started[0].at, kT0 + absl::Hours(3));
    EXPECT_TRUE(p.Decide(Stage::kCompleted, &resolved_p5, resolved, kT0).empty());
  }
  // Still stopped after the change (a response clock: the record has been responded to).
  EXPECT_TRUE(policy.Decide(Stage::kCompleted, &progress, Record("ON_HOLD"), kT0).empty());
  RecordFields cancelled = Record("CANCELLED");
  EXPECT_THAT(Types(policy.Decide(Stage::kRunning, &progress, cancelled, kT0)),
              ElementsAre(ActionType::kCancel));
}

TEST(ClockPolicy, RecordCreatedResolvedStartsAndStopsAtOnce) {
  const ClockPolicy policy = Policy(ClockKind::kResponse);
  RecordFields r = Record("NEW");
  r.assignee = "bob";
  EXPECT_THAT(Types(policy.Decide(Stage::kNone, nullptr, r, kT0)),
              ElementsAre(ActionType::kStart, ActionType::kStop));
  // Created on hold: resolution clock starts paused.
  RecordFields hold = Record("ON_HOLD");
  EXPECT_THAT(Types(Policy(ClockKind::kResolution).Decide(Stage::kNone, nullptr, hold, kT0)),
              ElementsAre(ActionType::kStart, ActionType::kPause));
}

TEST(ClockPolicy, ResponseStopsOnAssignmentOrFirstResponse) {
  const ClockPolicy policy = Policy(ClockKind::kResponse);
  RecordFields created = Record("NEW");
  RecordFields responded = created;
  responded.responded = true;
  EXPECT_THAT(Types(policy.Decide(Stage::kRunning, &created, responded, kT0)),
              ElementsAre(ActionType::kStop));
  RecordFields assigned = Record("ASSIGNED");
  EXPECT_THAT(Types(policy.Decide(Stage::kRunning, &created, assigned, kT0)),
              ElementsAre(ActionType::kStop));
  RecordFields group_only = created;
  group_only.assignment_group = "network";  // a group is not yet a response
  EXPECT_TRUE(policy.Decide(Stage::kRunning, &created, group_only, kT0).empty());
}

TEST(ClockPolicy, PriorityChangeWithoutRetroactiveStartSupersedesTheClock) {
  const ClockPolicy policy = Policy(ClockKind::kResolution, /*retroactive=*/false);
  RecordFields p2 = Record("IN_PROGRESS", "P2");
  RecordFields p1 = Record("IN_PROGRESS", "P1");
  const absl::Time now = kT0 + absl::Hours(3);
  auto a = policy.Decide(Stage::kRunning, &p2, p1, now);
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kCancel, ActionType::kStart));
  EXPECT_EQ(a[0].reason, "superseded");
  EXPECT_EQ(a[1].at, now);
  EXPECT_EQ(a[1].target, absl::Hours(4));
}

TEST(ClockPolicy, PriorityChangeWithRetroactiveStartRetargets) {
  const ClockPolicy policy = Policy(ClockKind::kResolution, /*retroactive=*/true);
  RecordFields p2 = Record("IN_PROGRESS", "P2");
  RecordFields p1 = Record("IN_PROGRESS", "P1");
  auto a = policy.Decide(Stage::kRunning, &p2, p1, kT0 + absl::Hours(3));
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kRetarget));
  EXPECT_EQ(a[0].target, absl::Hours(4));
  // P3 has no target: the clock is cancelled; back to P1 it is attached again from creation.
  RecordFields p3 = Record("IN_PROGRESS", "P3");
  a = policy.Decide(Stage::kRunning, &p1, p3, kT0 + absl::Hours(4));
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kCancel));
  EXPECT_EQ(a[0].reason, "priority_not_covered");
  a = policy.Decide(Stage::kCancelled, &p3, p1, kT0 + absl::Hours(5));
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kStart));
  EXPECT_EQ(a[0].at, kT0);  // retroactive: from the record's creation
  // A record raised at P3 gets no clock until its priority has a target.
  EXPECT_TRUE(policy.Decide(Stage::kNone, nullptr, p3, kT0).empty());
  a = policy.Decide(Stage::kNone, &p3, p2, kT0 + absl::Hours(1));
  ASSERT_THAT(Types(a), ElementsAre(ActionType::kStart));
  EXPECT_EQ(a[0].at, kT0);
}

TEST(ClockPolicy, ResetIsEdgeTriggered) {
  ClockConditions c = ClockConditions::Defaults(ClockKind::kResolution);
  c.reset = Condition::In(Field::kAssignmentGroup, {"escalation"});
  ASSERT_TRUE(c.Check("r").ok());
  const ClockPolicy policy(ClockKind::kResolution, c, {{"P2", absl::Hours(8)}}, false);
  RecordFields before = Record("IN_PROGRESS");
  RecordFields after = before;
  after.assignment_group = "escalation";
  EXPECT_THAT(Types(policy.Decide(Stage::kRunning, &before, after, kT0)),
              ElementsAre(ActionType::kReset, ActionType::kStart));
  RecordFields still = after;
  still.assignee = "carol";
  EXPECT_TRUE(policy.Decide(Stage::kRunning, &after, still, kT0).empty());
}

TEST(ClockPolicy, FromDefinitionReadsTargetsPerKind) {
  sla::v1::SlaDefinition d;
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P1);
  t->mutable_response_target()->set_seconds(900);
  t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P2);
  t->mutable_resolution_target()->set_seconds(3600);
  auto response = ClockPolicy::FromDefinition(d, ClockKind::kResponse);
  auto resolution = ClockPolicy::FromDefinition(d, ClockKind::kResolution);
  ASSERT_TRUE(response.ok() && resolution.ok());
  EXPECT_EQ(response->TargetFor("P1")->duration, absl::Minutes(15));
  EXPECT_FALSE(response->TargetFor("P2").has_value());
  EXPECT_EQ(resolution->TargetFor("P2")->duration, absl::Hours(1));
  EXPECT_FALSE(resolution->TargetFor("P1").has_value());
}

TEST(ClockPolicy, FromDefinitionReadsBusinessDayTargets) {
  sla::v1::SlaDefinition d;
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P1);
  t->mutable_response_target()->set_seconds(900);
  t->set_resolution_business_days(2);
  auto resolution = ClockPolicy::FromDefinition(d, ClockKind::kResolution);
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->TargetFor("P1"), (Target{.business_days = 2}));
  // The start carries the days for the caller to convert on the clock's calendar.
  const auto actions = resolution->Decide(Stage::kNone, nullptr, Record("NEW", "P1"), kT0);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].business_days, 2);
  EXPECT_EQ(actions[0].target, absl::ZeroDuration());
}

// "Measure from creation although the clock starts at assignment": the start condition holds
// only once assigned, the clock counts from the creation, less the hold in between.
TEST(ClockPolicy, MeasureFromCreationStartsAtTheCreationAndReplaysPauses) {
  sla::v1::ClockConditions proto;
  auto* p = proto.mutable_start()->add_any_of()->add_all_of();
  p->set_field(sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP);
  p->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
  proto.set_measure_from(sla::v1::MEASURE_FROM_RECORD_CREATION);
  auto conditions = ClockConditions::FromProto(proto, ClockKind::kResolution, "c");
  ASSERT_TRUE(conditions.ok()) << conditions.status();
  EXPECT_TRUE(conditions->measure_from_creation);
  EXPECT_EQ(conditions->ToProto().measure_from(), sla::v1::MEASURE_FROM_RECORD_CREATION);
  const ClockPolicy policy(ClockKind::kResolution, *conditions,
                           std::map<std::string, absl::Duration>{{"P2", absl::Hours(8)}}, false);
  RecordFields created = Record("NEW");
  RecordFields held = Record("ON_HOLD");
  RecordFields assigned = Record("IN_PROGRESS");
  assigned.assignment_group = "network";
  EXPECT_TRUE(policy.Decide(Stage::kNone, nullptr, created, kT0).empty());
  const std::vector<RecordChange> history = {
      {kT0, created}, {kT0 + absl::Seconds(5), held}, {kT0 + absl::Seconds(8), created}};
  const auto actions =
      policy.Decide(Stage::kNone, &created, assigned, kT0 + absl::Seconds(20), history);
  EXPECT_THAT(Types(actions),
              ElementsAre(ActionType::kStart, ActionType::kPause, ActionType::kResume));
  EXPECT_EQ(actions[0].at, kT0);
  EXPECT_EQ(actions[0].reason, "start_condition");
  EXPECT_EQ(actions[1].at, kT0 + absl::Seconds(5));
  EXPECT_EQ(actions[2].at, kT0 + absl::Seconds(8));
  // Measured from the start condition (the default), the same change starts the clock then.
  proto.clear_measure_from();
  const ClockPolicy at_start(ClockKind::kResolution,
                             *ClockConditions::FromProto(proto, ClockKind::kResolution, "c"),
                             std::map<std::string, absl::Duration>{{"P2", absl::Hours(8)}}, false);
  const auto now =
      at_start.Decide(Stage::kNone, &created, assigned, kT0 + absl::Seconds(20), history);
  EXPECT_THAT(Types(now), ElementsAre(ActionType::kStart));
  EXPECT_EQ(now[0].at, kT0 + absl::Seconds(20));
  proto.set_measure_from(static_cast<sla::v1::MeasureFrom>(9));
  EXPECT_THAT(ClockConditions::FromProto(proto, ClockKind::kResolution, "c").status().message(),
              HasSubstr("c.measure_from: unknown value"));
}

// GLPI #6902: a clock attached from the creation does not count a hold before the attach.
TEST(ClockPolicy, RetroactiveStartReplaysThePausesOfTheRecordsHistory) {
  const ClockPolicy policy = Policy(ClockKind::kResolution, /*retroactive=*/true);
  RecordFields on_hold = Record("ON_HOLD", "P3");
  RecordFields created = Record("NEW");
  std::vector<RecordChange> history = {{kT0, created},
                                       {kT0 + absl::Seconds(4), Record("ON_HOLD")},
                                       {kT0 + absl::Seconds(6), on_hold}};
  RecordFields after = Record("ON_HOLD", "P2");
  // P3 (no target) back to P2 while on hold: started at the creation, paused at 4 s.
  const auto actions =
      policy.Decide(Stage::kCancelled, &on_hold, after, kT0 + absl::Seconds(12), history);
  EXPECT_THAT(Types(actions), ElementsAre(ActionType::kStart, ActionType::kPause));
  EXPECT_EQ(actions[0].at, kT0);
  EXPECT_EQ(actions[1].at, kT0 + absl::Seconds(4));
  EXPECT_EQ(actions[1].reason, kReplayedReason);
  // Attached by a coverage change while running again: paused 4 s..10 s, resumed since.
  history.push_back({kT0 + absl::Seconds(10), Record("IN_PROGRESS")});
  const auto attached = policy.Attach(Record("IN_PROGRESS"), kT0 + absl::Seconds(12), history);
  EXPECT_THAT(Types(attached),
              ElementsAre(ActionType::kStart, ActionType::kPause, ActionType::kResume));
  EXPECT_EQ(attached[2].at, kT0 + absl::Seconds(10));
  // Without retroactive start, an attach starts at the change.
  const auto now = Policy(ClockKind::kResolution)
                       .Attach(Record("IN_PROGRESS"), kT0 + absl::Seconds(12), history);
  EXPECT_THAT(Types(now), ElementsAre(ActionType::kStart));
  EXPECT_EQ(now[0].at, kT0 + absl::Seconds(12));
}

TEST(Coverage, EveryNonEmptyListMustListTheRecordsValue) {
  sla::v1::SlaDefinition d;
  d.mutable_coverage()->add_services("vpn");
  EXPECT_TRUE(Covers(d, {.service = "vpn", .category = "any"}));
  EXPECT_FALSE(Covers(d, {.service = "email"}));
  d.mutable_coverage()->add_ci_classes("router");
  EXPECT_FALSE(Covers(d, {.service = "vpn"}));
  EXPECT_TRUE(Covers(d, {.service = "vpn", .ci_class = "router"}));
  d.mutable_coverage()->add_categories("network");
  EXPECT_FALSE(Covers(d, {.service = "vpn", .category = "hardware", .ci_class = "router"}));
  d.mutable_coverage()->add_request_types("Phone");
  EXPECT_TRUE(Covers(
      d, {.service = "vpn", .category = "network", .ci_class = "router", .request_type = "Phone"}));
  EXPECT_FALSE(Covers(d, {.service = "vpn", .category = "network", .ci_class = "router"}));
}

TEST(RecordFields, FromIncident) {
  incident::v1::Incident i;
  i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
  i.set_priority(incident::v1::PRIORITY_P1);
  i.set_assignee("bob");
  i.mutable_first_response_time()->set_seconds(5);
  i.mutable_create_time()->set_seconds(1000);
  RecordFields r = FromIncident(i);
  EXPECT_EQ(r.state, "ON_HOLD");
  EXPECT_EQ(r.priority, "P1");
  EXPECT_TRUE(r.responded);
  EXPECT_EQ(r.Get(Field::kAssignee), "bob");
  EXPECT_EQ(r.create_time, absl::FromUnixSeconds(1000));
  EXPECT_EQ(r.hold_reason, "");
}

TEST(RecordFields, FromServiceRequestMapsStatesOntoTheDefaults) {
  incident::v1::ServiceRequest q;
  q.set_priority(incident::v1::PRIORITY_P2);
  q.set_assignment_group("desk");
  q.mutable_create_time()->set_seconds(1000);
  const auto response = ClockConditions::Defaults(ClockKind::kResponse);
  const auto resolution = ClockConditions::Defaults(ClockKind::kResolution);
  q.set_state(incident::v1::SERVICE_REQUEST_STATE_SUBMITTED);
  RecordFields r = FromServiceRequest(q);
  EXPECT_EQ(r.state, "NEW");
  EXPECT_EQ(r.priority, "P2");
  EXPECT_EQ(r.assignment_group, "desk");
  EXPECT_EQ(r.create_time, absl::FromUnixSeconds(1000));
  EXPECT_TRUE(response.start.Holds(r));
  EXPECT_FALSE(response.stop.Holds(r));
  EXPECT_FALSE(resolution.stop.Holds(r));
  q.set_state(incident::v1::SERVICE_REQUEST_STATE_APPROVED);
  EXPECT_EQ(FromServiceRequest(q).state, "ASSIGNED");
  EXPECT_TRUE(response.stop.Holds(FromServiceRequest(q)));  // left SUBMITTED
  q.set_state(incident::v1::SERVICE_REQUEST_STATE_FULFILLING);
  EXPECT_EQ(FromServiceRequest(q).state, "IN_PROGRESS");
  EXPECT_FALSE(resolution.stop.Holds(FromServiceRequest(q)));
  EXPECT_FALSE(resolution.pause.Holds(FromServiceRequest(q)));
  q.set_state(incident::v1::SERVICE_REQUEST_STATE_FULFILLED);
  EXPECT_TRUE(resolution.stop.Holds(FromServiceRequest(q)));
  q.set_state(incident::v1::SERVICE_REQUEST_STATE_CLOSED);
  EXPECT_TRUE(resolution.stop.Holds(FromServiceRequest(q)));
  for (auto s : {incident::v1::SERVICE_REQUEST_STATE_REJECTED,
                 incident::v1::SERVICE_REQUEST_STATE_CANCELLED}) {
    q.set_state(s);
    EXPECT_EQ(FromServiceRequest(q).state, "CANCELLED");
    EXPECT_TRUE(resolution.cancel.Holds(FromServiceRequest(q)));
    EXPECT_TRUE(response.cancel.Holds(FromServiceRequest(q)));
  }
}

TEST(RecordFields, FromIncidentMapsHoldReasons) {
  incident::v1::Incident i;
  i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
  EXPECT_EQ(FromIncident(i).hold_reason, "awaiting_caller");
  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_SUPPLIER);
  EXPECT_EQ(FromIncident(i).hold_reason, "awaiting_supplier");
  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CHANGE);
  EXPECT_EQ(FromIncident(i).hold_reason, "awaiting_change");
  // The default resolution pause holds for the first two, not for awaiting_change.
  const auto pause = ClockConditions::Defaults(ClockKind::kResolution).pause;
  EXPECT_FALSE(pause.Holds(FromIncident(i)));
  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_SUPPLIER);
  EXPECT_TRUE(pause.Holds(FromIncident(i)));
}

}  // namespace
}  // namespace itsm::slamodel
