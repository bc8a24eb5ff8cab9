// TimerLogic with an injected clock and in-memory definitions: the clock lifecycle as the timer
// applies it (start, warnings, breach, pause, priority change, resolve, reopen, cancel), fired
// exactly once, and deterministic under replay.
#include "services/sla-timer/src/timer_logic.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"

namespace itsm::sla_timer {
namespace {

using incident::v1::Incident;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class TimerLogicTest : public ::testing::Test {
 protected:
  // StaticDefinitionSource has no cache: every read is current.
  TimerLogicTest()
      : clock_(kT0),
        logic_(source_,
               {.configuration_items = &cis_, .definition_cache_ttl = absl::ZeroDuration()}) {
    sla::v1::Calendar cal;
    cal.set_id("cal");
    cal.set_name("24x7");
    cal.set_time_zone("UTC");
    cal.set_always_open(true);
    source_.Put(cal);
    source_.Put(Gold(false));
  }

  static sla::v1::SlaDefinition Gold(bool retroactive) {
    sla::v1::SlaDefinition d;
    d.set_id("gold");
    d.set_name("Gold VPN");
    d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
    d.mutable_coverage()->add_services("vpn");
    d.set_calendar_id("cal");
    d.set_retroactive_start(retroactive);
    auto* p1 = d.add_targets();
    p1->set_priority(incident::v1::PRIORITY_P1);
    p1->mutable_response_target()->set_seconds(30 * 60);
    p1->mutable_resolution_target()->set_seconds(4 * 3600);
    auto* p2 = d.add_targets();
    p2->set_priority(incident::v1::PRIORITY_P2);
    p2->mutable_resolution_target()->set_seconds(8 * 3600);
    return d;
  }

  // Applies a change to the incident at the manual clock's time, as the consumer would.
  std::vector<std::string> Change(const std::function<void(Incident&)>& edit) {
    edit(incident_);
    incident_.set_version(incident_.version() + 1);
    *incident_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return Apply(incident_);
  }

  std::vector<std::string> Apply(const Incident& i) {
    auto out = logic_.OnIncident(state_ ? &*state_ : nullptr, i, 3,
                                 base::FromProtoTimestamp(i.update_time()));
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    return Take(*out);
  }

  std::vector<std::string> Fire() {
    if (!state_) return {};
    auto out = logic_.Fire(*state_, clock_.Now());
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    return Take(*out);
  }

  std::vector<std::string> Take(Outcome& out) {
    std::vector<std::string> names;
    if (!out.changed) return names;
    state_ = out.state;
    next_fire_ = out.next_fire;
    open_delta_ = out.open_delta;
    for (const auto& e : out.events) {
      names.push_back(e.type.substr(std::string("itsm.sla.v1.").size()));
      all_.push_back(e);
    }
    return names;
  }

  Incident Create(incident::v1::Priority priority = incident::v1::PRIORITY_P1) {
    incident_.set_id("inc-1");
    incident_.set_number("INC0000001");
    incident_.set_service("vpn");
    incident_.set_priority(priority);
    incident_.set_state(incident::v1::INCIDENT_STATE_NEW);
    incident_.set_version(1);
    *incident_.mutable_create_time() = base::ToProtoTimestamp(clock_.Now());
    *incident_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return incident_;
  }

  // The clock state carried by the last event of the given type.
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

  // Gold at version 1 as a timer that cannot read one of its conditions sees it (a condition
  // field a newer SLA service knows of, say).
  static sla::v1::SlaDefinition UnreadableGold() {
    sla::v1::SlaDefinition d = Gold(false);
    d.set_version(1);
    auto* p = d.mutable_resolution_conditions()->mutable_pause()->add_any_of()->add_all_of();
    p->set_field(static_cast<sla::v1::ConditionField>(99));
    p->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
    return d;
  }
  // A timer started afresh (nothing compiled yet) on the same definitions.
  std::unique_ptr<TimerLogic> Restarted() {
    return std::make_unique<TimerLogic>(
        source_, TimerLogic::Options{.configuration_items = &cis_,
                                     .definition_cache_ttl = absl::ZeroDuration()});
  }
  // The incident's current form, as an event changes it at the manual clock's time.
  RecordChange Changed(const std::function<void(Incident&)>& edit, const std::string& event_id) {
    edit(incident_);
    incident_.set_version(incident_.version() + 1);
    *incident_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return {.incident = &incident_, .change_time = clock_.Now(), .event_id = event_id};
  }

  base::ManualClock clock_;
  StaticDefinitionSource source_;
  configitems::StaticConfigurationItems cis_;
  TimerLogic logic_;
  Incident incident_;
  std::optional<sla::v1::TimerState> state_;
  std::optional<absl::Time> next_fire_;
  std::map<std::string, int> open_delta_;
  std::vector<events::CloudEvent> all_;
};

TEST_F(TimerLogicTest, CreateStartsResponseAndResolutionClocks) {
  EXPECT_THAT(Apply(Create()), ElementsAre("SlaClockStarted", "SlaClockStarted"));
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, kT0 + absl::Minutes(15));  // 50 % of the 30 min response target
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_EQ(started.clock().stage(), sla::v1::CLOCK_STAGE_RUNNING);
  EXPECT_EQ(started.clock().sla_definition_name(), "Gold VPN");
  EXPECT_EQ(started.clock().service(), "vpn");
  EXPECT_EQ(started.clock().target().seconds(), 4 * 3600);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), kT0 + absl::Hours(4));
  EXPECT_EQ(started.clock().incident_id(), "inc-1");
  EXPECT_EQ(started.clock().record_number(), "INC0000001");
  EXPECT_EQ(TimerLogic::OpenClocks(*state_),
            (std::map<std::string, int>{{"resolution:running", 1}, {"response:running", 1}}));
}

TEST_F(TimerLogicTest, WarningsAndBreachFireOnceEach) {
  Apply(Create());
  clock_.Advance(absl::Minutes(14));
  EXPECT_TRUE(Fire().empty());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached"));
  EXPECT_TRUE(Fire().empty());
  clock_.Advance(absl::Minutes(20));  // 35 min: 75 %, 90 % and the breach of the response clock
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaBreached"));
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_TRUE(breached.clock().breached());
  EXPECT_EQ(breached.clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  // A breach names its record's number too (webhooks filtered by it).
  EXPECT_EQ(breached.clock().record_number(), "INC0000001");
  // The event is stamped with the due instant, whenever it was fired.
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().event_time()), kT0 + absl::Minutes(30));
  EXPECT_EQ(breached.clock().business_elapsed().seconds(), 30 * 60);
  EXPECT_TRUE(Fire().empty());
  EXPECT_EQ(*next_fire_, kT0 + absl::Hours(2));  // the resolution clock's 50 %
}

TEST_F(TimerLogicTest, PauseOverTheDueTimePreventsTheBreach) {
  Apply(Create());
  clock_.Advance(absl::Minutes(5));
  Change([](Incident& i) {
    i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
    i.set_assignee("bob");
  });
  clock_.Advance(absl::Minutes(55));   // 1 h
  EXPECT_THAT(Fire(), ElementsAre());  // 50 % of 4 h is at 2 h
  EXPECT_THAT(Change([](Incident& i) {
                i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
                i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
              }),
              ElementsAre("SlaClockPaused"));
  EXPECT_FALSE(next_fire_.has_value());
  clock_.Advance(absl::Hours(10));  // far beyond the due time, paused
  EXPECT_TRUE(Fire().empty());
  EXPECT_THAT(Change([](Incident& i) {
                i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
                i.set_hold_reason(incident::v1::HOLD_REASON_UNSPECIFIED);
              }),
              ElementsAre("SlaClockResumed"));
  EXPECT_EQ(*next_fire_, clock_.Now() + absl::Hours(1));  // 2 h of 4 h, 1 h counted
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }),
              ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaMet"));  // 50 %, 75 %
  auto met = Last<sla::v1::SlaMet>("SlaMet");
  EXPECT_FALSE(met.clock().breached());
  EXPECT_EQ(met.clock().business_elapsed().seconds(), 3 * 3600);
  EXPECT_EQ(met.clock().paused_duration().seconds(), 10 * 3600);
  EXPECT_EQ(met.clock().stage(), sla::v1::CLOCK_STAGE_COMPLETED);
}

TEST_F(TimerLogicTest, AwaitingChangeDoesNotPause) {
  Apply(Create());
  EXPECT_THAT(Change([](Incident& i) {
                i.set_assignee("bob");
                i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
                i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CHANGE);
              }),
              ElementsAre("SlaMet"));  // the response clock stops; resolution keeps running
}

TEST_F(TimerLogicTest, ResolvedAfterTheDueTimeIsBreachedThenCompleted) {
  Apply(Create(incident::v1::PRIORITY_P2));  // P2: resolution 8 h only
  ASSERT_EQ(state_->clocks_size(), 1);
  clock_.Advance(absl::Hours(9));
  // The firing loop never ran: the change catches up, at the instants they fell due.
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }),
              ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                          "SlaBreached", "SlaClockCompleted"));
  auto done = Last<sla::v1::SlaClockCompleted>("SlaClockCompleted");
  EXPECT_TRUE(done.clock().breached());
  EXPECT_EQ(done.clock().business_elapsed().seconds(), 9 * 3600);
  EXPECT_FALSE(next_fire_.has_value());
}

// docs/sla.md 4.2: a reopened record is timed again by a new clock with the full target; the
// met clock stays met (found from outside: resolved early and reopened, the incident stayed open
// untimed and counted as met).
TEST_F(TimerLogicTest, ReopenStartsANewResolutionClock) {
  Apply(Create(incident::v1::PRIORITY_P2));
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }),
              ElementsAre("SlaMet"));
  const std::string met = Last<sla::v1::SlaMet>("SlaMet").clock().clock_id();
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Change([](Incident& i) {
                i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
                i.set_reopen_count(1);
              }),
              ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_NE(started.clock().clock_id(), met);
  EXPECT_EQ(started.clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().start_time()), clock_.Now());
  const absl::Time due = base::FromProtoTimestamp(started.clock().due_time());
  EXPECT_EQ(due - clock_.Now(), absl::Hours(8));
  clock_.Advance(absl::Hours(20));
  const auto fired = Fire();
  EXPECT_EQ(std::count(fired.begin(), fired.end(), "SlaBreached"), 1) << fired.size();
  // Resolved again before a breach would have been met; closing starts nothing.
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }),
              ElementsAre("SlaClockCompleted"));
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_CLOSED); }),
              ElementsAre());
}

TEST_F(TimerLogicTest, PriorityChangeSupersedesOrRetargets) {
  Apply(Create(incident::v1::PRIORITY_P2));
  const std::string first = state_->clocks(0).clock_id();
  clock_.Advance(absl::Hours(1));
  // Without retroactive start: the P2 clock is cancelled, P1 clocks start at the change.
  EXPECT_THAT(Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); }),
              ElementsAre("SlaClockStarted", "SlaClockCancelled", "SlaClockStarted"));
  EXPECT_EQ(Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").reason(), "superseded");
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_NE(started.clock().clock_id(), first);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), clock_.Now() + absl::Hours(4));
}

// A breach stays when its clock is cancelled afterwards: lowered from P1 once both P1 targets
// passed, the P1 clocks are cancelled breached, their breaches announced first when the timer
// had not fired them yet (it was behind), so no report or record view loses them.
TEST_F(TimerLogicTest, ABreachStaysWhenThePriorityIsLoweredAfterIt) {
  Apply(Create(incident::v1::PRIORITY_P1));
  clock_.Advance(absl::Hours(5));  // past 30 min and 4 h; nothing fired yet
  const auto events = Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P2); });
  EXPECT_EQ(std::count(events.begin(), events.end(), "SlaBreached"), 2) << events.size();
  const auto first_cancel = std::find(events.begin(), events.end(), "SlaClockCancelled");
  ASSERT_NE(first_cancel, events.end());
  EXPECT_LT(std::find(events.begin(), events.end(), "SlaBreached"), first_cancel);
  int cancelled = 0;
  for (const auto& e : all_) {
    if (e.type != "itsm.sla.v1.SlaClockCancelled") continue;
    sla::v1::SlaClockCancelled m;
    ASSERT_TRUE(m.ParseFromString(e.data));
    // The resolution clock is superseded by P2's; P2 has no response target.
    EXPECT_THAT(m.reason(), ::testing::AnyOf("superseded", "priority_not_covered"));
    EXPECT_TRUE(m.clock().breached()) << m.clock().clock_id();
    ++cancelled;
  }
  EXPECT_EQ(cancelled, 2);
}

TEST_F(TimerLogicTest, PriorityChangeWithRetroactiveStartRetargets) {
  source_.Put(Gold(true));
  Apply(Create(incident::v1::PRIORITY_P2));
  clock_.Advance(absl::Hours(5));  // 5 h of 8 h: 50 % passed
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached"));
  EXPECT_THAT(
      Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); }),
      ElementsAre("SlaClockStarted", "SlaClockRetargeted",
                  // resolution: 5 h of the new 4 h target
                  "SlaWarningReached", "SlaWarningReached", "SlaBreached",
                  // response, attached from the creation 5 h ago with 30 min
                  "SlaWarningReached", "SlaWarningReached", "SlaWarningReached", "SlaBreached"));
  auto retargeted = Last<sla::v1::SlaClockRetargeted>("SlaClockRetargeted");
  EXPECT_EQ(retargeted.previous_target().seconds(), 8 * 3600);
  EXPECT_EQ(retargeted.previous_priority(), incident::v1::PRIORITY_P2);
  EXPECT_EQ(retargeted.clock().target().seconds(), 4 * 3600);
  // The response clock attached by the change counts from the creation: retroactive.
  EXPECT_TRUE(Last<sla::v1::SlaClockStarted>("SlaClockStarted").retroactive());
}

// Seconds-long targets with retroactive start, for service "short": P1 30 s, P2 8 s, P3 60 s
// (resolution only).
class ShortTargetsTest : public TimerLogicTest {
 protected:
  ShortTargetsTest() {
    sla::v1::SlaDefinition d;
    d.set_id("short");
    d.set_name("Short");
    d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
    d.mutable_coverage()->add_services("short");
    d.set_calendar_id("cal");
    d.set_retroactive_start(true);
    for (auto [p, seconds] :
         {std::pair{incident::v1::PRIORITY_P1, 30}, std::pair{incident::v1::PRIORITY_P2, 8},
          std::pair{incident::v1::PRIORITY_P3, 60}}) {
      auto* t = d.add_targets();
      t->set_priority(p);
      t->mutable_resolution_target()->set_seconds(seconds);
    }
    source_.Put(d);
  }
  std::vector<std::string> CreateShort(incident::v1::Priority priority) {
    Create(priority);
    incident_.set_service("short");
    return Apply(incident_);
  }
  std::vector<std::string> SetPriority(incident::v1::Priority p) {
    return Change([p](Incident& i) { i.set_priority(p); });
  }
  std::vector<std::string> Hold() {
    return Change([](Incident& i) {
      i.set_assignee("bob");
      i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
      i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
    });
  }
};

// Issue 12, finding 2: a breach lifted by a priority change (a longer target, retroactive)
// never fired again when the new target passed.
TEST_F(ShortTargetsTest, ABreachLiftedByAPriorityChangeIsWithdrawnAndFiresAgain) {
  EXPECT_THAT(CreateShort(incident::v1::PRIORITY_P2), ElementsAre("SlaClockStarted"));
  clock_.Advance(absl::Seconds(8));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  const std::string first_breach = all_.back().id;
  clock_.Advance(absl::Seconds(4));  // +12 s: P1, 30 s, counted from the creation
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P1),
              ElementsAre("SlaClockRetargeted", "SlaBreachWithdrawn"));
  auto withdrawn = Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn");
  EXPECT_FALSE(withdrawn.clock().breached());
  EXPECT_EQ(withdrawn.reason(), "retargeted");
  EXPECT_EQ(base::FromProtoTimestamp(withdrawn.clock().due_time()), kT0 + absl::Seconds(30));
  EXPECT_EQ(base::FromProtoTimestamp(withdrawn.clock().event_time()), kT0 + absl::Seconds(12));
  // The warnings no longer reached (12 s of 30 s) are armed again: the next is 50 % at 15 s.
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, kT0 + absl::Seconds(15));
  clock_.Advance(absl::Seconds(17));  // +29 s
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached"));
  EXPECT_EQ(*next_fire_, kT0 + absl::Seconds(30));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Fire(), ElementsAre("SlaBreached"));
  auto again = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_TRUE(again.clock().breached());
  EXPECT_EQ(base::FromProtoTimestamp(again.clock().event_time()), kT0 + absl::Seconds(30));
  EXPECT_NE(all_.back().id, first_breach);  // a new event, not a duplicate to drop
  EXPECT_FALSE(next_fire_.has_value());
  EXPECT_TRUE(Fire().empty());
  // Replaying the same history (Redis rebuilt) produces the same events, ids included.
  const auto first = all_;
  state_.reset();
  all_.clear();
  clock_.Advance(absl::Seconds(-30));
  CreateShort(incident::v1::PRIORITY_P2);
  clock_.Advance(absl::Seconds(8));
  Fire();
  clock_.Advance(absl::Seconds(4));
  SetPriority(incident::v1::PRIORITY_P1);
  clock_.Advance(absl::Seconds(18));
  Fire();
  ASSERT_EQ(all_.size(), first.size());
  for (size_t k = 0; k < all_.size(); ++k) EXPECT_EQ(all_[k].id, first[k].id) << k;
}

// Issue 12, finding 3: a priority raise while on hold that puts the clock past its new target
// is breached at the change, and announced then, not when the record resumes.
TEST_F(ShortTargetsTest, ABreachThatBecomesTrueWhilePausedIsPublishedAtOnce) {
  CreateShort(incident::v1::PRIORITY_P3);  // 60 s
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(Hold(), ElementsAre("SlaClockPaused"));
  clock_.Advance(absl::Seconds(2));  // +12 s: P2, 8 s, with 10 s counted
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P2),
              ElementsAre("SlaClockRetargeted", "SlaWarningReached", "SlaWarningReached",
                          "SlaWarningReached", "SlaBreached"));
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().event_time()), kT0 + absl::Seconds(12));
  EXPECT_EQ(breached.clock().stage(), sla::v1::CLOCK_STAGE_PAUSED);
  EXPECT_TRUE(breached.clock().breached());
  // Resuming later announces nothing more.
  clock_.Advance(absl::Seconds(20));
  EXPECT_THAT(Change([](Incident& i) {
                i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
                i.set_hold_reason(incident::v1::HOLD_REASON_UNSPECIFIED);
              }),
              ElementsAre("SlaClockResumed"));
  EXPECT_TRUE(Fire().empty());
}

// A priority raise and the resolution in one change (a triage edit): the clock is past its new
// target when it stops, and the breach is announced before the completion that says breached.
TEST_F(ShortTargetsTest, ABreachMadeTrueByTheChangeThatStopsTheClockIsAnnounced) {
  CreateShort(incident::v1::PRIORITY_P3);  // 60 s
  clock_.Advance(absl::Seconds(12));       // P2 is 8 s
  EXPECT_THAT(Change([](Incident& i) {
                i.set_priority(incident::v1::PRIORITY_P2);
                i.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
              }),
              ElementsAre("SlaClockRetargeted", "SlaWarningReached", "SlaWarningReached",
                          "SlaWarningReached", "SlaBreached", "SlaClockCompleted"));
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_TRUE(breached.clock().breached());
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().event_time()), kT0 + absl::Seconds(12));
  EXPECT_TRUE(Last<sla::v1::SlaClockCompleted>("SlaClockCompleted").clock().breached());
  EXPECT_TRUE(Fire().empty());
}

// Issue 12, finding 4 (GLPI #6902): P2 -> P3 (no P3 target) -> P2 while on hold, retroactive
// start: the re-attached clock replays the hold from the record's history instead of counting it.
TEST_F(ShortTargetsTest, AClockReattachedWhileOnHoldDoesNotCountTheHold) {
  sla::v1::SlaDefinition d;
  d.set_id("no-p3");
  d.set_name("No P3");
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("no-p3");
  d.set_calendar_id("cal");
  d.set_retroactive_start(true);
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P2);
  t->mutable_resolution_target()->set_seconds(20);
  source_.Put(d);
  Create(incident::v1::PRIORITY_P2);
  incident_.set_service("no-p3");
  EXPECT_THAT(Apply(incident_), ElementsAre("SlaClockStarted"));
  clock_.Advance(absl::Seconds(4));
  EXPECT_THAT(Hold(), ElementsAre("SlaClockPaused"));
  clock_.Advance(absl::Seconds(2));  // 6 s
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P3), ElementsAre("SlaClockCancelled"));
  EXPECT_EQ(Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").reason(), "priority_not_covered");
  clock_.Advance(absl::Seconds(6));  // 12 s, still on hold
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P2), ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_TRUE(started.retroactive());
  EXPECT_EQ(started.clock().stage(), sla::v1::CLOCK_STAGE_PAUSED);
  EXPECT_EQ(started.clock().business_elapsed().seconds(), 4);
  EXPECT_EQ(started.clock().paused_duration().seconds(), 8);
  EXPECT_FALSE(next_fire_.has_value());
  clock_.Advance(absl::Seconds(2));  // 14 s
  EXPECT_THAT(Change([](Incident& i) {
                i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
                i.set_hold_reason(incident::v1::HOLD_REASON_UNSPECIFIED);
              }),
              ElementsAre("SlaClockResumed"));
  clock_.Advance(absl::Seconds(4));  // 18 s
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }),
              ElementsAre("SlaMet"));  // 8 s of 20 s: before the 50 % at 10 s
  auto met = Last<sla::v1::SlaMet>("SlaMet");
  EXPECT_EQ(met.clock().business_elapsed().seconds(), 8);  // not 16: the hold is not counted
  EXPECT_EQ(met.clock().business_elapsed().nanos(), 0);
  EXPECT_EQ(met.clock().paused_duration().seconds(), 10);
}

// A change applied late whose instant precedes an announced breach (its producer published it
// after the breach fired) makes the breach untrue: withdrawn, and the clock is met.
TEST_F(ShortTargetsTest, AResolutionAppliedAfterItsBreachFiredWithdrawsIt) {
  CreateShort(incident::v1::PRIORITY_P2);
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  Incident late = incident_;
  late.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  late.set_version(2);
  *late.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Seconds(5));
  EXPECT_THAT(Apply(late), ElementsAre("SlaMet", "SlaBreachWithdrawn"));
  EXPECT_EQ(Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn").reason(), "history");
}

// A change applied late that leaves the clock's history as it was (a note) withdraws nothing:
// the breach stays true for every instant after it, and no warning is announced twice.
TEST_F(ShortTargetsTest, ANoteAppliedAfterTheBreachFiredWithdrawsNothing) {
  CreateShort(incident::v1::PRIORITY_P2);
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  Incident late = incident_;
  late.set_description("the caller called again");
  late.set_version(2);
  *late.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Seconds(5));
  const size_t before = all_.size();
  EXPECT_THAT(Apply(late), Not(Contains("SlaBreachWithdrawn")));
  EXPECT_EQ(all_.size(), before) << "nothing of the clocks changed";
  EXPECT_TRUE(Fire().empty());
  EXPECT_TRUE(state_->clocks(0).breach_fired());
}

// The firings of `events` (warnings and breaches) as the timer reads them back from the topic.
void AddPublished(const std::vector<events::CloudEvent>& events, PublishedFirings& published) {
  for (const events::CloudEvent& e : events) {
    if (e.type == "itsm.sla.v1.SlaBreached" || e.type == "itsm.sla.v1.SlaWarningReached") {
      published.Add(e.subject, {.event_id = e.id, .at = e.time});
    }
  }
}

// A Redis that lost its last writes lost the breach's marker after the breach was published:
// the resolution stamped before it, applied again from the stored positions, withdraws it all
// the same, because the breach read back from the topic is fired again first (same ce_id).
TEST_F(ShortTargetsTest, AResolutionAppliedAfterRedisLostThePublishedBreachWithdrawsIt) {
  CreateShort(incident::v1::PRIORITY_P2);
  const sla::v1::TimerState kept_by_redis = *state_;
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  const std::string breach_id = all_.back().id;
  PublishedFirings published(100);
  AddPublished(all_, published);
  Incident late = incident_;
  late.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  late.set_version(2);
  *late.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Seconds(5));
  const RecordChange resolved{.incident = &late, .change_time = kT0 + absl::Seconds(5)};

  // Without the firings read back: met, and the published breach stands unwithdrawn.
  auto forgotten = logic_.Apply(&kept_by_redis, resolved, 3);
  ASSERT_TRUE(forgotten.ok()) << forgotten.status();
  state_ = kept_by_redis;
  EXPECT_THAT(Take(*forgotten), ElementsAre("SlaWarningReached", "SlaMet"));  // at 4 s

  state_ = kept_by_redis;
  auto out = logic_.Apply(&kept_by_redis, resolved, 3, &published);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->fired.empty()) << "counted when they first fired";
  ASSERT_GE(out->events.size(), 4u);
  EXPECT_EQ(out->events[3].id, breach_id) << "the breach published, not a new one";
  EXPECT_THAT(Take(*out), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                      "SlaBreached", "SlaMet", "SlaBreachWithdrawn"));
  EXPECT_EQ(Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn").reason(), "history");
  EXPECT_TRUE(Fire().empty());
}

// Nothing is fired again that was not published: a state whose firing at the breach's instant
// also announces warnings that were not read back (dropped to make room, say) is left as it is.
TEST_F(ShortTargetsTest, AFiringIsNotFiredAgainWithAnythingThatWasNotPublished) {
  CreateShort(incident::v1::PRIORITY_P2);
  const sla::v1::TimerState kept_by_redis = *state_;
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Fire(), Contains("SlaBreached"));
  PublishedFirings published(100);
  published.Add(all_.back().subject, {.event_id = all_.back().id, .at = all_.back().time});
  Incident late = incident_;
  late.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  late.set_version(2);
  *late.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Seconds(5));
  auto out = logic_.Apply(
      &kept_by_redis, {.incident = &late, .change_time = kT0 + absl::Seconds(5)}, 3, &published);
  ASSERT_TRUE(out.ok()) << out.status();
  state_ = kept_by_redis;
  EXPECT_THAT(Take(*out), ElementsAre("SlaWarningReached", "SlaMet"));
}

// A firing read back is fired again only from the state it was fired from: a state that lacks
// an earlier change of the record (the priority change that moved the due time, lost with the
// firing) fires other instants, so nothing is fired again before that change applies, and the
// change applies as it did the first time.
TEST_F(ShortTargetsTest, APublishedFiringIsNotFiredAgainFromAStateItWasNotFiredFrom) {
  CreateShort(incident::v1::PRIORITY_P2);  // 8 s
  const sla::v1::TimerState kept_by_redis = *state_;
  clock_.Advance(absl::Seconds(3));
  const std::vector<std::string> retargeted = SetPriority(incident::v1::PRIORITY_P3);  // 60 s
  const Incident lowered = incident_;
  clock_.Advance(absl::Seconds(58));
  EXPECT_THAT(Fire(), Contains("SlaBreached"));
  PublishedFirings published(100);
  AddPublished(all_, published);

  auto out = logic_.Apply(
      &kept_by_redis, {.incident = &lowered, .change_time = kT0 + absl::Seconds(3)}, 3, &published);
  ASSERT_TRUE(out.ok()) << out.status();
  state_ = kept_by_redis;
  EXPECT_EQ(Take(*out), retargeted);
}

TEST_F(TimerLogicTest, CancelDiscardsEveryClock) {
  Apply(Create());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(Change([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_CANCELLED); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
  EXPECT_EQ(Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").reason(), "cancel_condition");
  EXPECT_FALSE(next_fire_.has_value());
  EXPECT_TRUE(TimerLogic::OpenClocks(*state_).empty());
}

TEST_F(TimerLogicTest, ReplayedEventsChangeNothingAndRebuildTheSameEvents) {
  std::vector<Incident> history;
  history.push_back(Create());
  Apply(history.back());
  clock_.Advance(absl::Minutes(40));
  Change([](Incident& i) { i.set_assignee("bob"); });
  history.push_back(incident_);
  // The same event again (redelivery): nothing.
  EXPECT_TRUE(Apply(history.back()).empty());
  EXPECT_TRUE(Apply(history.front()).empty());
  const std::vector<events::CloudEvent> first = all_;
  // Redis wiped: replaying the topic rebuilds the same clocks and events, ids included.
  state_.reset();
  all_.clear();
  for (const auto& i : history) Apply(i);
  ASSERT_EQ(all_.size(), first.size());
  for (size_t k = 0; k < first.size(); ++k) {
    EXPECT_EQ(all_[k].id, first[k].id);
    EXPECT_EQ(all_[k].type, first[k].type);
    EXPECT_EQ(all_[k].data, first[k].data);
  }
}

// The event fails as a whole; Apply parks it (ARecordTheSlaServiceCannotAnswerForWaitsAlone).
TEST_F(TimerLogicTest, AnUnansweredResolveFailsTheEvent) {
  source_.SetUnavailable(true);
  auto out = logic_.OnIncident(nullptr, Create(), 0, kT0);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
}

// Issue 12, finding 5: a record no definition can cover has no clock; it is applied, never
// retried, and its later events are handled as usual.
TEST_F(TimerLogicTest, ARecordWithoutAServiceHasNoClockAndIsNotRetried) {
  source_.SetUnavailable(true);  // not even asked: nothing covers a record without a service
  Incident i = Create();
  i.set_service("");
  incident_ = i;
  auto out = logic_.OnIncident(nullptr, i, 3, kT0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->changed);
  EXPECT_EQ(out->no_sla_reason, "no_service");
  EXPECT_TRUE(out->events.empty());
  EXPECT_FALSE(out->next_fire.has_value());
  Take(*out);
  // The service is set later: then definitions are asked for, and clocks start.
  source_.SetUnavailable(false);
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(Change([](Incident& x) { x.set_service("vpn"); }),
              ElementsAre("SlaClockStarted", "SlaClockStarted"));
}

// Resolve that refuses the record (its data) is permanent; one that cannot be answered now
// fails the event (which then waits with its record).
class RefusingSource final : public DefinitionSource {
 public:
  explicit RefusingSource(DefinitionSource& inner) : inner_(inner) {}
  using DefinitionSource::Resolve;
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const RecordQuery&) override { return answer; }
  absl::StatusOr<DefinitionPtr> Definition(const std::string& id, int64_t version) override {
    return inner_.Definition(id, version);
  }
  absl::StatusOr<CalendarPtr> Calendar(const std::string& id, int64_t version) override {
    return inner_.Calendar(id, version);
  }
  absl::Status answer = absl::OkStatus();

 private:
  DefinitionSource& inner_;
};

TEST_F(TimerLogicTest, ARefusedResolveIsPermanentAnUnreachableOneIsRetried) {
  RefusingSource refusing(source_);
  TimerLogic logic(refusing, {});
  refusing.answer = absl::InvalidArgumentError("category: unknown");
  auto out = logic.OnIncident(nullptr, Create(), 3, kT0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->no_sla_reason, "refused");
  EXPECT_NE(out->no_sla_detail.find("category: unknown"), std::string::npos);
  EXPECT_TRUE(out->events.empty());
  refusing.answer = absl::UnavailableError("SLA service down");
  EXPECT_EQ(logic.OnIncident(nullptr, Create(), 3, kT0).status().code(),
            absl::StatusCode::kUnavailable);
}

// ---- Applicability follows the record (issue 12, finding 3) ----

TEST_F(TimerLogicTest, MovedToAServiceWithoutAnSlaCancelsItsClocks) {
  Apply(Create());
  const std::string first = state_->clocks(0).clock_id();
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(Change([](Incident& i) { i.set_service("email"); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
  auto cancelled = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled");
  EXPECT_EQ(cancelled.reason(), "not_applicable");
  EXPECT_EQ(cancelled.clock().service(), "vpn");  // the clock was the old service's
  EXPECT_FALSE(next_fire_.has_value());
  EXPECT_TRUE(TimerLogic::OpenClocks(*state_).empty());
  EXPECT_EQ(state_->definitions_size(), 0);
  clock_.Advance(absl::Hours(10));
  EXPECT_TRUE(Fire().empty());  // nothing is breached, nor booked to "email"
  // Moved back: the definition applies again, with new clocks from the change.
  EXPECT_THAT(Change([](Incident& i) { i.set_service("vpn"); }),
              ElementsAre("SlaClockStarted", "SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_NE(started.clock().clock_id(), first);
  EXPECT_FALSE(started.retroactive());
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), clock_.Now() + absl::Hours(4));
}

TEST_F(TimerLogicTest, MovedOntoAServiceWithARetroactiveSlaCountsFromTheCreation) {
  source_.Put(Gold(true));
  Create();
  incident_.set_service("email");
  EXPECT_THAT(Apply(incident_), ElementsAre());
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(
      Change([](Incident& i) { i.set_service("vpn"); }),
      ElementsAre("SlaClockStarted", "SlaClockStarted",
                  // response: 30 min, counted from the creation an hour ago
                  "SlaWarningReached", "SlaWarningReached", "SlaWarningReached", "SlaBreached"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_TRUE(started.retroactive());
  EXPECT_EQ(started.clock().service(), "vpn");
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), kT0 + absl::Hours(4));
}

// A clock pins the calendar version in force when it started, not the one current when the
// timer got to the record: an edit saved while the timer was down (or before a replay after
// Redis was lost) must not move a due time, nor drop a breach announced under the old version.
TEST_F(TimerLogicTest, ClocksPinTheCalendarVersionInForceAtTheirStart) {
  const Incident created = Create(incident::v1::PRIORITY_P2);
  sla::v1::Calendar office;
  office.set_id("cal");
  office.set_name("24x7");
  office.set_time_zone("Europe/Istanbul");
  office.set_always_open(true);
  *office.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  source_.Put(office);               // version 2, saved a minute after the incident was raised
  clock_.Advance(absl::Minutes(5));  // the timer processes the creation late
  Apply(created);
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.calendar_version(), 1);
  EXPECT_EQ(started.time_zone(), "UTC");
  EXPECT_EQ(base::FromProtoTimestamp(started.due_time()), kT0 + absl::Hours(8));

  // A record raised after the edit pins it.
  state_.reset();
  Apply(Create(incident::v1::PRIORITY_P2));
  started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.calendar_version(), 2);
  EXPECT_EQ(started.time_zone(), "Europe/Istanbul");
}

// Likewise the definition: a target lengthened after the record was raised, but before the timer
// processed it, does not apply to it (its breach would be lost).
TEST_F(TimerLogicTest, ClocksPinTheDefinitionVersionInForceAtTheirStart) {
  const Incident created = Create(incident::v1::PRIORITY_P2);
  sla::v1::SlaDefinition lenient = Gold(false);
  lenient.mutable_targets(1)->mutable_resolution_target()->set_seconds(24 * 3600);
  *lenient.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  source_.Put(lenient);  // version 2
  clock_.Advance(absl::Minutes(5));
  Apply(created);
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.sla_definition_version(), 1);
  EXPECT_EQ(base::FromProtoTimestamp(started.due_time()), kT0 + absl::Hours(8));
  clock_.Set(kT0 + absl::Hours(8));
  Fire();
  EXPECT_EQ(Last<sla::v1::SlaBreached>("SlaBreached").clock().sla_definition_version(), 1);

  state_.reset();
  Apply(Create(incident::v1::PRIORITY_P2));
  started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.sla_definition_version(), 2);
  EXPECT_EQ(base::FromProtoTimestamp(started.due_time()), clock_.Now() + absl::Hours(24));
}

// A definition attached before it had a target for the record's new priority: the change to that
// priority takes the version in force at the change, which has it, as a definition newly covering
// the record would; the pinned version, without it, would leave the record with no clock at all.
TEST_F(TimerLogicTest, APriorityTheDefinitionGainedAfterItAttachedGetsItsClock) {
  sla::v1::SlaDefinition p1_only = Gold(false);
  p1_only.mutable_targets()->RemoveLast();
  source_.Put(p1_only);  // version 2: P1 only
  Apply(Create(incident::v1::PRIORITY_P1));
  EXPECT_EQ(Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock().sla_definition_version(), 2);
  clock_.Advance(absl::Hours(1));
  sla::v1::SlaDefinition with_p2 = Gold(false);
  *with_p2.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
  source_.Put(with_p2);  // version 3: P2 again
  clock_.Advance(absl::Minutes(1));
  const std::vector<std::string> events =
      Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P2); });
  EXPECT_THAT(events, ::testing::Contains("SlaClockStarted"));
  const sla::v1::SlaClock started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.sla_definition_version(), 3);
  EXPECT_EQ(started.clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_EQ(base::FromProtoTimestamp(started.due_time()), clock_.Now() + absl::Hours(8));

  // The pin stands when the pinned version has the target: P2 -> P1 keeps version 3's P1.
  clock_.Advance(absl::Minutes(1));
  Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); });
  EXPECT_EQ(Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock().sla_definition_version(), 3);
}

// Issue 12, "an explainable clock": every event names its cause, the record change behind it
// (fields and version) and the calendar version the clock is pinned to.
TEST_F(TimerLogicTest, EventsSayWhyAndUnderWhichCalendarVersion) {
  auto fields = [](const sla::v1::SlaClock& c) {
    std::map<std::string, std::string> out;
    for (const auto& f : c.changed_fields()) out[f.field()] = f.value();
    return out;
  };
  Apply(Create(incident::v1::PRIORITY_P2));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(started.cause(), "start_condition");
  EXPECT_EQ(started.record_version(), 1);
  EXPECT_EQ(started.calendar_version(), state_->clocks(0).calendar_version());
  EXPECT_GT(started.calendar_version(), 0);
  EXPECT_EQ(fields(started)["state"], "NEW");
  EXPECT_EQ(fields(started)["priority"], "P2");
  EXPECT_EQ(fields(started)["service"], "vpn");
  EXPECT_LE(started.changed_fields_size(), 8);
  // A calendar edited after the start does not change the pinned version.
  sla::v1::Calendar edited;
  edited.set_id("cal");
  edited.set_name("24x7");
  edited.set_time_zone("Europe/Istanbul");
  edited.set_always_open(true);
  source_.Put(edited);

  clock_.Advance(absl::Hours(1));
  Change([](Incident& i) {
    i.set_assignee("bob");
    i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
    i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
  });
  auto paused = Last<sla::v1::SlaClockPaused>("SlaClockPaused").clock();
  EXPECT_EQ(paused.cause(), "pause_condition");
  EXPECT_EQ(paused.record_version(), 2);
  EXPECT_EQ(paused.calendar_version(), started.calendar_version());
  EXPECT_EQ(fields(paused),
            (std::map<std::string, std::string>{
                {"state", "ON_HOLD"}, {"assignee", "bob"}, {"hold_reason", "awaiting_caller"}}));
  EXPECT_EQ(base::FromProtoTimestamp(paused.change_time()), kT0 + absl::Hours(1));

  clock_.Advance(absl::Hours(1));
  Change([](Incident& i) {
    i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
    i.set_hold_reason(incident::v1::HOLD_REASON_UNSPECIFIED);
  });
  EXPECT_EQ(Last<sla::v1::SlaClockResumed>("SlaClockResumed").clock().cause(), "resume_condition");
  clock_.Advance(absl::Hours(3));  // 4 h running of 8 h: the 50 % warning
  Fire();
  auto warning = Last<sla::v1::SlaWarningReached>("SlaWarningReached").clock();
  EXPECT_EQ(warning.cause(), "warning_threshold");
  EXPECT_EQ(warning.changed_fields_size(), 0);
  EXPECT_EQ(warning.record_version(), 0);
  EXPECT_FALSE(warning.has_change_time());
  Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); });
  auto cancelled = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").clock();
  EXPECT_EQ(cancelled.cause(), "priority_change");  // superseded
  EXPECT_EQ(fields(cancelled), (std::map<std::string, std::string>{{"priority", "P1"}}));
  auto restarted = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(restarted.cause(), "priority_change");
  // A clock started now pins the calendar's current version.
  EXPECT_GT(restarted.calendar_version(), started.calendar_version());
  EXPECT_EQ(restarted.time_zone(), "Europe/Istanbul");
  Change([](Incident& i) { i.set_service("email"); });
  auto detached = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").clock();
  EXPECT_EQ(detached.cause(), "coverage_change");
  EXPECT_EQ(fields(detached), (std::map<std::string, std::string>{{"service", "email"}}));
}

TEST_F(ShortTargetsTest, AWithdrawnBreachAndARetroactiveStartSayWhy) {
  CreateShort(incident::v1::PRIORITY_P2);  // 8 s
  clock_.Advance(absl::Seconds(10));
  Fire();
  EXPECT_EQ(Last<sla::v1::SlaBreached>("SlaBreached").clock().cause(), "target_reached");
  SetPriority(incident::v1::PRIORITY_P1);  // 30 s, retroactive: the breach is withdrawn
  auto withdrawn = Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn").clock();
  EXPECT_EQ(withdrawn.cause(), "priority_change");
  EXPECT_EQ(Last<sla::v1::SlaClockRetargeted>("SlaClockRetargeted").clock().cause(),
            "priority_change");
  // Held, dropped to an uncovered priority, raised again: the re-attached clock replays the
  // hold from the record's history, and its start event lists the replayed pause.
  Hold();
  clock_.Advance(absl::Seconds(5));
  SetPriority(incident::v1::PRIORITY_P4);
  clock_.Advance(absl::Seconds(5));
  SetPriority(incident::v1::PRIORITY_P1);
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_TRUE(started.retroactive());
  EXPECT_EQ(started.clock().cause(), "priority_change");
  ASSERT_EQ(started.replayed_size(), 1);
  EXPECT_EQ(started.replayed(0).type(), "pause");
  EXPECT_EQ(base::FromProtoTimestamp(started.replayed(0).time()), kT0 + absl::Seconds(10));
}

// Found from outside (docs/sla.md 4.4): a late record whose priority leaves the definition and
// comes back is one clock with one breach, not a new clock breaching again at each return.
TEST_F(ShortTargetsTest, AClockThatComesBackIsTheSameClockAndBreachesOnce) {
  CreateShort(incident::v1::PRIORITY_P2);  // 8 s
  const std::string id = state_->clocks(0).clock_id();
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  for (int round = 0; round < 3; ++round) {
    clock_.Advance(absl::Seconds(1));
    EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P4), ElementsAre("SlaClockCancelled"));
    EXPECT_TRUE(Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").clock().breached());
    clock_.Advance(absl::Seconds(1));
    // Back to P2: the same clock, counted from the creation, still breached; nothing fires.
    EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P2), ElementsAre("SlaClockStarted"));
    auto revived = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
    EXPECT_EQ(revived.clock_id(), id);
    EXPECT_TRUE(revived.breached());
    EXPECT_EQ(revived.stage(), sla::v1::CLOCK_STAGE_RUNNING);
    EXPECT_EQ(base::FromProtoTimestamp(revived.start_time()), kT0);
    EXPECT_EQ(revived.business_elapsed().seconds(), 12 + 2 * round);
    ASSERT_EQ(state_->clocks_size(), 1);
    EXPECT_TRUE(Fire().empty());
  }
  // Every event of the clock has its own id: consumers that drop duplicates lose none.
  std::set<std::string> ids;
  for (const auto& e : all_) EXPECT_TRUE(ids.insert(e.id).second) << e.type;
  // Back at P1 (30 s, 17 s counted): the breach is withdrawn, and announced again at 30 s.
  clock_.Advance(absl::Seconds(1));
  SetPriority(incident::v1::PRIORITY_P4);
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P1),
              ElementsAre("SlaClockStarted", "SlaBreachWithdrawn"));
  EXPECT_EQ(Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn").reason(), "revived");
  EXPECT_EQ(Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn").clock().clock_id(), id);
  clock_.Advance(absl::Seconds(13));
  // 50 % (15 s) stayed reached; 75 % and 90 % were armed again.
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaBreached"));
  EXPECT_EQ(Last<sla::v1::SlaBreached>("SlaBreached").clock().clock_id(), id);
  ASSERT_EQ(state_->clocks_size(), 1);
}

// Found from outside: a clock whose start condition held after the creation came back counted
// from the creation, time before its own start included, and breached early. It comes back
// counted from its own start.
TEST_F(TimerLogicTest, AClockThatComesBackCountsFromItsOwnStartNotBefore) {
  sla::v1::SlaDefinition d;
  d.set_id("on-assign");
  d.set_name("On assignment");
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("late");
  d.set_calendar_id("cal");
  d.set_retroactive_start(true);
  auto* start = d.mutable_resolution_conditions()->mutable_start()->add_any_of()->add_all_of();
  start->set_field(sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP);
  start->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P2);
  t->mutable_resolution_target()->set_seconds(8);
  source_.Put(d);
  Create(incident::v1::PRIORITY_P2);
  incident_.set_service("late");
  EXPECT_THAT(Apply(incident_), ElementsAre());
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(Change([](Incident& i) { i.set_assignment_group("network"); }),
              ElementsAre("SlaClockStarted"));
  clock_.Advance(absl::Seconds(2));
  EXPECT_THAT(Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P3); }),
              ElementsAre("SlaClockCancelled"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P2); }),
              ElementsAre("SlaClockStarted"));
  auto back = Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock();
  EXPECT_EQ(base::FromProtoTimestamp(back.start_time()), kT0 + absl::Seconds(5));
  EXPECT_EQ(back.business_elapsed().seconds(), 3);
  EXPECT_FALSE(back.breached());
  ASSERT_TRUE(next_fire_.has_value());
  clock_.Advance(absl::Seconds(5));  // 13 s: its own 8 s since +5 s
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  EXPECT_EQ(
      base::FromProtoTimestamp(Last<sla::v1::SlaBreached>("SlaBreached").clock().event_time()),
      kT0 + absl::Seconds(13));
}

// A clock cancelled before its due instant and revived past it breaches then, once.
TEST_F(ShortTargetsTest, AClockRevivedPastItsDueInstantBreachesAtTheReturn) {
  CreateShort(incident::v1::PRIORITY_P2);  // 8 s
  clock_.Advance(absl::Seconds(2));
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P4), ElementsAre("SlaClockCancelled"));
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Fire().empty());
  EXPECT_THAT(SetPriority(incident::v1::PRIORITY_P2),
              ElementsAre("SlaClockStarted", "SlaWarningReached", "SlaWarningReached",
                          "SlaWarningReached", "SlaBreached"));
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached").clock();
  EXPECT_EQ(breached.clock_id(), state_->clocks(0).clock_id());
  EXPECT_EQ(base::FromProtoTimestamp(breached.event_time()), kT0 + absl::Seconds(12));
  EXPECT_TRUE(Fire().empty());
}

TEST_F(TimerLogicTest, ACategoryChangeReevaluatesWhichDefinitionsApply) {
  sla::v1::SlaDefinition d = Gold(false);
  d.mutable_coverage()->add_categories("network");
  source_.Put(d);
  Create();
  incident_.set_category("network");
  EXPECT_THAT(Apply(incident_), ElementsAre("SlaClockStarted", "SlaClockStarted"));
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(Change([](Incident& i) { i.set_category("hardware"); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
  EXPECT_EQ(Last<sla::v1::SlaClockCancelled>("SlaClockCancelled").reason(), "not_applicable");
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(Change([](Incident& i) { i.set_category("network"); }),
              ElementsAre("SlaClockStarted", "SlaClockStarted"));
}

TEST_F(TimerLogicTest, ADefinitionRestrictedToACiClassStartsClocks) {
  config::v1::ConfigurationItem router;
  router.set_id("r1");
  router.set_class_name("router");
  cis_.Put(router);
  config::v1::ConfigurationItem server;
  server.set_id("s1");
  server.set_class_name("server");
  cis_.Put(server);
  sla::v1::SlaDefinition d = Gold(false);
  d.mutable_coverage()->add_ci_classes("router");
  source_.Put(d);
  Create();
  incident_.add_configuration_item_ids("r1");
  EXPECT_THAT(Apply(incident_), ElementsAre("SlaClockStarted", "SlaClockStarted"));
  EXPECT_EQ(state_->record().ci_class(), "router");
  // A change that does not touch the CI does not ask about it again.
  const int calls = cis_.calls();
  clock_.Advance(absl::Minutes(1));
  Change([](Incident& i) { i.set_assignment_group("network"); });
  EXPECT_EQ(cis_.calls(), calls);
  // The configuration service down: the event is retried, not applied without a class.
  cis_.SetUnavailable(true);
  Incident moved = incident_;
  moved.set_configuration_item_ids(0, "s1");
  moved.set_version(moved.version() + 1);
  EXPECT_EQ(logic_.OnIncident(&*state_, moved, 3, clock_.Now()).status().code(),
            absl::StatusCode::kUnavailable);
  cis_.SetUnavailable(false);
  EXPECT_THAT(Change([](Incident& i) { i.set_configuration_item_ids(0, "s1"); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
  // A CI the configuration service does not know has no class.
  EXPECT_THAT(Change([](Incident& i) { i.set_configuration_item_ids(0, "gone"); }), ElementsAre());
  EXPECT_EQ(state_->record().ci_class(), "");
  EXPECT_THAT(Change([](Incident& i) { i.set_configuration_item_ids(0, "r1"); }),
              ElementsAre("SlaClockStarted", "SlaClockStarted"));
}

// Issue 12, finding 8: a definition whose zone comes from the CI location runs on the business
// hours of the CI's zone, as GetDueTime shows them, not on the calendar's.
TEST_F(TimerLogicTest, ACiLocationDefinitionFiresAtTheCiZonesBusinessHours) {
  sla::v1::Calendar office;
  office.set_id("office");
  office.set_name("Office");
  office.set_time_zone("UTC");
  for (int day = sla::v1::WEEKDAY_MONDAY; day <= sla::v1::WEEKDAY_FRIDAY; ++day) {
    auto* w = office.add_weekly_hours();
    w->set_day(static_cast<sla::v1::Weekday>(day));
    w->mutable_start()->set_hours(9);
    w->mutable_end()->set_hours(17);
  }
  source_.Put(office);
  sla::v1::SlaDefinition d;
  d.set_id("local");
  d.set_name("Local desk");
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("desk");
  d.set_calendar_id("office");
  d.set_time_zone_source(sla::v1::TIME_ZONE_SOURCE_CI_LOCATION);
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P1);
  t->mutable_resolution_target()->set_seconds(3600);
  source_.Put(d);
  config::v1::ConfigurationItem ist;
  ist.set_id("ist");
  ist.set_class_name("location");
  (*ist.mutable_attributes())["time_zone"] = "Europe/Istanbul";
  cis_.Put(ist);
  config::v1::ConfigurationItem pc;
  pc.set_id("pc1");
  pc.set_class_name("computer");
  (*pc.mutable_attributes())["location"] = "ist";
  cis_.Put(pc);
  // Friday 2027-01-15 15:00 UTC: open in UTC, but 18:00 in Istanbul, closed there.
  clock_.Set(kT0 + absl::Hours(7));
  Create();
  incident_.set_service("desk");
  incident_.add_configuration_item_ids("pc1");
  EXPECT_THAT(Apply(incident_), ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().time_zone(), "Europe/Istanbul");
  // Due Monday 10:00 in Istanbul (07:00 UTC), not Friday 16:00 UTC.
  const absl::Time due = kT0 + absl::Hours(71);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), due);
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, due - absl::Minutes(30));  // the 50 % warning
  clock_.Set(kT0 + absl::Hours(9));                 // past the UTC due time
  EXPECT_TRUE(Fire().empty());
  clock_.Set(due);
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  EXPECT_EQ(
      base::FromProtoTimestamp(Last<sla::v1::SlaBreached>("SlaBreached").clock().event_time()),
      due);
}

// ---- Service requests: the same clocks, read through slamodel::FromServiceRequest ----

class ServiceRequestTimerTest : public TimerLogicTest {
 protected:
  std::vector<std::string> ApplyRequest(const incident::v1::ServiceRequest& r) {
    auto out = logic_.OnServiceRequest(state_ ? &*state_ : nullptr, r, 3,
                                       base::FromProtoTimestamp(r.update_time()));
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    return Take(*out);
  }

  std::vector<std::string> CreateRequest(
      incident::v1::Priority priority = incident::v1::PRIORITY_P1) {
    request_.set_id("req-1");
    request_.set_catalog_item("Laptop (standard)");
    request_.set_service("vpn");
    request_.set_priority(priority);
    request_.set_state(incident::v1::SERVICE_REQUEST_STATE_SUBMITTED);
    request_.set_version(1);
    *request_.mutable_create_time() = base::ToProtoTimestamp(clock_.Now());
    *request_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return ApplyRequest(request_);
  }

  std::vector<std::string> ChangeRequest(
      const std::function<void(incident::v1::ServiceRequest&)>& edit) {
    edit(request_);
    request_.set_version(request_.version() + 1);
    *request_.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
    return ApplyRequest(request_);
  }

  std::vector<std::string> ToState(incident::v1::ServiceRequestState s) {
    return ChangeRequest([s](incident::v1::ServiceRequest& r) { r.set_state(s); });
  }

  incident::v1::ServiceRequest request_;
};

TEST_F(ServiceRequestTimerTest, SubmittedRequestStartsResponseAndResolutionClocks) {
  EXPECT_THAT(CreateRequest(), ElementsAre("SlaClockStarted", "SlaClockStarted"));
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, kT0 + absl::Minutes(15));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().incident_id(), "req-1");
  EXPECT_EQ(started.clock().record_type(), "service_request");
  EXPECT_EQ(started.clock().service(), "vpn");
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), kT0 + absl::Hours(4));
  EXPECT_EQ(state_->record_type(), "service_request");
  EXPECT_EQ(all_.back().subject, "req-1");
  // The record type is part of the clock id: an incident with the same id has other clocks.
  const std::string request_clock = started.clock().clock_id();
  std::optional<sla::v1::TimerState> request_state = state_;
  state_.reset();
  Incident same_id = Create();
  same_id.set_id("req-1");
  Apply(same_id);
  EXPECT_NE(Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock().clock_id(), request_clock);
  EXPECT_EQ(Last<sla::v1::SlaClockStarted>("SlaClockStarted").clock().record_type(), "");
  // And a stored request state is never taken for an incident's (or the reverse).
  auto mixed = logic_.OnIncident(&*request_state, same_id, 3, clock_.Now());
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServiceRequestTimerTest, FulfilledInTimeIsMet) {
  CreateRequest();
  clock_.Advance(absl::Minutes(10));
  // Leaving SUBMITTED is the response.
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_APPROVED), ElementsAre("SlaMet"));
  EXPECT_EQ(Last<sla::v1::SlaMet>("SlaMet").clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  clock_.Advance(absl::Minutes(20));
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_FULFILLING), ElementsAre());
  clock_.Advance(absl::Minutes(60));  // 1 h 30 min: before the 50 % warning at 2 h
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_FULFILLED), ElementsAre("SlaMet"));
  auto met = Last<sla::v1::SlaMet>("SlaMet");
  EXPECT_EQ(met.clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_FALSE(met.clock().breached());
  EXPECT_EQ(met.clock().business_elapsed().seconds(), 90 * 60);
  EXPECT_EQ(met.clock().record_type(), "service_request");
  EXPECT_FALSE(next_fire_.has_value());
  EXPECT_TRUE(TimerLogic::OpenClocks(*state_).empty());
  // Closing it later changes nothing; a redelivered event is a replay.
  clock_.Advance(absl::Hours(10));
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_CLOSED), ElementsAre());
  EXPECT_THAT(ApplyRequest(request_), ElementsAre());
}

TEST_F(ServiceRequestTimerTest, LateFulfilmentBreaches) {
  CreateRequest(incident::v1::PRIORITY_P2);  // P2: resolution 8 h only
  ASSERT_EQ(state_->clocks_size(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_FULFILLING), ElementsAre());
  clock_.Advance(absl::Hours(7));  // 8 h: 50 %, 75 %, 90 % and the breach
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  EXPECT_EQ(Last<sla::v1::SlaBreached>("SlaBreached").clock().record_type(), "service_request");
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_FULFILLED),
              ElementsAre("SlaClockCompleted"));
  auto done = Last<sla::v1::SlaClockCompleted>("SlaClockCompleted");
  EXPECT_TRUE(done.clock().breached());
  EXPECT_EQ(done.clock().stage(), sla::v1::CLOCK_STAGE_COMPLETED);
}

TEST_F(ServiceRequestTimerTest, RejectedOrCancelledRequestCancelsItsClocks) {
  CreateRequest();
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(ToState(incident::v1::SERVICE_REQUEST_STATE_REJECTED),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
  EXPECT_FALSE(next_fire_.has_value());
}

TEST_F(ServiceRequestTimerTest, CoverageRequestTypesSelectCatalogueItems) {
  sla::v1::SlaDefinition d = Gold(false);
  d.mutable_coverage()->add_request_types("Phone");
  source_.Put(d);  // the current version now covers only requests for phones
  EXPECT_THAT(CreateRequest(), ElementsAre());
  EXPECT_FALSE(next_fire_.has_value());
  // The catalogue item changed to one the definition covers: its clocks start.
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(ChangeRequest([](incident::v1::ServiceRequest& r) { r.set_catalog_item("Phone"); }),
              ElementsAre("SlaClockStarted", "SlaClockStarted"));
  EXPECT_THAT(ChangeRequest([](incident::v1::ServiceRequest& r) { r.set_catalog_item("Laptop"); }),
              ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
}

// ---------------------------------------------------------------------------------------------
// Targets in business days, measuring from the record's creation, retired definitions.

// A UTC office calendar, Monday-Friday 09:00-17:00, and a definition whose resolution targets
// are business days (P1 one day, P2 two, by the end-of-day rule), retroactive.
class BusinessDaysTest : public TimerLogicTest {
 protected:
  BusinessDaysTest() {
    sla::v1::Calendar office;
    office.set_id("office");
    office.set_name("Office");
    office.set_time_zone("UTC");
    for (int d = sla::v1::WEEKDAY_MONDAY; d <= sla::v1::WEEKDAY_FRIDAY; ++d) {
      auto* w = office.add_weekly_hours();
      w->set_day(static_cast<sla::v1::Weekday>(d));
      w->mutable_start()->set_hours(9);
      w->mutable_end()->set_hours(17);
    }
    source_.Put(office);
    sla::v1::SlaDefinition d;
    d.set_id("days");
    d.set_name("Days");
    d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
    d.mutable_coverage()->add_services("desk");
    d.set_calendar_id("office");
    d.set_retroactive_start(true);
    d.set_business_day_rule(sla::v1::BUSINESS_DAY_RULE_END_OF_DAY);
    for (auto [p, days] :
         {std::pair{incident::v1::PRIORITY_P1, 1}, std::pair{incident::v1::PRIORITY_P2, 2}}) {
      auto* t = d.add_targets();
      t->set_priority(p);
      t->set_resolution_business_days(days);
    }
    source_.Put(d);
  }
  static absl::Time Utc(int day, int hh) {
    return absl::FromCivil(absl::CivilHour(2027, 1, day, hh), absl::UTCTimeZone());
  }
};

// Friday 2027-01-15 08:00, before opening: Friday is day 0. Two business days end Tuesday
// 17:00 (24 h of business time); raised to P1 on Monday, one day counted from the same start
// ends Monday 17:00 (16 h). The clock is an ordinary duration clock once started.
TEST_F(BusinessDaysTest, DaysBecomeBusinessTimeWhenTheClockStartsAndWhenItIsRetargeted) {
  Create(incident::v1::PRIORITY_P2);
  incident_.set_service("desk");
  EXPECT_THAT(Apply(incident_), ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(started.clock().target().seconds(), 24 * 3600);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), Utc(19, 17));
  clock_.Set(Utc(18, 10));
  // 9 h counted (Friday 09:00-17:00, Monday 09:00-10:00): past 50 % of 16 h.
  EXPECT_THAT(Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); }),
              ElementsAre("SlaClockRetargeted", "SlaWarningReached"));
  auto retargeted = Last<sla::v1::SlaClockRetargeted>("SlaClockRetargeted");
  EXPECT_EQ(retargeted.clock().target().seconds(), 16 * 3600);
  EXPECT_EQ(retargeted.previous_target().seconds(), 24 * 3600);
  EXPECT_EQ(base::FromProtoTimestamp(retargeted.clock().due_time()), Utc(18, 17));
  clock_.Set(Utc(18, 17));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaBreached"));
  EXPECT_EQ(
      base::FromProtoTimestamp(Last<sla::v1::SlaBreached>("SlaBreached").clock().event_time()),
      Utc(18, 17));
}

// A definition whose resolution clock starts when the record is assigned to a group, measured
// from the record's creation: the time before the assignment counts, its hold does not.
class MeasureFromCreationTest : public TimerLogicTest {
 protected:
  MeasureFromCreationTest() {
    sla::v1::SlaDefinition d;
    d.set_id("assigned");
    d.set_name("From creation");
    d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
    d.mutable_coverage()->add_services("desk");
    d.set_calendar_id("cal");
    auto* start = d.mutable_resolution_conditions()->mutable_start()->add_any_of()->add_all_of();
    start->set_field(sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP);
    start->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
    d.mutable_resolution_conditions()->set_measure_from(sla::v1::MEASURE_FROM_RECORD_CREATION);
    for (auto [p, seconds] :
         {std::pair{incident::v1::PRIORITY_P1, 60}, std::pair{incident::v1::PRIORITY_P2, 15}}) {
      auto* t = d.add_targets();
      t->set_priority(p);
      t->mutable_resolution_target()->set_seconds(seconds);
    }
    source_.Put(d);
  }
  // Created at kT0, on hold from +10 s to +20 s, assigned at +30 s.
  std::vector<std::string> AssignAfterAHold(incident::v1::Priority priority) {
    Create(priority);
    incident_.set_service("desk");
    EXPECT_THAT(Apply(incident_), ElementsAre());
    clock_.Advance(absl::Seconds(10));
    EXPECT_THAT(Change([](Incident& i) {
                  i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
                  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
                }),
                ElementsAre());
    clock_.Advance(absl::Seconds(10));
    EXPECT_THAT(Change([](Incident& i) {
                  i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
                  i.set_hold_reason(incident::v1::HOLD_REASON_UNSPECIFIED);
                }),
                ElementsAre());
    clock_.Advance(absl::Seconds(10));
    return Change([](Incident& i) { i.set_assignment_group("network"); });
  }
};

TEST_F(MeasureFromCreationTest, TheClockStartsAtTheCreationLessTheHoldsBeforeTheAssignment) {
  // 20 s of 60 s counted: below the first warning (50 %).
  EXPECT_THAT(AssignAfterAHold(incident::v1::PRIORITY_P1), ElementsAre("SlaClockStarted"));
  auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_TRUE(started.retroactive());
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().start_time()), kT0);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().event_time()), kT0 + absl::Seconds(30));
  EXPECT_EQ(started.clock().stage(), sla::v1::CLOCK_STAGE_RUNNING);
  EXPECT_EQ(started.clock().business_elapsed().seconds(), 20);
  EXPECT_EQ(started.clock().paused_duration().seconds(), 10);
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().due_time()), kT0 + absl::Seconds(70));
}

// Already past its target when the start condition holds: breached at that instant, announced
// with the start, not later.
TEST_F(MeasureFromCreationTest, AClockPastItsTargetWhenItStartsBreachesAtOnce) {
  EXPECT_THAT(AssignAfterAHold(incident::v1::PRIORITY_P2),
              ElementsAre("SlaClockStarted", "SlaWarningReached", "SlaWarningReached",
                          "SlaWarningReached", "SlaBreached"));
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_TRUE(breached.clock().breached());
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().event_time()), kT0 + absl::Seconds(30));
  EXPECT_EQ(breached.clock().business_elapsed().seconds(), 20);
  EXPECT_FALSE(next_fire_.has_value());
}

// Measured from the creation, the new priority's target applies to the time counted since the
// creation: the clock goes on with it (one clock, so one late record is one breach however often
// the priority flips). Lowered to P2 (15 s) with 35 s counted, it breaches at once, not 15 s
// after the change.
TEST_F(MeasureFromCreationTest, APriorityChangeKeepsCountingFromTheCreation) {
  AssignAfterAHold(incident::v1::PRIORITY_P1);
  clock_.Advance(absl::Seconds(10));  // +40 s: 30 s counted of P1's 60 s
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached"));
  clock_.Advance(absl::Seconds(5));
  auto events = Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P2); });
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0], "SlaClockRetargeted");
  EXPECT_EQ(events.back(), "SlaBreached");  // P2: 15 s, 35 s counted since the creation
  auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().start_time()), kT0);
  EXPECT_EQ(breached.clock().business_elapsed().seconds(), 35);
  // Back to P1 and to P2 again: the same clock, the breach withdrawn and announced once more,
  // never a second clock over the same time.
  clock_.Advance(absl::Seconds(1));
  events = Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P1); });
  EXPECT_EQ(std::count(events.begin(), events.end(), "SlaClockStarted"), 0);
  EXPECT_EQ(state_->clocks_size(), 1);
}

// Gold at version 2, retired at `at`.
sla::v1::SlaDefinition Retired(sla::v1::SlaDefinition d, absl::Time at) {
  d.set_version(0);  // the next version
  d.set_retired(true);
  *d.mutable_update_time() = base::ToProtoTimestamp(at);
  return d;
}

// Issue 12, finding 9: retiring a definition left its clocks to breach. They end at the
// retirement, after what they reached before it.
TEST_F(TimerLogicTest, ARetiredDefinitionsClocksAreCancelledAtTheRetirement) {
  Apply(Create());
  source_.Put(Retired(Gold(false), kT0 + absl::Minutes(20)));
  clock_.Advance(absl::Minutes(25));
  // The response clock's 50 % (15 min) was reached before the retirement; its 75 % (22.5 min)
  // was not, nor anything of the resolution clock.
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaClockCancelled", "SlaClockCancelled"));
  auto cancelled = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled");
  EXPECT_EQ(cancelled.reason(), "definition_retired");
  EXPECT_EQ(cancelled.clock().stage(), sla::v1::CLOCK_STAGE_CANCELLED);
  EXPECT_FALSE(cancelled.clock().breached());
  EXPECT_EQ(base::FromProtoTimestamp(cancelled.clock().stop_time()), kT0 + absl::Minutes(20));
  EXPECT_EQ(base::FromProtoTimestamp(cancelled.clock().event_time()), kT0 + absl::Minutes(20));
  EXPECT_EQ(cancelled.clock().business_elapsed().seconds(), 20 * 60);
  EXPECT_FALSE(next_fire_.has_value());
  EXPECT_TRUE(TimerLogic::OpenClocks(*state_).empty());
  // Cancelled by the firing loop: the partition's open counts go down with them.
  EXPECT_EQ(open_delta_,
            (std::map<std::string, int>{{"resolution:running", -1}, {"response:running", -1}}));
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(Fire().empty());
  // A retired definition applies to nothing: a change of the record starts no clock of it.
  EXPECT_THAT(Change([](Incident& i) { i.set_priority(incident::v1::PRIORITY_P2); }),
              ElementsAre());
}

// Found from outside: a definition retired and made active again within seconds let the clocks
// the timer had not looked at meanwhile go on to breach. The retirement still ended them.
TEST_F(TimerLogicTest, ARetirementUndoneLaterStillEndedTheClocksAtIt) {
  Apply(Create());
  source_.Put(Retired(Gold(false), kT0 + absl::Minutes(20)));
  sla::v1::SlaDefinition again = Gold(false);
  again.set_version(0);  // the next version: active again
  *again.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(21));
  source_.Put(again);
  clock_.Advance(absl::Minutes(25));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaClockCancelled", "SlaClockCancelled"));
  auto cancelled = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled");
  EXPECT_EQ(cancelled.reason(), "definition_retired");
  EXPECT_EQ(base::FromProtoTimestamp(cancelled.clock().stop_time()), kT0 + absl::Minutes(20));
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(Fire().empty());
}

// A retirement known in advance (the timer reads the definition before it takes effect) is
// scheduled: the clock is cancelled at its instant, not when it would next have warned.
TEST_F(TimerLogicTest, AKnownRetirementIsScheduled) {
  Apply(Create());
  clock_.Advance(absl::Minutes(1));
  source_.Put(Retired(Gold(false), kT0 + absl::Minutes(5)));
  EXPECT_THAT(Change([](Incident& i) { i.set_title("VPN down again"); }), ElementsAre());
  ASSERT_TRUE(next_fire_.has_value());
  EXPECT_EQ(*next_fire_, kT0 + absl::Minutes(5));
  clock_.Advance(absl::Minutes(4));
  EXPECT_THAT(Fire(), ElementsAre("SlaClockCancelled", "SlaClockCancelled"));
}

// A breach fired after the retirement, before the timer could know of it (its definition
// cache), was not owed: the clock is cancelled at the retirement and the breach withdrawn.
TEST_F(ShortTargetsTest, ABreachFiredAfterAnUnseenRetirementIsWithdrawn) {
  CreateShort(incident::v1::PRIORITY_P2);  // 8 s
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Fire(), ElementsAre("SlaWarningReached", "SlaWarningReached", "SlaWarningReached",
                                  "SlaBreached"));
  sla::v1::SlaDefinition retired = *source_.Definition("short", 0).value();
  source_.Put(Retired(retired, kT0 + absl::Seconds(5)));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Fire(), ElementsAre("SlaClockCancelled", "SlaBreachWithdrawn"));
  auto cancelled = Last<sla::v1::SlaClockCancelled>("SlaClockCancelled");
  EXPECT_EQ(cancelled.reason(), "definition_retired");
  EXPECT_EQ(base::FromProtoTimestamp(cancelled.clock().stop_time()), kT0 + absl::Seconds(5));
  EXPECT_EQ(cancelled.clock().business_elapsed().seconds(), 5);
  // Events of a clock never go back in time: stamped with the breach's instant.
  EXPECT_EQ(base::FromProtoTimestamp(cancelled.clock().event_time()), kT0 + absl::Seconds(8));
  auto withdrawn = Last<sla::v1::SlaBreachWithdrawn>("SlaBreachWithdrawn");
  EXPECT_EQ(withdrawn.reason(), "definition_retired");
  EXPECT_FALSE(withdrawn.clock().breached());
  EXPECT_EQ(withdrawn.clock().stage(), sla::v1::CLOCK_STAGE_CANCELLED);
  EXPECT_TRUE(Fire().empty());
}

// With a definition cache, a fired breach is looked at again once the cache has surely been
// read again (the firing loop would otherwise never touch the clock before its record changes).
TEST_F(ShortTargetsTest, AFiredBreachIsLookedAtAgainAfterTheDefinitionCacheTtl) {
  TimerLogic cached(source_, {.definition_cache_ttl = absl::Seconds(30)});
  Create(incident::v1::PRIORITY_P2);
  incident_.set_service("short");
  auto created = cached.OnIncident(nullptr, incident_, 3, kT0);
  ASSERT_TRUE(created.ok()) << created.status();
  auto fired = cached.Fire(created->state, kT0 + absl::Seconds(9));
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(fired->events.size(), 4u);
  ASSERT_TRUE(fired->next_fire.has_value());
  EXPECT_EQ(*fired->next_fire, kT0 + absl::Seconds(39));
  auto checked = cached.Fire(fired->state, kT0 + absl::Seconds(39));
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_TRUE(checked->events.empty());
  EXPECT_TRUE(checked->changed);  // the check is done: stored, and nothing more is scheduled
  EXPECT_FALSE(checked->next_fire.has_value());
}

// An outside tester retired a definition, then stopped the SLA service for a minute: the
// breaches fired on the definition read last were never withdrawn, because the one check after
// them fell inside the outage. A check the SLA service did not answer stays due.
TEST_F(ShortTargetsTest, TheCheckAfterABreachWaitsForTheSlaServiceToAnswer) {
  TimerLogic cached(source_, {.definition_cache_ttl = absl::Seconds(30)});
  Create(incident::v1::PRIORITY_P2);  // 8 s
  incident_.set_service("short");
  auto created = cached.OnIncident(nullptr, incident_, 3, kT0);
  ASSERT_TRUE(created.ok()) << created.status();
  auto fired = cached.Fire(created->state, kT0 + absl::Seconds(9));
  ASSERT_TRUE(fired.ok()) << fired.status();
  source_.SetUnavailable(true);
  auto unanswered = cached.Fire(fired->state, kT0 + absl::Seconds(39));
  ASSERT_TRUE(unanswered.ok()) << unanswered.status();
  EXPECT_TRUE(unanswered->events.empty());
  ASSERT_TRUE(unanswered->next_fire.has_value());
  EXPECT_EQ(*unanswered->next_fire, kT0 + absl::Seconds(69));
  // The service answers again, and says the definition was retired before the breach.
  sla::v1::SlaDefinition retired = *source_.Definition("short", 0).value();
  source_.Put(Retired(retired, kT0 + absl::Seconds(5)));
  source_.SetUnavailable(false);
  auto answered = cached.Fire(unanswered->state, kT0 + absl::Seconds(69));
  ASSERT_TRUE(answered.ok()) << answered.status();
  std::vector<std::string> types;
  for (const auto& e : answered->events) types.push_back(e.type);
  EXPECT_THAT(types,
              ElementsAre("itsm.sla.v1.SlaClockCancelled", "itsm.sla.v1.SlaBreachWithdrawn"));
}

}  // namespace
}  // namespace itsm::sla_timer

namespace itsm::sla_timer {
namespace {

// A resolution the timer cannot apply yet (its definition does not read here) waits with its
// record, and so do the record's clocks: long past the due time nothing breaches, and once the
// definition reads again the resolution meets the clock at its own instant.
TEST_F(TimerLogicTest, AnEventThatCannotApplyYetHoldsItsRecordsClocks) {
  Apply(Create());
  clock_.Advance(absl::Minutes(10));
  Change([](Incident& i) {
    i.set_assignee("bob");
    i.set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
  });
  source_.Put(UnreadableGold());
  auto timer = Restarted();
  clock_.Advance(absl::Minutes(50));
  const absl::Time resolved_at = clock_.Now();
  auto parked = timer->Apply(
      &*state_,
      Changed([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_RESOLVED); }, "resolved"),
      3);
  ASSERT_TRUE(parked.ok()) << parked.status();
  EXPECT_THAT(parked->parked, HasSubstr("definition gold"));
  EXPECT_TRUE(parked->changed);
  EXPECT_TRUE(parked->events.empty());
  EXPECT_EQ(parked->next_fire, resolved_at);  // the firing loop tries it again
  ASSERT_EQ(parked->state.parked_size(), 1);
  EXPECT_EQ(parked->state.parked(0).event_id(), "resolved");
  state_ = parked->state;

  clock_.Advance(absl::Hours(5));  // past the 4 h due time
  EXPECT_EQ(timer->Fire(*state_, clock_.Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto closed = timer->Apply(
      &*state_,
      Changed([](Incident& i) { i.set_state(incident::v1::INCIDENT_STATE_CLOSED); }, "closed"), 3);
  ASSERT_TRUE(closed.ok()) << closed.status();
  ASSERT_EQ(closed->state.parked_size(), 2);  // behind the resolution
  EXPECT_EQ(closed->state.parked(1).event_id(), "closed");
  EXPECT_EQ(closed->next_fire, resolved_at);
  state_ = closed->state;
  EXPECT_FALSE(TimerLogic::Finished(*state_));  // kept until its events apply

  source_.Put(Gold(false));  // version 2, readable: version 1 stays unreadable
  EXPECT_FALSE(timer->Fire(*state_, clock_.Now()).ok());
  sla::v1::SlaDefinition repaired = Gold(false);
  repaired.set_version(1);
  source_.Put(repaired);
  auto fired = timer->Fire(*state_, clock_.Now());
  ASSERT_TRUE(fired.ok()) << fired.status();
  const std::vector<std::string> names = Take(*fired);
  EXPECT_THAT(names, ElementsAre("SlaMet"));
  EXPECT_THAT(names, Not(Contains("SlaBreached")));
  const auto met = Last<sla::v1::SlaMet>("SlaMet");
  EXPECT_EQ(met.clock().clock_kind(), sla::v1::CLOCK_KIND_RESOLUTION);
  EXPECT_EQ(base::FromProtoTimestamp(met.clock().event_time()), resolved_at);
  EXPECT_EQ(met.clock().business_elapsed().seconds(), 3600);
  EXPECT_EQ(state_->parked_size(), 0);
  EXPECT_EQ(state_->record().state(), "CLOSED");
  EXPECT_TRUE(TimerLogic::Finished(*state_));
}

// A new record whose definitions the SLA service cannot give now (down, or hung past the
// deadline) waits with its record rather than in its partition, where it would hold back every
// other record's breaches (FiringWatermark). Its own clocks start, stamped with the creation,
// once the service answers; a breach that fell due meanwhile fires then, with its due time.
// When its queue is full of events that change the clocks, the next one is retried, not lost.
TEST_F(TimerLogicTest, ARecordTheSlaServiceCannotAnswerForWaitsAlone) {
  source_.SetUnavailable(true);
  Create();
  auto out = logic_.Apply(
      nullptr, {.incident = &incident_, .change_time = clock_.Now(), .event_id = "created"}, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->parked, HasSubstr("UNAVAILABLE"));
  EXPECT_TRUE(out->events.empty());
  EXPECT_EQ(out->next_fire, kT0);  // tried again by the next firing pass
  state_ = out->state;
  EXPECT_FALSE(TimerLogic::Finished(*state_));
  clock_.Advance(absl::Minutes(31));  // past the 30 min response target
  EXPECT_EQ(logic_.Fire(*state_, clock_.Now()).status().code(), absl::StatusCode::kUnavailable);
  for (int k = 2; k <= kMaxParkedEvents; ++k) {
    out = logic_.Apply(&*state_,
                       Changed([k](Incident& i) { i.set_assignment_group(absl::StrCat("g", k)); },
                               absl::StrCat("e", k)),
                       3);
    ASSERT_TRUE(out.ok()) << out.status();
    state_ = out->state;
  }
  out = logic_.Apply(&*state_, Changed([](Incident& i) { i.set_assignment_group("last"); }, "last"),
                     3);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable) << out.status();

  source_.SetUnavailable(false);
  auto fired = logic_.Fire(*state_, clock_.Now());
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_THAT(Take(*fired), Contains("SlaBreached"));
  const auto started = Last<sla::v1::SlaClockStarted>("SlaClockStarted");
  EXPECT_EQ(base::FromProtoTimestamp(started.clock().start_time()), kT0);
  const auto breached = Last<sla::v1::SlaBreached>("SlaBreached");
  EXPECT_EQ(breached.clock().clock_kind(), sla::v1::CLOCK_KIND_RESPONSE);
  EXPECT_EQ(base::FromProtoTimestamp(breached.clock().due_time()), kT0 + absl::Minutes(30));
  EXPECT_EQ(state_->parked_size(), 0);
}

// The first event of a record parks too. A record keeps at most kMaxParkedEvents, and a full
// queue keeps the instants of what the clocks read: an event that changes nothing for them
// (a new title) is not kept, or makes room; when every parked event changes something, the
// next such event is refused rather than dropping one (which could lose a resolution's instant).
TEST_F(TimerLogicTest, AFullQueueKeepsTheInstantsTheClocksRead) {
  source_.Put(UnreadableGold());
  auto timer = Restarted();
  Create();
  auto out = timer->Apply(
      nullptr, {.incident = &incident_, .change_time = clock_.Now(), .event_id = "e1"}, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->state.incident_id(), "inc-1");
  EXPECT_EQ(out->state.parked_size(), 1);
  state_ = out->state;
  const auto park = [&](int k, const std::function<void(Incident&)>& edit) {
    clock_.Advance(absl::Seconds(1));
    return timer->Apply(&*state_, Changed(edit, absl::StrCat("e", k)), 3);
  };
  using Edit = std::function<void(Incident&)>;
  const auto group = [](int k) -> Edit {
    return [k](Incident& i) { i.set_assignment_group(absl::StrCat("g", k)); };
  };
  const auto title = [](int k) -> Edit {
    return [k](Incident& i) { i.set_title(absl::StrCat("t", k)); };
  };
  for (int k = 2; k <= kMaxParkedEvents; ++k) {
    out = park(k, k == 2 ? title(k) : group(k));  // e2 changes nothing for the clocks
    ASSERT_TRUE(out.ok()) << out.status();
    state_ = out->state;
  }
  ASSERT_EQ(state_->parked_size(), kMaxParkedEvents);

  out = park(65, title(65));  // full: nothing new for the clocks, not kept
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->changed);
  EXPECT_EQ(out->state.parked(kMaxParkedEvents - 1).event_id(), "e64");
  Incident redelivered = incident_;
  redelivered.set_version(10);
  out = timer->Apply(&*state_, {.incident = &redelivered, .change_time = clock_.Now()}, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->changed);  // a replay

  out = park(66, group(66));  // full: e2 makes room
  ASSERT_TRUE(out.ok()) << out.status();
  state_ = out->state;
  ASSERT_EQ(state_->parked_size(), kMaxParkedEvents);
  EXPECT_EQ(state_->parked(1).event_id(), "e3");
  EXPECT_EQ(state_->parked(kMaxParkedEvents - 1).event_id(), "e66");
  out = park(67, group(67));  // every parked event changes something
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();

  // An event of the other record type is refused, not queued.
  incident::v1::ServiceRequest request;
  request.set_id("inc-1");
  EXPECT_EQ(
      timer->Apply(&*state_, {.request = &request, .change_time = clock_.Now()}, 3).status().code(),
      absl::StatusCode::kInvalidArgument);

  sla::v1::SlaDefinition repaired = Gold(false);
  repaired.set_version(1);
  source_.Put(repaired);
  auto fired = timer->Fire(*state_, clock_.Now());
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_THAT(Take(*fired), ElementsAre("SlaClockStarted", "SlaClockStarted"));
  EXPECT_EQ(state_->record().assignment_group(), "g66");
  EXPECT_EQ(state_->incident_version(), 66);
  EXPECT_EQ(TimerLogic::OpenClocks(*state_),
            (std::map<std::string, int>{{"resolution:running", 1}, {"response:running", 1}}));
}

}  // namespace
}  // namespace itsm::sla_timer
