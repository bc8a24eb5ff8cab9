#include "itsm/apikeys/api_key_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace itsm::apikeys {
namespace {

constexpr absl::string_view kPrefix = "itsm_";
constexpr size_t kLookupHex = 12;
constexpr size_t kKeyChars = 43;  // 32 bytes in unpadded base64url

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<ApiKeySecret> NewApiKeySecret() {
  unsigned char lookup[kLookupHex / 2];
  unsigned char key[32];
  if (RAND_bytes(lookup, sizeof lookup) != 1 || RAND_bytes(key, sizeof key) != 1) {
    return absl::InternalError("the random source failed");
  }
  ApiKeySecret out;
  out.lookup_id = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(lookup), sizeof lookup));
  out.secret = absl::StrCat(
      kPrefix, out.lookup_id, "_",
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(key), sizeof key)));
  return out;
}

std::optional<std::string> LookupIdOf(absl::string_view presented) {
  if (presented.size() != kPrefix.size() + kLookupHex + 1 + kKeyChars) return std::nullopt;
  if (!absl::StartsWith(presented, kPrefix)) return std::nullopt;
  absl::string_view lookup = presented.substr(kPrefix.size(), kLookupHex);
  absl::string_view key = presented.substr(kPrefix.size() + kLookupHex + 1);
  if (presented[kPrefix.size() + kLookupHex] != '_' || !IsLowerHex(lookup) || !IsBase64Url(key)) {
    return std::nullopt;
  }
  return std::string(lookup);
}

std::string HashOfSecret(absl::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(secret.data(), secret.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool SecretMatches(absl::string_view presented, absl::string_view stored_hash) {
  const std::string hash = HashOfSecret(presented);
  return hash.size() == stored_hash.size() &&
         CRYPTO_memcmp(hash.data(), stored_hash.data(), hash.size()) == 0;
}

std::string PrefixOf(absl::string_view lookup_id) { return absl::StrCat(kPrefix, lookup_id); }

absl::Status RefusedKeyError(absl::string_view presented) {
  const std::optional<std::string> lookup_id = LookupIdOf(presented);
  return absl::UnauthenticatedError(absl::StrCat(
      "API key", lookup_id ? " " + PrefixOf(*lookup_id) : "", ": unknown, revoked or expired"));
}

}  // namespace itsm::apikeys
