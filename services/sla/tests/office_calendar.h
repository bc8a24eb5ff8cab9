// The calendar the SLA tests reason in: office hours Monday to Friday 09:00-18:00 in
// Europe/Istanbul (UTC+3 all year, so hand-computed instants stay simple), with a company
// holiday on Monday 2026-11-23 — the calendar of docs/sla.md's worked examples.
#ifndef ITSM_SERVICES_SLA_TESTS_OFFICE_CALENDAR_H_
#define ITSM_SERVICES_SLA_TESTS_OFFICE_CALENDAR_H_

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::sla::office {

inline const absl::TimeZone kIstanbul = [] {
  absl::TimeZone tz;
  absl::LoadTimeZone("Europe/Istanbul", &tz);
  return tz;
}();

inline absl::Time Istanbul(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), kIstanbul);
}

// Without `holiday`, the bare working week.
inline v1::Calendar OfficeCalendar(const std::string& name = "Istanbul office",
                                   bool holiday = true) {
  v1::Calendar c;
  c.set_name(name);
  c.set_time_zone("Europe/Istanbul");
  for (int d = v1::WEEKDAY_MONDAY; d <= v1::WEEKDAY_FRIDAY; ++d) {
    auto* w = c.add_weekly_hours();
    w->set_day(static_cast<v1::Weekday>(d));
    w->mutable_start()->set_hours(9);
    w->mutable_end()->set_hours(18);
  }
  if (holiday) {
    auto* h = c.add_holidays();  // Monday 2026-11-23
    h->set_name("Company day");
    h->mutable_date()->set_year(2026);
    h->mutable_date()->set_month(11);
    h->mutable_date()->set_day(23);
  }
  return c;
}

// Closes every date in [first, end) all day: years of holidays, the shape that leaves a calendar
// without open time.
inline void AddHolidays(v1::Calendar& c, absl::CivilDay first, absl::CivilDay end) {
  for (absl::CivilDay d = first; d < end; ++d) {
    auto* h = c.add_holidays();
    h->mutable_date()->set_year(static_cast<int>(d.year()));
    h->mutable_date()->set_month(d.month());
    h->mutable_date()->set_day(d.day());
  }
}

}  // namespace itsm::sla::office

#endif  // ITSM_SERVICES_SLA_TESTS_OFFICE_CALENDAR_H_
