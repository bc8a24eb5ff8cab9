#include "reference.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace itsm::businesstime::testing {
namespace {

int Seconds(const TimeOfDay& t) { return t.hour * 3600 + t.minute * 60 + t.second; }

bool Inside(int second_of_day, const DayInterval& interval) {
  return Seconds(interval.start) <= second_of_day && second_of_day < Seconds(interval.end);
}

absl::CivilDay ToCivilDay(const LocalDate& date) {
  return absl::CivilDay(date.year, date.month, date.day);
}

std::string Format(const TimeOfDay& t) {
  return t.second == 0 ? absl::StrFormat("%02d:%02d", t.hour, t.minute)
                       : absl::StrFormat("%02d:%02d:%02d", t.hour, t.minute, t.second);
}

std::string Format(const std::vector<DayInterval>& intervals) {
  std::string out;
  for (const DayInterval& interval : intervals) {
    absl::StrAppend(&out, out.empty() ? "" : ",", Format(interval.start), "-",
                    Format(interval.end));
  }
  return out;
}

}  // namespace

ReferenceCalendar::ReferenceCalendar(const CalendarSpec& spec) : spec_(spec) {
  absl::LoadTimeZone(spec_.time_zone, &zone_);
  for (const Holiday& holiday : spec_.holidays) holidays_[ToCivilDay(holiday.date)] = &holiday;
  for (const ExtraWorkingDay& extra : spec_.extra_working) {
    extra_working_[ToCivilDay(extra.date)] = &extra;
  }
}

bool ReferenceCalendar::IsOpenCivil(absl::CivilSecond civil) const {
  const absl::CivilDay date(civil);
  const int second_of_day = static_cast<int>(civil - absl::CivilSecond(date));
  const absl::Weekday weekday = absl::GetWeekday(date);
  const absl::Weekday yesterday = absl::GetWeekday(date - 1);

  // 1. The weekly hours of this weekday, including the after-midnight part of yesterday's
  //    overnight intervals.
  bool open = spec_.always_open;
  for (const WeeklyInterval& interval : spec_.weekly) {
    const int start = Seconds(interval.start);
    const int end = Seconds(interval.end);
    if (start < end) {
      open = open || (interval.day == weekday && start <= second_of_day && second_of_day < end);
    } else {
      open = open || (interval.day == weekday && second_of_day >= start) ||
             (interval.day == yesterday && second_of_day < end);
    }
  }
  // 2. A holiday on this date closes all day, or during its intervals.
  if (auto it = holidays_.find(date); it != holidays_.end()) {
    const Holiday& holiday = *it->second;
    if (holiday.closed.empty()) open = false;
    for (const DayInterval& closed : holiday.closed) {
      if (Inside(second_of_day, closed)) open = false;
    }
  }
  // 3. Extra working intervals on this date open, whatever the holiday said.
  if (auto it = extra_working_.find(date); it != extra_working_.end()) {
    for (const DayInterval& extra : it->second->open) {
      if (Inside(second_of_day, extra)) open = true;
    }
  }
  return open;
}

ReferenceTimeline::ReferenceTimeline(const ReferenceCalendar& calendar, absl::Time begin,
                                     absl::Duration step, int64_t count)
    : begin_(begin), step_(step) {
  open_.reserve(static_cast<size_t>(count));
  open_before_.reserve(static_cast<size_t>(count) + 1);
  open_before_.push_back(0);
  for (int64_t i = 0; i < count; ++i) {
    const bool open = calendar.IsOpen(begin + i * step);
    open_.push_back(open);
    open_before_.push_back(open_before_.back() + (open ? 1 : 0));
  }
}

int64_t ReferenceTimeline::Elapsed(int64_t from, int64_t to) const {
  if (from >= to) return 0;
  return open_before_[static_cast<size_t>(to)] - open_before_[static_cast<size_t>(from)];
}

std::optional<int64_t> ReferenceTimeline::Add(int64_t start, int64_t steps) const {
  if (steps == 0) return start;
  // Step by step on purpose: the reference should be obviously right, not fast.
  int64_t counted = 0;
  for (int64_t i = start; i < size(); ++i) {
    if (IsOpen(i) && ++counted == steps) return i + 1;
  }
  return std::nullopt;
}

std::optional<int64_t> ReferenceTimeline::NextOpen(int64_t index) const {
  for (int64_t i = index; i < size(); ++i) {
    if (IsOpen(i)) return i;
  }
  return std::nullopt;
}

std::optional<int64_t> ReferenceTimeline::NextClose(int64_t index) const {
  for (int64_t i = index; i < size(); ++i) {
    if (!IsOpen(i)) return i;
  }
  return std::nullopt;
}

std::string DescribeSpec(const CalendarSpec& spec) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string out = absl::StrCat("zone=", spec.time_zone);
  if (spec.always_open) absl::StrAppend(&out, " 24x7");
  absl::StrAppend(&out, " weekly=[");
  for (size_t i = 0; i < spec.weekly.size(); ++i) {
    const WeeklyInterval& w = spec.weekly[i];
    absl::StrAppend(&out, i == 0 ? "" : " ", kDays[static_cast<int>(w.day)], " ", Format(w.start),
                    "-", Format(w.end));
  }
  absl::StrAppend(&out, "] holidays=[");
  for (size_t i = 0; i < spec.holidays.size(); ++i) {
    const Holiday& h = spec.holidays[i];
    absl::StrAppend(&out, i == 0 ? "" : " ",
                    absl::StrFormat("%04d-%02d-%02d", h.date.year, h.date.month, h.date.day),
                    h.closed.empty() ? "" : absl::StrCat("(", Format(h.closed), ")"));
  }
  absl::StrAppend(&out, "] extra=[");
  for (size_t i = 0; i < spec.extra_working.size(); ++i) {
    const ExtraWorkingDay& e = spec.extra_working[i];
    absl::StrAppend(&out, i == 0 ? "" : " ",
                    absl::StrFormat("%04d-%02d-%02d", e.date.year, e.date.month, e.date.day), "(",
                    Format(e.open), ")");
  }
  absl::StrAppend(&out, "]");
  return out;
}

}  // namespace itsm::businesstime::testing
