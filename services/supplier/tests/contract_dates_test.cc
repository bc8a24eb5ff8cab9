// Contract calendar arithmetic against brute-force references that walk day by day (months by
// counting month changes, day starts by scanning instants), over month ends, leap years and
// zones whose DST change swallows midnight.
#include "services/supplier/src/contract_dates.h"

#include "gtest/gtest.h"

namespace itsm::supplier {
namespace {

// `months` month changes away from `day`, walking one day at a time, landing on the same day of
// the month or, when that month is shorter, on its last day.
absl::CivilDay ReferenceAddMonths(absl::CivilDay day, int months) {
  const int step = months >= 0 ? 1 : -1;
  absl::CivilDay d = day;
  for (int crossed = 0; crossed != months;) {
    const absl::CivilDay next = d + step;
    if (next.month() != d.month()) crossed += step;
    d = next;
  }
  // d is now the first (forward) or last (backward) day of the target month: walk inside it.
  absl::CivilDay first = d;
  while ((first - 1).month() == d.month()) first = first - 1;
  absl::CivilDay out = first;
  while (out.day() < day.day() && (out + 1).month() == first.month()) out = out + 1;
  return out;
}

absl::Time ReferenceDayStart(absl::CivilDay day, absl::TimeZone zone) {
  // Scan minutes from two days before: the first instant whose civil day is `day`.
  absl::Time t = absl::FromCivil(absl::CivilSecond(day - 2), absl::UTCTimeZone());
  while (absl::ToCivilDay(t, zone) != day) t += absl::Minutes(1);
  return t;
}

TEST(ContractDates, ParsesOnlyRealDates) {
  EXPECT_TRUE(ParseDate("d", "2024-02-29").ok());
  EXPECT_FALSE(ParseDate("d", "2023-02-29").ok());
  EXPECT_FALSE(ParseDate("d", "2023-2-28").ok());
  EXPECT_FALSE(ParseDate("d", "").ok());
  EXPECT_FALSE(ParseDate("d", "0999-01-01").ok());
  auto bad = ParseDate("contract.end_date", "31.12.2024");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("contract.end_date"), std::string::npos);
  EXPECT_TRUE(ParseMonth("m", "2024-12").ok());
  EXPECT_FALSE(ParseMonth("m", "2024-13").ok());
}

TEST(ContractDates, MonthArithmeticMatchesDayByDayWalk) {
  for (absl::CivilDay d(2023, 1, 1); d < absl::CivilDay(2025, 3, 1); d += 1) {
    for (int months : {-25, -13, -12, -3, -1, 0, 1, 2, 3, 6, 12, 13, 24}) {
      ASSERT_EQ(AddMonths(d, months), ReferenceAddMonths(d, months))
          << FormatDate(d) << " " << months;
    }
  }
  EXPECT_EQ(AddMonths(absl::CivilDay(2024, 1, 31), 1), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(AddMonths(absl::CivilDay(2023, 1, 31), 1), absl::CivilDay(2023, 2, 28));
  v1::Period p;
  p.set_months(3);
  p.set_days(1);
  EXPECT_EQ(SubtractPeriod(absl::CivilDay(2025, 5, 31), p), absl::CivilDay(2025, 2, 27));
}

TEST(ContractDates, DayStartMatchesAScanOfInstants) {
  for (const char* name : {"UTC", "Europe/Paris", "America/Sao_Paulo", "America/Havana",
                           "Asia/Beirut", "Pacific/Auckland", "America/New_York"}) {
    absl::TimeZone zone;
    ASSERT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
    for (absl::CivilDay d(2017, 1, 1); d < absl::CivilDay(2019, 1, 1); d += 1) {
      ASSERT_EQ(DayStart(d, zone), ReferenceDayStart(d, zone)) << name << " " << FormatDate(d);
    }
  }
}

}  // namespace
}  // namespace itsm::supplier
