#include "itsm/apikeys/api_key_management.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "itsm/apikeys/api_key_repository.h"
#include "itsm/apikeys/api_key_rules.h"
#include "itsm/apikeys/api_key_secret.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/unit_of_work.h"

namespace itsm::apikeys {
namespace {

constexpr char kCreateApiKey[] = "itsm.gateway.v1.ApiKeyService/CreateApiKey";
constexpr char kListApiKeys[] = "itsm.gateway.v1.ApiKeyService/ListApiKeys";
constexpr char kGetApiKeyHistory[] = "itsm.gateway.v1.ApiKeyService/GetApiKeyHistory";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

using ApiKeyWork = records::UnitOfWork<v1::ApiKey, ApiKeyRepository>;

// Key changes publish no events: the audit trail in the gateway's database records them.
const records::EventStream& NoEvents() {
  static const records::EventStream kNone{"", "itsm/gateway"};
  return kNone;
}

}  // namespace

std::vector<storage::SchemaComponent> ApiKeyManagement::Schema() {
  // The toolkit's audit table first: the second migration of "apikeys" moves its entries there.
  return {{records::AuditTrail::kComponent, records::AuditTrail::Migrations()},
          {"apikeys", ApiKeyRepository::Migrations()}};
}

absl::Status ApiKeyManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::CreateApiKeyRequest& request,
                                      v1::CreateApiKeyResponse& out) const {
  const absl::Time now = clock_.Now();
  ITSM_RETURN_IF_ERROR(ValidateCreate(request, now));
  ITSM_ASSIGN_OR_RETURN(ApiKeySecret secret, NewApiKeySecret());
  ApiKeyWork work(txn, caller, NoEvents());
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_api_key(),
      work.Create(records::IdempotentCallOf(kCreateApiKey, request),
                  NewApiKey(request, secret.lookup_id, caller.actor, now),
                  [](const v1::ApiKey& key) {
                    return records::Change<v1::ApiKey>{
                        key, "create", records::DiffFields(v1::ApiKey(), key), {}};
                  }));
  ITSM_RETURN_IF_ERROR(ApiKeyRepository::InsertSecret(txn, secret.lookup_id, out.api_key().id(),
                                                      HashOfSecret(secret.secret)));
  out.set_secret(secret.secret);
  return absl::OkStatus();
}

absl::Status ApiKeyManagement::Rotate(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::RotateApiKeyRequest& request,
                                      v1::RotateApiKeyResponse& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  const absl::Time now = clock_.Now();
  ITSM_ASSIGN_OR_RETURN(ApiKeySecret secret, NewApiKeySecret());
  ApiKeyWork work(txn, caller, NoEvents());
  ITSM_ASSIGN_OR_RETURN(*out.mutable_api_key(),
                        work.Modify(request.id(), [&](const v1::ApiKey& stored) {
                          return apikeys::Rotate(stored, request, secret.lookup_id, now);
                        }));
  // The old secrets end with the grace period; the new one starts now.
  ITSM_RETURN_IF_ERROR(
      ApiKeyRepository::ExpireSecrets(txn, out.api_key().id(), PreviousSecretExpiry(request, now)));
  ITSM_RETURN_IF_ERROR(ApiKeyRepository::InsertSecret(txn, secret.lookup_id, out.api_key().id(),
                                                      HashOfSecret(secret.secret)));
  out.set_secret(secret.secret);
  return absl::OkStatus();
}

absl::Status ApiKeyManagement::Revoke(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::RevokeApiKeyRequest& request,
                                      v1::ApiKey& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  const absl::Time now = clock_.Now();
  ApiKeyWork work(txn, caller, NoEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Modify(request.id(), [&](const v1::ApiKey& stored) {
    return apikeys::Revoke(stored, request, now);
  }));
  return ApiKeyRepository::ExpireSecrets(txn, out.id(), now);
}

absl::Status ApiKeyManagement::Get(storage::Transaction& txn, const v1::GetApiKeyRequest& request,
                                   v1::ApiKey& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  ITSM_ASSIGN_OR_RETURN(out, ApiKeyRepository::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status ApiKeyManagement::History(storage::Transaction& txn,
                                       const v1::GetApiKeyHistoryRequest& request,
                                       v1::GetApiKeyHistoryResponse& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, ApiKeyRepository::Get(txn, request.id()));
  return records::AuditTrail::ReadInto(txn, kGetApiKeyHistory, request, key.id(), out);
}

absl::Status ApiKeyManagement::List(storage::Transaction& txn,
                                    const v1::ListApiKeysRequest& request,
                                    v1::ListApiKeysResponse& out) const {
  int page_size = request.page().page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return base::FieldError("page.page_size", absl::StrCat("must be 0..", kMaxPageSize));
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  const std::string scope = records::PageScope(kListApiKeys, request);
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> after,
                        records::DecodePageCursor(scope, request.page().page_token()));
  if (!after.empty() && after.size() != 2) {
    return base::FieldError("page.page_token", "not a token this service issued");
  }
  ITSM_ASSIGN_OR_RETURN(
      std::vector<v1::ApiKey> keys,
      ApiKeyRepository::List(txn, request.include_revoked(), after.empty() ? "" : after[0],
                             after.empty() ? "" : after[1], page_size + 1));
  const size_t shown = std::min(keys.size(), static_cast<size_t>(page_size));
  for (size_t i = 0; i < shown; ++i) *out.add_api_keys() = std::move(keys[i]);
  if (keys.size() > shown) {
    const v1::ApiKey& last = out.api_keys(static_cast<int>(shown) - 1);
    out.set_next_page_token(records::EncodePageCursor(scope, {last.name(), last.id()}));
  }
  return absl::OkStatus();
}

absl::StatusOr<auth::Identity> ApiKeyManagement::Authenticate(storage::Transaction& txn,
                                                              absl::string_view presented) const {
  const std::optional<std::string> lookup_id = LookupIdOf(presented);
  if (!lookup_id.has_value()) return RefusedKeyError(presented);
  ITSM_ASSIGN_OR_RETURN(std::optional<StoredSecret> stored,
                        ApiKeyRepository::FindSecret(txn, *lookup_id));
  const absl::Time now = clock_.Now();
  if (!stored.has_value() || !SecretMatches(presented, stored->secret_hash) ||
      stored->expires <= now) {
    return RefusedKeyError(presented);
  }
  ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, ApiKeyRepository::Get(txn, stored->key_id));
  absl::StatusOr<auth::Identity> identity = IdentityOf(key, now);
  if (!identity.ok()) return RefusedKeyError(presented);
  identity->expires = std::min(identity->expires, stored->expires);
  return identity;
}

}  // namespace itsm::apikeys
