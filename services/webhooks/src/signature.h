// Standard Webhooks signing (https://www.standardwebhooks.com): a subscription's secret is
// "whsec_" + base64 of random bytes; a delivery is signed with HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{body}" keyed by the secret's decoded bytes, sent as
// "webhook-signature: v1,<base64 of the MAC>".
//
//   ITSM_ASSIGN_OR_RETURN(std::string secret, NewSecret());          // "whsec_..."
//   ITSM_ASSIGN_OR_RETURN(std::string sig, Sign(secret, id, unix_seconds, body));  // "v1,..."
#ifndef ITSM_SERVICES_WEBHOOKS_SIGNATURE_H_
#define ITSM_SERVICES_WEBHOOKS_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::webhooks {

inline constexpr char kSecretPrefix[] = "whsec_";
// 32 bytes: the spec asks for 24 to 64; HMAC-SHA256's block is 64, its output 32.
inline constexpr int kSecretBytes = 32;

// A new secret from OpenSSL's RAND_bytes. INTERNAL when the random source fails.
absl::StatusOr<std::string> NewSecret();

// The key bytes of "whsec_<base64>" (the prefix is optional, as the spec's libraries accept).
// INVALID_ARGUMENT when the rest is not base64 of at least 24 bytes.
absl::StatusOr<std::string> SecretKey(absl::string_view secret);

// The webhook-signature value "v1,<base64(HMAC-SHA256(key, id.timestamp.body))>".
absl::StatusOr<std::string> Sign(absl::string_view secret, absl::string_view webhook_id,
                                 int64_t timestamp, absl::string_view body);

// Whether one of the space-separated signatures of `header` is `secret`'s for this message,
// compared in constant time (what a receiver does; the tests use it).
bool Verify(absl::string_view secret, absl::string_view webhook_id, int64_t timestamp,
            absl::string_view body, absl::string_view header);

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_SIGNATURE_H_
