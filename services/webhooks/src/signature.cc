#include "services/webhooks/src/signature.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"

namespace itsm::webhooks {

absl::StatusOr<std::string> NewSecret() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the random source failed: no secret generated");
  }
  return absl::StrCat(kSecretPrefix, absl::Base64Escape(absl::string_view(
                                         reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

absl::StatusOr<std::string> SecretKey(absl::string_view secret) {
  absl::ConsumePrefix(&secret, kSecretPrefix);
  std::string key;
  if (!absl::Base64Unescape(secret, &key) || key.size() < 24) {
    return absl::InvalidArgumentError("secret: not whsec_ and base64 of at least 24 bytes");
  }
  return key;
}

absl::StatusOr<std::string> Sign(absl::string_view secret, absl::string_view webhook_id,
                                 int64_t timestamp, absl::string_view body) {
  ITSM_ASSIGN_OR_RETURN(std::string key, SecretKey(secret));
  const std::string message = absl::StrCat(webhook_id, ".", timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &mac_len) == nullptr) {
    return absl::InternalError("HMAC-SHA256 failed");
  }
  return absl::StrCat(
      "v1,", absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
}

bool Verify(absl::string_view secret, absl::string_view webhook_id, int64_t timestamp,
            absl::string_view body, absl::string_view header) {
  absl::StatusOr<std::string> expected = Sign(secret, webhook_id, timestamp, body);
  if (!expected.ok()) return false;
  bool found = false;
  for (absl::string_view candidate : absl::StrSplit(header, ' ', absl::SkipEmpty())) {
    // Every candidate is compared, so the time does not tell which one matched.
    if (candidate.size() == expected->size() &&
        CRYPTO_memcmp(candidate.data(), expected->data(), candidate.size()) == 0) {
      found = true;
    }
  }
  return found;
}

}  // namespace itsm::webhooks
