#include "services/change/src/window_schedule.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "itsm/base/blank_text.h"
#include "itsm/businesstime/time_zone_name.h"

namespace itsm::change {
namespace {

constexpr int kMaxDurationMinutes = 31 * 24 * 60;

// What ParseDate takes: four-digit years only (a civil day of year 999 prints as "999-...").
constexpr char kDateForm[] = "must be a date YYYY-MM-DD from 1000-01-01 to 9999-12-31";

std::optional<absl::CivilDay> ParseDate(const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) return std::nullopt;
  // ParseCivilTime normalises 2025-02-30 to 2025-03-02: refuse what does not print back alike.
  if (absl::FormatCivilTime(day) != text) return std::nullopt;
  return day;
}

std::optional<std::pair<int, int>> ParseTime(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  int h = 0;
  int m = 0;
  if (text.size() != 5 || parts.size() != 2 || !absl::SimpleAtoi(parts[0], &h) ||
      !absl::SimpleAtoi(parts[1], &m) || h < 0 || h > 23 || m < 0 || m > 59) {
    return std::nullopt;
  }
  return std::make_pair(h, m);
}

v1::Weekday WeekdayOf(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return v1::WEEKDAY_MONDAY;
    case absl::Weekday::tuesday:
      return v1::WEEKDAY_TUESDAY;
    case absl::Weekday::wednesday:
      return v1::WEEKDAY_WEDNESDAY;
    case absl::Weekday::thursday:
      return v1::WEEKDAY_THURSDAY;
    case absl::Weekday::friday:
      return v1::WEEKDAY_FRIDAY;
    case absl::Weekday::saturday:
      return v1::WEEKDAY_SATURDAY;
    case absl::Weekday::sunday:
      return v1::WEEKDAY_SUNDAY;
  }
  return v1::WEEKDAY_UNSPECIFIED;
}

// The instant a local time starts, by the rules in the header.
absl::Time StartOf(const absl::TimeZone& zone, absl::CivilSecond local) {
  const absl::TimeZone::TimeInfo info = zone.At(local);
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

}  // namespace

absl::Status CheckWindow(const v1::ChangeWindow& w, const std::string& field) {
  if (base::IsBlank(w.name())) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".name: required"));
  }
  if (w.kind() == v1::WINDOW_KIND_UNSPECIFIED || !v1::WindowKind_IsValid(w.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".kind: required (MAINTENANCE or BLACKOUT)"));
  }
  if (w.time_zone().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".time_zone: required (an IANA time zone such as \"Europe/Istanbul\")"));
  }
  if (absl::StatusOr<absl::TimeZone> zone = businesstime::LoadIanaTimeZone(w.time_zone());
      !zone.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".time_zone: ", zone.status().message()));
  }
  std::set<int> days;
  for (int i = 0; i < w.days_size(); ++i) {
    if (w.days(i) == v1::WEEKDAY_UNSPECIFIED || !v1::Weekday_IsValid(w.days(i)) ||
        !days.insert(w.days(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".days[", i, "]: unknown or repeated day"));
    }
  }
  if (!ParseTime(w.start_local_time())) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".start_local_time: must be HH:MM, got \"", w.start_local_time(), "\""));
  }
  if (w.duration_minutes() < 1 || w.duration_minutes() > kMaxDurationMinutes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".duration_minutes: must be 1..",
                                                   kMaxDurationMinutes, ", got ",
                                                   w.duration_minutes()));
  }
  std::optional<absl::CivilDay> from;
  std::optional<absl::CivilDay> until;
  if (!w.valid_from().empty() && !(from = ParseDate(w.valid_from()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".valid_from: ", kDateForm, ", got \"", w.valid_from(), "\""));
  }
  if (!w.valid_until().empty() && !(until = ParseDate(w.valid_until()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".valid_until: ", kDateForm, ", got \"", w.valid_until(), "\""));
  }
  if (from && until && *until < *from) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".valid_until: before valid_from"));
  }
  return absl::OkStatus();
}

std::vector<Interval> Occurrences(const v1::ChangeWindow& w, absl::Time from, absl::Time to) {
  std::vector<Interval> out;
  absl::TimeZone zone;
  const auto time = ParseTime(w.start_local_time());
  if (from >= to || !time || !absl::LoadTimeZone(w.time_zone(), &zone)) return out;
  const absl::Duration duration = absl::Minutes(w.duration_minutes());
  const std::optional<absl::CivilDay> valid_from = ParseDate(w.valid_from());
  const std::optional<absl::CivilDay> valid_until = ParseDate(w.valid_until());
  // An occurrence starting up to `duration` (plus a day of offsets) before `from` may still
  // overlap it.
  absl::CivilDay day = absl::ToCivilDay(from - duration, zone) - 1;
  const absl::CivilDay last = absl::ToCivilDay(to, zone) + 1;
  if (valid_from && day < *valid_from) day = *valid_from;
  for (; day <= last; ++day) {
    if (valid_until && day > *valid_until) break;
    if (!w.days().empty() &&
        std::find(w.days().begin(), w.days().end(), WeekdayOf(day)) == w.days().end()) {
      continue;
    }
    const absl::CivilSecond local_start(day.year(), day.month(), day.day(), time->first,
                                        time->second);
    const absl::Time start = StartOf(zone, local_start);
    // The duration is wall-clock time, as the window's times are read: a freeze from 00:00 for
    // 1,440 minutes holds until the next midnight, on the 23- and 25-hour days too (decision
    // 250). An end inside a skipped hour begins at the transition; one that would not come
    // after the start (a short window inside the skipped hour) lasts its duration of real time.
    absl::Time end = StartOf(zone, local_start + w.duration_minutes() * 60);
    if (end <= start) end = start + duration;
    const Interval occurrence{start, end};
    if (occurrence.Overlaps({from, to})) out.push_back(occurrence);
  }
  return out;
}

bool InForceDuring(const v1::ChangeWindow& w, const Interval& slot) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(w.time_zone(), &zone)) return true;  // a stored window is checked
  if (const std::optional<absl::CivilDay> from = ParseDate(w.valid_from())) {
    if (slot.end <= StartOf(zone, absl::CivilSecond(*from))) return false;
  }
  const std::optional<absl::CivilDay> until = ParseDate(w.valid_until());
  const auto time = ParseTime(w.start_local_time());
  if (until && time) {
    // The last day is the window's whole (valid_until is inclusive), and an occurrence that
    // day may run on past its midnight: in force until the later of the two.
    const absl::CivilSecond last_start(until->year(), until->month(), until->day(), time->first,
                                       time->second);
    const absl::Time end = std::max(StartOf(zone, absl::CivilSecond(*until + 1)),
                                    StartOf(zone, last_start + w.duration_minutes() * 60));
    if (slot.start >= end) return false;
  }
  return true;
}

bool WindowCovers(const v1::ChangeWindow& w, const std::set<std::string>& service_ids,
                  const std::set<std::string>& ci_classes) {
  if (w.service_ids().empty() && w.ci_class_names().empty()) return true;
  for (const std::string& s : w.service_ids()) {
    if (service_ids.contains(s)) return true;
  }
  for (const std::string& c : w.ci_class_names()) {
    if (ci_classes.contains(c)) return true;
  }
  return false;
}

}  // namespace itsm::change
