// Signs identity tokens: the gateway vouches for the caller it authenticated, and a service
// names itself when it calls another. Tokens are short-lived JWTs (ES256 or RS256) that any
// TokenVerifier trusting this issuer's JWKS accepts.
//
//   TokenSigner signer(key, "itsm-gateway", clock);
//   ITSM_ASSIGN_OR_RETURN(std::string token, signer.Sign(identity, "itsm", absl::Minutes(5)));
#ifndef ITSM_AUTH_TOKEN_SIGNER_H_
#define ITSM_AUTH_TOKEN_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/keys.h"
#include "itsm/base/clock.h"

namespace itsm::auth {

class TokenSigner {
 public:
  TokenSigner(SigningKey key, std::string issuer, const base::Clock& clock)
      : key_(std::move(key)), issuer_(std::move(issuer)), clock_(clock) {}

  // A token for `identity` (its subject, roles and tenant) valid for `ttl` from now.
  absl::StatusOr<std::string> Sign(const Identity& identity, absl::string_view audience,
                                   absl::Duration ttl) const;
  const std::string& issuer() const { return issuer_; }

 private:
  const SigningKey key_;
  const std::string issuer_;
  const base::Clock& clock_;
};

}  // namespace itsm::auth

#endif  // ITSM_AUTH_TOKEN_SIGNER_H_
