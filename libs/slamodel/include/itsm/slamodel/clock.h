// An SLA clock: stage (running, paused, completed, cancelled), a separate breached flag, and
// its run/pause intervals, so that elapsed business time, actual time, pauses and the due time
// are always derived from the history, never kept as counters that could drift. Recompute a
// clock after a definition or calendar change by replaying its transitions (Replay).
//
//   Clock clock = Clock::Start(opened_at, absl::Hours(4));
//   clock.Pause(on_hold_at);
//   clock.Resume(back_at);
//   absl::StatusOr<absl::Time> due = clock.DueTime(calendar);   // shifted by the pause
//   clock.Stop(resolved_at, calendar);                            // breached() if late
#ifndef ITSM_SLAMODEL_CLOCK_H_
#define ITSM_SLAMODEL_CLOCK_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/slamodel/conditions.h"

namespace itsm::slamodel {

// [begin, end) of actual time; end is InfiniteFuture while open.
struct Interval {
  absl::Time begin = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  bool paused = false;
};

// One step of a clock's history, for Replay.
struct Transition {
  ActionType type = ActionType::kStart;
  absl::Time at = absl::InfinitePast();
  absl::Duration target = absl::ZeroDuration();  // kStart, kRetarget
};

// A share of a clock's target: a warning threshold, or 100 (the due instant, the breach).
struct Milestone {
  double percent = 100;
  // Business elapsed at `now` has reached the share (for 100: the clock is breached).
  bool reached = false;
  // When it is (was) reached: from the interval history when reached; else, running, when it
  // will be; paused, when it would be if resumed at `now`; completed or cancelled, when it
  // would have been as of the stop. nullopt: never (the calendar has too little open time).
  std::optional<absl::Time> at;
};

class Clock {
 public:
  static Clock Start(absl::Time at, absl::Duration target);
  // Rebuilds a clock from its transitions (the first must be kStart). FAILED_PRECONDITION for
  // a transition its stage does not allow (e.g. resume while running); breach is judged
  // against `calendar` at the stop, or at `now` for a clock still open.
  static absl::StatusOr<Clock> Replay(const std::vector<Transition>& history,
                                      const businesstime::Calendar& calendar, absl::Time now);

  // Transitions. FAILED_PRECONDITION when the stage does not allow them; `at` earlier than the
  // last transition is clamped to it (events can carry equal times; time never runs backwards).
  absl::Status Pause(absl::Time at);
  absl::Status Resume(absl::Time at);
  // Breached means: business elapsed reached the target (the due instant itself is a breach).
  // Completes the clock; sets breached when business elapsed >= the target.
  absl::Status Stop(absl::Time at, const businesstime::Calendar& calendar);
  // Ends the clock without a verdict of its own; a breach reached before `at` stays (breached).
  absl::Status Cancel(absl::Time at, const businesstime::Calendar& calendar);
  // New target, same history (a retroactive priority change). The breach flag is re-judged.
  absl::Status Retarget(absl::Duration target, const businesstime::Calendar& calendar,
                        absl::Time now);
  // Sets breached when the target is reached at `now` (the timer calls it at the due time).
  // Returns whether the flag changed.
  bool MarkBreachedIfDue(const businesstime::Calendar& calendar, absl::Time now);

  Stage stage() const { return stage_; }
  bool breached() const { return breached_; }
  absl::Duration target() const { return target_; }
  absl::Time start_time() const { return intervals_.front().begin; }
  // InfiniteFuture until completed or cancelled.
  absl::Time stop_time() const { return stop_time_; }
  const std::vector<Interval>& intervals() const { return intervals_; }

  // Business time of the running intervals up to `now` (or the stop).
  absl::Duration BusinessElapsed(const businesstime::Calendar& calendar, absl::Time now) const;
  // Wall-clock time since the start, up to `now` (or the stop), pauses included.
  absl::Duration ActualElapsed(absl::Time now) const;
  // Wall-clock time spent paused up to `now` (or the stop).
  absl::Duration PausedDuration(absl::Time now) const;
  // When the target is (was) reached if the clock runs from its last resume on. For a paused
  // clock: when it would be reached if resumed at `now`. For a stopped clock: the due time as
  // of its stop. FAILED_PRECONDITION when the calendar has too little open time.
  absl::StatusOr<absl::Time> DueTime(const businesstime::Calendar& calendar, absl::Time now) const;
  // The one computation of a clock's instants (the SLA timer's firing, its schedule and the
  // due time it publishes all come from it): one Milestone per warning threshold (ascending,
  // as given) and last the due instant (percent 100), from the clock's whole interval history
  // and current target, as of `now`.
  std::vector<Milestone> Milestones(const businesstime::Calendar& calendar,
                                    const std::vector<double>& warning_percents,
                                    absl::Time now) const;
  // When `percent` of the target is reached (same rules as DueTime).
  absl::StatusOr<absl::Time> ThresholdTime(const businesstime::Calendar& calendar, double percent,
                                           absl::Time now) const;

 private:
  Clock() = default;
  absl::Time LastTransition() const;

  Stage stage_ = Stage::kRunning;
  bool breached_ = false;
  absl::Duration target_ = absl::ZeroDuration();
  absl::Time stop_time_ = absl::InfiniteFuture();
  std::vector<Interval> intervals_;
};

}  // namespace itsm::slamodel

#endif  // ITSM_SLAMODEL_CLOCK_H_
