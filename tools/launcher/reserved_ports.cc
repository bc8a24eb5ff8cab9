#include "reserved_ports.h"

#include <errno.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"

namespace itsm::launcher {
namespace {

constexpr char kRangeFile[] = "/proc/sys/net/ipv4/ip_local_port_range";
constexpr char kReservedFile[] = "/proc/sys/net/ipv4/ip_local_reserved_ports";

absl::StatusOr<std::set<int>> ParsePorts(absl::string_view text) {
  std::set<int> ports;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    const std::vector<absl::string_view> ends = absl::StrSplit(item, '-');
    int first = 0, last = 0;
    if (ends.size() > 2 || !absl::SimpleAtoi(ends[0], &first) ||
        !absl::SimpleAtoi(ends.back(), &last) || first < 1 || last > 65535 || first > last) {
      return absl::InvalidArgumentError(absl::StrCat("not a port or range: \"", item, "\""));
    }
    for (int p = first; p <= last; ++p) ports.insert(p);
  }
  return ports;
}

absl::StatusOr<std::string> ReadProcFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

}  // namespace

absl::StatusOr<std::string> WithReservedPorts(absl::string_view reserved,
                                              const std::vector<int>& ports) {
  ITSM_ASSIGN_OR_RETURN(std::set<int> all, ParsePorts(reserved));
  all.insert(ports.begin(), ports.end());
  std::vector<std::string> ranges;
  for (auto it = all.begin(); it != all.end();) {
    const int first = *it;
    int last = first;
    while (++it != all.end() && *it == last + 1) last = *it;
    ranges.push_back(first == last ? absl::StrCat(first) : absl::StrCat(first, "-", last));
  }
  return absl::StrJoin(ranges, ",");
}

absl::StatusOr<std::vector<int>> ReserveEphemeralPorts(const std::vector<int>& ports) {
  ITSM_ASSIGN_OR_RETURN(std::string range_text, ReadProcFile(kRangeFile));
  const std::vector<absl::string_view> range =
      absl::StrSplit(range_text, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
  int low = 0, high = 0;
  if (range.size() != 2 || !absl::SimpleAtoi(range[0], &low) ||
      !absl::SimpleAtoi(range[1], &high)) {
    return absl::UnavailableError(absl::StrCat(kRangeFile, " reads \"", range_text, "\""));
  }
  ITSM_ASSIGN_OR_RETURN(std::string reserved, ReadProcFile(kReservedFile));
  ITSM_ASSIGN_OR_RETURN(std::set<int> already, ParsePorts(reserved));
  std::vector<int> added;
  for (int port : std::set<int>(ports.begin(), ports.end())) {
    if (port >= low && port <= high && !already.contains(port)) added.push_back(port);
  }
  if (added.empty()) return added;
  ITSM_ASSIGN_OR_RETURN(std::string wanted, WithReservedPorts(reserved, added));
  std::ofstream out(kReservedFile);
  out << wanted << "\n";
  out.close();
  if (!out) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", kReservedFile, ": ", std::strerror(errno)));
  }
  return added;
}

}  // namespace itsm::launcher
