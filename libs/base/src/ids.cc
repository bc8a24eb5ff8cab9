#include "itsm/base/ids.h"

#include <chrono>
#include <cstdint>
#include <random>

#include "absl/strings/ascii.h"

namespace itsm::base {
namespace {

uint64_t Fnv1a(absl::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Mix(uint64_t z) {  // splitmix64 finaliser: spreads FNV's weak low bits
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string DerivedUuid(absl::string_view text) {
  const uint64_t hi = Mix(Fnv1a(text, 0xcbf29ce484222325ULL));
  const uint64_t lo = Mix(Fnv1a(text, 0x84222325cbf29ce4ULL) ^ hi);
  // Shaped as a version 5 (name-based) UUID.
  const uint64_t a = (hi & 0xffffffffffff0fffULL) | 0x5000ULL;
  const uint64_t b = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  // 8-4-4-4-12 lowercase hex digits (a formatting call per event id cost more than the hash).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  const auto put = [&out](size_t at, uint64_t v, int digits) {
    for (int d = digits - 1; d >= 0; --d, v >>= 4) out[at + d] = kHex[v & 0xf];
  };
  put(0, a >> 32, 8);
  put(9, (a >> 16) & 0xffff, 4);
  put(14, a & 0xffff, 4);
  put(19, b >> 48, 4);
  put(24, b & 0xffffffffffffULL, 12);
  return out;
}

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
