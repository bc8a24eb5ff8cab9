#include "itsm/base/ids.h"

#include <chrono>
#include <cstdint>
#include <random>

#include "absl/strings/ascii.h"

namespace itsm::base {

std::string NewUuid() {
  // Version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids minted close in
  // time sort close together, so a B-tree keyed by them grows at its right edge instead of
  // touching a random page per insert (measured: random v4 keys made the incident table's
  // primary key the largest cost of a create once the table outgrew SQLite's page cache).
  // One generator per thread, seeded from the OS: ids are minted on many gRPC threads at once.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t millis =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  uint64_t hi = (millis << 16) | (rng() & 0x0fffULL) | 0x7000ULL;         // version 7
  uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](uint64_t word, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(word >> (i * 4)) & 0xf];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace itsm::base
