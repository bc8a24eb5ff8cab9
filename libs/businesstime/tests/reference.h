// A brute-force reference for the business-time operations, written straight from the
// wall-clock definition in docs/business-time.md and sharing no code with the library: it reads
// the CalendarSpec itself, converts each sampled instant with absl::ToCivilSecond and asks
// "is this wall-clock time inside working hours of this date?" one step at a time.
//
// Exact when every interval boundary, every DST change, the window start and all durations are
// multiples of the step (minute-aligned data with a one-minute step): then each step is wholly
// open or wholly closed and sampling its first instant decides it.

#ifndef ITSM_BUSINESSTIME_TESTS_REFERENCE_H_
#define ITSM_BUSINESSTIME_TESTS_REFERENCE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"

namespace itsm::businesstime::testing {

class ReferenceCalendar {
 public:
  // The zone must load; the spec is assumed valid (Calendar::Create accepted it).
  explicit ReferenceCalendar(const CalendarSpec& spec);

  // The definition itself: is local wall-clock time `civil` in working hours?
  bool IsOpenCivil(absl::CivilSecond civil) const;
  bool IsOpen(absl::Time t) const { return IsOpenCivil(absl::ToCivilSecond(t, zone_)); }
  const absl::TimeZone& zone() const { return zone_; }

 private:
  CalendarSpec spec_;
  absl::TimeZone zone_;
  std::map<absl::CivilDay, const Holiday*> holidays_;
  std::map<absl::CivilDay, const ExtraWorkingDay*> extra_working_;
};

// The open/closed state of `count` consecutive steps of length `step` from `begin`, with the
// operations answered by counting steps. Indices are step numbers; index i is the instant
// begin + i * step. nullopt means "not within the window".
class ReferenceTimeline {
 public:
  ReferenceTimeline(const ReferenceCalendar& calendar, absl::Time begin, absl::Duration step,
                    int64_t count);

  int64_t size() const { return static_cast<int64_t>(open_.size()); }
  absl::Time At(int64_t index) const { return begin_ + index * step_; }
  bool IsOpen(int64_t index) const { return open_[static_cast<size_t>(index)]; }
  // Open steps in [from, to).
  int64_t Elapsed(int64_t from, int64_t to) const;
  // The index at which `steps` open steps after `start` have elapsed.
  std::optional<int64_t> Add(int64_t start, int64_t steps) const;
  std::optional<int64_t> NextOpen(int64_t index) const;
  std::optional<int64_t> NextClose(int64_t index) const;

 private:
  absl::Time begin_;
  absl::Duration step_;
  std::vector<bool> open_;
  std::vector<int64_t> open_before_;  // open_before_[i]: open steps in [0, i)
};

// A one-line description of a spec for failure messages.
std::string DescribeSpec(const CalendarSpec& spec);

}  // namespace itsm::businesstime::testing

#endif  // ITSM_BUSINESSTIME_TESTS_REFERENCE_H_
