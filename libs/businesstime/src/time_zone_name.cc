#include "itsm/businesstime/time_zone_name.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace itsm::businesstime {
namespace {

// The longest name in the database is 32 characters ("America/Argentina/ComodRivadavia").
constexpr size_t kMaxNameLength = 64;

bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+';
}

}  // namespace

bool IsIanaTimeZoneName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name == "localtime") return false;
  if (name.front() == '/' || name.back() == '/') return false;
  char previous = '/';
  for (char c : name) {
    if (c == '/') {
      if (previous == '/') return false;  // an empty component
    } else if (!IsNameCharacter(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

absl::StatusOr<absl::TimeZone> LoadIanaTimeZone(absl::string_view name) {
  if (!IsIanaTimeZoneName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(name.substr(0, kMaxNameLength)),
                     name.size() > kMaxNameLength ? "…" : "",
                     "\" is not an IANA time zone name (such as \"Europe/Istanbul\" or \"UTC\")"));
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown IANA time zone \"", name, "\""));
  }
  return zone;
}

}  // namespace itsm::businesstime
