// The worked examples of docs/sla.md section 6, step by step through ClockPolicy and Clock, as
// the SLA timer will run them.
#include "gtest/gtest.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"

namespace itsm::slamodel {
namespace {

businesstime::Calendar Office() {
  businesstime::CalendarSpec spec;
  spec.time_zone = "Europe/Istanbul";
  for (auto d : {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
                 absl::Weekday::thursday, absl::Weekday::friday}) {
    spec.weekly.push_back({.day = d, .start = {9, 0}, .end = {18, 0}});
  }
  spec.holidays.push_back({.date = {2026, 11, 23}});
  return *businesstime::Calendar::Create(spec);
}

absl::Time At(int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, 11, d, hh, mm), absl::FixedTimeZone(3 * 3600));
}

RecordFields Record(std::string state, std::string priority) {
  RecordFields r;
  r.state = std::move(state);
  r.priority = std::move(priority);
  r.create_time = At(20, 16, 30);
  return r;
}

ClockPolicy Gold(ClockKind kind, bool retroactive = false) {
  std::map<std::string, absl::Duration> targets =
      kind == ClockKind::kResponse
          ? std::map<std::string, absl::Duration>{{"P1", absl::Minutes(30)}}
          : std::map<std::string, absl::Duration>{{"P1", absl::Hours(4)}, {"P2", absl::Hours(8)}};
  return ClockPolicy(kind, ClockConditions::Defaults(kind), targets, retroactive);
}

// Applies the decisions to `clock` the way the timer does.
void Apply(const std::vector<Action>& actions, std::optional<Clock>& clock,
           const businesstime::Calendar& cal) {
  for (const Action& a : actions) {
    switch (a.type) {
      case ActionType::kStart:
        clock = Clock::Start(a.at, a.target);
        break;
      case ActionType::kPause:
        ASSERT_TRUE(clock->Pause(a.at).ok());
        break;
      case ActionType::kResume:
        ASSERT_TRUE(clock->Resume(a.at).ok());
        break;
      case ActionType::kStop:
        ASSERT_TRUE(clock->Stop(a.at, cal).ok());
        break;
      case ActionType::kCancel:
      case ActionType::kReset:
        ASSERT_TRUE(clock->Cancel(a.at, cal).ok());
        break;
      case ActionType::kRetarget:
        ASSERT_TRUE(clock->Retarget(a.target, cal, a.at).ok());
        break;
    }
  }
}

Stage StageOf(const std::optional<Clock>& c) { return c ? c->stage() : Stage::kNone; }

TEST(WorkedExamples, P1RaisedFridayWithAPause) {
  const auto cal = Office();
  const ClockPolicy response = Gold(ClockKind::kResponse),
                    resolution = Gold(ClockKind::kResolution);
  std::optional<Clock> rc, xc;
  RecordFields created = Record("NEW", "P1");
  Apply(response.Decide(Stage::kNone, nullptr, created, At(20, 16, 30)), rc, cal);
  Apply(resolution.Decide(Stage::kNone, nullptr, created, At(20, 16, 30)), xc, cal);
  EXPECT_EQ(*rc->DueTime(cal, At(20, 16, 30)), At(20, 17));
  EXPECT_EQ(*xc->DueTime(cal, At(20, 16, 30)), At(24, 11, 30));
  EXPECT_EQ(*xc->ThresholdTime(cal, 90, At(20, 16, 30)), At(24, 11, 6));

  RecordFields assigned = Record("ASSIGNED", "P1");
  assigned.assignee = "bob";
  Apply(response.Decide(StageOf(rc), &created, assigned, At(20, 16, 40)), rc, cal);
  Apply(resolution.Decide(StageOf(xc), &created, assigned, At(20, 16, 40)), xc, cal);
  EXPECT_EQ(rc->stage(), Stage::kCompleted);
  EXPECT_FALSE(rc->breached());
  EXPECT_EQ(rc->BusinessElapsed(cal, At(30, 0)), absl::Minutes(10));

  RecordFields hold = Record("ON_HOLD", "P1");
  hold.hold_reason = "awaiting_caller";
  Apply(resolution.Decide(StageOf(xc), &assigned, hold, At(24, 10)), xc, cal);
  EXPECT_EQ(xc->stage(), Stage::kPaused);
  EXPECT_EQ(xc->BusinessElapsed(cal, At(24, 12)), absl::Minutes(150));
  RecordFields back = Record("IN_PROGRESS", "P1");
  Apply(resolution.Decide(StageOf(xc), &hold, back, At(24, 14)), xc, cal);
  EXPECT_EQ(*xc->DueTime(cal, At(24, 14)), At(24, 15, 30));
  RecordFields resolved = Record("RESOLVED", "P1");
  Apply(resolution.Decide(StageOf(xc), &back, resolved, At(24, 15)), xc, cal);
  EXPECT_EQ(xc->stage(), Stage::kCompleted);
  EXPECT_FALSE(xc->breached());
  EXPECT_EQ(xc->BusinessElapsed(cal, At(30, 0)), absl::Minutes(210));
  EXPECT_EQ(xc->PausedDuration(At(30, 0)), absl::Hours(4));
  EXPECT_EQ(xc->ActualElapsed(At(30, 0)), absl::Minutes(94 * 60 + 30));
}

TEST(WorkedExamples, PriorityRaisedFromP2ToP1) {
  const auto cal = Office();
  for (bool retroactive : {false, true}) {
    SCOPED_TRACE(retroactive);
    const ClockPolicy policy = Gold(ClockKind::kResolution, retroactive);
    std::optional<Clock> clock;
    RecordFields p2 = Record("IN_PROGRESS", "P2");
    Apply(policy.Decide(Stage::kNone, nullptr, p2, At(20, 16, 30)), clock, cal);
    EXPECT_EQ(*clock->DueTime(cal, At(20, 16, 30)), At(24, 15, 30));
    RecordFields p1 = Record("IN_PROGRESS", "P1");
    Apply(policy.Decide(StageOf(clock), &p2, p1, At(24, 10)), clock, cal);
    ASSERT_EQ(clock->stage(), Stage::kRunning);
    EXPECT_EQ(clock->target(), absl::Hours(4));
    EXPECT_EQ(*clock->DueTime(cal, At(24, 10)), retroactive ? At(24, 11, 30) : At(24, 14));
    RecordFields p3 = Record("IN_PROGRESS", "P3");
    const auto lowered = policy.Decide(StageOf(clock), &p1, p3, At(24, 11));
    ASSERT_EQ(lowered.size(), 1u);
    EXPECT_EQ(lowered[0].reason, "priority_not_covered");
  }
}

}  // namespace
}  // namespace itsm::slamodel
