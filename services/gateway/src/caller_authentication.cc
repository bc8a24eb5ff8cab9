#include "services/gateway/src/caller_authentication.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace itsm::gateway {
namespace {

// A signed token is never shorter-lived than this, so that a credential about to expire still
// carries its last request through.
constexpr absl::Duration kShortestToken = absl::Seconds(1);

// The token of "Bearer <token>" (the scheme is case-insensitive, RFC 7235); nullopt otherwise.
std::optional<absl::string_view> BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  return absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
}

}  // namespace

bool IsApiKey(absl::string_view credential) { return absl::StartsWith(credential, "itsm_"); }

CallerAuthentication::CallerAuthentication(std::shared_ptr<const auth::TokenVerifier> verifier,
                                           std::string suite_issuer, auth::TokenSigner signer,
                                           apikeys::CachedApiKeyVerifier* api_keys,
                                           const base::Clock& clock, Options options)
    : verifier_(std::move(verifier)),
      suite_issuer_(std::move(suite_issuer)),
      signer_(std::move(signer)),
      api_keys_(api_keys),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<absl::string_view> CallerAuthentication::CredentialOf(const Credentials& presented) {
  if (presented.repeated) {
    return absl::UnauthenticatedError(
        "send one credential: Authorization or X-API-Key was given more than once");
  }
  const bool authorization = presented.authorization_given || !presented.authorization.empty();
  if (authorization && (presented.api_key_given || !presented.api_key.empty())) {
    return absl::UnauthenticatedError("send one credential: Authorization or X-API-Key, not both");
  }
  absl::string_view credential = presented.api_key;
  // X-API-Key carries the suite's API keys only: a token there would be accepted where the
  // documentation, proxies' header policies and log redaction expect none.
  if (!credential.empty() && !IsApiKey(credential)) {
    return absl::UnauthenticatedError(
        "X-API-Key: not an API key (itsm_...); send a token as Authorization: Bearer <token>");
  }
  if (authorization) {
    std::optional<absl::string_view> token = BearerToken(presented.authorization);
    if (!token || token->empty()) {
      return absl::UnauthenticatedError("Authorization: expected \"Bearer <token or API key>\"");
    }
    credential = *token;
  }
  if (credential.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send Authorization: Bearer <token or API key>, or X-API-Key");
  }
  return credential;
}

std::optional<absl::StatusOr<Caller>> CallerAuthentication::AuthenticateFromMemory(
    const Credentials& presented) {
  absl::StatusOr<absl::string_view> credential = CredentialOf(presented);
  if (!credential.ok()) return credential.status();
  // A provider's token may need its JWKS fetched: only API keys are answered from memory.
  if (!IsApiKey(*credential) || api_keys_ == nullptr) return std::nullopt;
  std::optional<absl::StatusOr<auth::Identity>> identity = api_keys_->VerifyCached(*credential);
  if (!identity) return std::nullopt;
  return VouchFor(*std::move(identity));
}

absl::StatusOr<Caller> CallerAuthentication::Authenticate(const Credentials& presented) {
  absl::StatusOr<absl::string_view> presented_credential = CredentialOf(presented);
  if (!presented_credential.ok()) return presented_credential.status();
  const absl::string_view credential = *presented_credential;
  if (IsApiKey(credential)) {
    if (api_keys_ == nullptr) return absl::UnauthenticatedError("API keys are not accepted here");
    return VouchFor(api_keys_->Verify(credential));
  }
  absl::StatusOr<auth::Identity> identity = verifier_->Verify(credential);
  if (!identity.ok()) return identity.status();
  if (identity->issuer == suite_issuer_) {
    // Already the suite's own token: the services verify it themselves.
    return Caller{.identity = *std::move(identity),
                  .authorization = absl::StrCat("Bearer ", credential)};
  }
  return VouchFor(*std::move(identity));
}

absl::StatusOr<Caller> CallerAuthentication::VouchFor(absl::StatusOr<auth::Identity> identity) {
  if (!identity.ok()) return identity.status();
  Caller caller;
  caller.identity = *std::move(identity);
  absl::StatusOr<std::string> authorization = TokenFor(caller.identity);
  if (!authorization.ok()) return authorization.status();
  caller.authorization = *std::move(authorization);
  return caller;
}

absl::StatusOr<std::string> CallerAuthentication::TokenFor(const auth::Identity& identity) {
  const absl::Time now = clock_.Now();
  const std::string key = absl::StrCat(identity.issuer, "\n", identity.subject, "\n",
                                       identity.roles.ToString(), "\n", identity.tenant);
  {
    absl::MutexLock lock(&mu_);
    auto it = signed_.find(key);
    if (it != signed_.end() && now < it->second.renew_at) return it->second.authorization;
  }
  const absl::Duration ttl =
      std::max(kShortestToken, std::min(options_.token_ttl, identity.expires - now));
  absl::StatusOr<std::string> token = signer_.Sign(identity, options_.audience, ttl);
  if (!token.ok()) return token.status();
  SignedToken entry{absl::StrCat("Bearer ", *token), now + ttl * 4 / 5};
  absl::MutexLock lock(&mu_);
  if (signed_.size() >= options_.max_cached_tokens) signed_.clear();
  signed_[key] = entry;
  return entry.authorization;
}

}  // namespace itsm::gateway
