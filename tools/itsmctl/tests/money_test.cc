// Amounts in and out of itsmctl, by each currency's digits.
#include "money.h"

#include "gtest/gtest.h"

namespace itsm::ctl {
namespace {

supplier::v1::Money Of(int64_t minor_units, const std::string& currency) {
  supplier::v1::Money m;
  m.set_minor_units(minor_units);
  m.set_currency(currency);
  return m;
}

// Found from outside: CLF and UYW (4 digits) were written with 2, a hundred times too much.
TEST(Money, IsWrittenWithItsCurrencysDigits) {
  EXPECT_EQ(FormatAmount(Of(120050, "EUR")), "1200.50");
  EXPECT_EQ(FormatAmount(Of(12345, "JPY")), "12345");
  EXPECT_EQ(FormatAmount(Of(12345, "UYI")), "12345");
  EXPECT_EQ(FormatAmount(Of(1001, "KWD")), "1.001");
  EXPECT_EQ(FormatAmount(Of(12345, "CLF")), "1.2345");
  EXPECT_EQ(FormatAmount(Of(5, "UYW")), "0.0005");
  EXPECT_EQ(FormatAmount(Of(-250, "USD")), "-2.50");
}

TEST(Money, IsReadWithNoMoreDigitsThanItsCurrencyHas) {
  EXPECT_EQ(*ParseAmount("value", "1.2345", "CLF"), 12345);
  EXPECT_EQ(*ParseAmount("value", "1200.5", "EUR"), 120050);
  EXPECT_EQ(*ParseAmount("value", "12345", "JPY"), 12345);
  for (const auto& [text, currency] :
       std::vector<std::pair<std::string, std::string>>{{"1.23456", "CLF"},
                                                        {"1.5", "JPY"},
                                                        {"-1", "EUR"},
                                                        {"1.2.3", "EUR"},
                                                        {"", "EUR"},
                                                        {"99999999999999999999", "EUR"}}) {
    absl::StatusOr<int64_t> amount = ParseAmount("value", text, currency);
    EXPECT_EQ(amount.status().code(), absl::StatusCode::kInvalidArgument) << text << currency;
  }
}

}  // namespace
}  // namespace itsm::ctl
