// Maintenance and blackout windows: their validation, whether one covers a change, and their
// occurrences in real time. A window recurs on local days of its time zone from a local start
// time, for a duration of real time; Abseil's civil time in the zone does the calendar work, so
// occurrences are right across DST changes:
//   - a start time that does not exist that day (skipped by a spring-forward) starts at the
//     transition (02:30 -> 03:00);
//   - a start time that exists twice (fall-back) starts at its first occurrence;
//   - the duration is real time: a 4-hour window over a fall-back ends 3 wall-clock hours later.
#ifndef ITSM_SERVICES_CHANGE_WINDOW_SCHEDULE_H_
#define ITSM_SERVICES_CHANGE_WINDOW_SCHEDULE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

struct Interval {
  absl::Time start = {};
  absl::Time end = {};  // exclusive
  bool Overlaps(const Interval& other) const { return start < other.end && other.start < end; }
};

// INVALID_ARGUMENT naming `field`.<member> for a window that cannot be expanded.
absl::Status CheckWindow(const v1::ChangeWindow& window, const std::string& field);

// Occurrences of a (valid) window that overlap [from, to), by start.
std::vector<Interval> Occurrences(const v1::ChangeWindow& window, absl::Time from, absl::Time to);

// Whether the slot overlaps the days the window is valid (from the start of valid_from to the end
// of valid_until's occurrence, local to its zone; unbounded where unset). A maintenance window
// says nothing about a slot outside them: a schedule for October does not put a change in
// February outside maintenance.
bool InForceDuring(const v1::ChangeWindow& window, const Interval& slot);

// Whether the window concerns a change affecting these services and CIs of these classes:
// a window with no services and no classes concerns every change.
bool WindowCovers(const v1::ChangeWindow& window, const std::set<std::string>& service_ids,
                  const std::set<std::string>& ci_classes);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_WINDOW_SCHEDULE_H_
