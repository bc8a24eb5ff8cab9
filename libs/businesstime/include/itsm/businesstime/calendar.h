// A business calendar: an IANA time zone, weekly working hours and dated exceptions.
//
// A Calendar answers one question, "is this real instant inside working time?", by the
// wall-clock definition in docs/business-time.md: an instant is open iff its local civil time in
// the calendar's zone falls inside the working hours that apply to that local date. Everything
// else (business_time.h) is derived from that definition.
//
// Usage:
//   itsm::businesstime::CalendarSpec spec;
//   spec.time_zone = "Europe/Istanbul";
//   for (absl::Weekday d : {absl::Weekday::monday, absl::Weekday::tuesday,
//                           absl::Weekday::wednesday, absl::Weekday::thursday,
//                           absl::Weekday::friday}) {
//     spec.weekly.push_back({.day = d, .start = {9, 0}, .end = {18, 0}});
//   }
//   spec.holidays.push_back({.date = {2025, 3, 31}});             // closed all day
//   spec.holidays.push_back({.date = {2025, 12, 31},              // closed from 13:00
//                            .closed = {{.start = {13, 0}, .end = {24, 0}}}});
//   spec.extra_working.push_back({.date = {2025, 4, 5},          // a working Saturday
//                                 .open = {{.start = {10, 0}, .end = {14, 0}}}});
//   absl::StatusOr<Calendar> calendar = Calendar::Create(spec);
//
// A Calendar is immutable and cheap to copy (the compiled tables are shared), so one instance
// can be used from many threads.

#ifndef ITSM_BUSINESSTIME_CALENDAR_H_
#define ITSM_BUSINESSTIME_CALENDAR_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace itsm::businesstime {

// Every member of the spec structs below has a default member initializer: GCC's
// -Wmissing-field-initializers would otherwise flag each designated initializer that leaves
// one out, such as `{.date = {2025, 1, 1}}` for an all-day holiday.

// A local wall-clock time of day with second precision. Valid values run from 00:00:00 to
// 24:00:00; 24:00:00 is only accepted as the end of an interval and means "until midnight".
struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// A local calendar date (proleptic Gregorian). Kept as plain fields rather than absl::CivilDay
// because CivilDay silently normalises 2025-02-30 to 2025-03-02; Calendar::Create rejects it.
struct LocalDate {
  int year = 0;
  int month = 0;
  int day = 0;
};

// A weekly working interval [start, end) starting on `day`.
// If end <= start the interval is overnight: Mon 22:00-06:00 is Monday 22:00-24:00 plus
// Tuesday 00:00-06:00, and the part after midnight belongs to Tuesday (Tuesday's holidays close
// it, Monday's do not). end == 00:00 is simply "until midnight". start == end is rejected.
struct WeeklyInterval {
  absl::Weekday day = absl::Weekday::monday;
  TimeOfDay start = {};
  TimeOfDay end = {};
};

// An interval [start, end) inside one date; start < end, never overnight.
struct DayInterval {
  TimeOfDay start = {};
  TimeOfDay end = {};
};

// A holiday: the date is closed all day when `closed` is empty, otherwise only during `closed`.
struct Holiday {
  LocalDate date = {};
  std::vector<DayInterval> closed = {};
};

// Working time added on a date (a working Saturday, a late shift). Takes precedence over a
// holiday on the same date, so "closed except 10:00-12:00" is a holiday plus an extra day.
struct ExtraWorkingDay {
  LocalDate date = {};
  std::vector<DayInterval> open = {};
};

struct CalendarSpec {
  // IANA name, e.g. "Europe/Istanbul", loaded from the system tz database. "localtime" is
  // rejected: the calendar must not depend on the machine it runs on.
  std::string time_zone = {};
  // 24x7: every weekday open 00:00-24:00. `weekly` must then be empty; holidays still apply.
  bool always_open = false;
  std::vector<WeeklyInterval> weekly = {};
  std::vector<Holiday> holidays = {};
  std::vector<ExtraWorkingDay> extra_working = {};
};

namespace internal {
class CivilSchedule;
struct CalendarAccess;
}  // namespace internal

class Calendar {
 public:
  // Validates and compiles `spec`. INVALID_ARGUMENT names the offending field, e.g.
  // "weekly[2].end: 25:00:00 is not a time of day" or "holidays[0].date: 2025-02-30 is not a
  // date". Overlapping weekly intervals (including the after-midnight part of an overnight
  // one), overlapping intervals inside one dated entry and two entries for the same date in
  // one list are rejected. A spec with no working time at all is accepted; the operations on
  // it return FAILED_PRECONDITION.
  static absl::StatusOr<Calendar> Create(const CalendarSpec& spec);

  const absl::TimeZone& zone() const { return zone_; }

 private:
  friend struct internal::CalendarAccess;

  Calendar(absl::TimeZone zone, std::shared_ptr<const internal::CivilSchedule> schedule)
      : zone_(zone), schedule_(std::move(schedule)) {}

  absl::TimeZone zone_;
  // Shared so that copies are cheap; never mutated after Create.
  std::shared_ptr<const internal::CivilSchedule> schedule_;
};

}  // namespace itsm::businesstime

#endif  // ITSM_BUSINESSTIME_CALENDAR_H_
