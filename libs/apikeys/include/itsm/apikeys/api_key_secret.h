// The form of an API key's secret, and what is kept of it. A secret is
//
//   itsm_<lookup id>_<key>      e.g. itsm_3f9a0c12d4e7_Xq2v...  (12 hex, then 43 base64url)
//
// The lookup id finds the key's row without scanning; the 256 random bits of <key> are what
// proves possession. Only SHA-256 of the whole secret is stored: the secret has full entropy,
// so a fast hash is enough (a slow password hash protects guessable passwords, not random keys),
// and checking costs microseconds on every request. The "itsm_" prefix lets secret scanners
// recognise a leaked key.
#ifndef ITSM_APIKEYS_API_KEY_SECRET_H_
#define ITSM_APIKEYS_API_KEY_SECRET_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::apikeys {

struct ApiKeySecret {
  std::string lookup_id;  // 12 lowercase hex
  std::string secret;     // the whole "itsm_<lookup id>_<key>"
};

// A new secret from the operating system's random source (OpenSSL RAND_bytes).
absl::StatusOr<ApiKeySecret> NewApiKeySecret();
// The lookup id of a presented secret; nullopt when it does not have the form.
std::optional<std::string> LookupIdOf(absl::string_view presented);
// Hex SHA-256 of the secret, as stored.
std::string HashOfSecret(absl::string_view secret);
// Whether `presented` hashes to `stored_hash`, in time independent of where they differ.
bool SecretMatches(absl::string_view presented, absl::string_view stored_hash);
// "itsm_<lookup id>": shown in lists and logs in place of the secret.
std::string PrefixOf(absl::string_view lookup_id);
// UNAUTHENTICATED for a presented secret that proves no valid key, alike whether the key is
// unknown, revoked, expired or the secret wrong. It names the secret's public prefix when it has
// the form, so that the refusal's log line tells a revoked key still in use from a stray guess.
absl::Status RefusedKeyError(absl::string_view presented);

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_SECRET_H_
