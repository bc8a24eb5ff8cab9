// Verifies bearer tokens (JWS compact JWTs, RFC 7519) and turns them into identities: the
// identity tokens the gateway and the services sign, and OAuth2/OIDC access tokens of a
// configured identity provider. Only RS256 and ES256 are accepted, and only with a key of
// that type from the issuer's own key set: `alg=none` and HMAC tokens (including one "signed"
// with an RSA public key as the HMAC secret) are refused before any signature is checked.
// Claims checked: iss (a trusted issuer), aud, exp (required), nbf, with a leeway for clock
// skew; sub required.
//
// A verified token is cached until it expires (keyed by the token itself), so a service pays
// the signature check once per token, not once per call.
//
//   TokenVerifier verifier({{.issuer = "itsm-gateway", .audience = "itsm", .keys = source}},
//   clock); absl::StatusOr<Identity> who = verifier.Verify(token);   // UNAUTHENTICATED with the
//   reason
#ifndef ITSM_AUTH_TOKEN_VERIFIER_H_
#define ITSM_AUTH_TOKEN_VERIFIER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/key_source.h"
#include "itsm/base/clock.h"

namespace itsm::auth {

struct TrustedIssuer {
  // The token's "iss" must be exactly this.
  std::string issuer;
  // One of the token's "aud" values must be this.
  std::string audience;
  std::shared_ptr<KeySource> keys;
  // The claim that holds the roles: a list of strings, or one space-separated string.
  std::string roles_claim = "roles";
  // External role or group names to roles (an identity provider's "itsm-agents" → agent).
  // Empty: the claim holds role names ("agent", "sla_manager"). Unknown names are ignored.
  std::map<std::string, Role> role_mapping = {};
  std::string tenant_claim = "tenant";
  // Tolerated clock difference for exp and nbf.
  absl::Duration leeway = absl::Seconds(60);
  // Roles a token of this issuer can never carry (an identity provider must not make a service
  // identity): removed from what the claim says.
  RoleSet forbidden_roles = {common::v1::ROLE_SERVICE};
  // Subjects a token of this issuer may not name: the suite's own namespaces ("apikey:",
  // "service:", "local:") for an identity provider, whose user must never be recorded in the
  // audit trail as an API key or a service. Refused (UNAUTHENTICATED), not renamed.
  std::vector<std::string> reserved_subject_prefixes = {};
};

// The prefix of `reserved` ("apikey:", "service:") that `subject` would read as in the audit
// trail — compared as people's names are (case, width, look-alike letters), whatever stands
// for the colon — or "" when none.
std::string ReservedNamespaceOf(absl::string_view subject,
                                const std::vector<std::string>& reserved);

class TokenVerifier {
 public:
  struct Options {
    // Verified tokens kept; the cache is emptied when full.
    size_t cache_size = 10000;
    // Longer tokens are refused unread.
    size_t max_token_bytes = 8192;
  };
  TokenVerifier(std::vector<TrustedIssuer> issuers, const base::Clock& clock)
      : TokenVerifier(std::move(issuers), clock, Options{}) {}
  TokenVerifier(std::vector<TrustedIssuer> issuers, const base::Clock& clock, Options options);

  // UNAUTHENTICATED with what is wrong ("token expired at ...", "signature does not verify").
  absl::StatusOr<Identity> Verify(absl::string_view token) const;

 private:
  struct Cached {
    Identity identity;
    std::shared_ptr<const KeySet> keys;  // the key set it was verified with
  };
  absl::StatusOr<Identity> VerifyUncached(absl::string_view token,
                                          std::shared_ptr<const KeySet>& keys_used) const;
  const TrustedIssuer* IssuerNamed(absl::string_view iss) const;

  const std::vector<TrustedIssuer> issuers_;
  const base::Clock& clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::auth

#endif  // ITSM_AUTH_TOKEN_VERIFIER_H_
