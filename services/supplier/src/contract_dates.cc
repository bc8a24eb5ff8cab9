#include "services/supplier/src/contract_dates.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/error_detail.h"
#include "itsm/businesstime/time_zone_name.h"

namespace itsm::supplier {
namespace {

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 9999;
constexpr int kMaxPeriodMonths = 1200;
constexpr int kMaxPeriodDays = 36500;

int DaysIn(absl::CivilMonth month) {
  return static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field, absl::string_view text) {
  absl::CivilDay day;
  // ParseCivilTime normalises (2023-02-30 would become 2023-03-02): only a date that prints back
  // as given is one.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatDate(day) != text) {
    return base::FieldError(field, absl::StrCat("not a date YYYY-MM-DD: \"", text, "\""));
  }
  if (day.year() < kMinYear || day.year() > kMaxYear) {
    return base::FieldError(field, absl::StrCat("year must be ", kMinYear, "..", kMaxYear));
  }
  return day;
}

absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view field, absl::string_view text) {
  absl::CivilMonth month;
  if (text.size() != 7 || !absl::ParseCivilTime(text, &month) || FormatMonth(month) != text) {
    return base::FieldError(field, absl::StrCat("not a month YYYY-MM: \"", text, "\""));
  }
  if (month.year() < kMinYear || month.year() > kMaxYear) {
    return base::FieldError(field, absl::StrCat("year must be ", kMinYear, "..", kMaxYear));
  }
  return month;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::UTCTimeZone();
  absl::StatusOr<absl::TimeZone> zone = businesstime::LoadIanaTimeZone(name);
  if (!zone.ok()) return base::FieldError(field, zone.status().message());
  return zone;
}

absl::Status CheckPeriod(absl::string_view field, const v1::Period& period) {
  if (period.months() < 0 || period.months() > kMaxPeriodMonths) {
    return base::FieldError(absl::StrCat(field, ".months"),
                            absl::StrCat("must be 0..", kMaxPeriodMonths));
  }
  if (period.days() < 0 || period.days() > kMaxPeriodDays) {
    return base::FieldError(absl::StrCat(field, ".days"),
                            absl::StrCat("must be 0..", kMaxPeriodDays));
  }
  return absl::OkStatus();
}

bool IsZero(const v1::Period& period) { return period.months() == 0 && period.days() == 0; }

absl::CivilDay AddMonths(absl::CivilDay day, int64_t months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  return absl::CivilDay(target.year(), target.month(), std::min(day.day(), DaysIn(target)));
}

absl::CivilDay AddMonthsFromAnchor(absl::CivilDay day, int64_t months, int anchor_day) {
  const absl::CivilMonth from(day);
  if (anchor_day <= day.day() || day.day() != DaysIn(from)) return AddMonths(day, months);
  const absl::CivilMonth target = from + months;
  return absl::CivilDay(target.year(), target.month(), std::min(anchor_day, DaysIn(target)));
}

absl::CivilDay AddPeriod(absl::CivilDay day, const v1::Period& period) {
  return AddMonths(day, period.months()) + period.days();
}

absl::CivilDay SubtractPeriod(absl::CivilDay day, const v1::Period& period) {
  return AddMonths(day, -period.months()) - period.days();
}

absl::Time DayStart(absl::CivilDay day, absl::TimeZone zone) {
  const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(day));
  // Midnight skipped by a DST change: the day begins when the gap ends. Repeated: the first.
  if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) return info.trans;
  return info.pre;
}

}  // namespace itsm::supplier
