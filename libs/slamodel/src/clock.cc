#include "itsm/slamodel/clock.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/businesstime/business_time.h"

namespace itsm::slamodel {
namespace {

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kNone:
      return "none";
    case Stage::kRunning:
      return "running";
    case Stage::kPaused:
      return "paused";
    case Stage::kCompleted:
      return "completed";
    case Stage::kCancelled:
      return "cancelled";
  }
  return "?";
}

absl::Status WrongStage(const char* what, Stage s) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " a ", StageName(s), " clock"));
}

}  // namespace

Clock Clock::Start(absl::Time at, absl::Duration target) {
  Clock c;
  c.target_ = target;
  c.intervals_.push_back({at, absl::InfiniteFuture(), false});
  return c;
}

absl::Time Clock::LastTransition() const {
  const Interval& last = intervals_.back();
  return last.end == absl::InfiniteFuture() ? last.begin : last.end;
}

absl::Status Clock::Pause(absl::Time at) {
  if (stage_ != Stage::kRunning) return WrongStage("pause", stage_);
  at = std::max(at, LastTransition());
  intervals_.back().end = at;
  intervals_.push_back({at, absl::InfiniteFuture(), true});
  stage_ = Stage::kPaused;
  return absl::OkStatus();
}

absl::Status Clock::Resume(absl::Time at) {
  if (stage_ != Stage::kPaused) return WrongStage("resume", stage_);
  at = std::max(at, LastTransition());
  intervals_.back().end = at;
  intervals_.push_back({at, absl::InfiniteFuture(), false});
  stage_ = Stage::kRunning;
  return absl::OkStatus();
}

absl::Status Clock::Stop(absl::Time at, const businesstime::Calendar& calendar) {
  if (stage_ != Stage::kRunning && stage_ != Stage::kPaused) return WrongStage("stop", stage_);
  at = std::max(at, LastTransition());
  intervals_.back().end = at;
  stop_time_ = at;
  stage_ = Stage::kCompleted;
  if (BusinessElapsed(calendar, at) >= target_) breached_ = true;
  return absl::OkStatus();
}

absl::Status Clock::Cancel(absl::Time at, const businesstime::Calendar& calendar) {
  if (stage_ != Stage::kRunning && stage_ != Stage::kPaused) return WrongStage("cancel", stage_);
  at = std::max(at, LastTransition());
  intervals_.back().end = at;
  stop_time_ = at;
  stage_ = Stage::kCancelled;
  // A breach that happened before the cancellation stays one: lowering the priority or
  // cancelling the record after the due instant does not undo it.
  if (BusinessElapsed(calendar, at) >= target_) breached_ = true;
  return absl::OkStatus();
}

absl::Status Clock::Retarget(absl::Duration target, const businesstime::Calendar& calendar,
                             absl::Time now) {
  if (stage_ != Stage::kRunning && stage_ != Stage::kPaused) return WrongStage("retarget", stage_);
  target_ = target;
  // A longer target can lift a breach that has not been completed yet: the flag reflects the
  // clock's current target, as users see it on the record.
  breached_ = BusinessElapsed(calendar, now) >= target_;
  return absl::OkStatus();
}

bool Clock::MarkBreachedIfDue(const businesstime::Calendar& calendar, absl::Time now) {
  if (breached_ || stage_ == Stage::kCancelled) return false;
  if (BusinessElapsed(calendar, now) >= target_) {
    breached_ = true;
    return true;
  }
  return false;
}

absl::Duration Clock::BusinessElapsed(const businesstime::Calendar& calendar,
                                      absl::Time now) const {
  absl::Duration total;
  for (const Interval& i : intervals_) {
    if (i.paused) continue;
    const absl::Time end = std::min(i.end, std::min(now, stop_time_));
    if (end > i.begin) total += businesstime::BusinessElapsed(calendar, i.begin, end);
  }
  return total;
}

absl::Duration Clock::ActualElapsed(absl::Time now) const {
  const absl::Time end = std::min(now, stop_time_);
  return end > start_time() ? end - start_time() : absl::ZeroDuration();
}

absl::Duration Clock::PausedDuration(absl::Time now) const {
  absl::Duration total;
  for (const Interval& i : intervals_) {
    if (!i.paused) continue;
    const absl::Time end = std::min(i.end, std::min(now, stop_time_));
    if (end > i.begin) total += end - i.begin;
  }
  return total;
}

absl::StatusOr<absl::Time> Clock::ThresholdTime(const businesstime::Calendar& calendar,
                                                double percent, absl::Time now) const {
  const absl::Duration goal =
      absl::Seconds(std::llround(absl::ToDoubleSeconds(target_) * percent / 100.0));
  // The remainder counts from the "anchor": the open interval of a running clock, the last
  // interval of a stopped one when it ran to the stop (its due time as of the stop), or, for a
  // clock paused now or at its stop, from `now` or the stop (when it would be reached if resumed
  // then: never before the stop). Business time before the anchor is done.
  std::optional<size_t> anchor;
  absl::Time from = now;
  if (stage_ == Stage::kRunning) {
    anchor = intervals_.size() - 1;
  } else if (stage_ == Stage::kCompleted || stage_ == Stage::kCancelled) {
    if (intervals_.back().paused) {
      from = stop_time_;
    } else {
      anchor = intervals_.size() - 1;
    }
  }
  absl::Duration before;
  for (size_t k = 0; k < intervals_.size(); ++k) {
    const Interval& i = intervals_[k];
    if (anchor && k == *anchor) {
      from = i.begin;
      break;
    }
    if (i.paused) continue;
    const absl::Time end = std::min(i.end, stop_time_);
    if (end > i.begin) before += businesstime::BusinessElapsed(calendar, i.begin, end);
  }
  if (goal > before) return businesstime::AddBusinessDuration(calendar, from, goal - before);
  // Reached before the anchor: find the interval in which it was.
  absl::Duration acc;
  for (const Interval& i : intervals_) {
    if (i.paused) continue;
    const absl::Time end = std::min(i.end, stop_time_);
    const absl::Duration part = businesstime::BusinessElapsed(calendar, i.begin, end);
    if (acc + part >= goal) return businesstime::AddBusinessDuration(calendar, i.begin, goal - acc);
    acc += part;
  }
  return from;
}

std::vector<Milestone> Clock::Milestones(const businesstime::Calendar& calendar,
                                         const std::vector<double>& warning_percents,
                                         absl::Time now) const {
  std::vector<double> percents = warning_percents;
  percents.push_back(100.0);
  const absl::Duration elapsed = BusinessElapsed(calendar, now);
  std::vector<Milestone> out;
  out.reserve(percents.size());
  for (double p : percents) {
    Milestone m;
    m.percent = p;
    // The same rounding as ThresholdTime: a milestone is reached exactly at its instant.
    m.reached = elapsed >= absl::Seconds(std::llround(absl::ToDoubleSeconds(target_) * p / 100.0));
    if (auto at = ThresholdTime(calendar, p, now); at.ok()) m.at = *at;
    out.push_back(m);
  }
  return out;
}

absl::StatusOr<absl::Time> Clock::DueTime(const businesstime::Calendar& calendar,
                                          absl::Time now) const {
  return ThresholdTime(calendar, 100.0, now);
}

absl::StatusOr<Clock> Clock::Replay(const std::vector<Transition>& history,
                                    const businesstime::Calendar& calendar, absl::Time now) {
  if (history.empty() || history[0].type != ActionType::kStart) {
    return absl::InvalidArgumentError("history: must begin with a start");
  }
  Clock c = Start(history[0].at, history[0].target);
  for (size_t k = 1; k < history.size(); ++k) {
    const Transition& t = history[k];
    switch (t.type) {
      case ActionType::kPause:
        ITSM_RETURN_IF_ERROR(c.Pause(t.at));
        break;
      case ActionType::kResume:
        ITSM_RETURN_IF_ERROR(c.Resume(t.at));
        break;
      case ActionType::kStop:
        ITSM_RETURN_IF_ERROR(c.Stop(t.at, calendar));
        break;
      case ActionType::kCancel:
      case ActionType::kReset:
        ITSM_RETURN_IF_ERROR(c.Cancel(t.at, calendar));
        break;
      case ActionType::kRetarget:
        ITSM_RETURN_IF_ERROR(c.Retarget(t.target, calendar, t.at));
        break;
      case ActionType::kStart:
        return absl::InvalidArgumentError(absl::StrCat("history[", k, "]: a second start"));
    }
  }
  if (c.stage_ == Stage::kRunning || c.stage_ == Stage::kPaused) c.MarkBreachedIfDue(calendar, now);
  return c;
}

}  // namespace itsm::slamodel
