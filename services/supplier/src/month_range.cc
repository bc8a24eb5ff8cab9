#include "services/supplier/src/month_range.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {

absl::StatusOr<MonthRange> ResolveMonthRange(MonthBound from, MonthBound to, int max_months,
                                             int default_months, absl::TimeZone zone,
                                             absl::Time now) {
  if (from.text.empty() && to.text.empty()) {
    const absl::CivilMonth current(absl::ToCivilSecond(now, zone));
    return MonthRange{current - (default_months - 1), current};
  }
  if (from.text.empty()) return base::FieldError(from.field, "required when a last month is given");
  if (to.text.empty()) return base::FieldError(to.field, "required when a first month is given");
  MonthRange range;
  ITSM_ASSIGN_OR_RETURN(range.first, ParseMonth(from.field, from.text));
  ITSM_ASSIGN_OR_RETURN(range.last, ParseMonth(to.field, to.text));
  if (range.last < range.first) {
    return base::FieldError(to.field, absl::StrCat("before ", from.field));
  }
  if (range.size() > max_months) {
    return base::FieldError(to.field,
                            absl::StrCat("at most ", max_months, " months after ", from.field));
  }
  return range;
}

int64_t MonthStartMicros(absl::CivilMonth month, absl::TimeZone zone) {
  return absl::ToUnixMicros(DayStart(absl::CivilDay(month), zone));
}

}  // namespace itsm::supplier
