// The explanation of a clock from its timeline alone (no database): intervals, business time,
// due / warning / breach instants and the what-if, on the worked examples of docs/sla.md
// section 6 (Istanbul office: Mon-Fri 09:00-18:00, holiday Monday 2026-11-23) and on a 24x7
// calendar with seconds-long targets.
#include "services/sla/src/clock_explanation.h"

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla/tests/office_calendar.h"

namespace itsm::sla {
namespace {

using ::testing::HasSubstr;

using office::kIstanbul;

// November 2026, the month of the worked examples.
absl::Time Istanbul(int d, int hh, int mm = 0) { return office::Istanbul(2026, 11, d, hh, mm); }

businesstime::Calendar Office() {
  v1::Calendar c = office::OfficeCalendar();
  c.set_id("office");
  return *slamodel::CompileCalendar(c);
}

businesstime::Calendar AlwaysOpen() {
  v1::Calendar c;
  c.set_id("24x7");
  c.set_name("24x7");
  c.set_time_zone("UTC");
  c.set_always_open(true);
  return *slamodel::CompileCalendar(c);
}

// A clock's events as the SLA timer publishes them (only what the explanation reads).
class Timeline {
 public:
  Timeline(const std::string& clock_id, incident::v1::Priority priority, absl::Duration target,
           absl::Time start) {
    base_.set_clock_id(clock_id);
    base_.set_incident_id("inc-1");
    base_.set_sla_definition_id("gold");
    base_.set_sla_definition_version(1);
    base_.set_sla_definition_name("Gold VPN");
    base_.set_clock_kind(v1::CLOCK_KIND_RESOLUTION);
    base_.set_service("vpn");
    base_.set_priority(priority);
    base_.set_calendar_id("office");
    base_.set_calendar_version(1);
    base_.set_time_zone("Europe/Istanbul");
    *base_.mutable_target() = base::ToProtoDuration(target);
    *base_.mutable_start_time() = base::ToProtoTimestamp(start);
  }

  TimelineEvent& Add(const std::string& type, absl::Time at, v1::ClockStage stage,
                     const std::string& cause) {
    TimelineEvent e;
    e.type = type;
    e.clock = base_;
    *e.clock.mutable_event_time() = base::ToProtoTimestamp(at);
    e.clock.set_stage(stage);
    e.clock.set_cause(cause);
    e.clock.set_breached(breached_);
    if (stage == v1::CLOCK_STAGE_COMPLETED || stage == v1::CLOCK_STAGE_CANCELLED) {
      *e.clock.mutable_stop_time() = base::ToProtoTimestamp(at);
    }
    events_.push_back(std::move(e));
    return events_.back();
  }
  void Retarget(absl::Time at, incident::v1::Priority priority, absl::Duration target) {
    const absl::Duration previous = base::FromProtoDuration(base_.target());
    const auto previous_priority = base_.priority();
    base_.set_priority(priority);
    *base_.mutable_target() = base::ToProtoDuration(target);
    TimelineEvent& e = Add("SlaClockRetargeted", at, v1::CLOCK_STAGE_RUNNING, "priority_change");
    e.previous_target = previous;
    e.previous_priority = previous_priority;
  }
  void SetBreached(bool b) { breached_ = b; }
  v1::SlaClock& base() { return base_; }

  ClockHistory Facts(const businesstime::Calendar& calendar) const {
    ClockHistory f;
    f.timeline = events_;
    f.last = events_.back().clock;
    f.calendar = &calendar;
    f.calendar_name = "Istanbul office";
    f.thresholds = {50, 75, 90};
    return f;
  }

 private:
  v1::SlaClock base_;
  bool breached_ = false;
  std::vector<TimelineEvent> events_;
};

absl::Time At(const google::protobuf::Timestamp& ts) { return base::FromProtoTimestamp(ts); }
absl::Duration D(const google::protobuf::Duration& d) { return base::FromProtoDuration(d); }

// docs/sla.md 6, "Pause": raised Friday 16:30 (P1, 4 h), on hold Tuesday 10:00 after 2 h 30,
// back at 14:00 (due 15:30), resolved 15:00: met with 3 h 30.
TEST(ClockExplanation, APausedClocksIntervalsAndDerivation) {
  const businesstime::Calendar office = Office();
  Timeline t("x1", incident::v1::PRIORITY_P1, absl::Hours(4), Istanbul(20, 16, 30));
  t.Add("SlaClockStarted", Istanbul(20, 16, 30), v1::CLOCK_STAGE_RUNNING, "start_condition");
  auto& paused =
      t.Add("SlaClockPaused", Istanbul(24, 10), v1::CLOCK_STAGE_PAUSED, "pause_condition");
  auto* f = paused.clock.add_changed_fields();
  f->set_field("state");
  f->set_value("ON_HOLD");
  paused.clock.set_record_version(3);
  t.Add("SlaClockResumed", Istanbul(24, 14), v1::CLOCK_STAGE_RUNNING, "resume_condition");
  t.Add("SlaWarningReached", Istanbul(24, 14, 30), v1::CLOCK_STAGE_RUNNING, "warning_threshold")
      .threshold_percent = 75;
  t.Add("SlaMet", Istanbul(24, 15), v1::CLOCK_STAGE_COMPLETED, "stop_condition");
  const ClockHistory facts = t.Facts(office);

  const v1::ClockExplanation x = ExplainClock(facts, Istanbul(27, 12));
  ASSERT_TRUE(x.history_complete()) << x.note();
  ASSERT_EQ(x.intervals_size(), 3);
  EXPECT_FALSE(x.intervals(0).paused());
  EXPECT_EQ(D(x.intervals(0).business_time()), absl::Minutes(150));  // Fri 1h30 + Tue 1h
  EXPECT_TRUE(x.intervals(1).paused());
  EXPECT_EQ(D(x.intervals(1).actual_time()), absl::Hours(4));
  EXPECT_EQ(D(x.intervals(1).business_time()), absl::ZeroDuration());
  EXPECT_EQ(D(x.intervals(2).business_time()), absl::Hours(1));
  EXPECT_THAT(x.intervals(1).explanation(), HasSubstr("paused"));

  const v1::ClockDerivation& d = x.derivation();
  EXPECT_EQ(d.state(), "met");
  EXPECT_EQ(At(d.as_of()), Istanbul(24, 15));
  EXPECT_EQ(D(d.business_elapsed()), absl::Minutes(210));
  EXPECT_EQ(D(d.remaining()), absl::Minutes(30));
  EXPECT_EQ(At(d.due_time()), Istanbul(24, 15, 30));
  EXPECT_EQ(At(d.counted_from()), Istanbul(24, 14));
  ASSERT_EQ(d.milestones_size(), 4);
  EXPECT_EQ(At(d.milestones(0).time()), Istanbul(24, 9, 30));  // 50 %: 2 h
  EXPECT_TRUE(d.milestones(0).reached());
  EXPECT_EQ(At(d.milestones(1).time()), Istanbul(24, 14, 30));  // 75 %: 3 h
  EXPECT_EQ(At(d.milestones(2).time()), Istanbul(24, 15, 6));   // 90 %: 3 h 36
  EXPECT_FALSE(d.milestones(2).reached());
  EXPECT_FALSE(d.has_breach_time());
  EXPECT_THAT(absl::StrJoin(d.steps(), "\n"), HasSubstr("met (stopped before the due instant)"));

  ASSERT_EQ(x.timeline_size(), 5);
  EXPECT_EQ(x.timeline(1).event_type(), "SlaClockPaused");
  EXPECT_EQ(D(x.timeline(1).business_elapsed()), absl::Minutes(150));
  EXPECT_EQ(x.timeline(1).explanation(),
            "paused by the pause condition (state=ON_HOLD; record v3)");
  EXPECT_EQ(x.calendar_name(), "Istanbul office");
}

// docs/sla.md 6, "Priority change" with retroactive start: P2 (8 h) raised to P1 (4 h) on
// Tuesday 10:00 after 2 h 30: due 11:30; met at 11:00. Under a stricter definition (P2 3 h, P1
// 2 h), the same intervals would have breached at 09:30.
TEST(ClockExplanation, ARetargetedClockAndAWhatIfUnderAnotherDefinition) {
  const businesstime::Calendar office = Office();
  Timeline t("x1", incident::v1::PRIORITY_P2, absl::Hours(8), Istanbul(20, 16, 30));
  t.Add("SlaClockStarted", Istanbul(20, 16, 30), v1::CLOCK_STAGE_RUNNING, "start_condition");
  t.Retarget(Istanbul(24, 10), incident::v1::PRIORITY_P1, absl::Hours(4));
  t.Add("SlaMet", Istanbul(24, 11), v1::CLOCK_STAGE_COMPLETED, "stop_condition");
  const ClockHistory facts = t.Facts(office);
  const v1::ClockExplanation x = ExplainClock(facts, Istanbul(25, 9));
  ASSERT_TRUE(x.history_complete()) << x.note();
  EXPECT_EQ(x.timeline(1).explanation(),
            "re-targeted by a priority change: P2 -> P1, target 8h -> 4h");
  EXPECT_EQ(D(x.derivation().target()), absl::Hours(4));
  EXPECT_EQ(At(x.derivation().due_time()), Istanbul(24, 11, 30));
  EXPECT_EQ(x.derivation().state(), "met");

  v1::SlaDefinition strict;
  strict.set_id("strict");
  strict.set_name("Strict");
  strict.set_version(2);
  strict.add_warning_thresholds(80);
  for (auto [p, hours] :
       {std::pair{incident::v1::PRIORITY_P1, 2}, {incident::v1::PRIORITY_P2, 3}}) {
    auto* target = strict.add_targets();
    target->set_priority(p);
    *target->mutable_resolution_target() = base::ToProtoDuration(absl::Hours(hours));
  }
  WhatIfSpec spec;
  spec.definition = strict;
  const v1::ClockWhatIf w = WhatIfClock(facts, spec, Istanbul(25, 9));
  ASSERT_TRUE(w.note().empty()) << w.note();
  EXPECT_EQ(w.sla_definition_name(), "Strict");
  EXPECT_EQ(w.calendar_id(), "office");  // no other calendar: the clock's own
  EXPECT_EQ(D(w.derivation().target()), absl::Hours(2));
  EXPECT_EQ(w.derivation().state(), "breached");
  EXPECT_EQ(At(w.derivation().breach_time()), Istanbul(24, 9, 30));
  ASSERT_EQ(w.derivation().milestones_size(), 2);  // its own threshold: 80 %
  EXPECT_EQ(w.derivation().milestones(0).percent(), 80);
  // The same intervals: the business time does not depend on the definition.
  EXPECT_EQ(D(w.derivation().business_elapsed()), absl::Minutes(210));

  // No target for the clock's priority in the other definition: said, nothing computed.
  strict.mutable_targets()->RemoveLast();  // drops P2
  spec.definition = strict;
  const v1::ClockWhatIf none = WhatIfClock(facts, spec, Istanbul(25, 9));
  EXPECT_EQ(none.note(), "definition \"Strict\" v2 has no resolution target for P2");
  EXPECT_EQ(none.intervals_size(), 0);
}

// A record moved from service vpn to mail: the vpn clock is cancelled by the coverage change;
// the mail definition (retroactive) attaches a clock from the creation, with the hold the
// record had before replayed as a pause. A what-if on a 24x7 calendar counts closed hours too.
TEST(ClockExplanation, ACancelledClockAndOneReattachedFromTheCreationWithItsHoldReplayed) {
  const businesstime::Calendar office = Office();
  Timeline vpn("x1", incident::v1::PRIORITY_P2, absl::Hours(8), Istanbul(20, 16, 30));
  vpn.Add("SlaClockStarted", Istanbul(20, 16, 30), v1::CLOCK_STAGE_RUNNING, "start_condition");
  auto& cancelled =
      vpn.Add("SlaClockCancelled", Istanbul(24, 12), v1::CLOCK_STAGE_CANCELLED, "coverage_change");
  cancelled.reason = "not_applicable";
  auto* f = cancelled.clock.add_changed_fields();
  f->set_field("service");
  f->set_value("mail");
  const v1::ClockExplanation x = ExplainClock(vpn.Facts(office), Istanbul(25, 9));
  EXPECT_EQ(x.derivation().state(), "cancelled");
  EXPECT_FALSE(x.derivation().breached());
  EXPECT_THAT(x.timeline(1).explanation(),
              HasSubstr("cancelled (not_applicable) by a change of the record's coverage"));
  EXPECT_THAT(x.timeline(1).explanation(), HasSubstr("service=mail"));
  ASSERT_EQ(x.intervals_size(), 1);
  EXPECT_EQ(D(x.intervals(0).business_time()), absl::Hours(4) + absl::Minutes(30));

  Timeline mail("x2", incident::v1::PRIORITY_P2, absl::Hours(8), Istanbul(20, 16, 30));
  mail.base().set_sla_definition_id("mail-gold");
  mail.base().set_service("mail");
  auto& started =
      mail.Add("SlaClockStarted", Istanbul(24, 12), v1::CLOCK_STAGE_RUNNING, "coverage_change");
  started.retroactive = true;
  for (auto [type, at] : {std::pair{"pause", Istanbul(24, 9)}, {"resume", Istanbul(24, 11)}}) {
    v1::ReplayedTransition r;
    r.set_type(type);
    *r.mutable_time() = base::ToProtoTimestamp(at);
    started.replayed.push_back(r);
  }
  const v1::ClockExplanation y = ExplainClock(mail.Facts(office), Istanbul(24, 13));
  ASSERT_TRUE(y.history_complete()) << y.note();
  ASSERT_EQ(y.intervals_size(), 3);
  EXPECT_EQ(D(y.intervals(0).business_time()), absl::Minutes(90));  // Fri 16:30-18:00
  EXPECT_TRUE(y.intervals(1).paused());                             // Tue 09:00-11:00, on hold
  EXPECT_EQ(D(y.intervals(2).business_time()), absl::Hours(2));     // Tue 11:00-13:00 (now)
  EXPECT_FALSE(y.intervals(2).has_end_time());
  EXPECT_EQ(D(y.derivation().business_elapsed()), absl::Minutes(210));
  EXPECT_EQ(y.derivation().state(), "running");
  EXPECT_THAT(y.timeline(0).explanation(), HasSubstr("counted from the record's creation"));
  // 8 h - 1 h 30 counted before the run from 11:00 = 6 h 30 in open hours: Tuesday 17:30.
  EXPECT_EQ(At(y.derivation().due_time()), Istanbul(24, 17, 30));

  const businesstime::Calendar always = AlwaysOpen();
  WhatIfSpec spec;
  spec.calendar = &always;
  spec.calendar_id = "24x7";
  spec.calendar_name = "24x7";
  spec.calendar_version = 1;
  spec.time_zone = "UTC";
  const v1::ClockWhatIf w = WhatIfClock(mail.Facts(office), spec, Istanbul(24, 13));
  ASSERT_TRUE(w.note().empty()) << w.note();
  // Friday 16:30 to Tuesday 09:00 and 11:00 to 13:00, around the clock: 88 h 30 + 2 h.
  EXPECT_EQ(D(w.derivation().business_elapsed()), absl::Hours(90) + absl::Minutes(30));
  EXPECT_EQ(w.derivation().state(), "breached");
  EXPECT_EQ(At(w.derivation().breach_time()), Istanbul(21, 0, 30));
}

// Finding 2's story, explained: breached at 8 s, a retroactive priority change to 30 s at 12 s
// withdraws the breach, which fires again at 30 s; resolved at 40 s, completed breached.
TEST(ClockExplanation, AWithdrawnBreachThatBecameTrueAgain) {
  const businesstime::Calendar always = AlwaysOpen();
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  Timeline t("x1", incident::v1::PRIORITY_P2, absl::Seconds(8), t0);
  t.base().set_time_zone("UTC");
  t.Add("SlaClockStarted", t0, v1::CLOCK_STAGE_RUNNING, "start_condition");
  t.SetBreached(true);
  t.Add("SlaBreached", t0 + absl::Seconds(8), v1::CLOCK_STAGE_RUNNING, "target_reached");
  t.SetBreached(false);
  t.Retarget(t0 + absl::Seconds(12), incident::v1::PRIORITY_P1, absl::Seconds(30));
  t.Add("SlaBreachWithdrawn", t0 + absl::Seconds(12), v1::CLOCK_STAGE_RUNNING, "priority_change")
      .reason = "retargeted";
  t.SetBreached(true);
  t.Add("SlaBreached", t0 + absl::Seconds(30), v1::CLOCK_STAGE_RUNNING, "target_reached");
  t.Add("SlaClockCompleted", t0 + absl::Seconds(40), v1::CLOCK_STAGE_COMPLETED, "stop_condition");
  ClockHistory facts = t.Facts(always);
  const v1::ClockExplanation x = ExplainClock(facts, t0 + absl::Minutes(5));
  ASSERT_TRUE(x.history_complete()) << x.note();
  ASSERT_EQ(x.timeline_size(), 6);
  EXPECT_EQ(x.timeline(3).explanation(),
            "breach withdrawn (retargeted) by a priority change: 12s is below the target 30s");
  EXPECT_EQ(D(x.timeline(4).business_elapsed()), absl::Seconds(30));
  EXPECT_EQ(x.derivation().state(), "breached");
  EXPECT_EQ(At(x.derivation().breach_time()), t0 + absl::Seconds(30));
  EXPECT_EQ(D(x.derivation().remaining()), absl::Seconds(-10));
  ASSERT_EQ(x.intervals_size(), 1);
  EXPECT_EQ(D(x.intervals(0).business_time()), absl::Seconds(40));
}

// A retroactive clock cancelled when its priority lost its target and back when it regained it
// (docs/sla.md 4.4): one clock, counted again from the start, breached once.
TEST(ClockExplanation, AClockThatCameBackIsCountedAgainFromItsStart) {
  const businesstime::Calendar always = AlwaysOpen();
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  Timeline t("x1", incident::v1::PRIORITY_P2, absl::Seconds(8), t0);
  t.base().set_time_zone("UTC");
  t.Add("SlaClockStarted", t0, v1::CLOCK_STAGE_RUNNING, "start_condition");
  t.SetBreached(true);
  t.Add("SlaBreached", t0 + absl::Seconds(8), v1::CLOCK_STAGE_RUNNING, "target_reached");
  t.Add("SlaClockCancelled", t0 + absl::Seconds(11), v1::CLOCK_STAGE_CANCELLED, "priority_change")
      .reason = "priority_not_covered";
  {
    const v1::ClockExplanation cancelled = ExplainClock(t.Facts(always), t0 + absl::Seconds(12));
    // Found from outside: a breached clock's cancellation read "neither met nor breached".
    EXPECT_THAT(cancelled.timeline(2).explanation(),
                HasSubstr("breached before it, and the breach stands"));
    EXPECT_EQ(cancelled.derivation().state(), "cancelled");
  }
  auto& back =
      t.Add("SlaClockStarted", t0 + absl::Seconds(13), v1::CLOCK_STAGE_RUNNING, "priority_change");
  back.retroactive = true;
  back.clock.set_sequence(4);
  back.clock.clear_stop_time();
  t.Add("SlaClockCompleted", t0 + absl::Seconds(20), v1::CLOCK_STAGE_COMPLETED, "stop_condition");
  const v1::ClockExplanation x = ExplainClock(t.Facts(always), t0 + absl::Minutes(1));
  ASSERT_TRUE(x.history_complete()) << x.note();
  ASSERT_EQ(x.timeline_size(), 5);
  EXPECT_THAT(x.timeline(3).explanation(),
              HasSubstr("came back (counted again from its start) by a priority change"));
  ASSERT_EQ(x.intervals_size(), 1);
  EXPECT_EQ(D(x.intervals(0).business_time()), absl::Seconds(20));
  EXPECT_EQ(x.derivation().state(), "breached");
  EXPECT_EQ(At(x.derivation().breach_time()), t0 + absl::Seconds(8));
}

// A clock whose start is not in the timeline (events dropped, or published before timelines
// were kept): what is known is shown, and the figures are the timer's last published state.
TEST(ClockExplanation, WithoutItsStartTheLastPublishedStateIsShown) {
  const businesstime::Calendar office = Office();
  Timeline t("x1", incident::v1::PRIORITY_P1, absl::Hours(4), Istanbul(20, 16, 30));
  auto& paused = t.Add("SlaClockPaused", Istanbul(24, 10), v1::CLOCK_STAGE_PAUSED, "");
  *paused.clock.mutable_business_elapsed() = base::ToProtoDuration(absl::Minutes(150));
  ClockHistory facts = t.Facts(office);
  facts.omitted_events = 3;
  const v1::ClockExplanation x = ExplainClock(facts, Istanbul(24, 12));
  EXPECT_FALSE(x.history_complete());
  EXPECT_EQ(x.intervals_size(), 0);
  EXPECT_EQ(x.omitted_events(), 3);
  EXPECT_THAT(x.note(), HasSubstr("start is not in its timeline"));
  EXPECT_THAT(x.note(), HasSubstr("3 earlier event(s)"));
  EXPECT_EQ(D(x.derivation().business_elapsed()), absl::Minutes(150));
  EXPECT_EQ(x.derivation().state(), "paused");
  EXPECT_EQ(x.timeline(0).explanation(), "paused by a change (cause not recorded)");
  const v1::ClockWhatIf w = WhatIfClock(facts, WhatIfSpec{}, Istanbul(24, 12));
  EXPECT_THAT(w.note(), HasSubstr("start is not in its timeline"));
}

TEST(ClockExplanation, DecodesEveryClockEventAndRejectsOthers) {
  v1::SlaWarningReached warning;
  warning.mutable_clock()->set_clock_id("x1");
  warning.set_threshold_percent(75);
  auto e = DecodeTimelineEvent("itsm.sla.v1.SlaWarningReached", warning.SerializeAsString(), "id");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "SlaWarningReached");
  EXPECT_EQ(e->threshold_percent, 75);
  EXPECT_EQ(e->clock.clock_id(), "x1");
  EXPECT_EQ(DecodeTimelineEvent("itsm.sla.v1.CalendarCreated", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeTimelineEvent("itsm.sla.v1.SlaMet", "\xff\xff").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::sla
