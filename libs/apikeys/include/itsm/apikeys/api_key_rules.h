// The rules of API keys, apart from storage and gRPC: what a valid key request is, what a new,
// rotated or revoked key looks like, and whether a key may authenticate now.
#ifndef ITSM_APIKEYS_API_KEY_RULES_H_
#define ITSM_APIKEYS_API_KEY_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/auth/identity.h"
#include "itsm/gateway/v1/api_keys.pb.h"
#include "itsm/records/record_change.h"

namespace itsm::apikeys {

namespace v1 = ::itsm::gateway::v1;

// Rotation keeps the old secret working at most this long.
inline constexpr absl::Duration kMaxRotationGrace = absl::Hours(24 * 7);

// INVALID_ARGUMENT naming the field: a name of 1..64 of [a-z0-9._-] starting with a letter or
// digit, at least one role and never ROLE_SERVICE or an unknown one, an expiry in the future.
absl::Status ValidateCreate(const v1::CreateApiKeyRequest& request, absl::Time now);

// A new active key with the secret's lookup id, created by `actor` at `now`.
v1::ApiKey NewApiKey(const v1::CreateApiKeyRequest& request, const std::string& lookup_id,
                     const std::string& actor, absl::Time now);

// The key given a new secret (lookup id `new_lookup_id`); the old one keeps working for the
// request's grace period. FAILED_PRECONDITION for a revoked key; ABORTED for a stale version.
absl::StatusOr<records::Change<v1::ApiKey>> Rotate(const v1::ApiKey& stored,
                                                   const v1::RotateApiKeyRequest& request,
                                                   const std::string& new_lookup_id,
                                                   absl::Time now);
// When the secret replaced by `Rotate` stops working.
absl::Time PreviousSecretExpiry(const v1::RotateApiKeyRequest& request, absl::Time now);

// The key revoked at `now`; revoking a revoked key changes nothing.
absl::StatusOr<records::Change<v1::ApiKey>> Revoke(const v1::ApiKey& stored,
                                                   const v1::RevokeApiKeyRequest& request,
                                                   absl::Time now);

// The identity a usable key stands for; UNAUTHENTICATED when it is revoked or expired.
absl::StatusOr<auth::Identity> IdentityOf(const v1::ApiKey& key, absl::Time now);

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_RULES_H_
