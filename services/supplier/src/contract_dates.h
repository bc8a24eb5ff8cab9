// The calendar arithmetic of contracts, with no I/O: dates are civil days (YYYY-MM-DD) in the
// contract's IANA zone, periods are "months, then days", and a day begins at its first instant
// in that zone (midnight, or the end of a DST gap that swallows midnight).
//
//   ITSM_ASSIGN_OR_RETURN(absl::CivilDay end, ParseDate("contract.end_date", c.end_date()));
//   absl::CivilDay notice = SubtractPeriod(end + 1, c.notice_period());   // 3 months before
//   absl::Time at = DayStart(notice, zone);
#ifndef ITSM_SERVICES_SUPPLIER_CONTRACT_DATES_H_
#define ITSM_SERVICES_SUPPLIER_CONTRACT_DATES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

// "YYYY-MM-DD" between 1900 and 9999: INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field, absl::string_view text);
// "YYYY-MM" between 1900 and 9999.
absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view field, absl::string_view text);
std::string FormatDate(absl::CivilDay day);
std::string FormatMonth(absl::CivilMonth month);

// The zone named (empty: UTC); INVALID_ARGUMENT naming `field` for a zone the tz database lacks.
absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view field, absl::string_view name);

// Months 0..1200 and days 0..36500: INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckPeriod(absl::string_view field, const v1::Period& period);
bool IsZero(const v1::Period& period);

// `day` moved by whole months; a day past the end of the target month becomes its last day
// (31 January + 1 month = 28 or 29 February).
absl::CivilDay AddMonths(absl::CivilDay day, int64_t months);
// As AddMonths, where `day` may stand for `anchor_day` (1..31) clamped to its month's last day
// (a monthly term anchored on the 31st began on 28 February): the anchor comes back where the
// target month has it (31 March), rather than every later term drifting to the 28th.
absl::CivilDay AddMonthsFromAnchor(absl::CivilDay day, int64_t months, int anchor_day);
// `day` + months, then + days.
absl::CivilDay AddPeriod(absl::CivilDay day, const v1::Period& period);
// `day` - months, then - days (the notice deadline before the end of a term).
absl::CivilDay SubtractPeriod(absl::CivilDay day, const v1::Period& period);

// The first instant of `day` in `zone`.
absl::Time DayStart(absl::CivilDay day, absl::TimeZone zone);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTRACT_DATES_H_
