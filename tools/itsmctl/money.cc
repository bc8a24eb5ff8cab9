#include "money.h"

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace itsm::ctl {

int MinorDigits(const std::string& currency) {
  static const char* kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                                "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static const char* kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  // Units of account (Chile's Unidad de Fomento, Uruguay's Unidad Previsional).
  static const char* kFour[] = {"CLF", "UYW"};
  for (const char* c : kZero) {
    if (currency == c) return 0;
  }
  for (const char* c : kThree) {
    if (currency == c) return 3;
  }
  for (const char* c : kFour) {
    if (currency == c) return 4;
  }
  return 2;
}

absl::StatusOr<int64_t> ParseAmount(const std::string& flag, const std::string& text,
                                    const std::string& currency) {
  const int digits = MinorDigits(currency);
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  const std::string whole = parts[0];
  std::string fraction = parts.size() > 1 ? parts[1] : "";
  int64_t units = 0;
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": \"", text,
                                                   "\" is not an amount of ", currency,
                                                   " (at most ", digits, " decimals)"));
  };
  if (parts.size() > 2 || whole.empty() || static_cast<int>(fraction.size()) > digits ||
      !absl::SimpleAtoi(whole, &units) || units < 0) {
    return bad();
  }
  fraction.append(static_cast<size_t>(digits) - fraction.size(), '0');
  int64_t minor = 0;
  if (!fraction.empty() && !absl::SimpleAtoi(fraction, &minor)) return bad();
  for (int i = 0; i < digits; ++i) {
    if (units > INT64_MAX / 10) return bad();
    units *= 10;
  }
  if (units > INT64_MAX - minor) return bad();
  return units + minor;
}

std::string FormatAmount(const supplier::v1::Money& money) {
  const int digits = MinorDigits(money.currency());
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const int64_t units = money.minor_units();
  const std::string sign = units < 0 ? "-" : "";
  const uint64_t magnitude = units < 0 ? 0 - static_cast<uint64_t>(units) : units;
  std::string out = absl::StrCat(sign, magnitude / static_cast<uint64_t>(scale));
  if (digits > 0) {
    absl::StrAppend(&out, ".",
                    absl::StrFormat("%0*d", digits, magnitude % static_cast<uint64_t>(scale)));
  }
  return out;
}

}  // namespace itsm::ctl
