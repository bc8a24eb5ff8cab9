// Who an HTTP caller is, proven, and the credential the services will believe. The gateway is
// the suite's edge: what a caller presents becomes a suite identity token there.
//  - an API key (`Authorization: Bearer itsm_...` or `X-API-Key: itsm_...`), checked against
//    the gateway's key store (libs/apikeys, a cache of a few seconds);
//  - a JWT of the suite's own issuer (`itsmctl auth token`, another gateway): verified, and
//    forwarded as it came;
//  - a JWT of a configured OAuth2/OIDC provider: verified against its JWKS (issuer, audience,
//    expiry, roles mapped from its claim).
// An API key's or a provider's identity goes to the services in a token the gateway signs with
// the suite's key: it lasts at most `token_ttl` and never beyond the credential's own expiry,
// and one is signed per identity and reused until a fifth of its life is left.
//
//   CallerAuthentication callers(verifier, "itsm", signer, &api_keys, clock, {});
//   ITSM_ASSIGN_OR_RETURN(Caller caller, callers.Authenticate({authorization, x_api_key}));
//   metadata.push_back({"authorization", caller.authorization});
#ifndef ITSM_SERVICES_GATEWAY_SRC_CALLER_AUTHENTICATION_H_
#define ITSM_SERVICES_GATEWAY_SRC_CALLER_AUTHENTICATION_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/apikeys/api_key_verifier.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/token_signer.h"
#include "itsm/auth/token_verifier.h"
#include "itsm/base/clock.h"

namespace itsm::gateway {

// What a request presents: the Authorization and X-API-Key headers as received ("" if absent).
struct Credentials {
  absl::string_view authorization = {};
  // An Authorization (X-API-Key) header was sent, even an empty one: with the other header,
  // that is two credentials (a reader in front could see only the empty one, or only the other).
  bool authorization_given = false;
  absl::string_view api_key = {};
  bool api_key_given = false;
  // Authorization or X-API-Key given more than once: readers in front of the gateway (a proxy
  // keeping the last, an audit log) could take another one than the first for the caller.
  bool repeated = false;
};

struct Caller {
  auth::Identity identity = {};
  // "Bearer <suite token>", for the services.
  std::string authorization = {};
};

class CallerAuthentication {
 public:
  struct Options {
    std::string audience = "itsm";
    absl::Duration token_ttl = absl::Minutes(5);
    // Signed tokens kept; the cache starts over when full.
    size_t max_cached_tokens = 10000;
  };
  // `verifier` trusts the suite's issuer (named `suite_issuer`) and the configured providers;
  // `api_keys` may be null (no key store: API keys are refused).
  CallerAuthentication(std::shared_ptr<const auth::TokenVerifier> verifier,
                       std::string suite_issuer, auth::TokenSigner signer,
                       apikeys::CachedApiKeyVerifier* api_keys, const base::Clock& clock,
                       Options options);

  // UNAUTHENTICATED with the reason: nothing presented, two credentials, an unknown or revoked
  // key, a token that does not verify. May read the key store: call it where blocking is allowed.
  absl::StatusOr<Caller> Authenticate(const Credentials& presented);
  // Authenticate's answer when it needs nothing but memory (an API key the cache knows);
  // nullopt otherwise. An I/O thread serves such a request without a hop to an executor.
  std::optional<absl::StatusOr<Caller>> AuthenticateFromMemory(const Credentials& presented);

 private:
  // The credential presented (the token of "Bearer <token>", or X-API-Key's value).
  static absl::StatusOr<absl::string_view> CredentialOf(const Credentials& presented);
  // The caller an API key's verified identity stands for: a suite token signed for it.
  absl::StatusOr<Caller> VouchFor(absl::StatusOr<auth::Identity> identity);
  struct SignedToken {
    std::string authorization;
    absl::Time renew_at;
  };
  absl::StatusOr<std::string> TokenFor(const auth::Identity& identity);

  const std::shared_ptr<const auth::TokenVerifier> verifier_;
  const std::string suite_issuer_;
  const auth::TokenSigner signer_;
  apikeys::CachedApiKeyVerifier* const api_keys_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, SignedToken> signed_ ABSL_GUARDED_BY(mu_);
};

// Whether `credential` has the shape of an API key ("itsm_..."), not of a JWT.
bool IsApiKey(absl::string_view credential);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_CALLER_AUTHENTICATION_H_
