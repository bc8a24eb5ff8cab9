// Internal: working time on the local civil time line, with no time zone in it.
//
// The civil time line is the sequence of local wall-clock seconds, numbered from
// 1970-01-01T00:00:00 local ("position"). It has no DST: every civil day has 86400 seconds.
// Business time over real time is then the sum, over stretches of constant UTC offset, of the
// open civil seconds those stretches read (business_time.cc); this file answers the civil part
// in O(log) through a cumulative count of open seconds, so no operation walks days or weeks.

#ifndef ITSM_BUSINESSTIME_SRC_CIVIL_SCHEDULE_H_
#define ITSM_BUSINESSTIME_SRC_CIVIL_SCHEDULE_H_

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "itsm/businesstime/calendar.h"

namespace itsm::businesstime::internal {

inline constexpr int64_t kSecondsPerDay = 86400;

// Division rounding towards negative infinity: positions before 1970 are negative.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Monday = 0 ... Sunday = 6, the order of absl::Weekday. Day 0 (1970-01-01) was a Thursday.
inline int WeekdayIndex(int64_t day) {
  return static_cast<int>(day - 7 * FloorDiv(day + 3, 7) + 3);
}

// [begin, end) in seconds after local midnight, 0 <= begin < end <= 86400.
struct Span {
  int32_t begin = 0;
  int32_t end = 0;
};

// The open spans of one local date, sorted, disjoint and not touching: touching spans are
// merged on construction, so every span end inside the day is a real open-to-closed change.
class DaySchedule {
 public:
  DaySchedule() = default;
  // Accepts spans in any order, overlapping or touching; empty spans are dropped.
  explicit DaySchedule(std::vector<Span> spans);

  const std::vector<Span>& spans() const { return spans_; }
  int64_t open_seconds() const { return open_seconds_; }

  bool IsOpenAt(int32_t second_of_day) const;
  // Open seconds in [0, second_of_day).
  int64_t OpenBefore(int32_t second_of_day) const;
  // Smallest s with OpenBefore(s) >= need; requires 0 < need <= open_seconds().
  int32_t LocateOpen(int64_t need) const;
  // Smallest s with s - OpenBefore(s) >= need; requires 0 < need <= 86400 - open_seconds().
  int32_t LocateClosed(int64_t need) const;

 private:
  std::vector<Span> spans_;
  int64_t open_seconds_ = 0;
};

class CivilSchedule {
 public:
  // `weekly` is indexed by WeekdayIndex. `exceptions` hold the effective schedule of each dated
  // exception keyed by days since 1970-01-01, sorted by day with unique days.
  CivilSchedule(std::array<DaySchedule, 7> weekly,
                std::vector<std::pair<int64_t, DaySchedule>> exceptions);

  bool has_open_time() const { return has_open_time_; }
  bool has_closed_time() const { return has_closed_time_; }
  // The days (since 1970-01-01) of the dated exceptions, sorted: the only days on which the
  // schedule departs from its week.
  const std::vector<int64_t>& exception_days() const { return exception_days_; }
  // The most open seconds any one civil date holds.
  int64_t longest_day_open_seconds() const { return longest_day_open_seconds_; }

  const DaySchedule& ForDay(int64_t day) const;
  bool IsOpenAt(int64_t position) const;

  // A cumulative count of open seconds, signed, with OpenBefore(0) == 0: the open seconds in
  // [a, b) are OpenBefore(b) - OpenBefore(a) for any a <= b, before or after 1970.
  int64_t OpenBefore(int64_t position) const;
  int64_t ClosedBefore(int64_t position) const { return position - OpenBefore(position); }

  // Smallest position p >= lo with OpenBefore(p) >= k (ClosedBefore for LocateClosed).
  // Requires OpenBefore(hi) >= k (ClosedBefore(hi) >= k) and lo <= hi; the search costs
  // O(log((hi - lo) / 1 day) * log(exceptions)).
  int64_t LocateOpen(int64_t k, int64_t lo, int64_t hi) const;
  int64_t LocateClosed(int64_t k, int64_t lo, int64_t hi) const;

 private:
  // Index of the first exception on or after `day`.
  size_t ExceptionIndex(int64_t day) const;
  const DaySchedule& ForDay(int64_t day, size_t exception_index) const;
  template <bool kClosed>
  int64_t Locate(int64_t k, int64_t lo, int64_t hi) const;

  std::array<DaySchedule, 7> weekly_;
  int64_t week_open_seconds_ = 0;
  // Open seconds of the first r days of a week that starts on a Thursday (day 0), r = 0..7.
  std::array<int64_t, 8> partial_week_from_day0_{};
  std::vector<int64_t> exception_days_;
  std::vector<DaySchedule> exception_schedules_;
  // correction_before_[i]: what exceptions 0..i-1 add to (or take from) the weekly count.
  std::vector<int64_t> correction_before_;
  int64_t longest_day_open_seconds_ = 0;
  bool has_open_time_ = false;
  bool has_closed_time_ = false;
};

// The one door from the operations into a Calendar's compiled tables, kept out of the public
// header so that callers cannot come to depend on them.
struct CalendarAccess {
  static const CivilSchedule& Schedule(const Calendar& calendar) { return *calendar.schedule_; }
};

}  // namespace itsm::businesstime::internal

#endif  // ITSM_BUSINESSTIME_SRC_CIVIL_SCHEDULE_H_
