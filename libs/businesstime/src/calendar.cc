#include "itsm/businesstime/calendar.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "civil_schedule.h"
#include "itsm/businesstime/time_zone_name.h"

namespace itsm::businesstime {
namespace {

using internal::DaySchedule;
using internal::kSecondsPerDay;
using internal::Span;

constexpr std::array<const char*, 7> kWeekdayNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                      "Friday", "Saturday", "Sunday"};

std::string Format(const TimeOfDay& t) {
  return absl::StrFormat("%02d:%02d:%02d", t.hour, t.minute, t.second);
}

std::string Format(const LocalDate& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year, d.month, d.day);
}

// Seconds after midnight. 24:00:00 (86400) is accepted only as an interval end.
absl::StatusOr<int32_t> ToSecondOfDay(const TimeOfDay& t, bool is_end, absl::string_view field) {
  const bool fields_in_range = t.hour >= 0 && t.hour <= 24 && t.minute >= 0 && t.minute <= 59 &&
                               t.second >= 0 && t.second <= 59;
  if (!fields_in_range || (t.hour == 24 && (t.minute != 0 || t.second != 0))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", Format(t), " is not a time of day (00:00:00 to 24:00:00)"));
  }
  const int32_t second_of_day = t.hour * 3600 + t.minute * 60 + t.second;
  if (second_of_day == kSecondsPerDay && !is_end) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": 24:00:00 can only end an interval, not start one"));
  }
  return second_of_day;
}

// Days since 1970-01-01.
absl::StatusOr<int64_t> ToDayNumber(const LocalDate& date, absl::string_view field) {
  const bool fields_in_range = date.year >= 1 && date.year <= 9999 && date.month >= 1 &&
                               date.month <= 12 && date.day >= 1 && date.day <= 31;
  // CivilDay normalises (2025-02-30 becomes 2025-03-02); a changed field means no such date.
  const absl::CivilDay day(date.year, date.month, date.day);
  if (!fields_in_range || day.month() != date.month || day.day() != date.day) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", Format(date), " is not a date (years 0001 to 9999)"));
  }
  return day - absl::CivilDay(1970, 1, 1);
}

// The intervals of one dated entry as spans. They may not overlap each other: two readings of
// the same hours in one entry is a configuration mistake worth reporting.
absl::StatusOr<std::vector<Span>> ToDaySpans(const std::vector<DayInterval>& intervals,
                                             absl::string_view field) {
  struct Indexed {
    Span span;
    size_t index;
  };
  std::vector<Indexed> indexed;
  for (size_t j = 0; j < intervals.size(); ++j) {
    const std::string item = absl::StrCat(field, "[", j, "]");
    absl::StatusOr<int32_t> start =
        ToSecondOfDay(intervals[j].start, /*is_end=*/false, absl::StrCat(item, ".start"));
    if (!start.ok()) return start.status();
    absl::StatusOr<int32_t> end =
        ToSecondOfDay(intervals[j].end, /*is_end=*/true, absl::StrCat(item, ".end"));
    if (!end.ok()) return end.status();
    if (*start >= *end) {
      return absl::InvalidArgumentError(
          absl::StrCat(item, ": start ", Format(intervals[j].start), " is not before end ",
                       Format(intervals[j].end),
                       "; a dated interval cannot run past midnight, list the rest "
                       "on the next date"));
    }
    indexed.push_back({{*start, *end}, j});
  }
  std::sort(indexed.begin(), indexed.end(),
            [](const Indexed& a, const Indexed& b) { return a.span.begin < b.span.begin; });
  for (size_t k = 1; k < indexed.size(); ++k) {
    if (indexed[k].span.begin < indexed[k - 1].span.end) {
      const auto [first, second] = std::minmax(indexed[k].index, indexed[k - 1].index);
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", second, "]: overlaps ", field, "[", first, "]"));
    }
  }
  std::vector<Span> spans;
  for (const Indexed& item : indexed) spans.push_back(item.span);
  return spans;
}

absl::StatusOr<std::array<DaySchedule, 7>> CompileWeekly(const CalendarSpec& spec) {
  std::array<std::vector<Span>, 7> spans;
  if (spec.always_open) {
    if (!spec.weekly.empty()) {
      return absl::InvalidArgumentError(
          "weekly: must be empty when always_open is set (24x7 already covers every hour)");
    }
    for (std::vector<Span>& day : spans) day.push_back({0, static_cast<int32_t>(kSecondsPerDay)});
  }
  // Which weekly entry each piece came from, so that an overlap error names both entries.
  struct Piece {
    Span span;
    size_t source;
  };
  std::array<std::vector<Piece>, 7> pieces;
  for (size_t i = 0; i < spec.weekly.size(); ++i) {
    const WeeklyInterval& interval = spec.weekly[i];
    const std::string field = absl::StrCat("weekly[", i, "]");
    const int weekday = static_cast<int>(interval.day);
    if (weekday < 0 || weekday > 6) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".day: ", weekday, " is not a weekday (Monday = 0 to Sunday = 6)"));
    }
    absl::StatusOr<int32_t> start =
        ToSecondOfDay(interval.start, /*is_end=*/false, absl::StrCat(field, ".start"));
    if (!start.ok()) return start.status();
    absl::StatusOr<int32_t> end =
        ToSecondOfDay(interval.end, /*is_end=*/true, absl::StrCat(field, ".end"));
    if (!end.ok()) return end.status();
    if (*start == *end) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": start and end are both ", Format(interval.start),
                       "; an interval cannot be empty, and a whole day is 00:00:00 to 24:00:00"));
    }
    if (*start < *end) {
      pieces[weekday].push_back({{*start, *end}, i});
    } else {
      // Overnight: the part after midnight is the next weekday's, so that date's exceptions
      // govern it (docs/business-time.md).
      pieces[weekday].push_back({{*start, static_cast<int32_t>(kSecondsPerDay)}, i});
      if (*end > 0) pieces[(weekday + 1) % 7].push_back({{0, *end}, i});
    }
  }
  for (int weekday = 0; weekday < 7; ++weekday) {
    std::vector<Piece>& day = pieces[weekday];
    std::sort(day.begin(), day.end(),
              [](const Piece& a, const Piece& b) { return a.span.begin < b.span.begin; });
    for (size_t k = 1; k < day.size(); ++k) {
      if (day[k].span.begin < day[k - 1].span.end) {
        const auto [first, second] = std::minmax(day[k].source, day[k - 1].source);
        return absl::InvalidArgumentError(absl::StrCat("weekly[", second, "]: overlaps weekly[",
                                                       first, "] on ", kWeekdayNames[weekday]));
      }
    }
    for (const Piece& piece : day) spans[weekday].push_back(piece.span);
  }
  std::array<DaySchedule, 7> weekly;
  for (int weekday = 0; weekday < 7; ++weekday) weekly[weekday] = DaySchedule(spans[weekday]);
  return weekly;
}

std::vector<Span> Subtract(const std::vector<Span>& spans, const std::vector<Span>& cuts) {
  std::vector<Span> result = spans;
  for (const Span& cut : cuts) {
    std::vector<Span> next;
    for (const Span& span : result) {
      if (cut.end <= span.begin || span.end <= cut.begin) {
        next.push_back(span);
        continue;
      }
      if (span.begin < cut.begin) next.push_back({span.begin, cut.begin});
      if (cut.end < span.end) next.push_back({cut.end, span.end});
    }
    result = std::move(next);
  }
  return result;
}

struct DatedEntry {
  std::vector<Span> closed;
  std::vector<Span> open;
};

struct ParsedDated {
  int64_t day;
  std::vector<Span> spans;
};

// Entry `i` of a dated list (holidays, extra_working). A date listed twice in one list is
// rejected rather than merged: it is almost always a copy-paste mistake in the configuration.
absl::StatusOr<ParsedDated> ParseDated(const LocalDate& date,
                                       const std::vector<DayInterval>& intervals,
                                       absl::string_view list_name, size_t i,
                                       absl::string_view intervals_name,
                                       std::map<int64_t, size_t>& seen) {
  const std::string field = absl::StrCat(list_name, "[", i, "]");
  absl::StatusOr<int64_t> day = ToDayNumber(date, absl::StrCat(field, ".date"));
  if (!day.ok()) return day.status();
  if (auto [it, inserted] = seen.emplace(*day, i); !inserted) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".date: ", Format(date), " is already listed in ", list_name, "[", it->second, "]"));
  }
  absl::StatusOr<std::vector<Span>> spans =
      ToDaySpans(intervals, absl::StrCat(field, ".", intervals_name));
  if (!spans.ok()) return spans.status();
  return ParsedDated{*day, *std::move(spans)};
}

absl::StatusOr<std::map<int64_t, DatedEntry>> CollectDated(const CalendarSpec& spec) {
  std::map<int64_t, DatedEntry> entries;
  std::map<int64_t, size_t> seen;
  for (size_t i = 0; i < spec.holidays.size(); ++i) {
    absl::StatusOr<ParsedDated> parsed =
        ParseDated(spec.holidays[i].date, spec.holidays[i].closed, "holidays", i, "closed", seen);
    if (!parsed.ok()) return parsed.status();
    // No intervals means the whole day.
    entries[parsed->day].closed = parsed->spans.empty()
                                      ? std::vector<Span>{{0, static_cast<int32_t>(kSecondsPerDay)}}
                                      : parsed->spans;
  }
  seen.clear();
  for (size_t i = 0; i < spec.extra_working.size(); ++i) {
    absl::StatusOr<ParsedDated> parsed = ParseDated(
        spec.extra_working[i].date, spec.extra_working[i].open, "extra_working", i, "open", seen);
    if (!parsed.ok()) return parsed.status();
    if (parsed->spans.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extra_working[", i, "].open: empty; list the working intervals of the day"));
    }
    entries[parsed->day].open = parsed->spans;
  }
  return entries;
}

}  // namespace

absl::StatusOr<Calendar> Calendar::Create(const CalendarSpec& spec) {
  if (spec.time_zone.empty()) {
    return absl::InvalidArgumentError(
        "time_zone: empty; name an IANA time zone such as \"Europe/Istanbul\"");
  }
  absl::StatusOr<absl::TimeZone> zone = LoadIanaTimeZone(spec.time_zone);
  if (!zone.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("time_zone: ", zone.status().message()));
  }

  absl::StatusOr<std::array<DaySchedule, 7>> weekly = CompileWeekly(spec);
  if (!weekly.ok()) return weekly.status();

  absl::StatusOr<std::map<int64_t, DatedEntry>> entries = CollectDated(spec);
  if (!entries.ok()) return entries.status();

  // Effective hours of an exception date: (weekly - closed) + open. The dated opening wins
  // over the dated closing because it is the more specific statement ("closed, except ...").
  std::vector<std::pair<int64_t, DaySchedule>> exceptions;
  for (const auto& [day, entry] : *entries) {
    std::vector<Span> spans =
        Subtract((*weekly)[internal::WeekdayIndex(day)].spans(), entry.closed);
    spans.insert(spans.end(), entry.open.begin(), entry.open.end());
    exceptions.emplace_back(day, DaySchedule(std::move(spans)));
  }

  return Calendar(*zone, std::make_shared<const internal::CivilSchedule>(std::move(*weekly),
                                                                         std::move(exceptions)));
}

}  // namespace itsm::businesstime
