#include "services/gateway/src/event_cursor.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"

namespace itsm::gateway {
namespace {

constexpr uint8_t kVersion = 2;
constexpr uint8_t kVersionWithoutCluster = 1;
// A ce_id is a UUID in this suite; anything printable and short is accepted from other
// producers, since it is only echoed.
constexpr size_t kMaxCeIdBytes = 128;

uint32_t Fnv1a(absl::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void PutVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void PutFixed32(uint32_t v, std::string& out) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// Reads from the front of `in`; false when it runs out or a varint is longer than 9 bytes
// (offsets are below 2^63).
bool GetVarint(absl::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 63; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool GetFixed32(absl::string_view& in, uint32_t& v) {
  if (in.size() < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(4);
  return true;
}

absl::Status Invalid(absl::string_view why) {
  return base::FieldError(kLastEventIdHeader,
                          absl::StrCat(why,
                                       "; send back the id of an event this gateway sent, or "
                                       "reconnect without Last-Event-ID to start at new events"));
}

}  // namespace

uint32_t ClusterHash(absl::string_view cluster_id) { return std::max(1u, Fnv1a(cluster_id)); }

std::string EncodeCursor(const EventCursor& cursor) {
  std::string bytes;
  bytes += static_cast<char>(kVersion);
  PutFixed32(cursor.cluster, bytes);
  PutVarint(cursor.next.size(), bytes);
  for (const auto& [topic, offsets] : cursor.next) {
    PutFixed32(Fnv1a(topic), bytes);
    PutVarint(offsets.size(), bytes);
    for (int64_t offset : offsets)
      PutVarint(static_cast<uint64_t>(std::max<int64_t>(0, offset)), bytes);
  }
  PutFixed32(Fnv1a(bytes), bytes);
  return absl::WebSafeBase64Escape(bytes);
}

std::string EventId(absl::string_view encoded_cursor, absl::string_view ce_id) {
  return ce_id.empty() ? std::string(encoded_cursor) : absl::StrCat(encoded_cursor, ".", ce_id);
}

absl::StatusOr<LastEventId> ParseLastEventId(absl::string_view text,
                                             const std::vector<std::string>& topics) {
  if (text.size() > kMaxLastEventIdBytes) {
    return Invalid(absl::StrCat("longer than ", kMaxLastEventIdBytes, " bytes"));
  }
  LastEventId out;
  const size_t dot = text.find('.');
  absl::string_view encoded = text.substr(0, dot);
  if (dot != absl::string_view::npos) {
    absl::string_view ce_id = text.substr(dot + 1);
    if (ce_id.empty() || ce_id.size() > kMaxCeIdBytes) return Invalid("malformed event id");
    for (char c : ce_id) {
      if (c < 0x21 || c > 0x7e) return Invalid("malformed event id");
    }
    out.ce_id = std::string(ce_id);
  }
  std::string bytes;
  if (encoded.empty() || !absl::WebSafeBase64Unescape(encoded, &bytes) || bytes.size() < 5) {
    return Invalid("not an event id of this API");
  }
  absl::string_view body(bytes.data(), bytes.size() - 4);
  absl::string_view tail(bytes.data() + bytes.size() - 4, 4);
  uint32_t checksum = 0;
  if (!GetFixed32(tail, checksum) || checksum != Fnv1a(body)) {
    return Invalid("not an event id of this API (checksum)");
  }
  const auto version = static_cast<uint8_t>(body.front());
  if (version != kVersion && version != kVersionWithoutCluster) {
    return Invalid("an event id of another version of this API");
  }
  body.remove_prefix(1);
  if (version == kVersion && !GetFixed32(body, out.cursor.cluster)) {
    return Invalid("malformed event id");
  }
  uint64_t topic_count = 0;
  if (!GetVarint(body, topic_count) || topic_count > kMaxCursorTopics) {
    return Invalid("malformed event id");
  }
  for (uint64_t t = 0; t < topic_count; ++t) {
    uint32_t hash = 0;
    uint64_t partitions = 0;
    if (!GetFixed32(body, hash) || !GetVarint(body, partitions) ||
        partitions > kMaxCursorPartitions) {
      return Invalid("malformed event id");
    }
    const std::string* topic = nullptr;
    for (const std::string& candidate : topics) {
      if (Fnv1a(candidate) == hash) topic = &candidate;
    }
    if (topic == nullptr) {
      return Invalid("made for a topic this gateway does not serve (another deployment's id?)");
    }
    std::vector<int64_t>& offsets = out.cursor.next[*topic];
    if (!offsets.empty()) return Invalid("malformed event id (a topic twice)");
    for (uint64_t p = 0; p < partitions; ++p) {
      uint64_t offset = 0;
      if (!GetVarint(body, offset)) return Invalid("malformed event id");
      offsets.push_back(static_cast<int64_t>(offset));
    }
  }
  if (!body.empty()) return Invalid("malformed event id (trailing bytes)");
  return out;
}

}  // namespace itsm::gateway
