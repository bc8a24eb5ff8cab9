// The clocks of changes (issue 14, part 8; docs/sla.md 3.5) through TimerLogic with an injected
// clock and in-memory definitions: the time to authorise that breaches, one that stops in time
// (also when its event is applied after the due time), the rework pause, the time to implement,
// definitions for incidents and for changes never crossing, and a new TimerLogic (a restarted
// timer) over the stored state firing each breach once.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {
namespace {

using change::v1::Change;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

sla::v1::SlaDefinition ForChanges() {
  sla::v1::SlaDefinition d;
  d.set_id("chg-sla");
  d.set_name("Billing changes");
  d.set_kind(sla::v1::AGREEMENT_KIND_OLA);
  d.set_internal_group("change-management");
  d.set_record_kind(sla::v1::RECORD_KIND_CHANGE);
  d.mutable_coverage()->add_services("billing");
  d.set_calendar_id("cal");
  auto* p3 = d.add_targets();  // MEDIUM risk
  p3->set_priority(incident::v1::PRIORITY_P3);
  p3->mutable_response_target()->set_seconds(4 * 3600);     // time to authorise
  p3->mutable_resolution_target()->set_seconds(48 * 3600);  // time to implement
  return d;
}

// The same service and priority, for incidents: must never run on a change.
sla::v1::SlaDefinition ForIncidents() {
  sla::v1::SlaDefinition d;
  d.set_id("inc-sla");
  d.set_name("Billing incidents");
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("billing");
  d.set_calendar_id("cal");
  auto* p3 = d.add_targets();
  p3->set_priority(incident::v1::PRIORITY_P3);
  p3->mutable_response_target()->set_seconds(30 * 60);
  p3->mutable_resolution_target()->set_seconds(3600);
  return d;
}

class ChangeClocksTest : public ::testing::Test {
 protected:
  ChangeClocksTest() : clock_(kT0) {
    sla::v1::Calendar cal;
    cal.set_id("cal");
    cal.set_name("24x7");
    cal.set_time_zone("UTC");
    cal.set_always_open(true);
    source_.Put(cal);
    source_.Put(ForChanges());
    source_.Put(ForIncidents());
    logic_ = NewLogic();
    change_.set_id("chg-1");
    change_.set_number("CHG0000001");
    change_.set_type(change::v1::CHANGE_TYPE_NORMAL);
    change_.set_state(change::v1::CHANGE_STATE_NEW);
    change_.add_affected_service_ids("billing");
    change_.mutable_risk()->set_level(change::v1::RISK_LEVEL_MEDIUM);
    change_.set_version(1);
    *change_.mutable_create_time() = base::ToProtoTimestamp(kT0);
    *change_.mutable_update_time() = base::ToProtoTimestamp(kT0);
  }

  std::unique_ptr<TimerLogic> NewLogic() {
    return std::make_unique<TimerLogic>(
        source_, TimerLogic::Options{.definition_cache_ttl = absl::ZeroDuration()});
  }

  // The change after `edit`, as the change service publishes it at the manual clock's time.
  Change Edited(const std::function<void(Change&)>& edit) {
    edit(change_);
    change_.set_version(change_.version() + 1);
    *change_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return change_;
  }
  std::vector<std::string> Apply(const Change& c) {
    auto out = logic_->OnChange(state_ ? &*state_ : nullptr, c, 1,
                                base::FromProtoTimestamp(c.update_time()));
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? Take(*out) : std::vector<std::string>{};
  }
  std::vector<std::string> Change_(const std::function<void(Change&)>& edit) {
    return Apply(Edited(edit));
  }
  std::vector<std::string> Fire() {
    auto out = logic_->Fire(*state_, clock_.Now());
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? Take(*out) : std::vector<std::string>{};
  }
  std::vector<std::string> Take(Outcome& out) {
    std::vector<std::string> names;
    if (!out.changed) return names;
    state_ = out.state;
    next_fire_ = out.next_fire;
    for (const auto& e : out.events) {
      names.push_back(e.type.substr(std::string("itsm.sla.v1.").size()));
      all_.push_back(e);
    }
    return names;
  }
  template <typename T>
  T Last(const std::string& type) {
    for (auto it = all_.rbegin(); it != all_.rend(); ++it) {
      if (it->type == "itsm.sla.v1." + type) {
        T m;
        EXPECT_TRUE(m.ParseFromString(it->data));
        return m;
      }
    }
    ADD_FAILURE() << "no " << type;
    return T();
  }
  static void Authorise(Change& c) {
    c.set_state(change::v1::CHANGE_STATE_AUTHORISE);
    c.mutable_approval()->set_outcome(change::v1::APPROVAL_OUTCOME_PENDING);
  }
  static void Approve(Change& c) {
    c.mutable_approval()->set_outcome(change::v1::APPROVAL_OUTCOME_APPROVED);
  }

  base::ManualClock clock_;
  StaticDefinitionSource source_;
  std::unique_ptr<TimerLogic> logic_;
  Change change_;
  std::optional<sla::v1::TimerState> state_;
  std::optional<absl::Time> next_fire_;
  std::vector<events::CloudEvent> all_;
};

TEST_F(ChangeClocksTest, TimeToAuthoriseBreachesWhenTheApprovalComesLate) {
  // Created: the time to implement starts; the time to authorise waits for AUTHORISE.
  EXPECT_THAT(Apply(change_), ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_EQ(started.clock().record_type(), "change");
  EXPECT_EQ(started.clock().incident_id(), "chg-1");
  EXPECT_EQ(started.clock().sla_definition_id(), "chg-sla");  // never the incident definition

  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change_([](Change& c) { c.set_state(change::v1::CHANGE_STATE_ASSESS); }), IsEmpty());
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change_(Authorise), ElementsAre("SlaClockStarted"));
  started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), kT0 + absl::Hours(6));
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, kT0 + absl::Hours(4));  // 50 % of 4 h after AUTHORISE

  clock_.Advance(absl::Hours(4) - absl::Seconds(1));  // one second before the due instant
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Fire(), ElementsAre("SlaBreached"));
  EXPECT_EQ(base::FromProtoTimestamp(Last<sla::v1::SlaBreached>("SlaBreached").clock().due_time()),
            kT0 + absl::Hours(6));
  EXPECT_THAT(Fire(), IsEmpty());  // once

  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change_(Approve), ElementsAre("SlaClockCompleted"));
  auto done = Last<sla::v1::SlaClockCompleted>("SlaClockCompleted");
  EXPECT_EQ(done.clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  EXPECT_TRUE(done.clock().breached());
}

TEST_F(ChangeClocksTest, TimeToAuthoriseStopsInTimeEvenWhenItsEventIsAppliedAfterTheDueTime) {
  Apply(change_);
  clock_.Advance(absl::Hours(1));
  Change_(Authorise);
  // Approved 3 h 59 min after AUTHORISE; the timer learns of it 2 hours later (a lagging
  // consumer): the event's own instant decides, so the clock is met, never breached.
  clock_.Advance(absl::Hours(4) - absl::Minutes(1));
  const Change approved = Edited(Approve);
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(Apply(approved),
              ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached", "SlaMet"));
  auto met = Last<sla::v1::SlaMet>("SlaMet");
  EXPECT_EQ(met.clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  EXPECT_FALSE(met.clock().breached());
  EXPECT_THAT(Fire(), IsEmpty());
  for (const auto& e : all_) EXPECT_NE(e.type, "itsm.sla.v1.SlaBreached");
}

TEST_F(ChangeClocksTest, ReworkPausesTheTimeToAuthorise) {
  Apply(change_);
  Change_(Authorise);  // at kT0: due kT0 + 4 h
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change_([](Change& c) {
                c.set_state(change::v1::CHANGE_STATE_ASSESS);  // sent back: approval discarded
                c.clear_approval();
              }),
              ElementsAre("SlaClockPaused"));
  clock_.Advance(absl::Hours(10));  // the assessor's time
  EXPECT_THAT(Fire(), IsEmpty());
  EXPECT_THAT(Change_(Authorise), ElementsAre("SlaClockResumed"));
  auto resumed = Last<sla::v1::SlaClockResumed>("SlaClockResumed");
  EXPECT_EQ(base::FromProtoTimestamp(resumed.clock().due_time()),
            kT0 + absl::Hours(11) + absl::Hours(3));
  // A rejection is a decision too: 1 h + 1.5 h of the 4 h counted, the 50 % warning passed.
  clock_.Advance(absl::Minutes(90));
  EXPECT_THAT(Change_([](Change& c) {
                c.mutable_approval()->set_outcome(change::v1::APPROVAL_OUTCOME_REJECTED);
              }),
              ElementsAre("SlaWarningReached", "SlaMet"));
}

TEST_F(ChangeClocksTest, TimeToImplementStopsInReviewAndCancelledChangesCancelBoth) {
  Apply(change_);
  Change_(Authorise);
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change_(Approve), ElementsAre("SlaMet"));
  clock_.Advance(absl::Hours(30));
  Change_([](Change& c) { c.set_state(change::v1::CHANGE_STATE_SCHEDULED); });
  Change_([](Change& c) { c.set_state(change::v1::CHANGE_STATE_IMPLEMENT); });
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(Change_([](Change& c) {
                c.set_state(change::v1::CHANGE_STATE_REVIEW);
                c.set_outcome(change::v1::CHANGE_OUTCOME_SUCCESSFUL);
              }),
              ElementsAre("SlaMet"));
  EXPECT_EQ(Last<sla::v1::SlaMet>("SlaMet").clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_TRUE(TimerLogic::OpenClocks(*state_).empty());

  // Another change, cancelled while waiting for authorisation: both clocks cancelled.
  state_.reset();
  change_.set_id("chg-2");
  change_.set_state(change::v1::CHANGE_STATE_NEW);
  change_.clear_approval();
  change_.set_version(1);
  *change_.mutable_create_time() = base::ToProtoTimestamp(clock_.Now());
  *change_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
  Apply(change_);
  Change_(Authorise);
  EXPECT_THAT(Change_([](Change& c) { c.set_state(change::v1::CHANGE_STATE_CANCELLED); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
}

TEST_F(ChangeClocksTest, ChangesOfOtherServicesOrUnassessedPrioritiesGetNoClock) {
  change_.set_affected_service_ids(0, "payroll");
  EXPECT_THAT(Apply(change_), IsEmpty());
  state_.reset();
  change_.set_id("chg-3");
  change_.set_affected_service_ids(0, "billing");
  change_.mutable_risk()->set_level(change::v1::RISK_LEVEL_HIGH);  // P2: no target
  EXPECT_THAT(Apply(change_), IsEmpty());
}

TEST_F(ChangeClocksTest, ARestartedTimerFiresTheBreachOnceFromTheStoredState) {
  Apply(change_);
  Change_(Authorise);
  clock_.Advance(absl::Hours(4) + absl::Minutes(5));
  // A new process: new TimerLogic, the state as Redis kept it.
  logic_ = NewLogic();
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  logic_ = NewLogic();
  EXPECT_THAT(Fire(), IsEmpty());
  // A redelivered event (same version) after the restart changes nothing.
  EXPECT_THAT(Apply(change_), IsEmpty());
}

}  // namespace
}  // namespace itsm::sla_timer
