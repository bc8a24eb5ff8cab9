#include "civil_schedule.h"

#include <algorithm>

namespace itsm::businesstime::internal {

DaySchedule::DaySchedule(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (const Span& span : spans) {
    if (span.begin >= span.end) continue;
    if (!spans_.empty() && span.begin <= spans_.back().end) {
      spans_.back().end = std::max(spans_.back().end, span.end);
    } else {
      spans_.push_back(span);
    }
  }
  for (const Span& span : spans_) open_seconds_ += span.end - span.begin;
}

bool DaySchedule::IsOpenAt(int32_t second_of_day) const {
  for (const Span& span : spans_) {
    if (second_of_day < span.begin) return false;
    if (second_of_day < span.end) return true;
  }
  return false;
}

int64_t DaySchedule::OpenBefore(int32_t second_of_day) const {
  int64_t open = 0;
  for (const Span& span : spans_) {
    if (second_of_day <= span.begin) break;
    open += std::min(second_of_day, span.end) - span.begin;
  }
  return open;
}

int32_t DaySchedule::LocateOpen(int64_t need) const {
  for (const Span& span : spans_) {
    const int64_t length = span.end - span.begin;
    if (need <= length) return static_cast<int32_t>(span.begin + need);
    need -= length;
  }
  // Unreachable under the precondition; the end of the day is the only safe answer.
  return static_cast<int32_t>(kSecondsPerDay);
}

int32_t DaySchedule::LocateClosed(int64_t need) const {
  int32_t gap_begin = 0;
  for (const Span& span : spans_) {
    const int64_t gap = span.begin - gap_begin;
    if (need <= gap) return static_cast<int32_t>(gap_begin + need);
    need -= gap;
    gap_begin = span.end;
  }
  return static_cast<int32_t>(std::min<int64_t>(gap_begin + need, kSecondsPerDay));
}

CivilSchedule::CivilSchedule(std::array<DaySchedule, 7> weekly,
                             std::vector<std::pair<int64_t, DaySchedule>> exceptions)
    : weekly_(std::move(weekly)) {
  for (const DaySchedule& day : weekly_) {
    week_open_seconds_ += day.open_seconds();
    longest_day_open_seconds_ = std::max(longest_day_open_seconds_, day.open_seconds());
    if (day.open_seconds() > 0) has_open_time_ = true;
    if (day.open_seconds() < kSecondsPerDay) has_closed_time_ = true;
  }
  for (int r = 0; r < 7; ++r) {
    partial_week_from_day0_[r + 1] =
        partial_week_from_day0_[r] + weekly_[WeekdayIndex(r)].open_seconds();
  }
  correction_before_.push_back(0);
  for (auto& [day, schedule] : exceptions) {
    const DaySchedule& usual = weekly_[WeekdayIndex(day)];
    correction_before_.push_back(correction_before_.back() + schedule.open_seconds() -
                                 usual.open_seconds());
    longest_day_open_seconds_ = std::max(longest_day_open_seconds_, schedule.open_seconds());
    if (schedule.open_seconds() > 0) has_open_time_ = true;
    if (schedule.open_seconds() < kSecondsPerDay) has_closed_time_ = true;
    exception_days_.push_back(day);
    exception_schedules_.push_back(std::move(schedule));
  }
}

size_t CivilSchedule::ExceptionIndex(int64_t day) const {
  return static_cast<size_t>(std::lower_bound(exception_days_.begin(), exception_days_.end(), day) -
                             exception_days_.begin());
}

const DaySchedule& CivilSchedule::ForDay(int64_t day, size_t exception_index) const {
  if (exception_index < exception_days_.size() && exception_days_[exception_index] == day) {
    return exception_schedules_[exception_index];
  }
  return weekly_[WeekdayIndex(day)];
}

const DaySchedule& CivilSchedule::ForDay(int64_t day) const {
  return ForDay(day, ExceptionIndex(day));
}

bool CivilSchedule::IsOpenAt(int64_t position) const {
  const int64_t day = FloorDiv(position, kSecondsPerDay);
  return ForDay(day).IsOpenAt(static_cast<int32_t>(position - day * kSecondsPerDay));
}

int64_t CivilSchedule::OpenBefore(int64_t position) const {
  const int64_t day = FloorDiv(position, kSecondsPerDay);
  const int32_t second_of_day = static_cast<int32_t>(position - day * kSecondsPerDay);
  const int64_t weeks = FloorDiv(day, 7);
  const int64_t weekly_before_day =
      weeks * week_open_seconds_ + partial_week_from_day0_[static_cast<size_t>(day - 7 * weeks)];
  const size_t index = ExceptionIndex(day);
  return weekly_before_day + correction_before_[index] +
         ForDay(day, index).OpenBefore(second_of_day);
}

template <bool kClosed>
int64_t CivilSchedule::Locate(int64_t k, int64_t lo, int64_t hi) const {
  auto measure = [this](int64_t position) {
    return kClosed ? ClosedBefore(position) : OpenBefore(position);
  };
  // The measure at the end of a day is monotone in the day, so the first day that reaches k is
  // found by bisection; inside it the spans are walked.
  int64_t first_day = FloorDiv(lo, kSecondsPerDay);
  int64_t last_day = FloorDiv(hi, kSecondsPerDay);
  while (first_day < last_day) {
    const int64_t mid = first_day + (last_day - first_day) / 2;
    if (measure((mid + 1) * kSecondsPerDay) >= k) {
      last_day = mid;
    } else {
      first_day = mid + 1;
    }
  }
  const int64_t day_start = first_day * kSecondsPerDay;
  const int64_t need = k - measure(day_start);
  int64_t position = day_start;
  if (need > 0) {
    const DaySchedule& schedule = ForDay(first_day);
    position += kClosed ? schedule.LocateClosed(need) : schedule.LocateOpen(need);
  }
  return std::max(position, lo);
}

int64_t CivilSchedule::LocateOpen(int64_t k, int64_t lo, int64_t hi) const {
  return Locate<false>(k, lo, hi);
}

int64_t CivilSchedule::LocateClosed(int64_t k, int64_t lo, int64_t hi) const {
  return Locate<true>(k, lo, hi);
}

}  // namespace itsm::businesstime::internal
