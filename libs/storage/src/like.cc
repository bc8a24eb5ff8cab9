#include "itsm/storage/like.h"

#include "absl/strings/ascii.h"

namespace itsm::storage {

std::string ContainsPattern(absl::string_view needle) {
  std::string out = "%";
  for (char c : absl::AsciiStrToLower(needle)) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace itsm::storage
