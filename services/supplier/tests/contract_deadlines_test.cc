// Contract deadlines against a brute-force reference that walks the calendar day by day and
// asks of each day what a reader of the contract would: is this the day notice must be given by,
// is it N days before that, is it the day after the last day of the term. Tacit renewal chains
// are followed term by term.
#include "services/supplier/src/contract_deadlines.h"

#include <map>

#include "gtest/gtest.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {
namespace {

v1::Contract Contract(const std::string& end, int notice_months, int notice_days,
                      v1::RenewalKind renewal, int term_months, const std::string& zone) {
  v1::Contract c;
  c.set_state(v1::CONTRACT_STATE_ACTIVE);
  c.set_start_date("2020-01-01");
  c.set_end_date(end);
  c.set_time_zone(zone);
  c.mutable_notice_period()->set_months(notice_months);
  c.mutable_notice_period()->set_days(notice_days);
  c.set_renewal_kind(renewal);
  c.mutable_renewal_term()->set_months(term_months);
  return c;
}

// Days between a and b walking one day at a time.
int WalkDays(absl::CivilDay a, absl::CivilDay b) {
  int n = 0;
  for (absl::CivilDay d = a; d < b; d += 1) ++n;
  return n;
}

// The notice day found by walking back from the day after the end: count month changes back to
// the same day of the month (or the month's last day), then `days` single steps.
absl::CivilDay ReferenceNoticeDay(absl::CivilDay after_end, int months, int days) {
  absl::CivilDay d = after_end;
  int crossed = 0;
  while (crossed < months) {
    if ((d - 1).month() != d.month()) ++crossed;
    d = d - 1;
  }
  // d is the last day of the target month when months > 0: move to the wanted day in it.
  if (months > 0) {
    while (d.day() > after_end.day()) d = d - 1;
  }
  for (int i = 0; i < days; ++i) d = d - 1;
  return d;
}

absl::Time Midnight(absl::CivilDay day, const std::string& zone_name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name, &zone));
  absl::Time t = absl::FromCivil(absl::CivilSecond(day - 2), absl::UTCTimeZone());
  while (absl::ToCivilDay(t, zone) != day) t += absl::Minutes(15);
  return t;
}

TEST(ContractDeadlines, TacitRenewalMatchesADayByDayReference) {
  const DeadlinePolicy policy;  // 90, 60, 30 days
  for (const std::string zone : {"UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata"}) {
    for (absl::CivilDay end(2023, 1, 25); end < absl::CivilDay(2025, 3, 5); end += 7) {
      for (auto [months, days] : {std::pair{3, 0}, {1, 15}, {0, 45}, {12, 0}}) {
        v1::Contract c =
            Contract(FormatDate(end), months, days, v1::RENEWAL_KIND_AUTOMATIC, 12, zone);
        auto got = ContractDeadlines(c, policy);
        ASSERT_TRUE(got.ok()) << got.status();
        const absl::CivilDay notice_day = ReferenceNoticeDay(end + 1, months, days);
        std::map<std::pair<int, int>, DeadlineAt> by_kind;
        for (const auto& d : *got) by_kind[{d.kind, d.lead_days}] = d;
        ASSERT_EQ(by_kind.size(), 5u);
        const auto& passed = by_kind[{v1::DEADLINE_KIND_NOTICE_PASSED, 0}];
        ASSERT_EQ(passed.due, Midnight(notice_day, zone)) << FormatDate(end) << " " << zone;
        for (int lead : {90, 60, 30}) {
          const auto& a = by_kind[{v1::DEADLINE_KIND_NOTICE_APPROACHING, lead}];
          // The due day is `lead` single days before the notice day.
          absl::CivilDay due_day = notice_day;
          while (WalkDays(due_day, notice_day) < lead) due_day = due_day - 1;
          EXPECT_EQ(a.due, Midnight(due_day, zone));
          EXPECT_EQ(a.deadline, passed.due);
        }
        EXPECT_EQ((by_kind[{v1::DEADLINE_KIND_RENEWED, 0}].due), Midnight(end + 1, zone));
        for (size_t i = 1; i < got->size(); ++i) EXPECT_LE((*got)[i - 1].due, (*got)[i].due);
      }
    }
  }
}

TEST(ContractDeadlines, RenewalChainRollsTermByTerm) {
  v1::Contract c = Contract("2024-01-31", 1, 0, v1::RENEWAL_KIND_AUTOMATIC, 1, "UTC");
  // Each term starts the day after the last one ended and lasts one calendar month.
  absl::CivilDay start(2024, 2, 1);
  for (int i = 0; i < 30; ++i) {
    auto next = RenewedTerm(c);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->renewal_count(), i + 1);
    auto end = ParseDate("e", next->end_date());
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(absl::CivilMonth(*end + 1), absl::CivilMonth(start) + 1) << next->end_date();
    c = *next;
    start = *end + 1;
  }
}

// A monthly contract that started on the 31st renews on the 31st (or the month's last day):
// a term that began on 28 February does not pull every later one to the 28th.
TEST(ContractDeadlines, MonthEndTermsDoNotDrift) {
  v1::Contract c = Contract("2026-01-30", 0, 0, v1::RENEWAL_KIND_AUTOMATIC, 1, "UTC");
  c.set_start_date("2025-12-31");
  for (int i = 0; i < 14; ++i) {
    auto next = RenewedTerm(c);
    ASSERT_TRUE(next.ok());
    auto end = ParseDate("e", next->end_date());
    ASSERT_TRUE(end.ok());
    const absl::CivilDay next_start = *end + 1;
    const absl::CivilMonth month(next_start);
    const int last = static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
    EXPECT_EQ(next_start.day(), std::min(31, last)) << next->end_date();
    c = *next;
  }
  EXPECT_EQ(c.end_date(), "2027-03-30");
}

TEST(ContractDeadlines, NonRenewingContractsExpireWithWarnings) {
  v1::Contract c = Contract("2024-12-31", 3, 0, v1::RENEWAL_KIND_EXPLICIT, 0, "Europe/Paris");
  auto got = ContractDeadlines(c, {.notice_lead_days = {90}, .expiry_lead_days = {60, 30}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].kind, v1::DEADLINE_KIND_EXPIRING);
  EXPECT_EQ((*got)[0].lead_days, 60);
  EXPECT_EQ((*got)[2].kind, v1::DEADLINE_KIND_EXPIRED);
  EXPECT_EQ((*got)[2].due, Midnight(absl::CivilDay(2025, 1, 1), "Europe/Paris"));
  // Notice given on a renewing contract: it will expire, not renew.
  v1::Contract noticed = Contract("2024-12-31", 3, 0, v1::RENEWAL_KIND_AUTOMATIC, 12, "UTC");
  noticed.set_state(v1::CONTRACT_STATE_NOTICE_GIVEN);
  auto n = ContractDeadlines(noticed, {});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->back().kind, v1::DEADLINE_KIND_EXPIRED);
  noticed.set_state(v1::CONTRACT_STATE_DRAFT);
  EXPECT_TRUE(ContractDeadlines(noticed, {})->empty());
}

// A term ending 9999-12-31 ("perpetual") ends after the last instant a timestamp can name: its
// end is never scheduled, nor the warnings announcing it.
TEST(ContractDeadlines, APerpetualTermHasNoDeadlineBeyondTheLastTimestamp) {
  v1::Contract c = Contract("9999-12-31", 0, 0, v1::RENEWAL_KIND_NONE, 0, "America/New_York");
  auto got = ContractDeadlines(c, {.expiry_lead_days = {30}});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  c = Contract("9999-06-30", 0, 0, v1::RENEWAL_KIND_NONE, 0, "UTC");
  got = ContractDeadlines(c, {.expiry_lead_days = {30}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 2u);
}

TEST(ContractDeadlines, OverdueWarningsCollapseToTheNearestOne) {
  v1::Contract c = Contract("2024-12-31", 3, 0, v1::RENEWAL_KIND_AUTOMATIC, 12, "UTC");
  auto all = ContractDeadlines(c, {});
  ASSERT_TRUE(all.ok());
  // 45 days before the notice deadline (2024-10-01).
  const absl::Time now = absl::FromCivil(absl::CivilDay(2024, 8, 17), absl::UTCTimeZone());
  auto s = Schedulable(*all, now);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].lead_days, 60);  // at once
  EXPECT_LE(s[0].due, now);
  EXPECT_EQ(s[1].lead_days, 30);
  EXPECT_EQ(s[2].kind, v1::DEADLINE_KIND_NOTICE_PASSED);
  EXPECT_EQ(s[3].kind, v1::DEADLINE_KIND_RENEWED);
  // After the end: only the outcomes, at once.
  auto late = Schedulable(*all, absl::FromCivil(absl::CivilDay(2025, 2, 1), absl::UTCTimeZone()));
  ASSERT_EQ(late.size(), 2u);
}

TEST(ContractDeadlines, LeadDaysOption) {
  EXPECT_EQ(*ParseLeadDays("90, 60,30"), (std::vector<int>{90, 60, 30}));
  EXPECT_FALSE(ParseLeadDays("90,90").ok());
  EXPECT_FALSE(ParseLeadDays("0").ok());
  EXPECT_FALSE(ParseLeadDays("x").ok());
  EXPECT_TRUE(ParseLeadDays("")->empty());
}

}  // namespace
}  // namespace itsm::supplier
