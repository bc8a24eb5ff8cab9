// Amounts of money as people write them ("1200.50" EUR) and as the supplier service keeps them
// (integer minor units), by the digits ISO 4217 gives each currency.
#ifndef ITSM_TOOLS_ITSMCTL_MONEY_H_
#define ITSM_TOOLS_ITSMCTL_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::ctl {

// Digits after the decimal point of a currency (ISO 4217): 0 (JPY), 3 (KWD), 4 (CLF), else 2.
int MinorDigits(const std::string& currency);

// "1200.5" in EUR -> 120050. More decimals than the currency has is an error, not a rounding;
// INVALID_ARGUMENT naming --`flag`.
absl::StatusOr<int64_t> ParseAmount(const std::string& flag, const std::string& text,
                                    const std::string& currency);

// 120050 EUR -> "1200.50": the exact decimal in major units, no grouping (a CSV cell).
std::string FormatAmount(const supplier::v1::Money& money);

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_MONEY_H_
