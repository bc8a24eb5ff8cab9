// Cost apportionment: every split adds up exactly (a property over random contracts), and the
// straight-line rule gives each month its days' share.
#include "services/supplier/src/cost_apportionment.h"

#include <map>
#include <random>

#include "gtest/gtest.h"

namespace itsm::supplier {
namespace {

CostTerm Term(absl::CivilDay first, absl::CivilDay last, int64_t amount,
              std::vector<std::string> services) {
  return {"c1", first, last, "EUR", amount, std::move(services)};
}

MonthRange Covering(const CostTerm& t) {
  return {absl::CivilMonth(t.first_day), absl::CivilMonth(t.last_day)};
}

TEST(CostApportionment, YearSplitsByDays) {
  // 2023 has 365 days; 365,000 over it is 1,000 a day.
  const auto shares = ApportionContract(
      Term(absl::CivilDay(2023, 1, 1), absl::CivilDay(2023, 12, 31), 365'000, {"mail"}),
      {absl::CivilMonth(2023, 1), absl::CivilMonth(2023, 12)});
  ASSERT_EQ(shares.size(), 12u);
  EXPECT_EQ(shares[0].minor_units, 31'000);
  EXPECT_EQ(shares[1].minor_units, 28'000);
  EXPECT_EQ(shares[11].minor_units, 31'000);
}

TEST(CostApportionment, ServicesSplitFirstWithRemaindersSpread) {
  // 100 between 3 services: 33, 33, 34 by cumulative floors.
  EXPECT_EQ(Part(100, 3, 0), 33);
  EXPECT_EQ(Part(100, 3, 1), 33);
  EXPECT_EQ(Part(100, 3, 2), 34);
}

TEST(CostApportionment, RangeClipsTheTerm) {
  const CostTerm t =
      Term(absl::CivilDay(2024, 1, 15), absl::CivilDay(2024, 3, 14), 60'000, {"a", "b"});
  const auto shares = ApportionContract(t, {absl::CivilMonth(2024, 2), absl::CivilMonth(2024, 2)});
  ASSERT_EQ(shares.size(), 2u);
  for (const auto& s : shares) EXPECT_EQ(s.month, absl::CivilMonth(2024, 2));
}

TEST(CostApportionment, TacitRenewalsMultiplyTheValue) {
  v1::Contract c;
  c.set_id("c");
  c.set_start_date("2022-01-01");
  c.set_end_date("2024-12-31");
  c.set_renewal_count(2);
  c.mutable_value()->set_currency("EUR");
  c.mutable_value()->set_minor_units(1'000);
  c.add_services("mail");
  auto term = CostTermOf(c);
  ASSERT_TRUE(term.ok()) << term.status();
  EXPECT_EQ(term->amount, 3'000);
  c.mutable_value()->set_minor_units(std::numeric_limits<int64_t>::max() / 2);
  EXPECT_EQ(CostTermOf(c).status().code(), absl::StatusCode::kInvalidArgument);
}

// The property: for random terms, values and services, the shares add up exactly to the value,
// each service gets its cumulative-floor part, and no month gets more than a day's share more
// than another of the same length would (straight line).
TEST(CostApportionment, SharesAddUpExactlyForRandomContracts) {
  std::mt19937_64 rng(20261130);
  for (int round = 0; round < 3000; ++round) {
    const absl::CivilDay first = absl::CivilDay(2000, 1, 1) + static_cast<int64_t>(rng() % 10000);
    const absl::CivilDay last = first + static_cast<int64_t>(rng() % 4000);
    int64_t amount = 0;
    switch (rng() % 4) {
      case 0:
        amount = static_cast<int64_t>(rng() % 100);
        break;  // fewer units than days
      case 1:
        amount = static_cast<int64_t>(rng() % 10'000'000);
        break;
      case 2:
        amount = static_cast<int64_t>(rng() >> 1);
        break;  // near 2^63
      default:
        amount = std::numeric_limits<int64_t>::max();
        break;
    }
    std::vector<std::string> services;
    const int n = 1 + static_cast<int>(rng() % 7);
    for (int i = 0; i < n; ++i) services.push_back("s" + std::to_string(i));
    const CostTerm t = Term(first, last, amount, services);
    std::map<std::string, int64_t> by_service;
    absl::int128 total = 0;
    for (const CostShare& s : ApportionContract(t, Covering(t))) {
      ASSERT_GT(s.minor_units, 0);
      by_service[s.service] += s.minor_units;
      total += s.minor_units;
    }
    ASSERT_EQ(total, absl::int128(amount)) << "round " << round;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(by_service[services[static_cast<size_t>(i)]], Part(amount, n, i));
    }
  }
}

// Split over two adjacent ranges, a term adds up the same as over one.
TEST(CostApportionment, AdjacentRangesAddUpToTheWhole) {
  const CostTerm t =
      Term(absl::CivilDay(2023, 3, 17), absl::CivilDay(2026, 8, 2), 987'654'321, {"x", "y", "z"});
  int64_t whole = 0, split = 0;
  for (const auto& s : ApportionContract(t, Covering(t))) whole += s.minor_units;
  for (const auto& s : ApportionContract(t, {absl::CivilMonth(2023, 3), absl::CivilMonth(2024, 6)}))
    split += s.minor_units;
  for (const auto& s : ApportionContract(t, {absl::CivilMonth(2024, 7), absl::CivilMonth(2026, 8)}))
    split += s.minor_units;
  EXPECT_EQ(whole, 987'654'321);
  EXPECT_EQ(split, whole);
}

}  // namespace
}  // namespace itsm::supplier
