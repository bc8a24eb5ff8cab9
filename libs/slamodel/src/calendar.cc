#include "itsm/slamodel/calendar.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace itsm::slamodel {
namespace {

businesstime::TimeOfDay Tod(const sla::v1::TimeOfDay& t) {
  return {t.hours(), t.minutes(), t.seconds()};
}
businesstime::LocalDate Day(const sla::v1::Date& d) { return {d.year(), d.month(), d.day()}; }

}  // namespace

businesstime::CalendarSpec ToCalendarSpec(const sla::v1::Calendar& c,
                                          const std::string& time_zone) {
  businesstime::CalendarSpec spec;
  spec.time_zone = time_zone.empty() ? c.time_zone() : time_zone;
  spec.always_open = c.always_open();
  for (const auto& w : c.weekly_hours()) {
    // WEEKDAY_MONDAY = 1 .. SUNDAY = 7; absl::Weekday monday = 0. An unspecified day becomes
    // an out-of-range weekday that Calendar::Create names.
    spec.weekly.push_back({.day = static_cast<absl::Weekday>(static_cast<int>(w.day()) - 1),
                           .start = Tod(w.start()),
                           .end = Tod(w.end())});
  }
  for (const auto& h : c.holidays()) {
    businesstime::Holiday holiday{.date = Day(h.date())};
    for (const auto& i : h.closed_intervals())
      holiday.closed.push_back({Tod(i.start()), Tod(i.end())});
    spec.holidays.push_back(std::move(holiday));
  }
  for (const auto& e : c.extra_working_days()) {
    businesstime::ExtraWorkingDay extra{.date = Day(e.date())};
    for (const auto& i : e.open_intervals()) extra.open.push_back({Tod(i.start()), Tod(i.end())});
    spec.extra_working.push_back(std::move(extra));
  }
  return spec;
}

absl::StatusOr<businesstime::Calendar> CompileCalendar(const sla::v1::Calendar& calendar,
                                                       const std::string& time_zone) {
  // The record counts weekdays as its enum does (Monday = 1); the library from 0. Checked here
  // so that an error speaks the record's numbering.
  for (int i = 0; i < calendar.weekly_hours_size(); ++i) {
    const int day = calendar.weekly_hours(i).day();
    if (day < sla::v1::WEEKDAY_MONDAY || day > sla::v1::WEEKDAY_SUNDAY) {
      return absl::InvalidArgumentError(
          absl::StrCat("weekly_hours[", i, "].day: ", day,
                       " is not a weekday (WEEKDAY_MONDAY = 1 to WEEKDAY_SUNDAY = 7)"));
    }
  }
  auto compiled = businesstime::Calendar::Create(ToCalendarSpec(calendar, time_zone));
  if (!compiled.ok()) {
    // The library names its own spec's fields; users wrote the record's.
    std::string message =
        absl::StrReplaceAll(compiled.status().message(), {{"weekly[", "weekly_hours["},
                                                          {"weekly:", "weekly_hours:"},
                                                          {"extra_working[", "extra_working_days["},
                                                          {"].closed", "].closed_intervals"},
                                                          {"].open", "].open_intervals"}});
    return absl::Status(compiled.status().code(), message);
  }
  return compiled;
}

std::string ResolveTimeZone(const sla::v1::SlaDefinition& d, const sla::v1::Calendar& calendar,
                            const std::string& caller_time_zone, const std::string& ci_time_zone,
                            const std::string& tenant_default) {
  std::string zone;
  switch (d.time_zone_source()) {
    case sla::v1::TIME_ZONE_SOURCE_CALLER:
      zone = caller_time_zone;
      break;
    case sla::v1::TIME_ZONE_SOURCE_CI_LOCATION:
      zone = ci_time_zone;
      break;
    default:
      zone = d.time_zone();
      break;
  }
  if (!zone.empty()) return zone;
  // The definition's own source gives the calendar's zone directly; the record-based sources
  // fall back to the tenant's default first, as a record without a location is usually local.
  const bool from_record = d.time_zone_source() == sla::v1::TIME_ZONE_SOURCE_CALLER ||
                           d.time_zone_source() == sla::v1::TIME_ZONE_SOURCE_CI_LOCATION;
  if (from_record && !tenant_default.empty()) {
    return tenant_default;
  }
  return calendar.time_zone();
}

}  // namespace itsm::slamodel
