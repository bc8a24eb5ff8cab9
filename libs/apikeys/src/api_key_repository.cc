#include "itsm/apikeys/api_key_repository.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/errors.h"

namespace itsm::apikeys {
namespace {

namespace v1 = ::itsm::gateway::v1;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

absl::StatusOr<v1::ApiKey> Decode(const storage::Value& value) {
  v1::ApiKey key;
  if (!key.ParseFromString(value.AsString())) {
    return absl::DataLossError("stored API key does not parse");
  }
  return key;
}

int64_t Micros(absl::Time t) {
  return t == absl::InfiniteFuture() ? kNever : absl::ToUnixMicros(t);
}

}  // namespace

const std::vector<storage::Migration>& ApiKeyRepository::Migrations() {
  static const auto* kMigrations = new std::vector<storage::Migration>{
      {1, "API keys and their secrets' hashes", R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  state INTEGER NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys(name) WHERE state = 1;
CREATE INDEX api_keys_name ON api_keys(name, id);
CREATE TABLE api_key_secrets (
  lookup_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  expire_time_us BIGINT NOT NULL
);
CREATE INDEX api_key_secrets_key ON api_key_secrets(key_id);
CREATE TABLE api_key_audit (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  time_us BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (record_id, version)
);
)sql"},
      // Served by GetApiKeyHistory through the record toolkit's reader, like every record's trail
      // (decisions 227, 228).
      {2, "the audit trail in the record toolkit's table",
       "INSERT INTO audit_entries(record_id, version, time_us, data)"
       " SELECT record_id, version, time_us, data FROM api_key_audit;"
       " DROP TABLE api_key_audit;"}};
  return *kMigrations;
}

absl::StatusOr<v1::ApiKey> ApiKeyRepository::Get(storage::Transaction& txn,
                                                 const std::string& id_or_name) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM api_keys WHERE id = $1 OR (name = $1 AND state = $2)",
                {id_or_name, static_cast<int>(v1::API_KEY_STATE_ACTIVE)}));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("id: no API key \"", id_or_name, "\""));
  return Decode(rows.row(0)[0]);
}

absl::Status ApiKeyRepository::Insert(storage::Transaction& txn, v1::ApiKey& key) {
  // A name is a key's subject ("apikey:<name>") in the audit trail: never given to a second key,
  // or what a revoked key did (still accepted for the cache's seconds on each gateway) and what
  // its successor did would read the same.
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet named,
                        txn.Query("SELECT state FROM api_keys WHERE name = $1", {key.name()}));
  if (!named.empty()) {
    const bool active = named.row(0)[0].AsInt() == static_cast<int>(v1::API_KEY_STATE_ACTIVE);
    return absl::AlreadyExistsError(absl::StrCat(
        "name: ", active ? "an active API key is named \"" : "a revoked API key was named \"",
        key.name(), "\"", active ? "" : "; a name is never given to another key (choose another)"));
  }
  absl::Status inserted =
      txn.Execute(
             "INSERT INTO api_keys(id, name, state, version, data) VALUES ($1, $2, $3, $4, $5)",
             {key.id(), key.name(), static_cast<int>(key.state()), key.version(),
              storage::Bytes{key.SerializeAsString()}})
          .status();
  if (storage::IsUniqueViolation(inserted, "api_keys")) {
    return absl::AlreadyExistsError(
        absl::StrCat("name: an active API key is named \"", key.name(), "\""));
  }
  return inserted;
}

absl::Status ApiKeyRepository::Update(storage::Transaction& txn, const v1::ApiKey& key,
                                      int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE api_keys SET state = $1, version = $2, data = $3"
                  " WHERE id = $4 AND version = $5",
                  {static_cast<int>(key.state()), key.version(),
                   storage::Bytes{key.SerializeAsString()}, key.id(), expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("API key ", key.name()));
  }
  return absl::OkStatus();
}

absl::Status ApiKeyRepository::AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                           const common::v1::AuditEntry& entry) {
  return records::AuditTrail::Append(txn, record_id, entry);
}

absl::Status ApiKeyRepository::InsertSecret(storage::Transaction& txn, const std::string& lookup_id,
                                            const std::string& key_id,
                                            const std::string& secret_hash) {
  return txn
      .Execute(
          "INSERT INTO api_key_secrets(lookup_id, key_id, secret_hash, expire_time_us)"
          " VALUES ($1, $2, $3, $4)",
          {lookup_id, key_id, secret_hash, kNever})
      .status();
}

absl::Status ApiKeyRepository::ExpireSecrets(storage::Transaction& txn, const std::string& key_id,
                                             absl::Time at) {
  const int64_t at_us = Micros(at);
  return txn
      .Execute(
          "UPDATE api_key_secrets SET expire_time_us = $1 WHERE key_id = $2 AND expire_time_us > "
          "$1",
          {at_us, key_id})
      .status();
}

absl::StatusOr<std::optional<StoredSecret>> ApiKeyRepository::FindSecret(
    storage::Transaction& txn, const std::string& lookup_id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT key_id, secret_hash, expire_time_us FROM api_key_secrets"
                                  " WHERE lookup_id = $1",
                                  {lookup_id}));
  if (rows.empty()) return std::nullopt;
  const int64_t expire_us = rows.row(0)[2].AsInt();
  return StoredSecret{
      .key_id = rows.row(0)[0].AsString(),
      .secret_hash = rows.row(0)[1].AsString(),
      .expires = expire_us == kNever ? absl::InfiniteFuture() : absl::FromUnixMicros(expire_us)};
}

absl::StatusOr<std::vector<v1::ApiKey>> ApiKeyRepository::List(storage::Transaction& txn,
                                                               bool include_revoked,
                                                               const std::string& after_name,
                                                               const std::string& after_id,
                                                               int limit) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM api_keys WHERE ($1 = 1 OR state = $2)"
                " AND (name > $3 OR (name = $3 AND id > $4)) ORDER BY name, id LIMIT $5",
                {include_revoked ? 1 : 0, static_cast<int>(v1::API_KEY_STATE_ACTIVE), after_name,
                 after_id, limit}));
  std::vector<v1::ApiKey> keys;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, Decode(row[0]));
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace itsm::apikeys
