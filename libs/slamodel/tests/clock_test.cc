#include "itsm/slamodel/clock.h"

#include "gtest/gtest.h"
#include "itsm/businesstime/business_time.h"

namespace itsm::slamodel {
namespace {

businesstime::Calendar WorkWeek() {
  businesstime::CalendarSpec spec;
  spec.time_zone = "Europe/Istanbul";  // UTC+3, no DST
  for (auto d : {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
                 absl::Weekday::thursday, absl::Weekday::friday}) {
    spec.weekly.push_back({.day = d, .start = {9, 0}, .end = {17, 0}});
  }
  spec.holidays.push_back({.date = {2026, 11, 23}});  // Monday closed
  return *businesstime::Calendar::Create(spec);
}

absl::Time Local(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::FixedTimeZone(3 * 3600));
}

TEST(Clock, MilestonesComeFromTheWholeHistoryAndTheCurrentTarget) {
  const auto cal = WorkWeek();
  // Friday 16:00, 4 business hours; paused Tuesday 10:00 with 2 h counted.
  Clock c = Clock::Start(Local(2026, 11, 20, 16), absl::Hours(4));
  ASSERT_TRUE(c.Pause(Local(2026, 11, 24, 10)).ok());
  auto m = c.Milestones(cal, {50, 75}, Local(2026, 11, 24, 11));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_TRUE(m[0].reached);  // 2 h of 4 h: reached when it was, Tuesday 10:00
  EXPECT_EQ(*m[0].at, Local(2026, 11, 24, 10));
  EXPECT_FALSE(m[1].reached);  // 3 h: if resumed at 11:00, at 12:00
  EXPECT_EQ(*m[1].at, Local(2026, 11, 24, 12));
  EXPECT_FALSE(m[2].reached);
  EXPECT_EQ(m[2].percent, 100);
  // A shorter target while paused: breached at once, reached back on Friday 17:00 + 30 min Tue.
  ASSERT_TRUE(c.Retarget(absl::Minutes(90), cal, Local(2026, 11, 24, 11)).ok());
  m = c.Milestones(cal, {}, Local(2026, 11, 24, 11));
  EXPECT_TRUE(m.back().reached);
  EXPECT_EQ(*m.back().at, Local(2026, 11, 24, 9, 30));
  EXPECT_TRUE(c.breached());
}

TEST(Clock, PauseShiftsTheDueTimeAndStopJudgesTheBreach) {
  const auto cal = WorkWeek();
  // Friday 2026-11-20 16:00, 4 business hours; Monday is a holiday.
  Clock c = Clock::Start(Local(2026, 11, 20, 16), absl::Hours(4));
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 20, 16)), Local(2026, 11, 24, 12));
  ASSERT_TRUE(c.Pause(Local(2026, 11, 24, 10)).ok());  // 1h Fri + 1h Tue
  EXPECT_EQ(c.stage(), Stage::kPaused);
  EXPECT_EQ(c.BusinessElapsed(cal, Local(2026, 11, 25, 9)), absl::Hours(2));
  ASSERT_TRUE(c.Resume(Local(2026, 11, 24, 15)).ok());
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 24, 15)),
            Local(2026, 11, 24, 17));  // a closing instant
  ASSERT_TRUE(c.Stop(Local(2026, 11, 24, 16, 30), cal).ok());
  EXPECT_EQ(c.stage(), Stage::kCompleted);
  EXPECT_FALSE(c.breached());
  EXPECT_EQ(c.BusinessElapsed(cal, Local(2026, 12, 1, 0)), absl::Minutes(210));
  EXPECT_EQ(c.PausedDuration(Local(2026, 12, 1, 0)), absl::Hours(5));
  EXPECT_EQ(c.ActualElapsed(Local(2026, 12, 1, 0)), absl::Hours(96) + absl::Minutes(30));
  EXPECT_EQ(c.intervals().size(), 3u);
}

TEST(Clock, CompletedAndBreachedAreIndependent) {
  const auto cal = WorkWeek();
  Clock c = Clock::Start(Local(2026, 11, 24, 9), absl::Hours(2));
  EXPECT_FALSE(c.MarkBreachedIfDue(cal, Local(2026, 11, 24, 10, 59)));
  EXPECT_TRUE(c.MarkBreachedIfDue(cal, Local(2026, 11, 24, 11)));  // the due instant
  EXPECT_EQ(c.stage(), Stage::kRunning);
  ASSERT_TRUE(c.Stop(Local(2026, 11, 24, 12), cal).ok());
  EXPECT_EQ(c.stage(), Stage::kCompleted);
  EXPECT_TRUE(c.breached());
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 30, 0)), Local(2026, 11, 24, 11));
  EXPECT_FALSE(c.Resume(Local(2026, 11, 24, 13)).ok());
}

TEST(Clock, ThresholdsAndPausedDueTime) {
  const auto cal = WorkWeek();
  Clock c = Clock::Start(Local(2026, 11, 24, 9), absl::Hours(8));
  EXPECT_EQ(*c.ThresholdTime(cal, 50, Local(2026, 11, 24, 9)), Local(2026, 11, 24, 13));
  EXPECT_EQ(*c.ThresholdTime(cal, 75, Local(2026, 11, 24, 9)), Local(2026, 11, 24, 15));
  ASSERT_TRUE(c.Pause(Local(2026, 11, 24, 14)).ok());
  // Paused: when it would be due if resumed at 16:00 (3h left: 1h today, 2h tomorrow).
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 24, 16)), Local(2026, 11, 25, 11));
  // 50 % was reached before the pause.
  EXPECT_EQ(*c.ThresholdTime(cal, 50, Local(2026, 11, 24, 16)), Local(2026, 11, 24, 13));
}

TEST(Clock, ReplayRecomputesTheSameClock) {
  const auto cal = WorkWeek();
  std::vector<Transition> history = {
      {ActionType::kStart, Local(2026, 11, 20, 16), absl::Hours(8)},
      {ActionType::kPause, Local(2026, 11, 24, 10), {}},
      {ActionType::kResume, Local(2026, 11, 24, 15), {}},
      {ActionType::kRetarget, Local(2026, 11, 24, 15, 30), absl::Hours(2)},
      {ActionType::kStop, Local(2026, 11, 25, 10), {}},
  };
  auto c = Clock::Replay(history, cal, Local(2026, 12, 1, 0));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stage(), Stage::kCompleted);
  EXPECT_TRUE(c->breached());  // 1h + 1h + 2h + 1h = 5h > 2h
  EXPECT_EQ(c->BusinessElapsed(cal, Local(2026, 12, 1, 0)), absl::Hours(5));
  history.insert(history.begin() + 1, {ActionType::kResume, Local(2026, 11, 20, 16, 30), {}});
  EXPECT_EQ(Clock::Replay(history, cal, Local(2026, 12, 1, 0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Clock, RetargetCanLiftABreachOfAnOpenClock) {
  const auto cal = WorkWeek();
  Clock c = Clock::Start(Local(2026, 11, 24, 9), absl::Hours(1));
  EXPECT_TRUE(c.MarkBreachedIfDue(cal, Local(2026, 11, 24, 11)));
  ASSERT_TRUE(c.Retarget(absl::Hours(4), cal, Local(2026, 11, 24, 11)).ok());
  EXPECT_FALSE(c.breached());
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 24, 11)), Local(2026, 11, 24, 13));
}

// Cancelled after its due instant, a clock keeps the breach (lowering the priority or
// cancelling the record afterwards does not undo it); cancelled before, it has none.
TEST(Clock, ACancellationKeepsABreachThatHappenedBeforeIt) {
  const auto cal = WorkWeek();
  std::vector<Transition> history = {
      {ActionType::kStart, Local(2026, 11, 24, 9), absl::Hours(2)},
      {ActionType::kCancel, Local(2026, 11, 24, 11, 30), {}},
  };
  auto late = Clock::Replay(history, cal, Local(2026, 12, 1, 0));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->stage(), Stage::kCancelled);
  EXPECT_TRUE(late->breached());
  history[1].at = Local(2026, 11, 24, 10, 59);
  auto early = Clock::Replay(history, cal, Local(2026, 12, 1, 0));
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->breached());
}

// Stopped while paused, a clock's due time is as of the stop: when it would have been reached
// had it resumed then, never an instant before the stop (a met clock "due" before its stop).
TEST(Clock, AClockStoppedWhilePausedIsDueAfterItsStop) {
  const auto cal = WorkWeek();
  Clock c = Clock::Start(Local(2026, 11, 24, 9), absl::Hours(4));
  ASSERT_TRUE(c.Pause(Local(2026, 11, 24, 10)).ok());  // 1 h counted
  ASSERT_TRUE(c.Stop(Local(2026, 11, 24, 15), cal).ok());
  EXPECT_FALSE(c.breached());
  // 3 h left from Tuesday 15:00: 2 h that day, 1 h on Wednesday.
  EXPECT_EQ(*c.DueTime(cal, Local(2026, 11, 30, 0)), Local(2026, 11, 25, 10));
  EXPECT_EQ(*c.ThresholdTime(cal, 25, Local(2026, 11, 30, 0)), Local(2026, 11, 24, 10));
}

}  // namespace
}  // namespace itsm::slamodel
