#include "itsm/records/page_cursor.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/message_fingerprint.h"

namespace itsm::records {
namespace {

// Version 1: 0x01, then each part as <varint length><bytes>, then 8 bytes of check.
constexpr char kVersion = 1;
constexpr size_t kCheckBytes = 8;

absl::Status Refused(absl::string_view why) { return base::FieldError("page.page_token", why); }

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool ReadVarint(absl::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// FNV-1a over scope and body: detects an edited, truncated or foreign token. Not a secret MAC:
// a forged token can only move the start of a page within what the caller may list anyway
// (the filter is applied from the request, never from the token).
std::string Check(absl::string_view scope, absl::string_view body) {
  uint64_t hash = 14695981039346656037ULL;
  auto mix = [&hash](absl::string_view s) {
    for (unsigned char c : s) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  };
  mix(scope);
  mix(absl::string_view("\0", 1));
  mix(body);
  std::string out(kCheckBytes, '\0');
  for (size_t i = 0; i < kCheckBytes; ++i) out[i] = static_cast<char>(hash >> (8 * i));
  return out;
}

}  // namespace

std::string PageScope(absl::string_view method, const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> filter(request.New());
  filter->CopyFrom(request);
  if (const auto* page = filter->GetDescriptor()->FindFieldByName("page")) {
    filter->GetReflection()->ClearField(filter.get(), page);
  }
  return absl::StrCat(method, "/", base::MessageFingerprint(*filter));
}

std::string EncodePageCursor(absl::string_view scope, const std::vector<std::string>& position) {
  std::string body(1, kVersion);
  for (const std::string& part : position) {
    AppendVarint(body, part.size());
    body += part;
  }
  return absl::WebSafeBase64Escape(body + Check(scope, body));
}

absl::StatusOr<std::vector<std::string>> DecodePageCursor(absl::string_view scope,
                                                          absl::string_view token) {
  if (token.empty()) return std::vector<std::string>{};
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 1 + kCheckBytes ||
      raw[0] != kVersion) {
    return Refused("not a token this service issued");
  }
  const absl::string_view all(raw);
  const absl::string_view body = all.substr(0, all.size() - kCheckBytes);
  if (Check(scope, body) != all.substr(body.size())) {
    return Refused(
        "not issued for this list: pass the other fields (filter, order) unchanged between pages");
  }
  std::vector<std::string> position;
  absl::string_view rest = body.substr(1);
  while (!rest.empty()) {
    uint64_t n;
    if (!ReadVarint(rest, n) || n > rest.size()) return Refused("not a token this service issued");
    position.emplace_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  return position;
}

absl::StatusOr<int64_t> CursorInt(const std::string& part) {
  int64_t v;
  if (!absl::SimpleAtoi(part, &v)) return Refused("not a token this service issued");
  return v;
}

}  // namespace itsm::records
